"""Correlation statistics for the EX→CX link: Pearson, Spearman and Fisher's interval.

Pure functions over short lists (one point per team and period, so tens of values, already
aggregated in the database): no dependency on numpy or scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054  # two-sided 95% quantile of the standard normal
MIN_PAIRS_FOR_CI = 4  # Fisher's standard error is 1/sqrt(n - 3)


@dataclass(frozen=True)
class Correlation:
    n: int
    pearson: float | None
    spearman: float | None
    ci95: tuple[float, float] | None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r, or None with fewer than 2 pairs or when either side does not vary."""
    _check_pairs(xs, ys)
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    r = sxy / math.sqrt(sxx * syy)
    return max(-1.0, min(1.0, r))  # rounding can step just outside [-1, 1]


def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, tied values sharing the mean of the ranks they occupy ([5, 7, 7] -> [1, 2.5, 2.5])."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1  # mean of ranks start+1 .. end+1
        for position in range(start, end + 1):
            ranks[order[position]] = shared
        start = end + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson's r of the average ranks (correct with ties)."""
    _check_pairs(xs, ys)
    return pearson(average_ranks(xs), average_ranks(ys))


def fisher_ci(r: float | None, n: int, *, z_crit: float = Z_95) -> tuple[float, float] | None:
    """Confidence interval for Pearson's r through Fisher's z = atanh(r), se = 1/sqrt(n-3).

    None below 4 pairs (no standard error) or without an r; a perfect r has a zero-width interval.
    """
    if r is None or n < MIN_PAIRS_FOR_CI:
        return None
    if abs(r) >= 1:
        return (r, r)
    z = math.atanh(r)
    half = z_crit / math.sqrt(n - 3)
    return (math.tanh(z - half), math.tanh(z + half))


def correlation(xs: Sequence[float], ys: Sequence[float]) -> Correlation:
    r = pearson(xs, ys)
    return Correlation(n=len(xs), pearson=r, spearman=spearman(xs, ys), ci95=fisher_ci(r, len(xs)))


def _check_pairs(xs: Sequence[float], ys: Sequence[float]) -> None:
    if len(xs) != len(ys):
        raise ValueError(f"Pairs needed: {len(xs)} x values but {len(ys)} y values.")
