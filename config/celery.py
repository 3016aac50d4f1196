"""The Celery app: `celery -A config worker` and `celery -A config beat`."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tandem")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connections(sender=None, **kwargs) -> None:
    """Between tasks, what Django does between web requests: close a connection that is past
    CONN_MAX_AGE, broken or left in a transaction, and health-check the others before their
    next use (CONN_HEALTH_CHECKS), so a database restart costs one reconnect, not a failed
    task. Celery's own fixup then keeps connections open (CELERY_DB_REUSE_MAX, settings).
    Never for an eager task: it runs inside the caller's request or transaction."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
