"""Dashboards kept until what they show changes.

A dashboard page (everything below the navigation bar) and a scores API answer are computed
from the rollups, the organisation's structure, its surveys and alerts, for one role, team,
language, day and set of filters. They are kept in the cache under a key made of all of those
and the organisation's results versions, which move on with every write that changes what
they show (surveys.signals: every scored batch, every write to the structure, surveys, rounds
and alerts). So a kept page is served only while it is the page that would be computed now
(or, below, an earlier one of fewer scored answers), for the same people: the anonymity rules
were applied when it was computed. A page showing
employee surveys only follows their scored batches, not customers' (and the other way round):
`kinds`.

    key = kept_key(organization=org, kinds=("ex",), parts=("page", "ex", role, team_id, query))
    value = kept(key)          # None: compute it, then keep(key, value)

The key names the entry by the organisation, its results_version and a digest of the rest (the
code's version among it: a release never serves a page the previous code computed); the
entry holds the kinds' versions it was computed at and when.

TANDEM_RESULTS_CACHE_SECONDS bounds how long one is kept (0: nothing is kept). A cache that
cannot be reached is skipped, with a warning: the page is computed as if nothing were kept.

While workers compute pages ahead (`ahead`), one out of date only by scored batches of its
kinds is served until it is TANDEM_RESULTS_STALE_SECONDS old (`kept`); the refresh asks for
`up_to_date` ones only.

The pages computed for members' views in the last hour are noted (`viewed_note`, one note per
page, role, team, query string and language, with the member who viewed it last), so that the
worker can compute them again after a scored batch (dashboards.refresh).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from functools import cache as once
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from surveys.models import Organization

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Key:
    """Where a result is kept (its organisation, the results_version every page follows, and a
    digest of what it is), and the versions of the kinds it shows (sorted: "cx", "ex") that an
    up-to-date one was computed at."""

    name: str
    versions: tuple[int, ...]


# What computes and draws a kept result: a release that changes any of these keys every result
# anew, so none computed by the previous code (its figures, anonymity rules or HTML) is served
# by the new one until it expires.
CODE_GLOBS = (
    "dashboards/**/*.py",
    "surveys/permissions.py",
    "templates/dashboards/**/*.html",
    "static/js/charts.js",
)


@once
def code_version() -> str:
    """A digest of the files CODE_GLOBS names (read once per process, ~100 files)."""
    digest = hashlib.sha256()
    for pattern in CODE_GLOBS:
        for path in sorted(settings.BASE_DIR.glob(pattern)):
            digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def kept_key(*, organization: Organization, kinds: tuple[str, ...], parts: tuple) -> Key | None:
    """The key of what `parts` names for this organisation now, showing surveys of `kinds`
    ("ex", "cx"); None when nothing is kept."""
    if settings.TANDEM_RESULTS_CACHE_SECONDS <= 0:
        return None
    whole = (
        code_version(),
        # created_at: SQLite gives a deleted organisation's id to the next one
        organization.created_at.isoformat() if organization.created_at else "",
        translation.get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate().isoformat(),  # default ranges and partial months follow the day
        sorted(kinds),
        parts,
    )
    digest = hashlib.sha256(repr(whole).encode()).hexdigest()[:40]
    return Key(
        name=f"results:{organization.pk}:{organization.results_version}:{digest}",
        versions=tuple(getattr(organization, f"{kind}_results_version") for kind in sorted(kinds)),
    )


def ahead() -> bool:
    """Whether workers compute viewed pages ahead after scored batches (dashboards.refresh):
    not with eager Celery (the embedded default), where the submitting request would wait."""
    return settings.TANDEM_RESULTS_REFRESH_PAGES > 0 and not current_app.conf.task_always_eager


def stale_seconds() -> int:
    """How old a page out of date by scored batches may be served (0 with nothing computed ahead:
    it would stay out of date until viewed that long after)."""
    return settings.TANDEM_RESULTS_STALE_SECONDS if ahead() else 0


def kept(key: Key | None, *, up_to_date: bool = False) -> Any:
    """What is kept under `key`: when it was computed at the versions the key holds, or, unless
    `up_to_date`, after fewer scored batches but less than stale_seconds() ago."""
    if key is None:
        return None
    try:
        entry = cache.get(key.name)
    except Exception:  # noqa: BLE001 - a cache outage must not take the dashboards down
        logger.warning("Could not read a kept dashboard; computing it.", exc_info=True)
        return None
    if entry is None:
        return None
    versions, at, value = entry
    if versions == key.versions:
        return value
    if not up_to_date and time.time() - at < stale_seconds():
        return value
    return None


def keep(key: Key | None, value: Any) -> None:
    if key is None:
        return
    try:
        entry = (key.versions, time.time(), value)
        cache.set(key.name, entry, settings.TANDEM_RESULTS_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("Could not keep a dashboard.", exc_info=True)


VIEWED_SECONDS = 3600  # pages viewed this recently are computed again after scored batches
VIEWED_MAX = 200  # notes kept per organisation, the most recent


def _viewed_key(organization_id: int) -> str:
    return f"results:viewed:{organization_id}"


def viewed_note(*, organization_id: int, page: tuple, user_id: int) -> None:
    """Note that `page` (its name, role, team, query string and language) was computed for a
    view by the member `user_id`. A lost note only means that page is not computed ahead."""
    if settings.TANDEM_RESULTS_CACHE_SECONDS <= 0 or settings.TANDEM_RESULTS_REFRESH_PAGES <= 0:
        return
    key = _viewed_key(organization_id)
    try:
        notes = cache.get(key) or {}
        notes[page] = (user_id, time.time())
        cache.set(key, dict(_latest(notes)[:VIEWED_MAX]), VIEWED_SECONDS)
    except Exception:  # noqa: BLE001
        logger.warning("Could not note a dashboard viewed.", exc_info=True)


def viewed_pages(organization_id: int) -> list[tuple[tuple, int]]:
    """(page, user id) of the pages noted in the last VIEWED_SECONDS, the most recent first."""
    try:
        notes = cache.get(_viewed_key(organization_id)) or {}
    except Exception:  # noqa: BLE001
        logger.warning("Could not read the dashboards viewed.", exc_info=True)
        return []
    since = time.time() - VIEWED_SECONDS
    return [(page, user_id) for page, (user_id, at) in _latest(notes) if at >= since]


def _latest(notes: dict) -> list[tuple[tuple, tuple[int, float]]]:
    """The notes (page: (user id, when)), the most recent first."""
    return sorted(notes.items(), key=lambda item: item[1][1], reverse=True)
