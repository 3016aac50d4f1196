"""Fixtures shared by the rollup tests."""

from __future__ import annotations

import pytest

from tests.factories import QuestionFactory, SurveyFactory


@pytest.fixture
def nps_survey(world):
    """A survey of the world's organisation with an NPS question and an optional comment."""
    survey = SurveyFactory(organization=world.org)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1)
    survey.comment = QuestionFactory(survey=survey, type="text", order=2, required=False)
    return survey
