from __future__ import annotations

import pytest

from surveys.library import TEMPLATES
from surveys.models import Driver, Question, SurveyKind, SurveyStatus
from surveys.services import survey_create_from_template

pytestmark = pytest.mark.django_db

EXPECTED_KEYS = {
    "enps_pulse",
    "engagement",
    "wellbeing",
    "frontline_voice",
    "csat_post_interaction",
    "nps_relationship",
    "ces_support",
}


def test_library_holds_the_seven_templates():
    assert set(TEMPLATES) == EXPECTED_KEYS
    assert {t.kind for t in TEMPLATES.values()} == {SurveyKind.EX, SurveyKind.CX}


@pytest.mark.parametrize("key", sorted(EXPECTED_KEYS))
def test_every_template_creates_a_draft_with_french_translations(world, key):
    survey = survey_create_from_template(organization=world.org, user=world.hr_admin.user, key=key)
    template = TEMPLATES[key]
    assert survey.status == SurveyStatus.DRAFT
    assert survey.template_key == key
    assert survey.kind == template.kind
    assert "fr" in survey.translations and survey.translations["fr"]["title"]
    questions = list(survey.questions.all())
    assert len(questions) == len(template.questions)
    assert [q.order for q in questions] == list(range(1, len(questions) + 1))
    for question in questions:
        assert question.translations["fr"]["text"]
        if question.choices:
            assert len(question.translations["fr"]["choices"]) == len(question.choices)


def test_engagement_has_10_to_15_likert_items_and_an_enps_outcome(world):
    survey = survey_create_from_template(organization=world.org, user=None, key="engagement")
    likert = survey.questions.filter(type="likert")
    assert 10 <= likert.count() <= 15
    assert likert.filter(driver=Driver.ENGAGEMENT).count() == 3
    assert likert.values("driver").distinct().count() == 10
    outcome = survey.questions.get(is_outcome=True)
    assert outcome.type == "nps"


def test_csat_template_asks_what_went_wrong_only_for_low_scores(world):
    survey = survey_create_from_template(
        organization=world.org, user=None, key="csat_post_interaction"
    )
    csat = survey.questions.get(type="csat")
    follow_up = Question.objects.get(survey=survey, condition_question=csat)
    assert "What went wrong?" in follow_up.text
    assert (follow_up.condition_op, follow_up.condition_value) == ("lte", 2)
    assert follow_up.required is False
    assert follow_up.order > csat.order


def test_unknown_template_key_is_a_validation_error(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        survey_create_from_template(organization=world.org, user=None, key="nope")


def test_a_template_used_again_gets_a_numbered_title(world):
    """Two "eNPS pulse" surveys could not be told apart in the list and the dashboards'
    pickers; another organisation's surveys do not count."""
    from tests.factories import OrganizationFactory

    titles = [
        survey_create_from_template(organization=world.org, user=None, key="enps_pulse").title
        for _ in range(3)
    ]
    assert titles == ["eNPS pulse", "eNPS pulse (2)", "eNPS pulse (3)"]
    other = survey_create_from_template(
        organization=OrganizationFactory(), user=None, key="enps_pulse"
    )
    assert other.title == "eNPS pulse"
