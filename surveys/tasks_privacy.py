"""Celery tasks for privacy operations (imported by surveys/tasks.py for autodiscovery)."""

from __future__ import annotations

import logging

from celery import shared_task

from surveys.privacy import retention_purge_all

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def retention_purge() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE): purge responses past each organisation's retention period.
    Idempotent: a second run finds nothing left to delete."""
    results = retention_purge_all()
    for organization_id, result in results.items():
        if result["responses"]:
            logger.info("retention purge: organization %s %s", organization_id, result)
    return {str(k): {**v, "cutoff": str(v["cutoff"])} for k, v in results.items()}
