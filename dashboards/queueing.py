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
from redis.exceptions import ResponseError

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


def lists_after(submitted_at: dt.datetime | None) -> float:
    """The earliest moment (epoch seconds) a task published for a response stored at
    `submitted_at` lists its survey's backlog; 0.0 when unknown."""
    if submitted_at is None:
        return 0.0
    return submitted_at.timestamp() + settings.TANDEM_SCORING_GATHER_MS / 1000


def _cover(survey_id: int, listing: float) -> None:
    until = listing - WINDOW_MARGIN_MS / 1000
    if until > _listing_after.get(survey_id, 0.0):
        _listing_after[survey_id] = until


def published(survey_id: int, *, submitted_at: dt.datetime) -> None:
    """Record that this process published the survey's task for a response stored at
    `submitted_at`."""
    if _client(publishing=True) is None:
        return
    _cover(survey_id, lists_after(submitted_at))


def covered_clear() -> None:
    _listing_after.clear()


def claim(survey_id: int, *, submitted_at: dt.datetime | None = None) -> bool:
    """True when the caller should publish a scoring task for the survey (none is waiting).

    The flag holds the moment its task lists (`lists_after` of the response it was published
    for; SET NX GET, Redis 7+): a caller that finds it held learns that moment and skips the
    flag until then (`covered`), as if it had published that task itself, whichever process
    did. Under load most claims found the flag held, one Redis round trip each."""
    client = _client(publishing=True)
    if client is None:
        return True
    flag, value = key(survey_id), repr(lists_after(submitted_at))
    try:
        try:
            held = client.set(flag, value, nx=True, ex=PENDING_SECONDS, get=True)
        except ResponseError:  # Redis before 7: no GET with NX, and nothing learnt
            return bool(client.set(flag, value, nx=True, ex=PENDING_SECONDS))
    except Exception:  # noqa: BLE001 - Redis down: publish (and let that fail or not)
        logger.warning("scoring queue flag unavailable; publishing anyway", exc_info=True)
        return True
    if held is None:
        return True  # set now: this caller publishes
    try:
        _cover(survey_id, float(held))
    except ValueError:
        pass  # a flag without a moment (an older version's "1"): covers nothing
    return False


def release(survey_id: int) -> None:
    """Called by the scoring task before it lists the survey's unscored responses."""
    client = _client(publishing=False)
    if client is None:
        return
    try:
        client.delete(key(survey_id))
    except Exception:  # noqa: BLE001 - the flag expires by itself
        logger.warning("scoring queue flag not released for survey %s", survey_id, exc_info=True)
