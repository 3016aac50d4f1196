"""Celery tasks for scoring. (Stub: the scoring issue fills these in.)"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def response_score(response_id: int) -> None:
    """Score one stored response: sentiment, rollup buckets it touched, then alert rules."""
