"""The garbage collector of a web process, tuned for requests that build many objects.

CPython collects its youngest generation every 700 container allocations (and an older one
every 10 of those). A dashboard request builds tens of thousands of dicts and lists that live
until its response is written (the team x month scores: 2,545 cells, ~13,000 rollup rows,
~11,000 question entries), so the collector ran hundreds of times in one request, each pass
walking the survivors again: ~40% of that request's time (p50 205 -> 123 ms with the collector
off, in process). Collecting every TANDEM_GC_THRESHOLD allocations (default 10,000) keeps almost
all of that gain; memory held by garbage cycles waits a little longer (cycles are rare in
request code; reference counting frees everything else at once; API responses are taken out of
DRF's cycles by config.middleware.ApiResponseReleaseMiddleware).

`gc.freeze()` after the warm-up moves the objects imported at start-up (Django, the URLconf,
compiled templates: several hundred thousand) out of the collector's sight for good: full
collections stop walking them, and a preloaded gunicorn's forked workers stop writing to
their pages (copy-on-write memory stays shared).
"""

from __future__ import annotations

import gc

from django.conf import settings


def gc_tune(*, freeze: bool) -> None:
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(settings.TANDEM_GC_THRESHOLD, older, oldest)
    if freeze:
        gc.freeze()
