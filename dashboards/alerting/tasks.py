"""Celery tasks for alerts and deliveries: take ids, call a service, nothing else.

Imported by dashboards/tasks.py so autodiscovery registers them.
"""

from __future__ import annotations

from celery import shared_task

from dashboards.alerting import outbox, services


@shared_task(name="dashboards.alerting.tasks.outbox_deliver", acks_late=True)
def outbox_deliver_task(message_id: int) -> None:
    outbox.outbox_deliver(message_id=message_id)


@shared_task(name="dashboards.alerting.tasks.outbox_flush", acks_late=True)
def outbox_flush() -> None:
    outbox.outbox_flush()


@shared_task(name="dashboards.alerting.tasks.alert_rules_sweep", acks_late=True)
def alert_rules_sweep() -> None:
    """Evaluate every survey with active rules (cycles that finished with no new response)."""
    services.alert_rules_sweep()
