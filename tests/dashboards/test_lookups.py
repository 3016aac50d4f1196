"""dashboards.lookups: `__anyof` selects what `__in` selects, on plain and foreign key fields;
MonthCellsIn selects the rollup rows of a set of (month, group) cells, and its negation the
rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from dashboards import scoring
from dashboards.lookups import MonthCellsIn
from dashboards.models import QuestionRollup, QuestionRollupMonth
from surveys.models import Team
from tests.factories import TeamFactory, response_with_answers

pytestmark = pytest.mark.django_db


def test_anyof_selects_what_in_selects(world):
    extra = TeamFactory(organization=world.org, name="Kitchen")
    for ids in ([], [world.team.id], [world.team.id, extra.id, 10**9]):
        for path in ("id", "organization_id", "organization"):
            values = ids if path == "id" else [world.org.id] if ids else []
            anyof = set(Team.objects.filter(**{f"{path}__anyof": values}))
            assert anyof == set(Team.objects.filter(**{f"{path}__in": values}))
    # through a join, as the anonymity conditions use it
    assert list(Team.objects.filter(organization__teams__id__anyof=[extra.id]).distinct()) == list(
        Team.objects.filter(organization__teams__id__in=[extra.id]).distinct()
    )


# --- MonthCellsIn: rollup rows in a set of (month, group) cells --------------------------------


@pytest.fixture
def rollups(world, nps_survey):
    """Scored NPS answers: the front desk in March (twice) and April, the other team in March,
    and one response without a team in April (day rollups and month rollups)."""
    for team, day in [
        (world.team, "2026-03-05"),
        (world.team, "2026-03-31"),
        (world.team, "2026-04-01"),
        (world.other_team, "2026-03-20"),
        (None, "2026-04-10"),
    ]:
        submitted = dt.datetime.fromisoformat(day).replace(hour=10, tzinfo=dt.UTC)
        response = response_with_answers(
            survey=nps_survey, team=team, answers={nps_survey.nps: 9}, submitted_at=submitted
        )
        scoring.response_score(response_id=response.id)
    return nps_survey


MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


def _cells(model, field: str, condition) -> set[tuple]:
    rows = model.objects.filter(condition).values_list(field, "team_id")
    return {(day.replace(day=1), team) for day, team in rows}


@pytest.mark.parametrize(
    ("model", "field"), [(QuestionRollupMonth, "month"), (QuestionRollup, "day")]
)
def test_month_cells_select_their_rows_and_the_negation_the_rest(world, rollups, model, field):
    every = _cells(model, field, Q())
    assert every == {
        (MARCH, world.team.id),
        (APRIL, world.team.id),
        (MARCH, world.other_team.id),
        (APRIL, None),
    }
    for keys in (
        set(),
        {(MARCH, world.team.id)},
        {(MARCH, world.team.id), (APRIL, None), (APRIL, world.other_team.id)},  # one with no rows
        every,
    ):
        inside = _cells(model, field, Q(MonthCellsIn(field, "team_id", keys)))
        assert inside == keys & every
        outside = _cells(model, field, ~Q(MonthCellsIn(field, "team_id", keys)))
        assert outside == every - keys  # rows without a team are kept or left out exactly


def test_month_cells_without_a_group_are_whole_months(world, rollups):
    march = Q(MonthCellsIn("month", None, {(MARCH, None)}))
    assert {month for month, _ in _cells(QuestionRollupMonth, "month", march)} == {MARCH}
    assert {month for month, _ in _cells(QuestionRollupMonth, "month", ~march)} == {APRIL}
    april = Q(MonthCellsIn("day", None, {(APRIL, None)}))
    assert _cells(QuestionRollup, "day", april) == {(APRIL, world.team.id), (APRIL, None)}
