"""The threshold protects people, not responses: a small team that answers every pulse round
must not become visible because its rounds add up past the threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards.scoring import scores_rebuild
from dashboards.selectors.scores import survey_scores
from surveys.models import SurveyKind
from tests.factories import CycleFactory, QuestionFactory, SurveyFactory, response_with_answers

pytestmark = pytest.mark.django_db


def _at(month: int) -> dt.datetime:
    return dt.datetime(2026, month, 3, 9, tzinfo=dt.UTC)


@pytest.fixture
def pulse(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    survey.enps = QuestionFactory(survey=survey, type="nps")
    survey.rounds = [
        CycleFactory(survey=survey, number=m, opens_at=_at(m) - dt.timedelta(days=1), closed=m < 3)
        for m in (1, 2, 3)
    ]
    return survey


def _answer(survey, team, month: int, people: int, value: int = 10) -> None:
    for _ in range(people):
        response_with_answers(
            survey=survey,
            team=team,
            answers={survey.enps: value},
            submitted_at=_at(month),
            cycle=survey.rounds[month - 1],
        )


def _by_team(survey) -> dict[str, dict]:
    scores_rebuild(survey_id=survey.pk)
    result = survey_scores(survey=survey, group_by="team")
    return {row["group"]["name"]: row for row in result["results"]}


def test_four_people_answering_three_rounds_stay_hidden(world, pulse):
    # 4 people x 3 rounds = 12 responses, but never more than 4 people: below the threshold of 5.
    for month in (1, 2, 3):
        _answer(pulse, world.team, month, people=4)
        _answer(pulse, world.other_team, month, people=6)
    teams = _by_team(pulse)
    assert teams["Front desk"]["respondents"] == 12
    assert teams["Front desk"]["suppressed"] is True
    # Night shift (6 people) is hidden too: the complement, or Front desk = total - Night shift.
    assert teams["Night shift"]["suppressed"] is True


def test_a_team_with_one_round_at_the_threshold_is_shown_without_its_small_round(world, pulse):
    """February's round of 3 is hidden in the monthly trend, so it is left out of the whole
    range too: else the range (8) minus January (5) would be February's 3 people."""
    _answer(pulse, world.team, 1, people=5)
    _answer(pulse, world.team, 2, people=3)
    _answer(pulse, world.other_team, 1, people=5)
    teams = _by_team(pulse)
    assert teams["Front desk"]["suppressed"] is False
    assert teams["Front desk"]["respondents"] == 5
    # By hand: January's 5 answers of 10, all promoters: eNPS +100, n 5.
    assert teams["Front desk"]["questions"][0]["score"] == 100.0
    assert teams["Front desk"]["questions"][0]["n"] == 5


def test_customer_responses_without_rounds_count_one_by_one(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    csat = QuestionFactory(survey=survey, type="csat")
    for day in (1, 2, 3, 4, 5):
        response_with_answers(
            survey=survey,
            team=world.team,
            answers={csat: 5},
            submitted_at=dt.datetime(2026, 1, day, tzinfo=dt.UTC),
        )
    scores_rebuild(survey_id=survey.pk)
    [row] = survey_scores(survey=survey)["results"]
    assert (row["respondents"], row["suppressed"]) == (5, False)
