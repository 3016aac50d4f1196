from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.forms import (
    MAX_CSV_BYTES,
    PeopleImportForm,
    QuestionForm,
    SurveyCreateForm,
    SurveySettingsForm,
)
from surveys.models import SurveyStatus
from tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

BLANK_LOGIC = {"condition_op": "", "condition_value": ""}


def _draft(world, **kwargs):
    return SurveyFactory(
        organization=world.org, status=SurveyStatus.DRAFT, published_at=None, **kwargs
    )


def test_create_form_offers_only_the_kinds_the_role_authors():
    form = SurveyCreateForm(kinds=["cx"])
    assert [value for value, _ in form.fields["kind"].choices] == ["cx"]
    bound = SurveyCreateForm({"title": "T", "kind": "ex", "language": "en"}, kinds=["cx"])
    assert not bound.is_valid() and "kind" in bound.errors


def test_create_form_normalises_language_and_rejects_nonsense():
    form = SurveyCreateForm({"title": "T", "kind": "ex", "language": " FR "}, kinds=["ex"])
    assert form.is_valid() and form.cleaned_data["language"] == "fr"
    form = SurveyCreateForm({"title": "T", "kind": "ex", "language": "français"}, kinds=["ex"])
    assert not form.is_valid() and "language" in form.errors


def test_settings_form_builds_translations_per_language(world):
    survey = _draft(world, translations={"fr": {"title": "Pouls"}})
    form = SurveySettingsForm(
        {
            "title": "Pulse",
            "language": "en",
            "other_languages": "fr, DE, fr",
            "title__fr": " Pouls ",
            "intro__fr": "Bonjour",
        },
        survey=survey,
    )
    assert form.initial["title__fr"] == "Pouls"
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    # de was just added: no fields for it yet, so an empty translation that keeps the language.
    assert kwargs["translations"] == {"fr": {"title": "Pouls", "intro": "Bonjour"}, "de": {}}


def test_settings_form_rejects_bad_language_codes(world):
    form = SurveySettingsForm(
        {"title": "T", "language": "en", "other_languages": "fr, klingon"}, survey=_draft(world)
    )
    assert not form.is_valid()
    assert "klingon" in form.errors["other_languages"][0]


def test_settings_form_locks_anonymity_after_publishing(world):
    live = SurveyFactory(organization=world.org)
    assert SurveySettingsForm(survey=live).fields["anonymous"].disabled
    assert not SurveySettingsForm(survey=_draft(world)).fields["anonymous"].disabled


def test_question_form_parses_choices_one_per_line(world):
    form = QuestionForm(
        {"type": "multi", "text": "Pick", "choices": " Red \n\nGreen\r\nBlue ", **BLANK_LOGIC},
        survey=_draft(world),
    )
    assert form.is_valid(), form.errors
    assert form.service_kwargs()["choices"] == ["Red", "Green", "Blue"]


def test_question_form_splits_is_one_of_values(world):
    survey = _draft(world)
    nps = QuestionFactory(survey=survey, type="nps", order=1)
    form = QuestionForm(
        {
            "type": "text",
            "text": "Why",
            "condition_question": nps.pk,
            "condition_op": "in",
            "condition_value": "0, 1,2",
        },
        survey=survey,
    )
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert (kwargs["condition_question"], kwargs["condition_value"]) == (nps, ["0", "1", "2"])


def _one_of(survey, source, value: str) -> list:
    form = QuestionForm(
        {
            "type": "text",
            "text": "Why",
            "condition_question": source.pk,
            "condition_op": "in",
            "condition_value": value,
        },
        survey=survey,
    )
    assert form.is_valid(), form.errors
    return form.service_kwargs()["condition_value"]


def test_is_one_of_takes_a_choice_holding_a_comma(world):
    survey = _draft(world)
    source = QuestionFactory(
        survey=survey, type="single", order=1, choices=["Yes, definitely", "Maybe", "No"]
    )
    assert _one_of(survey, source, "Yes, definitely\nMaybe\n") == ["Yes, definitely", "Maybe"]
    assert _one_of(survey, source, "yes, definitely") == ["yes, definitely"]
    # Values typed on one line with commas, as before, still split when they are not a choice.
    assert _one_of(survey, source, "Maybe, No") == ["Maybe", "No"]


def test_is_one_of_with_a_comma_choice_is_saved_and_shown_one_per_line(world, login):
    survey = _draft(world)
    source = QuestionFactory(
        survey=survey, type="single", order=1, choices=["Yes, definitely", "Maybe", "No"]
    )
    client = login(world.hr_admin)
    response = client.post(
        reverse("surveys:question-add", args=[survey.pk]),
        {
            "type": "text",
            "text": "What convinced you?",
            "condition_question": source.pk,
            "condition_op": "in",
            "condition_value": "Yes, definitely\nmaybe",
        },
    )
    assert response.status_code == 302
    question = survey.questions.get(text="What convinced you?")
    assert question.condition_value == ["Yes, definitely", "Maybe"]
    form = QuestionForm(survey=survey, question=question)
    assert form.initial["condition_value"] == "Yes, definitely\nMaybe"


def test_stored_is_one_of_conditions_still_show_and_save_unchanged(world):
    survey = _draft(world)
    nps = QuestionFactory(survey=survey, type="nps", order=1)
    question = QuestionFactory(
        survey=survey,
        type="text",
        order=2,
        condition_question=nps,
        condition_op="in",
        condition_value=[0, 1, 2],
    )
    initial = QuestionForm(survey=survey, question=question).initial
    assert initial["condition_value"] == "0\n1\n2"
    assert _one_of(survey, nps, initial["condition_value"]) == ["0", "1", "2"]


def test_question_form_offers_only_earlier_non_text_questions(world):
    survey = _draft(world)
    first = QuestionFactory(survey=survey, type="csat", order=1)
    QuestionFactory(survey=survey, type="text", order=2)
    third = QuestionFactory(survey=survey, type="nps", order=3)
    later = QuestionFactory(survey=survey, type="likert", order=4)
    form = QuestionForm(survey=survey, question=third)
    assert list(form.fields["condition_question"].queryset) == [first]
    bound = QuestionForm(
        {
            "type": "nps",
            "text": "x",
            "condition_question": later.pk,
            "condition_op": "lte",
            "condition_value": "2",
        },
        survey=survey,
        question=third,
    )
    assert not bound.is_valid() and "condition_question" in bound.errors


def test_question_form_shows_existing_values_and_translations(world):
    survey = _draft(world, translations={"fr": {}})
    csat = QuestionFactory(survey=survey, type="csat", order=1)
    question = QuestionFactory(
        survey=survey,
        type="single",
        order=2,
        choices=["Yes", "No"],
        translations={"fr": {"text": "Oui ?", "choices": ["Oui", "Non"]}},
        condition_question=csat,
        condition_op="lte",
        condition_value=0,
    )
    form = QuestionForm(survey=survey, question=question)
    assert form.initial["choices"] == "Yes\nNo"
    assert form.initial["choices__fr"] == "Oui\nNon"
    assert form.initial["text__fr"] == "Oui ?"
    assert form.initial["condition_value"] == "0"


def test_frozen_question_form_ignores_type_and_choices(world):
    survey = _draft(world)
    question = QuestionFactory(survey=survey, type="single", choices=["A", "B"])
    form = QuestionForm(
        {"type": "text", "text": "New", "choices": "X\nY", **BLANK_LOGIC},
        survey=survey,
        question=question,
        frozen=True,
    )
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert (kwargs["type"], kwargs["choices"], kwargs["text"]) == ("single", ["A", "B"], "New")


def test_question_form_collects_question_translations(world):
    survey = _draft(world, translations={"fr": {}})
    form = QuestionForm(
        {
            "type": "single",
            "text": "Shift?",
            "choices": "Day\nNight",
            "text__fr": "Équipe ?",
            "choices__fr": "Jour\nNuit",
            **BLANK_LOGIC,
        },
        survey=survey,
    )
    assert form.is_valid(), form.errors
    assert form.service_kwargs()["translations"] == {
        "fr": {"text": "Équipe ?", "choices": ["Jour", "Nuit"]}
    }


def test_import_form_checks_size_and_extension():
    big = SimpleUploadedFile("p.csv", b"x" * (MAX_CSV_BYTES + 1))
    assert "2 MB" in PeopleImportForm({}, {"file": big}).errors["file"][0]
    wrong = SimpleUploadedFile("p.xlsx", b"x")
    assert ".csv" in PeopleImportForm({}, {"file": wrong}).errors["file"][0]
    ok = SimpleUploadedFile("People.CSV", b"name,email,team\n")
    assert PeopleImportForm({}, {"file": ok}).is_valid()
