"""At most one scoring task queued per survey: a flag in the broker's Redis.

A scoring task scores every response of its survey that was stored before it started, in one
transaction (dashboards.scoring.response_score). So while a task for a survey is waiting in the
queue, another one for the same survey adds nothing: under load (many responses a second to the
same survey) one task does the work of many.

    submit:  store the response, commit, then `claim(survey_id)`: True -> publish response_score
    task:    `release(survey_id)` first, then list the survey's unscored responses and score them

A response committed before the task's release is listed by it (its commit came first); one
committed after the release claims the flag again and publishes its own task. So no response is
left without a task that will list it. The flag expires after PENDING_SECONDS, so a lost task
costs at most that delay (the reconcile task would catch up in any case).

The flag lives in the broker's Redis, which web processes and workers share. With eager tasks
(the embedded default), a non-Redis broker or Redis unreachable, `claim` answers True: every
response publishes, as without this module.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from functools import cache

from django.conf import settings

from config import celery_app

logger = logging.getLogger(__name__)

PENDING_SECONDS = 60
KEY_PREFIX = "tandem:scoring:pending"


def key(survey_id: int) -> str:
    return f"{KEY_PREFIX}:{survey_id}"


@cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def _client(*, publishing: bool):
    conf = celery_app.conf
    url = conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    if publishing and conf.task_always_eager:
        return None  # the task runs right away, in this process
    return _redis(url)


# --- This process's own published tasks ----------------------------------------------------------
#
# A task published for a response stored at S lists its survey's backlog no earlier than
# S + TANDEM_SCORING_GATHER_MS (it waits until its response is that old: dashboards.scoring), so
# a response this process commits before then is listed by it: no need to ask Redis. Until
# S + gather - WINDOW_MARGIN_MS this process skips the claim (one Redis round trip a submission;
# under load most claims found the flag held anyway). The margin covers clock differences
# between web and worker hosts. Not for eager tasks (nothing waits) nor backdated imports
# (their task does not wait: the window is already over).

WINDOW_MARGIN_MS = 50
_listing_after: dict[int, float] = {}  # survey id -> epoch seconds before which a task will list


def covered(survey_id: int) -> bool:
    """Whether a task this process published will list a response of the survey committed now."""
    return time.time() < _listing_after.get(survey_id, 0.0)


def published(survey_id: int, *, submitted_at: dt.datetime) -> None:
    """Record that this process published the survey's task for a response stored at
    `submitted_at`."""
    if _client(publishing=True) is None:
        return
    window = (settings.TANDEM_SCORING_GATHER_MS - WINDOW_MARGIN_MS) / 1000
    if window > 0:
        _listing_after[survey_id] = submitted_at.timestamp() + window


def covered_clear() -> None:
    _listing_after.clear()


def claim(survey_id: int) -> bool:
    """True when the caller should publish a scoring task for the survey (none is waiting)."""
    client = _client(publishing=True)
    if client is None:
        return True
    try:
        return bool(client.set(key(survey_id), 1, nx=True, ex=PENDING_SECONDS))
    except Exception:  # noqa: BLE001 - Redis down: publish (and let that fail or not)
        logger.warning("scoring queue flag unavailable; publishing anyway", exc_info=True)
        return True


def release(survey_id: int) -> None:
    """Called by the scoring task before it lists the survey's unscored responses."""
    client = _client(publishing=False)
    if client is None:
        return
    try:
        client.delete(key(survey_id))
    except Exception:  # noqa: BLE001 - the flag expires by itself
        logger.warning("scoring queue flag not released for survey %s", survey_id, exc_info=True)
