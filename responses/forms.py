"""The answer form: one field per question, in the respondent's language.

The form parses what the browser sent (numbers, choices, text); the rules about what makes a
complete, valid response live in `response_submit`, whose errors `add_submit_errors` puts back
on the right fields. templates/responses/answer.html renders `form.items`.
"""

from __future__ import annotations

import copy
import json
import secrets
from dataclasses import dataclass, field
from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

from responses.conditions import EMPTY_VALUES, visible_question_ids
from responses.selectors import SurveyRevisionCache, survey_questions
from responses.services import TEXT_TOO_LONG, TEXT_TOO_LONG_EN, answer_field
from surveys.forms import add_service_errors
from surveys.models import SCALE_LABELS, SCALES, TEXT_MAX_LENGTH, Question, QuestionType, Survey

# Every point of the labelled scales; the ends match surveys.models.SCALE_LABELS.
POINT_LABELS: dict[str, list] = {
    "likert": [
        _("Strongly disagree"),
        _("Disagree"),
        _("Neither agree nor disagree"),
        _("Agree"),
        _("Strongly agree"),
    ],
    "csat": [
        _("Very dissatisfied"),
        _("Dissatisfied"),
        _("Neither satisfied nor dissatisfied"),
        _("Satisfied"),
        _("Very satisfied"),
    ],
    "ces": [
        _("Very difficult"),
        _("Difficult"),
        _("Somewhat difficult"),
        _("Neither easy nor difficult"),
        _("Somewhat easy"),
        _("Easy"),
        _("Very easy"),
    ],
}


@dataclass
class Option:
    value: str
    label: str
    number: int | None
    input_id: str
    checked: bool


@dataclass
class QuestionItem:
    """What the template needs to draw one question."""

    question: Question
    field: forms.BoundField
    number: int
    text: str
    help_text: str
    kind: str  # "nps", "labelled", "single", "multi" or "text"
    options: list[Option] = field(default_factory=list)
    ends: tuple[str, str] = ("", "")
    hidden: bool = False
    condition: str = ""  # JSON for static/js/answer.js

    @property
    def anchor(self) -> str:
        return f"q-{self.question.id}"

    @property
    def errors(self):
        return self.field.errors

    @property
    def options_html(self) -> str:
        """The question's inputs (radio buttons, checkboxes), built here rather than in a
        template loop: an NPS question alone is 11 inputs with 11 labels, and drawing them
        node by node was most of the answer page's time. Every value is escaped."""
        name = self.field.html_name
        if self.kind == "nps":
            last = len(self.options) - 1
            return format_html_join(
                "\n",
                '<input type="radio" class="btn-check" name="{}" id="{}" value="{}" '
                'autocomplete="off"{}>\n<label class="btn btn-outline-primary btn-scale" '
                'for="{}">{}{}</label>',
                (
                    (
                        name,
                        o.input_id,
                        o.value,
                        _CHECKED if o.checked else "",
                        o.input_id,
                        o.number,
                        _end_hint(self.ends[0] if i == 0 else self.ends[1])
                        if i in (0, last)
                        else "",
                    )
                    for i, o in enumerate(self.options)
                ),
            )
        if self.kind == "labelled":
            return format_html_join(
                "\n",
                '<input type="radio" class="btn-check" name="{}" id="{}" value="{}" '
                'autocomplete="off"{}>\n<label class="btn btn-outline-primary btn-point" '
                'for="{}"><span class="point-number">{}</span>'
                '<span class="point-label">{}</span></label>',
                (
                    (name, o.input_id, o.value, _CHECKED if o.checked else "", o.input_id)
                    + (o.number, o.label)
                    for o in self.options
                ),
            )
        input_type = "radio" if self.kind == "single" else "checkbox"
        return format_html_join(
            "\n",
            '<label class="list-group-item choice-item" for="{}">\n'
            '<input class="form-check-input" type="{}" name="{}" id="{}" value="{}"{}>\n'
            "<span>{}</span>\n</label>",
            (
                (o.input_id, input_type, name, o.input_id, o.value)
                + (_CHECKED if o.checked else "", o.label)
                for o in self.options
            ),
        )


_CHECKED = mark_safe(" checked")  # noqa: S308 - a constant


def _end_hint(text: str) -> str:
    return format_html('<span class="visually-hidden">: {}</span>', text)


def _scale_point(value: object) -> int | None:
    """A scale answer as sent, as a number for display logic; None when it is not one (even
    "²", which str.isdigit() accepts and int() refuses)."""
    try:
        return int(str(value))
    except ValueError:
        return None


def translated(obj, language: str, name: str):
    """A survey's or question's text in `language`, falling back to the default text."""
    value = (obj.translations or {}).get(language, {}).get(name)
    return value if value else getattr(obj, name)


_fragments = SurveyRevisionCache()  # the questions' markup, per survey revision and language


_fields = SurveyRevisionCache()  # the questions' form fields, per survey revision and language


def fragments_clear() -> None:
    _fragments.clear()
    _fields.clear()


def _survey_fields(survey: Survey, language: str, field_for) -> dict[str, forms.Field]:
    """The form's field for each question, built once per survey revision and language (44 µs
    a scale field, each request built five): each form takes a shallow copy. Nothing changes
    a field once built; widgets and choices are shared, as they are read only."""
    return _fields.get(
        survey,
        lambda: {answer_field(q.id): field_for(q) for q in survey_questions(survey=survey)},
        language,
    )


# A browser sends one value for a radio button or a text box: two are a tampered request.
# The API refuses the same (responses.services: "Question 5 is answered more than once.").
ANSWERED_TWICE = _("This question is answered more than once: give one answer.")


def _text_max_length_display() -> str:
    """5,000 in English, 5 000 in French: grouped as the active language writes numbers, as the
    page's script does once it runs (toLocaleString)."""
    return formats.number_format(TEXT_MAX_LENGTH, force_grouping=True)


def _in_language(message: str) -> str:
    """A service message in the active language, where responses/locale has it; the length
    limit's number as the language writes it."""
    if message == TEXT_TOO_LONG_EN:
        return gettext(TEXT_TOO_LONG) % {"max": _text_max_length_display()}
    return gettext(message)


class AnswerForm(forms.Form):
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, data=None, *args, survey: Survey, language: str = "", **kwargs):
        super().__init__(data, *args, **kwargs)
        self.survey = survey
        self.language = language if language in survey.languages else survey.language
        self.questions = survey_questions(survey=survey)
        for name, built in _survey_fields(survey, self.language, self._field_for).items():
            self.fields[name] = copy.copy(built)
        if not self.is_bound:
            self.initial["submission_key"] = secrets.token_urlsafe(24)

    def _field_for(self, question: Question) -> forms.Field:
        if question.type in SCALES:
            low, high = SCALES[question.type]
            choices = [(str(n), str(n)) for n in range(low, high + 1)]
            return forms.TypedChoiceField(
                choices=choices, coerce=int, empty_value=None, required=False
            )
        if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
            labels = translated(question, self.language, "choices") or question.choices
            choices = list(zip(question.choices, labels, strict=False))
            if question.type == QuestionType.SINGLE:
                return forms.ChoiceField(choices=choices, required=False)
            return forms.MultipleChoiceField(choices=choices, required=False)
        return forms.CharField(
            required=False,
            max_length=TEXT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX_LENGTH}),
        )

    def clean(self):
        """Refuse two values for a question that takes one: the field would keep the last."""
        cleaned = super().clean()
        for question in self.questions:
            name = answer_field(question.id)
            if question.type == QuestionType.MULTI or name in self.errors:
                continue
            if len(_sent_values(self.data, self.add_prefix(name))) > 1:
                self.add_error(name, ANSWERED_TWICE)
        return cleaned

    # --- texts ------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return translated(self.survey, self.language, "title")

    @property
    def intro(self) -> str:
        return translated(self.survey, self.language, "intro")

    # --- reading and writing back -------------------------------------------------------------

    def answers(self) -> list[dict]:
        """The cleaned answers in the shape `response_submit` takes."""
        return [
            {"question": q.id, "value": self.cleaned_data.get(answer_field(q.id))}
            for q in self.questions
            if self.cleaned_data.get(answer_field(q.id)) not in EMPTY_VALUES
        ]

    def add_submit_errors(self, error: ValidationError) -> None:
        """Put `response_submit`'s errors on the matching fields (others on the whole form),
        in the active language where responses/locale has them (the service speaks English)."""
        translated_errors = {
            field: [_in_language(message) for message in messages]
            for field, messages in error.message_dict.items()
        }
        add_service_errors(self, ValidationError(translated_errors))

    # --- rendering -----------------------------------------------------------------------------

    def _raw_values(self) -> dict[int, object]:
        """What the respondent has picked so far (bound data, unvalidated), for display logic."""
        if not self.is_bound:
            return {}
        values: dict[int, object] = {}
        for question in self.questions:
            bound = self[answer_field(question.id)]
            value = bound.value()
            if question.type in SCALES:
                value = _scale_point(value)
            values[question.id] = value
        return values

    @cached_property
    def _visible(self) -> set[int]:
        return visible_question_ids(self.questions, self._raw_values())

    @cached_property
    def items(self) -> list[QuestionItem]:
        return [
            self._item(question, number, self._visible)
            for number, question in enumerate(self.questions, start=1)
        ]

    @property
    def visible_count(self) -> int:
        return len(self._visible)

    @property
    def answered_count(self) -> int:
        raw = self._raw_values()
        return sum(1 for qid, v in raw.items() if qid in self._visible and v not in EMPTY_VALUES)

    @property
    def language_links(self) -> list[dict]:
        return [
            {"code": code, "name": _language_name(code), "current": code == self.language}
            for code in self.survey.languages
        ]

    text_max_length = TEXT_MAX_LENGTH

    @property
    def text_max_length_display(self) -> str:
        return _text_max_length_display()

    @property
    def questions_html(self) -> str:
        """The questions' markup (responses/_questions.html).

        On a first visit (an unbound form: nothing picked, no errors) it is the same for every
        visitor of one survey revision in one language, so it is rendered once per process and
        reused: most of an answer page's time was this template. A bound form (errors, answers
        picked) is rendered afresh. The revision changes with every write to the questions
        (surveys.signals), as for the questions themselves (responses.selectors).
        """
        if self.is_bound:
            return self._questions_render()
        return _fragments.get(
            self.survey, self._questions_render, self.language, translation.get_language()
        )

    def _questions_render(self) -> str:
        return render_to_string("responses/_questions.html", {"items": self.items, "form": self})

    def _item(self, question: Question, number: int, visible: set[int]) -> QuestionItem:
        bound = self[answer_field(question.id)]
        item = QuestionItem(
            question=question,
            field=bound,
            number=number,
            text=translated(question, self.language, "text"),
            help_text=translated(question, self.language, "help_text"),
            kind=_kind(question),
            hidden=question.id not in visible,
            condition=_condition_json(question),
        )
        if question.type in SCALES:
            low, high = SCALE_LABELS[question.type]
            item.ends = (_(low), _(high))  # msgids in responses/locale
        if item.kind != "text":
            item.options = _options(question, bound)
        return item


def _sent_values(data, name: str) -> list:
    """Every value sent under `name`: a POST's (QueryDict) or a plain dict's."""
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name)
    return list(value) if isinstance(value, list | tuple) else [value]


def _language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code.upper()


def _kind(question: Question) -> str:
    if question.type == QuestionType.NPS:
        return "nps"
    if question.type in SCALES:
        return "labelled"
    return question.type


def _options(question: Question, bound: forms.BoundField) -> list[Option]:
    current = bound.value()
    picked = {str(v) for v in current} if isinstance(current, list) else {str(current or "")}
    points = POINT_LABELS.get(question.type)
    options = []
    for index, (value, label) in enumerate(bound.field.choices):
        number = int(value) if question.type in SCALES else None
        options.append(
            Option(
                value=str(value),
                label=points[index] if points else str(label),
                number=number,
                input_id=f"{bound.auto_id}_{index}",
                checked=str(value) in picked,
            )
        )
    return options


def _condition_json(question: Question) -> str:
    if question.condition_question_id is None:
        return ""
    return json.dumps(
        {
            "field": answer_field(question.condition_question_id),
            "op": question.condition_op,
            "value": question.condition_value,
        }
    )


def respondent_language(*, survey: Survey, request) -> str:
    """The survey language the respondent reads best.

    An explicit ?lang= wins (the language switch), then the browser's Accept-Language in order of
    preference (fr-CA matches fr), then the survey's default language.
    """
    available = survey.languages
    wanted = request.GET.get("lang", "")
    if wanted in available:
        return wanted
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        code = code.lower()
        for candidate in (code, code.split("-")[0]):
            if candidate in available:
                return candidate
    return survey.language
