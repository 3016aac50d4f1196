from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from responses.forms import AnswerForm, respondent_language
from responses.services import TEXT_TOO_LONG_EN

pytestmark = pytest.mark.django_db


def field(question) -> str:
    return f"question_{question.id}"


def test_form_has_one_field_per_question_plus_the_submission_key(survey):
    form = AnswerForm(survey=survey, language="en")
    assert set(form.fields) == {"submission_key", *(field(q) for q in survey.q.values())}
    assert len(form.initial["submission_key"]) >= 32  # 24 random bytes


def test_items_describe_each_question_type(survey):
    items = {item.question.type: item for item in AnswerForm(survey=survey, language="en").items}
    nps = items["nps"]
    assert nps.kind == "nps"
    assert [o.number for o in nps.options] == list(range(11))
    assert nps.ends == ("Not at all likely", "Extremely likely")
    likert = items["likert"]
    assert likert.kind == "labelled"
    assert [o.label for o in likert.options] == [
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ]
    assert [o.number for o in items["ces"].options] == [1, 2, 3, 4, 5, 6, 7]
    assert items["ces"].options[-1].label == "Very easy"
    assert [o.value for o in items["multi"].options] == ["Price", "Speed", "Staff"]
    assert items["text"].kind == "text"
    assert [item.number for item in items.values()] == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("nps", "0", 0),
        ("nps", "10", 10),
        ("likert", "3", 3),
        ("csat", "5", 5),
        ("ces", "7", 7),
        ("single", "No", "No"),
        ("multi", ["Staff", "Price"], ["Staff", "Price"]),
        ("text", "  Great  ", "Great"),
    ],
)
def test_valid_values_are_parsed(survey, kind, raw, expected):
    data = {field(survey.q[kind]): raw, "submission_key": "k"}
    form = AnswerForm(data, survey=survey, language="en")
    assert form.is_valid(), form.errors
    assert {"question": survey.q[kind].id, "value": expected} in form.answers()


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("nps", "11"),
        ("nps", "-1"),
        ("likert", "6"),
        ("csat", "0"),
        ("ces", "8"),
        ("single", "Maybe"),
        ("multi", ["Price", "Nope"]),
        ("text", "x" * 5001),
    ],
)
def test_invalid_values_are_errors_on_their_field(survey, kind, raw):
    form = AnswerForm({field(survey.q[kind]): raw}, survey=survey, language="en")
    assert not form.is_valid()
    assert list(form.errors) == [field(survey.q[kind])]


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("nps", ["3", "9"]),
        ("likert", ["2", "2"]),
        ("single", ["Yes", "No"]),
        ("text", ["Fine", "Awful"]),
    ],
)
def test_one_question_answered_twice_is_refused_not_last_value_wins(survey, kind, values):
    """A tampered POST: a radio button or text box sends one value, never two."""
    data = QueryDict(mutable=True)
    data.setlist(field(survey.q[kind]), values)
    if kind != "nps":  # the one required question
        data[field(survey.q["nps"])] = "8"
    form = AnswerForm(data, survey=survey, language="en")
    assert not form.is_valid()
    assert form.errors == {
        field(survey.q[kind]): ["This question is answered more than once: give one answer."]
    }


def test_several_choices_of_a_multiple_choice_question_are_one_answer(survey):
    data = QueryDict(mutable=True)
    data.setlist(field(survey.q["multi"]), ["Staff", "Price"])
    data[field(survey.q["nps"])] = "8"
    form = AnswerForm(data, survey=survey, language="en")
    assert form.is_valid(), form.errors
    assert {"question": survey.q["multi"].id, "value": ["Staff", "Price"]} in form.answers()


def test_unanswered_questions_are_left_out_of_the_answers(survey):
    form = AnswerForm({field(survey.q["nps"]): "8"}, survey=survey, language="en")
    assert form.is_valid()
    assert form.answers() == [{"question": survey.q["nps"].id, "value": 8}]


def test_service_errors_land_on_their_fields(survey):
    form = AnswerForm({field(survey.q["nps"]): "8"}, survey=survey, language="en")
    form.is_valid()
    form.add_submit_errors(
        ValidationError(
            {field(survey.q["text"]): ["Too long."], "invitation": ["Already answered."]}
        )
    )
    assert form.errors[field(survey.q["text"])] == ["Too long."]
    assert form.non_field_errors() == ["Already answered."]


def test_length_limit_message_is_in_the_respondents_language_and_number_format(survey):
    """The service speaks English (the API's message); the form says it in the page's language,
    5 000 with a no-break space in French."""
    too_long = ValidationError({field(survey.q["text"]): [TEXT_TOO_LONG_EN]})
    assert TEXT_TOO_LONG_EN == "Keep the answer to 5,000 characters or fewer."
    with translation.override("fr"):
        french = AnswerForm({field(survey.q["nps"]): "8"}, survey=survey, language="fr")
        french.is_valid()
        french.add_submit_errors(too_long)
        assert french.errors[field(survey.q["text"])] == [
            "Votre réponse ne doit pas dépasser 5\u00a0000 caractères."
        ]
    english = AnswerForm({field(survey.q["nps"]): "8"}, survey=survey, language="en")
    english.is_valid()
    english.add_submit_errors(too_long)
    assert english.errors[field(survey.q["text"])] == [TEXT_TOO_LONG_EN]


def test_textarea_has_the_5000_character_limit(survey):
    item = next(i for i in AnswerForm(survey=survey, language="en").items if i.kind == "text")
    assert item.field.field.max_length == 5000


# --- Translations ----------------------------------------------------------------------------------


@pytest.fixture
def bilingual(survey):
    survey.translations = {"fr": {"title": "Votre avis", "thank_you": "Merci !"}}
    survey.save()
    single = survey.q["single"]
    single.translations = {"fr": {"text": "Recommanderiez-vous ?", "choices": ["Oui", "Non"]}}
    single.save()
    return survey


def test_texts_follow_the_language_and_values_stay_canonical(bilingual):
    form = AnswerForm({field(bilingual.q["single"]): "No"}, survey=bilingual, language="fr")
    assert form.title == "Votre avis"
    item = next(i for i in form.items if i.question.type == "single")
    assert item.text == "Recommanderiez-vous ?"
    assert [(o.value, o.label) for o in item.options] == [("Yes", "Oui"), ("No", "Non")]
    assert form.is_valid()
    assert form.answers() == [{"question": bilingual.q["single"].id, "value": "No"}]


def test_fields_are_built_once_per_language_and_each_form_has_its_own(bilingual):
    single = field(bilingual.q["single"])
    french = AnswerForm(
        {single: "No", field(bilingual.q["nps"]): "11"}, survey=bilingual, language="fr"
    )
    english = AnswerForm(survey=bilingual, language="en")
    again = AnswerForm(survey=bilingual, language="en")
    assert english.fields[single] is not again.fields[single]  # a copy each
    assert list(french.fields[single].choices) == [("Yes", "Oui"), ("No", "Non")]
    assert list(english.fields[single].choices) == [("Yes", "Yes"), ("No", "No")]
    assert not french.is_valid() and field(bilingual.q["nps"]) in french.errors
    assert not english.errors and not again.is_bound  # another form's errors stay its own


def test_untranslated_texts_fall_back_to_the_default_language(bilingual):
    form = AnswerForm(survey=bilingual, language="fr")
    nps = next(i for i in form.items if i.question.type == "nps")
    assert nps.text == bilingual.q["nps"].text


def test_unknown_language_falls_back_to_the_survey_language(bilingual):
    assert AnswerForm(survey=bilingual, language="de").language == "en"


@pytest.mark.parametrize(
    ("header", "query", "expected"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "", "fr"),
        ("de-DE,de;q=0.9", "", "en"),  # not offered: the survey's own language
        ("de,fr;q=0.5", "", "fr"),
        ("", "", "en"),
        ("fr", "?lang=en", "en"),  # the language switch wins
        ("en", "?lang=xx", "en"),
    ],
)
def test_respondent_language_from_the_browser(bilingual, header, query, expected):
    request = RequestFactory().get("/r/c/x/" + query, HTTP_ACCEPT_LANGUAGE=header)
    assert respondent_language(survey=bilingual, request=request) == expected


# --- Display logic in the form -------------------------------------------------------------------


def test_conditional_question_starts_hidden_and_carries_its_rule(survey, followup):
    item = AnswerForm(survey=survey, language="en").items[-1]
    assert item.question == followup
    assert item.hidden
    assert item.condition == (
        f'{{"field": "question_{survey.q["csat"].id}", "op": "lte", "value": 2}}'
    )


@pytest.mark.parametrize(("csat", "hidden"), [("1", False), ("2", False), ("3", True)])
def test_conditional_question_follows_the_submitted_answer(survey, followup, csat, hidden):
    form = AnswerForm({field(survey.q["csat"]): csat}, survey=survey, language="en")
    assert form.items[-1].hidden is hidden
    assert form.visible_count == (7 if hidden else 8)


# --- Template contract (shared with the authoring preview) ---------------------------------------


def test_template_renders_a_preview_from_survey_form_and_preview(survey, followup):
    html = render_to_string(
        "responses/answer.html",
        {"survey": survey, "form": AnswerForm(survey=survey, language="en"), "preview": True},
    )
    assert "Preview: this is what respondents see" in html
    assert 'data-preview="true"' in html
    assert re.search(r'<button type="submit"[^>]*disabled', html)
    assert html.count("<fieldset") == 8
    assert 'maxlength="5000"' in html
    assert "0 · Not at all likely" in html


def test_template_has_no_inline_script_or_style(survey, followup):
    html = render_to_string(
        "responses/answer.html",
        {"survey": survey, "form": AnswerForm(survey=survey, language="en"), "preview": False},
    )
    assert "style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "js/answer.js" in html
    assert "Preview" not in html


# --- The questions' markup, cached per survey revision and language -------------------------


def _fresh(form) -> str:
    return render_to_string("responses/_questions.html", {"items": form.items, "form": form})


def test_first_visit_markup_is_rendered_once_and_equals_a_fresh_render(survey, monkeypatch):
    first = AnswerForm(survey=survey, language="en").questions_html
    assert first == _fresh(AnswerForm(survey=survey, language="en"))
    assert 'name="question_' in first
    rendered = []
    monkeypatch.setattr(AnswerForm, "_questions_render", lambda self: rendered.append(1) or "")
    assert AnswerForm(survey=survey, language="en").questions_html == first
    assert rendered == []  # reused, not rendered again


def test_an_edited_question_or_another_language_gets_its_own_markup(survey):
    from django.utils import translation

    from surveys.models import Survey

    before = AnswerForm(survey=survey, language="en").questions_html
    survey.q["nps"].text = "How likely are you to recommend <us>?"
    survey.q["nps"].save()  # bumps the survey's revision (surveys.signals)
    survey = Survey.objects.get(pk=survey.pk)
    after = AnswerForm(survey=survey, language="en").questions_html
    assert after != before
    assert "recommend &lt;us&gt;?" in after
    with translation.override("fr"):
        french = AnswerForm(survey=survey, language="en").questions_html
        assert french == _fresh(AnswerForm(survey=survey, language="en"))
    assert "obligatoire" in french and "obligatoire" not in after


def test_a_bound_form_is_rendered_afresh_with_what_was_picked(survey):
    assert AnswerForm(survey=survey, language="en").questions_html  # cached unbound markup
    form = AnswerForm({field(survey.q["nps"]): "7"}, survey=survey, language="en")
    form.is_valid()
    html = form.questions_html
    assert re.search(r'value="7"[^>]*checked', html)
    assert html == _fresh(form)
