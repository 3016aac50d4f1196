"""Django's database sessions, read with one hand-written query.

Every signed-in request reads its session first; building and compiling that queryset cost more
Python time than the lookup itself (config.rows). Same table, same rows, same behaviour as
`django.contrib.sessions.backends.db` (SESSION_ENGINE = "config.sessions"): writes, expiry and
`clearsessions` are Django's own.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
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


class UserBackend(ModelBackend):
    """Django's `ModelBackend`, with the signed-in user read by one hand-written query: every
    signed-in request asks for it (django.contrib.auth.get_user), and building the queryset
    cost more than the lookup. Sign-in, permissions and `user_can_authenticate` are Django's."""

    def get_user(self, user_id):
        if not rows.valid_id(user_id):
            return None
        user = rows.one_with(get_user_model(), (), "x.id = %s", [user_id])
        return user if user is not None and self.user_can_authenticate(user) else None
