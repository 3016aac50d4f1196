"""Imported only by fault-test workers (`celery worker -I tests.faults.worker_hooks`).

After a scoring task has run (its rollups, alerts and outbox rows committed) and before the worker
acknowledges its message, the task waits while the test holds the PostgreSQL advisory lock
HOLD_AFTER_SCORING. The test sees the wait in pg_locks, so it knows exactly where the task is when
it kills the worker: the worst moment, with every effect done and the message still unacked.
Without the lock held this costs one query per scoring task.
"""

from __future__ import annotations

from celery.signals import task_postrun
from django.db import connection

HOLD_AFTER_SCORING = 4_821_170


@task_postrun.connect
def _hold_after_scoring(sender=None, **kwargs) -> None:
    if getattr(sender, "name", "") != "dashboards.tasks.response_score":
        return
    with connection.cursor() as cursor:
        # Autocommit: taken and released by the one statement, once the test lets go.
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [HOLD_AFTER_SCORING])
