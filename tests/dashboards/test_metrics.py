"""Every metric against figures worked out by hand. Histograms are counts of the values 0..10."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards import metrics


def hist(**counts: int) -> list[int]:
    """hist(v9=4, v10=1) -> the 11 counts with 4 nines and 1 ten."""
    values = [0] * 11
    for key, count in counts.items():
        values[int(key[1:])] = count
    return values


def test_nps_counts_9_and_10_as_promoters_and_0_to_6_as_detractors():
    # 10 answers: 4 promoters (9, 9, 10, 10), 4 passives (7, 8, 8, 7), 2 detractors (0, 6).
    # (4 - 2) / 10 = 20%.
    result = metrics.nps(hist(v0=1, v6=1, v7=2, v8=2, v9=2, v10=2))
    assert result == {"n": 10, "score": 20.0, "promoters": 4, "passives": 4, "detractors": 2}


def test_nps_all_detractors_is_minus_100():
    result = metrics.nps(hist(v0=3, v3=2, v6=1))
    assert result == {"n": 6, "score": -100.0, "promoters": 0, "passives": 0, "detractors": 6}


def test_nps_all_promoters_is_100():
    assert metrics.nps(hist(v9=1, v10=1))["score"] == 100.0


def test_nps_rounds_to_one_decimal():
    # 1 promoter, 2 passives out of 3: 33.333...% -> 33.3; 2 detractors of 3 -> -66.7.
    assert metrics.nps(hist(v10=1, v8=2))["score"] == 33.3
    assert metrics.nps(hist(v1=2, v7=1))["score"] == -66.7


def test_nps_rounds_halves_away_from_zero():
    # 1 promoter of 16: 6.25% -> 6.3 (Python's round() would give 6.2); -6.25 -> -6.3.
    assert metrics.nps(hist(v9=1, v8=15))["score"] == 6.3
    assert metrics.nps(hist(v0=1, v8=15))["score"] == -6.3


def test_nps_with_no_answers_has_no_score():
    assert metrics.nps([0] * 11) == {
        "n": 0,
        "score": None,
        "promoters": 0,
        "passives": 0,
        "detractors": 0,
    }


def test_csat_is_share_of_4_and_5_with_mean():
    # 12 answers: 1x1, 1x2, 1x3, 5x4, 4x5 -> 9/12 = 75%; mean (1+2+3+20+20)/12 = 46/12 = 3.833 -> 3.83
    result = metrics.csat(hist(v1=1, v2=1, v3=1, v4=5, v5=4))
    assert result == {"n": 12, "score": 75.0, "mean": 3.83}


def test_csat_mean_rounds_to_two_decimals_half_up():
    # 1, 2, 2, 2, 5, 5, 5, 5: sum 27 / 8 = 3.375 -> 3.38; 4 of 8 are 4-5 -> 50%.
    assert metrics.csat(hist(v1=1, v2=3, v5=4)) == {"n": 8, "score": 50.0, "mean": 3.38}


def test_csat_with_no_answers_is_none():
    assert metrics.csat([0] * 11) == {"n": 0, "score": None, "mean": None}


def test_ces_mean_and_share_easy_from_5_to_7():
    # 12 answers: 2x2, 2x4, 3x5, 3x6, 2x7 -> sum 4+8+15+18+14 = 59 / 12 = 4.9166 -> 4.92;
    # easy (5-7): 8 of 12 = 66.666 -> 66.7
    assert metrics.ces(hist(v2=2, v4=2, v5=3, v6=3, v7=2)) == {
        "n": 12,
        "mean": 4.92,
        "pct_easy": 66.7,
    }


def test_ces_with_no_answers_is_none():
    assert metrics.ces([0] * 11) == {"n": 0, "mean": None, "pct_easy": None}


def test_favourability_splits_4_5_from_3_and_1_2():
    # 12 answers: 1x1, 1x2, 3x3, 4x4, 3x5 -> favourable 7/12 = 58.3, neutral 3/12 = 25.0,
    # unfavourable 2/12 = 16.7.
    assert metrics.favourability(hist(v1=1, v2=1, v3=3, v4=4, v5=3)) == {
        "n": 12,
        "favourable": 58.3,
        "neutral": 25.0,
        "unfavourable": 16.7,
    }


def test_favourability_with_no_answers_is_none():
    assert metrics.favourability([0] * 11) == {
        "n": 0,
        "favourable": None,
        "neutral": None,
        "unfavourable": None,
    }


def test_engagement_is_mean_of_item_favourability_before_rounding():
    # Item A: 2 of 3 favourable = 66.666..%; item B: 1 of 3 = 33.333..%; C: 1 of 2 = 50%.
    # Mean of the exact values: (200/3 + 100/3 + 50) / 3 = 150/3 = 50.0 (rounding each first
    # would give (66.7 + 33.3 + 50) / 3 = 50.0 too, so also check a case where it differs).
    a, b, c = hist(v4=2, v2=1), hist(v5=1, v3=2), hist(v4=1, v1=1)
    assert metrics.engagement([a, b, c]) == 50.0
    # 1/3 and 1/6 favourable: (33.333.. + 16.666..) / 2 = 25.0 exactly.
    assert metrics.engagement([hist(v4=1, v3=2), hist(v5=1, v1=5)]) == 25.0


def test_engagement_leaves_out_unanswered_items_and_is_none_without_answers():
    assert metrics.engagement([hist(v5=1), [0] * 11]) == 100.0
    assert metrics.engagement([[0] * 11]) is None
    assert metrics.engagement([]) is None


def test_participation_rate():
    assert metrics.participation(responses=7, invited=9) == 77.8  # 77.777..
    assert metrics.participation(responses=0, invited=9) == 0.0
    assert metrics.participation(responses=0, invited=0) is None


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0.05, "positive"),
        (0.0499, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
        (None, ""),
    ],
)
def test_sentiment_label_thresholds(score, label):
    assert metrics.sentiment_label(score) == label


def test_pearson_from_sums_matches_hand_computation():
    # x = 1, 2, 3; y = 2, 4, 5: n=3, sx=6, sy=11, sxx=14, syy=45, sxy=25.
    # r = (3*25 - 6*11) / sqrt((3*14 - 36) * (3*45 - 121)) = 9 / sqrt(6 * 14) = 9 / 9.165 = 0.982
    r = metrics.pearson_from_sums(n=3, sx=6, sy=11, sxx=14, syy=45, sxy=25)
    assert round(r, 3) == 0.982
    assert metrics.pearson_from_sums(n=3, sx=3, sy=11, sxx=3, syy=45, sxy=11) is None  # x constant
    assert metrics.pearson_from_sums(n=1, sx=1, sy=1, sxx=1, syy=1, sxy=1) is None


def test_round_half_up():
    assert metrics.round_half_up(Fraction(1, 8) * 100, 1) == 12.5
    assert metrics.round_half_up(Fraction(-1, 400), 2) == 0.0  # no -0.0
    assert metrics.round_half_up(None, 1) is None


def test_question_figures_dispatch_on_type():
    assert metrics.question_figures("ces", hist(v7=1)) == {
        "type": "ces",
        "n": 1,
        "mean": 7.0,
        "pct_easy": 100.0,
    }


def test_histogram_of_a_row_with_missing_null_or_decimal_counts():
    from decimal import Decimal

    from dashboards.metrics import histogram

    full = {f"c{value}": value for value in range(11)}
    assert histogram(full) == list(range(11))
    assert histogram({**full, "c0": None, "c3": Decimal(2)}) == [0, 1, 2, 2, *range(4, 11)]
    assert histogram({"c10": 4}) == [0] * 10 + [4]


def _exact_pct(part: int, n: int):
    return metrics.round_half_up(Fraction(100 * part, n), 1) if n else None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=11, max_size=11), max_size=6))
def test_written_out_figures_equal_their_definitions(hists):
    """favourability and engagement, written out for speed, against their definitions in
    exact fractions: % of 4-5, of 3 and of 1-2; the mean of the items' favourable %."""
    for hist in hists:
        n = sum(hist)
        assert metrics.favourability(hist) == {
            "n": n,
            "favourable": _exact_pct(hist[4] + hist[5], n),
            "neutral": _exact_pct(hist[3], n),
            "unfavourable": _exact_pct(hist[1] + hist[2], n),
        }
    answered = [h for h in hists if sum(h)]
    expected = (
        metrics.round_half_up(
            sum(Fraction(100 * (h[4] + h[5]), sum(h)) for h in answered) / len(answered), 1
        )
        if answered
        else None
    )
    assert metrics.engagement(hists) == expected
