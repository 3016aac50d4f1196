"""Correlation statistics against values worked out by hand and textbook examples."""

from __future__ import annotations

import math

import pytest

from dashboards.stats import average_ranks, correlation, fisher_ci, pearson, spearman

# Worked example: x = 1..5, y = 2, 4, 5, 4, 5.
# Means 3 and 4; dx = -2 -1 0 1 2, dy = -2 0 1 0 1 -> Sxy = 6, Sxx = 10, Syy = 6.
X = [1, 2, 3, 4, 5]
Y = [2, 4, 5, 4, 5]
R_BY_HAND = 6 / math.sqrt(60)  # 0.7746


def test_pearson_matches_hand_computation():
    assert pearson(X, Y) == pytest.approx(R_BY_HAND)
    assert pearson(X, Y) == pytest.approx(0.774597, abs=1e-6)


def test_pearson_of_anscombe_quartet_one_is_0_816():
    # Anscombe (1973), data set I: the textbook r = 0.816.
    x = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
    y = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]
    assert pearson(x, y) == pytest.approx(0.8164, abs=1e-4)


def test_pearson_is_one_on_a_line_and_minus_one_on_a_falling_line():
    assert pearson([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_pearson_is_undefined_without_variation_or_pairs():
    assert pearson([1, 2, 3], [5, 5, 5]) is None
    assert pearson([4], [7]) is None
    assert pearson([], []) is None


def test_unequal_lengths_are_a_bug():
    with pytest.raises(ValueError):
        pearson([1, 2], [1])


def test_ties_share_the_average_of_their_ranks():
    assert average_ranks([2, 4, 5, 4, 5]) == [1, 2.5, 4.5, 2.5, 4.5]
    assert average_ranks([7, 7, 7]) == [2, 2, 2]
    assert average_ranks([30, 10, 20]) == [3, 1, 2]


def test_spearman_with_ties_by_hand():
    # Ranks of Y are 1, 2.5, 4.5, 2.5, 4.5 (mean 3): Sxy = 4 + 0.5 + 0 - 0.5 + 3 = 7,
    # Sxx = 10, Syy = 4 + .25 + 2.25 + .25 + 2.25 = 9 -> rho = 7 / sqrt(90).
    assert spearman(X, Y) == pytest.approx(7 / math.sqrt(90))
    assert spearman(X, Y) == pytest.approx(0.737865, abs=1e-6)


def test_spearman_textbook_iq_and_television_hours():
    # The classic example (no ties): sum of d^2 = 194, rho = 1 - 6*194/(10*99) = -29/165.
    iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110]
    tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17]
    assert spearman(iq, tv) == pytest.approx(-29 / 165)


def test_spearman_sees_a_monotonic_curve_as_perfect():
    assert spearman([1, 2, 3, 4], [1, 8, 27, 64]) == pytest.approx(1.0)


def test_fisher_interval_by_hand():
    # r = 0.5, n = 28: z = atanh(0.5) = 0.5493, se = 1/sqrt(25) = 0.2,
    # z +- 1.96 * 0.2 = 0.1573 .. 0.9413 -> tanh: 0.156 .. 0.736 (the textbook figures).
    low, high = fisher_ci(0.5, 28)
    assert low == pytest.approx(0.156, abs=5e-4)
    assert high == pytest.approx(0.736, abs=5e-4)


def test_fisher_interval_for_five_points():
    # z = atanh(0.7746) = 1.0317, se = 1/sqrt(2) = 0.7071, half-width 1.3859.
    low, high = fisher_ci(R_BY_HAND, 5)
    assert low == pytest.approx(math.tanh(math.atanh(R_BY_HAND) - 1.959964 / math.sqrt(2)))
    assert (round(low, 3), round(high, 3)) == (-0.340, 0.984)


def test_fisher_interval_is_omitted_below_four_pairs():
    assert fisher_ci(0.9, 3) is None
    assert fisher_ci(None, 10) is None


def test_perfect_r_has_a_zero_width_interval():
    assert fisher_ci(1.0, 6) == (1.0, 1.0)


def test_correlation_bundles_everything():
    result = correlation(X, Y)
    assert result.n == 5
    assert result.pearson == pytest.approx(R_BY_HAND)
    assert result.spearman == pytest.approx(7 / math.sqrt(90))
    assert result.ci95 is not None
    small = correlation([1, 2, 3], [2, 1, 3])
    assert small.ci95 is None and small.pearson == pytest.approx(0.5)
