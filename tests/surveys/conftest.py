"""Fixtures of the survey tests (a module's own fixture of the same name wins there)."""

from __future__ import annotations

import pytest

from surveys.models import SurveyKind
from tests.factories import PersonFactory, QuestionFactory, SurveyFactory


@pytest.fixture
def ex_survey(world):
    """A live EX survey with two people in Front desk and one in Night shift."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, title="Pulse")
    QuestionFactory(survey=survey, type="nps")
    for team in (world.team, world.team, world.other_team):
        PersonFactory(organization=world.org, team=team)
    return survey
