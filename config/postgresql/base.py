"""Django's PostgreSQL backend with a health check that costs no round trip on a busy connection.

CONN_HEALTH_CHECKS makes Django check a persistent connection before the first query of each
request, so a connection the database dropped (a restart, a failover) is replaced instead of
failing the request. Django's check is a `SELECT 1` round trip: under load about a sixth of a
web worker's time, for connections that were fine a few milliseconds earlier.

Here a connection used within the last BUSY_SECONDS is checked locally instead: psycopg2 has not
seen it closed, and the socket holds nothing to read. An idle connection's socket is readable
only when the server spoke first, which for a session without LISTEN means it is going away (a
server shutting down or terminating the backend sends its FATAL message, then closes). Anything
else (readable, closed, idle for longer, or errors in the last request) takes Django's check.
(HikariCP's aliveBypassWindowMs, 500 ms by default, skips its validation the same way.)
"""

from __future__ import annotations

import itertools
import select
import time

from django.db.backends.postgresql import base

BUSY_SECONDS = 5.0


_names = itertools.count()


class DatabaseWrapper(base.DatabaseWrapper):
    used_at = 0.0  # time.monotonic() of the end of the last request that used the connection

    @property
    def prepares(self) -> bool:
        return self.settings_dict.get("PREPARE", True)

    def get_connection_params(self):
        params = super().get_connection_params()
        if not self.prepares:
            return params
        # Prepared statements (only ours: psycopg2 prepares none) keep one generic plan. Left to
        # choose, PostgreSQL planned the scoring task's statement afresh at every call (an
        # array of ids makes each custom plan look cheaper than the generic one).
        params["options"] = f"{params.get('options', '')} -c plan_cache_mode=force_generic_plan"
        return params

    def get_new_connection(self, conn_params):
        self.prepared: dict[str, str] = {}  # SQL -> name of its prepared statement (a session's)
        return super().get_new_connection(conn_params)

    def execute_prepared(self, cursor, sql: str, params) -> None:
        """Run `sql` (%s placeholders) as a statement this session prepared: PostgreSQL plans
        it once (then reuses a generic plan) instead of at every call. For the statements every
        request or scoring task runs, planning cost as much as executing: a request's lookups
        join four or five tables by primary key.

        The first call sends PREPARE and EXECUTE in one round trip (one query, as before). A
        prepared statement is not transactional: it outlives a rollback. If that first call
        fails, the name is not recorded and the next call prepares under a new one.
        """
        params = list(params)
        if not self.prepares:  # TANDEM_DB_PREPARE=false (a pooler sharing sessions)
            cursor.execute(sql, params)
            return
        marks = f"({', '.join(['%s'] * len(params))})" if params else ""
        name = self.prepared.get(sql)
        if name is not None:
            cursor.execute(f"EXECUTE {name}{marks}", params)
            return
        name = f"tandem_{next(_names)}"
        numbered = iter(range(1, len(params) + 1))
        body = "".join(
            f"${next(numbered)}{part}" if i else part for i, part in enumerate(sql.split("%s"))
        )
        cursor.execute(f"PREPARE {name} AS {body}; EXECUTE {name}{marks}", params)
        self.prepared[sql] = name

    def close_if_unusable_or_obsolete(self):
        # Called when a request starts and when it ends: health_check_done is still set only if
        # the request used the connection (its first query ran the check).
        if self.connection is not None and self.health_check_done:
            self.used_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.errors_occurred
            and time.monotonic() - self.used_at < BUSY_SECONDS
            and self._quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self) -> bool:
        """psycopg2 holds the connection open and the server has sent nothing since."""
        if self.connection.closed:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
