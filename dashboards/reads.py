"""Reads shared within one request: a dashboard page's panels ask for equal things.

    with shared_reads():      # around a page (dashboards.views)
        shared(key, read)     # read() once per key within the block; outside any block, each time

Used for the respondents per cell (the EX page's panels asked for the same ones twice over),
the survey's scored questions (asked by nearly every panel) and the month-or-day plan of a
date range (dashboards.monthly: one EXISTS query, asked by every rollup read of the page).
For one request: nothing read here is kept after the block (the rollups change with every
scored response).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_SHARED: ContextVar[dict | None] = ContextVar("dashboards_shared_reads", default=None)


@contextmanager
def shared_reads():
    """Within the block, equal reads (equal keys) are made once."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def shared(key: tuple, read: Callable[[], T]) -> T:
    """read(), or what it gave for an equal key earlier in the same shared_reads block."""
    memo = _SHARED.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]
