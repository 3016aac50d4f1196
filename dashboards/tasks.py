"""Celery tasks for scoring: take ids, call a service in dashboards.scoring, log what was done.

Every task is idempotent (rollups are recomputed from the source rows), acknowledged late (a
worker killed mid-task leaves the message for another worker) and retried with exponential
backoff when the database is unavailable.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from celery import current_app, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from dashboards import queueing, refresh, scoring
from dashboards.alerting import tasks as alerting_tasks  # noqa: F401 - registers them for autodiscovery

logger = logging.getLogger(__name__)

_DATABASE_RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**_DATABASE_RETRY)
def response_score(response_id: int, survey_id: int | None = None) -> None:
    """Score one stored response, with its survey's backlog: sentiment, counts added to the
    rollups, then alert rules (dashboards.scoring.response_score). `survey_id`: the response's
    survey, whose backlog is still this task's if the response is deleted before it runs."""
    gather = 0.0 if current_app.conf.task_always_eager else settings.TANDEM_SCORING_GATHER_MS / 1000
    done = scoring.response_score(response_id=response_id, gather=gather, survey_id=survey_id)
    if done is None:
        logger.info("response_score: response %s no longer exists, nothing to do", response_id)
        return
    logger.info("response_score: response %s scored: %s", response_id, done)
    if done["responses_marked"]:  # kept pages of this kind are out of date: computed ahead
        refresh.refresh_soon(survey_id=done["survey"])
    for next_id in done["backlog_next"]:  # the batch was full and more wait: the next batch
        scoring_queue(next_id, done["survey"])


def scoring_queue(
    response_id: int, survey_id: int | None = None, submitted_at: dt.datetime | None = None
) -> None:
    """Publish `response_score` for a stored response, unless one for its survey is already
    waiting (it will score this response too: dashboards.queueing), as this process knows
    without asking while a task it published has yet to list the survey's backlog. A broker
    outage is logged, never raised: the reconcile task scores what it left."""
    if survey_id is not None and (
        queueing.covered(survey_id) or not queueing.claim(survey_id, submitted_at=submitted_at)
    ):
        return
    try:
        response_score.delay(response_id, survey_id)
    except Exception:  # noqa: BLE001 - a broker outage must never lose or fail a submission
        if survey_id is not None:
            queueing.release(survey_id)
        logger.warning(
            "Could not queue scoring for response %s; the reconcile task will score it.",
            response_id,
            exc_info=True,
        )
    else:
        if survey_id is not None and submitted_at is not None:
            queueing.published(survey_id, submitted_at=submitted_at)


@shared_task(**_DATABASE_RETRY)
def scores_reconcile(older_than_seconds: int | None = None) -> None:
    """Score responses left unscored (for example while the broker was down)."""
    if older_than_seconds is None:
        done = scoring.scores_reconcile()
    else:
        done = scoring.scores_reconcile(older_than_seconds=older_than_seconds)
    logger.info(
        "scores_reconcile: %s unscored responses scored in %s surveys",
        done["responses"],
        done["surveys"],
    )
    for survey_id in scoring.pairs_reconcile():
        logger.info("scores_reconcile: survey %s rebuilt: its outcome question changed", survey_id)


@shared_task(**_DATABASE_RETRY)
def scores_rebuild(survey_id: int | None = None) -> None:
    """Recompute the rollups of one survey (or all) from scratch."""
    done = scoring.scores_rebuild(survey_id=survey_id)
    logger.info("scores_rebuild: survey %s: %s", survey_id or "all", done)


@shared_task(**_DATABASE_RETRY)
def results_refresh(organization_id: int) -> None:
    """Compute again the organisation's dashboards viewed in the last hour (dashboards.refresh)."""
    started = time.monotonic()
    done = refresh.pages_refresh(organization_id=organization_id)
    logger.info(
        "results_refresh: organisation %s: %s in %.2f s",
        organization_id,
        done,
        time.monotonic() - started,
    )


@shared_task(**_DATABASE_RETRY)
def results_refresh_sweep() -> None:
    """Refresh the organisations whose results moved on since their last refresh."""
    refreshed = refresh.refresh_sweep()
    if refreshed:
        logger.info("results_refresh_sweep: organisations %s refreshed", refreshed)
