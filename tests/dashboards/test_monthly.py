"""Month rollups: kept equal to the day rollups they sum, and read in place of them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.test.utils import CaptureQueriesContext

from dashboards import scoring
from dashboards.models import QuestionRollup, QuestionRollupMonth, ResponseRollupMonth
from dashboards.monthly import rollup_rows, rollup_sums
from dashboards.reads import shared_reads
from dashboards.selectors.scores import metric_by_group
from responses.models import Response
from tests.factories import response_with_answers

pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


@pytest.fixture
def survey(nps_survey):
    """Not anonymous: an anonymous survey is read by whole months only, never partial ones."""
    nps_survey.anonymous = False
    nps_survey.save(update_fields=["anonymous"])
    return nps_survey


@pytest.fixture
def answered(world, survey):
    """NPS answers on both sides of the March/April boundary, two teams, each scored."""
    answers = [
        (world.team, "2026-03-05", 10),
        (world.team, "2026-03-20", 9),
        (world.team, "2026-03-31", 2),
        (world.team, "2026-04-01", 8),
        (world.team, "2026-04-15", 0),
        (world.other_team, "2026-03-20", 7),
        (world.other_team, "2026-04-30", 10),
    ]
    for team, day, value in answers:
        response = response_with_answers(
            survey=survey, team=team, answers={survey.nps: value}, submitted_at=at(day)
        )
        scoring.response_score(response_id=response.id)
    return survey


def _months(survey) -> dict:
    return {
        (row.team_id, row.month): (row.n, row.total, row.c10)
        for row in QuestionRollupMonth.objects.filter(question=survey.nps)
    }


def test_scoring_a_response_refreshes_its_team_month(world, answered):
    march, april = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    # March, front desk: 10 + 9 + 2 from three answers, one 10; April: 8 + 0.
    assert _months(answered) == {
        (world.team.id, march): (3, 21, 1),
        (world.team.id, april): (2, 8, 0),
        (world.other_team.id, march): (1, 7, 0),
        (world.other_team.id, april): (1, 10, 1),
    }
    responses = {
        (row.team_id, row.month): row.responses
        for row in ResponseRollupMonth.objects.filter(survey=answered)
    }
    assert responses[(world.team.id, march)] == 3


def test_a_recomputed_bucket_updates_its_month_and_rebuild_agrees(world, answered):
    Response.objects.filter(submitted_at=at("2026-03-31")).delete()
    bucket = scoring.Bucket(answered.id, world.team.id, dt.date(2026, 3, 31))
    with transaction.atomic():
        scoring.bucket_recompute(bucket)
    assert _months(answered)[(world.team.id, dt.date(2026, 3, 1))] == (2, 19, 1)
    incremental = _months(answered)
    QuestionRollupMonth.objects.all().delete()
    scoring.survey_rebuild(survey_id=answered.id)
    assert _months(answered) == incremental


@pytest.mark.parametrize(
    "start, end",
    [
        (dt.date(2026, 3, 1), dt.date(2026, 4, 30)),  # whole months
        (dt.date(2026, 3, 10), dt.date(2026, 4, 10)),  # partial at both ends
        (dt.date(2026, 3, 21), dt.date(2026, 3, 31)),  # inside one month
        (dt.date(2026, 4, 1), dt.date(2026, 4, 14)),  # a partial month with nothing after
        (None, dt.date(2026, 3, 30)),
        (dt.date(2026, 3, 6), None),
        (None, None),
    ],
)
def test_month_reads_equal_day_reads(answered, start, end):
    """rollup_sums (month rows for whole months) == the same SUM over day rows."""
    days = Q()
    if start:
        days &= Q(day__gte=start)
    if end:
        days &= Q(day__lte=end)
    expected = {
        row["team_id"]: (row["n"], row["c10"])
        for row in QuestionRollup.objects.filter(days, question=answered.nps)
        .values("team_id")
        .annotate(n=Sum("n"), c10=Sum("c10"))
        .order_by()
    }
    query = {
        "survey_id": answered.id,
        "start": start,
        "end": end,
        "where": Q(question=answered.nps),
        "values": ["team_id"],
        "keys": lambda field: {},
    }
    rows = rollup_sums(QuestionRollup, **query, sums={"n": "n", "c10": "c10"})
    assert {row["team_id"]: (row["n"], row["c10"]) for row in rows} == expected
    # The same as arrays (one list of sums, merged element by element over month and day rows).
    rows = rollup_sums(QuestionRollup, **query, arrays={"both": ["n", "c10"]})
    assert {row["team_id"]: tuple(row["both"]) for row in rows} == expected
    assert all(type(value) is int for row in rows for value in row["both"])
    # Sums and several arrays in one read, as tuples (rollup_rows: values, sums, then arrays).
    names, rows = rollup_rows(
        QuestionRollup, **query, sums={"count": "n"}, arrays={"both": ["n", "c10"], "last": ["c10"]}
    )
    assert names == ["team_id", "count", "both", "last"]
    assert {row[0]: (row[1], tuple(row[2]), row[3]) for row in rows} == {
        team: (n, (n, c10), [c10]) for team, (n, c10) in expected.items()
    }


def test_monthly_figures_over_a_partial_range(world, answered):
    """eNPS per month from the 20th of March to the 14th of April.

    March 20-31: 9, 2 (front desk) and 7 (night shift): 1 promoter, 1 detractor of 3 -> 0.0.
    April 1-14: 8 (front desk): a passive -> 0.0; n 1.
    """
    rows = metric_by_group(
        survey=answered,
        metric="nps",
        period="month",
        start=dt.date(2026, 3, 20),
        end=dt.date(2026, 4, 14),
    )
    # The threshold (5) hides both months: the respondents are what is checked here.
    assert [(row["period"], row["respondents"]) for row in rows] == [
        ("2026-03", 3),
        ("2026-04", 1),
    ]


def test_count_sums_are_integers_unconverted_or_converted(answered):
    """CountSum skips Django's int() on 32-bit count columns (the database's SUM is an integer
    already) and keeps it on bigint columns (whose SUM is a numeric)."""
    from dashboards.monthly import CountSum

    sums = QuestionRollup.objects.filter(question=answered.nps).aggregate(
        c10=CountSum("c10"), n=CountSum("n"), total=CountSum("total")
    )
    assert sums == {"c10": 2, "n": 7, "total": 46}  # two 10s; 10+9+2+8+0+7+10
    assert all(type(value) is int for value in sums.values())
    empty = QuestionRollup.objects.filter(pk=-1).aggregate(c10=CountSum("c10"))
    assert empty == {"c10": None}


def test_a_pages_rollup_reads_share_one_plan_of_their_range(answered):
    """The month-or-day plan of a range (one EXISTS query when its ends are partial months) is
    read once per page (dashboards.reads.shared_reads), and again on each read outside one."""
    query = {
        "survey_id": answered.id,
        "start": dt.date(2026, 3, 6),
        "end": dt.date(2026, 3, 30),
        "where": Q(question=answered.nps),
        "values": ["team_id"],
        "keys": lambda field: {},
        "sums": {"n": "n"},
    }

    def plans(captured) -> int:
        return sum("EXISTS" in q["sql"] for q in captured.captured_queries)

    with shared_reads(), CaptureQueriesContext(connection) as captured:
        first = rollup_sums(QuestionRollup, **query)
        assert rollup_sums(QuestionRollup, **query) == first
    assert plans(captured) == 1
    with CaptureQueriesContext(connection) as captured:
        rollup_sums(QuestionRollup, **query)
        rollup_sums(QuestionRollup, **query)
    assert plans(captured) == 2
