"""A rebuild writes only the rollup rows that differ (PostgreSQL), and the result is exact."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from dashboards import scoring
from dashboards.models import (
    QuestionRollup,
    QuestionRollupMonth,
    ResponseRollup,
    ResponseRollupMonth,
)
from dashboards.rowdiff import rows_replace
from tests.dashboards.test_scoring import rollup_rows
from tests.factories import QuestionFactory, SurveyFactory, response_with_answers

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the difference-writing path is PostgreSQL's"
)


@pytest.fixture
def survey(nps_survey):
    return nps_survey


@pytest.fixture
def scored(world, survey):
    """Five scored responses over two months: two teams and one without a team."""
    rows = [
        (world.team, "2026-03-05", 10),
        (world.team, "2026-03-05", 3),
        (world.other_team, "2026-03-20", 7),
        (None, "2026-04-02", 9),
        (world.team, "2026-04-15", 0),
    ]
    for team, day, value in rows:
        response = response_with_answers(
            survey=survey,
            team=team,
            answers={survey.nps: value, survey.comment: "fine"},
            submitted_at=dt.datetime.fromisoformat(day).replace(hour=10, tzinfo=dt.UTC),
        )
        scoring.response_score(response_id=response.id)
    return survey


def _everything(survey) -> tuple:
    months = [
        sorted(model.objects.filter(survey=survey).values_list(), key=lambda row: str(row[1:]))
        for model in (QuestionRollupMonth, ResponseRollupMonth)
    ]
    return rollup_rows(survey.id), [[row[1:] for row in rows] for rows in months]


@postgres_only
def test_rebuilding_unchanged_rollups_writes_nothing(scored):
    before = _everything(scored)
    ids = set(QuestionRollup.objects.values_list("id", flat=True))
    summary = scoring.survey_rebuild(survey_id=scored.id)
    assert summary["rows_written"] == 0
    assert (summary["question_rows"], summary["response_rows"]) == (8, 4)
    assert _everything(scored) == before
    assert set(QuestionRollup.objects.values_list("id", flat=True)) == ids  # rows kept in place


@postgres_only
def test_rebuild_rewrites_only_the_damaged_rows(world, scored):
    before = _everything(scored)
    QuestionRollup.objects.filter(survey=scored, team=world.other_team).update(n=99)  # 2 rows
    ResponseRollup.objects.filter(survey=scored, team=None).delete()  # 1 row missing
    stray = QuestionRollup.objects.filter(survey=scored, team=None).first()
    stray.pk, stray.day = None, dt.date(2026, 4, 3)  # 1 row too many
    stray.save()
    summary = scoring.survey_rebuild(survey_id=scored.id)
    assert _everything(scored) == before
    # Day rows: 2 changed (deleted and inserted), 1 inserted, 1 deleted. Month rows are summed
    # from the repaired day rows, which equal the old ones: none is written.
    assert summary["rows_written"] == 6


@postgres_only
def test_a_row_held_twice_is_refused_where_the_grain_is_unique(world, scored):
    if not scoring.counts_addable():
        pytest.skip("the rollups' grain is a unique key on PostgreSQL 15+ only")
    for model in (QuestionRollup, QuestionRollupMonth, ResponseRollup, ResponseRollupMonth):
        twin = model.objects.filter(survey=scored, team=None).first()  # NULL equal to NULL
        twin.pk = None
        with pytest.raises(IntegrityError), transaction.atomic():
            twin.save()


def test_a_row_held_twice_makes_the_rebuild_write_the_slice_whole(world, scored):
    if scoring.counts_addable():
        pytest.skip("a unique grain cannot hold a key twice (the test above)")
    before = _everything(scored)
    twin = QuestionRollup.objects.filter(survey=scored, team=world.team).first()
    twin.pk = None
    twin.save()  # equal in every column to its original
    summary = scoring.survey_rebuild(survey_id=scored.id)
    assert _everything(scored) == before
    assert summary["rows_written"] > 8  # the question slice was deleted and written whole


def test_rebuild_repairs_damage_on_every_database(world, scored):
    before = _everything(scored)
    QuestionRollup.objects.filter(survey=scored).update(c10=5)
    QuestionRollupMonth.objects.filter(survey=scored, team=None).delete()
    scoring.survey_rebuild(survey_id=scored.id)
    assert _everything(scored) == before


@postgres_only
def test_rows_outside_the_scope_are_left_alone(world, scored, survey):
    other = SurveyFactory(organization=world.org)
    other_nps = QuestionFactory(survey=other, type="nps", order=1)
    response = response_with_answers(survey=other, team=world.team, answers={other_nps: 4})
    scoring.response_score(response_id=response.id)
    theirs = list(QuestionRollup.objects.filter(survey=other).values_list())
    QuestionRollup.objects.filter(survey=scored).delete()
    scoring.survey_rebuild(survey_id=scored.id)
    assert list(QuestionRollup.objects.filter(survey=other).values_list()) == theirs


@postgres_only
def test_rows_replace_tells_null_from_any_number(world, scored):
    """A computed row with team NULL never matches a stored row with a team, and vice versa."""
    columns = ["survey_id", "team_id", "location_id", "day", "cycle_id", "responses"]
    row = ResponseRollup.objects.filter(survey=scored, team=None).values_list(*columns).get()
    ResponseRollup.objects.filter(survey=scored, team=None).update(team=world.team.id)
    with transaction.atomic():
        done = rows_replace(
            model=ResponseRollup,
            keys=columns[:5],
            values=columns[5:],
            select="SELECT %s, NULL::bigint, %s::bigint, %s::date, NULL::bigint, %s",
            params=[row[0], row[2], row[3], row[5]],
            scope="t.survey_id = %s AND t.day = %s",
            scope_params=[scored.id, row[3]],
        )
    assert (done.rows, done.deleted, done.inserted) == (1, 1, 1)
    stored = ResponseRollup.objects.filter(survey=scored, day=row[3]).values_list(*columns)
    assert list(stored) == [row]


def test_rebuild_from_no_rollups_writes_every_row(scored):
    before = _everything(scored)
    for model in (QuestionRollup, ResponseRollup, QuestionRollupMonth, ResponseRollupMonth):
        model.objects.filter(survey=scored).delete()
    summary = scoring.survey_rebuild(survey_id=scored.id)
    assert _everything(scored) == before
    months = sum(len(rows) for rows in before[1])
    assert summary["rows_written"] == 8 + 4 + months
