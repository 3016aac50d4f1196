"""Metric definitions, one each, as pure functions over aggregated counts.

Every input is already summed in the database (a rollup histogram `c0..c10`, a count, a total), so
these functions never see a single answer. Percentages are rounded to one decimal and means to two,
half away from zero, using exact fractions (no float drift: 1/16 = 6.25% rounds to 6.3).
No answers gives `None` figures, never a ZeroDivisionError. The definitions are written out for
people in docs/metrics.md; keep both in step.

    nps(hist)              -> {"n", "score", "promoters", "passives", "detractors"}   (also eNPS)
    csat(hist)             -> {"n", "score", "mean"}
    ces(hist)              -> {"n", "mean", "pct_easy"}
    favourability(hist)    -> {"n", "favourable", "neutral", "unfavourable"}
    question_figures(type, hist) -> the API entry for one question (dispatch on type)
    engagement(hists)      -> mean favourable % across the engagement items, or None
    participation(responses=, invited=) -> % of invited people who answered, or None
    sentiment_label(score) -> "positive" | "neutral" | "negative"
    pearson_from_sums(...) -> Pearson's r from n, sums, sums of squares and products
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

HISTOGRAM_SIZE = 11  # values 0..10 cover NPS (0-10), Likert and CSAT (1-5), CES (1-7)
SCORED_TYPES = ("nps", "csat", "ces", "likert")
SENTIMENT_POSITIVE = 0.05  # VADER's own cut-offs for its compound score
SENTIMENT_NEGATIVE = -0.05

Histogram = Sequence[int]


_HISTOGRAM_KEYS = tuple(f"c{value}" for value in range(HISTOGRAM_SIZE))
_counts = operator.itemgetter(*_HISTOGRAM_KEYS)


def histogram(row: Mapping[str, int | None]) -> list[int]:
    """The 11 counts of a rollup row or aggregate (keys c0..c10; missing or NULL counts as 0).
    (The score selectors get theirs already as lists: dashboards.monthly.rollup_rows.)"""
    try:
        values = _counts(row)
    except KeyError:
        values = [row.get(key) for key in _HISTOGRAM_KEYS]
    return [value if type(value) is int else int(value or 0) for value in values]


def round_half_up(value: Fraction | int | None, digits: int) -> float | None:
    """Round half away from zero (not Python's round-half-even), exactly."""
    if value is None:
        return None
    scaled = Fraction(value) * 10**digits
    rounded = math.floor(abs(scaled) + Fraction(1, 2))
    if not rounded:
        return 0.0
    return (-rounded if scaled < 0 else rounded) / 10**digits


def _ratio_half_up(numerator: int, denominator: int, digits: int) -> float:
    """round_half_up(Fraction(numerator, denominator), digits) in integers: the same result
    without building Fractions (the scores API rounds tens of thousands of figures a call)."""
    scale = 10**digits
    rounded = (2 * abs(numerator) * scale + denominator) // (2 * denominator)
    if not rounded:
        return 0.0
    return (-rounded if numerator < 0 else rounded) / scale


def _count(hist: Histogram, low: int, high: int) -> int:
    return sum(hist[low : high + 1])


def _pct(part: int, n: int) -> float | None:
    return _ratio_half_up(100 * part, n, 1) if n else None


def _mean(hist: Histogram) -> float | None:
    n = sum(hist)
    if not n:
        return None
    return _ratio_half_up(sum(value * count for value, count in enumerate(hist)), n, 2)


def nps(hist: Histogram) -> dict:
    """Net Promoter Score (NPS, and eNPS for employees) of a 0-10 question.

    % promoters (9-10) minus % detractors (0-6), from -100 to +100; 7-8 are passives.
    """
    n = sum(hist)
    promoters, passives, detractors = _count(hist, 9, 10), _count(hist, 7, 8), _count(hist, 0, 6)
    score = _ratio_half_up(100 * (promoters - detractors), n, 1) if n else None
    return {
        "n": n,
        "score": score,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
    }


def csat(hist: Histogram) -> dict:
    """Customer satisfaction of a 1-5 question: % of answers that are 4 or 5, and the mean."""
    n = sum(hist)
    return {"n": n, "score": _pct(_count(hist, 4, 5), n), "mean": _mean(hist)}


def ces(hist: Histogram) -> dict:
    """Customer effort of a 1-7 question (7 = very easy): the mean, and % of answers 5-7."""
    n = sum(hist)
    return {"n": n, "mean": _mean(hist), "pct_easy": _pct(_count(hist, 5, 7), n)}


def favourability(hist: Histogram) -> dict:
    """A 1-5 agreement item: % favourable (4-5), neutral (3) and unfavourable (1-2)."""
    n = sum(hist)
    if not n:
        return {"n": 0, "favourable": None, "neutral": None, "unfavourable": None}
    # Written out (no _count/_pct calls): the scores API's team x month computes ~9,000.
    return {
        "n": n,
        "favourable": _ratio_half_up(100 * (hist[4] + hist[5]), n, 1),
        "neutral": _ratio_half_up(100 * hist[3], n, 1),
        "unfavourable": _ratio_half_up(100 * (hist[1] + hist[2]), n, 1),
    }


_BY_TYPE = {"nps": nps, "csat": csat, "ces": ces, "likert": favourability}


def figures_for(question_type: str):
    """The function giving one question type's figures from its histogram (nps, csat, ...)."""
    return _BY_TYPE[question_type]


def question_figures(question_type: str, hist: Histogram) -> dict:
    """The figures for one question of a scored type (the API's per-question entry, without ids)."""
    return {"type": question_type, **_BY_TYPE[question_type](hist)}


def favourable_fraction(hist: Histogram) -> Fraction | None:
    n = sum(hist)
    return Fraction(100 * _count(hist, 4, 5), n) if n else None


def engagement(hists: Iterable[Histogram]) -> float | None:
    """Engagement index: the mean of the items' favourable percentages (unrounded, then rounded).

    The caller passes the histograms of the survey's engagement-tagged Likert items (or, when the
    survey tags none, of all its Likert items). Items nobody answered are left out; no answered
    item gives None.
    """
    # Each item's favourable % is 100 * part / n: their exact mean over a common denominator.
    items = [(100 * (hist[4] + hist[5]), n) for hist in hists if (n := sum(hist))]
    if not items:
        return None
    common = math.lcm(*(n for _, n in items))
    return _ratio_half_up(sum(part * (common // n) for part, n in items), common * len(items), 1)


def participation(*, responses: int, invited: int) -> float | None:
    """% of the invited people who responded (a cycle's used invitations over its invitations)."""
    return _pct(min(responses, invited), invited) if invited else None


def sentiment_label(score: float | None) -> str:
    """Label a compound sentiment score in [-1, 1] (VADER's thresholds: +/-0.05)."""
    if score is None:
        return ""
    if score >= SENTIMENT_POSITIVE:
        return "positive"
    if score <= SENTIMENT_NEGATIVE:
        return "negative"
    return "neutral"


def pearson_from_sums(
    *, n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float
) -> float | None:
    """Pearson's r from SQL aggregates (for databases without corr()). None without variance."""
    if n < 2:
        return None
    cov = n * sxy - sx * sy
    var_x, var_y = n * sxx - sx * sx, n * syy - sy * sy
    if var_x <= 0 or var_y <= 0:
        return None
    return max(-1.0, min(1.0, cov / math.sqrt(var_x * var_y)))
