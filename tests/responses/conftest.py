"""Surveys with one question of every type, and invitations with a token the test knows."""

from __future__ import annotations

import pytest

from surveys.models import SurveyKind, token_hash
from tests.browser.conftest import browser, phone_page  # noqa: F401 - for test_browser_answer
from tests.factories import CycleFactory, InvitationFactory, QuestionFactory, SurveyFactory


def make_survey(org, **fields):
    """A live survey with one question of each type; questions are in `survey.q` by type."""
    survey = SurveyFactory(organization=org, **fields)
    survey.q = {
        "nps": QuestionFactory(survey=survey, order=1, type="nps", required=True),
        "likert": QuestionFactory(survey=survey, order=2, type="likert", required=False),
        "csat": QuestionFactory(survey=survey, order=3, type="csat", required=False),
        "ces": QuestionFactory(survey=survey, order=4, type="ces", required=False),
        "single": QuestionFactory(
            survey=survey, order=5, type="single", required=False, choices=["Yes", "No"]
        ),
        "multi": QuestionFactory(
            survey=survey,
            order=6,
            type="multi",
            required=False,
            choices=["Price", "Speed", "Staff"],
        ),
        "text": QuestionFactory(survey=survey, order=7, type="text", required=False),
    }
    return survey


@pytest.fixture
def survey(world):
    return make_survey(world.org, kind=SurveyKind.EX, anonymous=True)


@pytest.fixture
def followup(survey):
    """'What went wrong?' shown only when CSAT is 2 or less, and required then."""
    return QuestionFactory(
        survey=survey,
        order=8,
        type="text",
        required=True,
        condition_question=survey.q["csat"],
        condition_op="lte",
        condition_value=2,
    )


@pytest.fixture
def cx_survey(world):
    return make_survey(world.org, kind=SurveyKind.CX, anonymous=False)


def make_invitation(survey, *, token="t0ken-for-tests-0123456789abcdef", person=None, **fields):
    cycle = fields.pop("cycle", None) or CycleFactory(survey=survey, number=1)
    extra = {"person": person} if person is not None else {}
    return InvitationFactory(
        survey=survey, cycle=cycle, token_hash=token_hash(token), **extra, **fields
    )
