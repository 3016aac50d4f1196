"""Django's database sessions, read with one hand-written query.

Every signed-in request reads its session first; building and compiling that queryset cost more
Python time than the lookup itself (config.rows). Same table, same rows, same behaviour as
`django.contrib.sessions.backends.db` (SESSION_ENGINE = "config.sessions"): writes, expiry and
`clearsessions` are Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

from config import rows


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = rows.one_with(
            self.model,
            (),
            "x.session_key = %s AND x.expire_date > %s",
            [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        if session is None:
            self._session_key = None  # unknown or expired: a new session, as Django's does
        return session
