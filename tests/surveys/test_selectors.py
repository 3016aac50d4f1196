"""Survey lookups (surveys.selectors): organisation scoping, missing translations."""

from __future__ import annotations

import pytest
from django.http import Http404

from surveys.selectors import survey_missing_translations, survey_of_organization
from tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def test_a_survey_of_another_organisation_is_not_found(world):
    mine = SurveyFactory(organization=world.org)
    theirs = SurveyFactory(organization=world.outsider.organization)
    assert survey_of_organization(membership=world.hr_admin, pk=mine.pk) == mine
    with pytest.raises(Http404):
        survey_of_organization(membership=world.hr_admin, pk=theirs.pk)


def test_missing_translations_name_each_untranslated_text_per_language(world):
    survey = SurveyFactory(
        organization=world.org,
        title="Visit",
        intro="Two minutes.",
        thank_you="Thanks!",
        translations={"fr": {"title": "Visite", "thank_you": "Merci !"}, "de": {}},
    )
    QuestionFactory(survey=survey, order=1, type="nps", translations={"fr": {"text": "Note ?"}})
    QuestionFactory(
        survey=survey,
        order=2,
        type="single",
        choices=["Yes", "No"],
        help_text="Pick one.",
        translations={"fr": {"text": "Oui ?"}},
    )
    assert survey_missing_translations(survey=survey) == [
        (
            "de",
            [
                "title",
                "introduction",
                "thank-you message",
                "question 1",
                "question 2",
                "question 2's help text",
                "question 2's choices",
            ],
        ),
        ("fr", ["introduction", "question 2's help text", "question 2's choices"]),
    ]


def test_nothing_is_missing_when_every_text_is_translated_or_empty(world):
    survey = SurveyFactory(
        organization=world.org, title="Visit", intro="", thank_you="", translations={"fr": {}}
    )
    assert survey_missing_translations(survey=survey) == [("fr", ["title"])]
    survey.translations = {"fr": {"title": "Visite"}}
    QuestionFactory(survey=survey, translations={"fr": {"text": "Note ?"}})
    assert survey_missing_translations(survey=survey) == []
    survey.translations = {}  # one language: nothing to translate
    assert survey_missing_translations(survey=survey) == []
