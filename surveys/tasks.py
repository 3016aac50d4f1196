"""Celery tasks for distribution: invitation emails and the pulse clock. Each is a few lines."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from surveys import distribution


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def invitation_email_send(invitation_id: int, token: str, kind: str = distribution.INVITE) -> bool:
    """Email one invitation or reminder. The token travels only in this message (the database
    keeps its hash); sending is compare-and-set on the invitation, so a redelivery sends nothing."""
    return distribution.invitation_email_deliver(
        invitation_id=invitation_id, token=token, kind=kind
    )


@shared_task(acks_late=True)
def pulses_tick() -> int:
    """Celery beat, every few minutes: open due pulse rounds and send scheduled reminders."""
    return len(distribution.pulses_tick())


from surveys.tasks_privacy import retention_purge  # noqa: E402, F401  (autodiscovery)
