"""Writes for surveys and their questions: create, template, publish, close, duplicate, edit."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from surveys.library import template_get
from surveys.models import Organization, Question, Survey
from surveys.validation import (
    condition_clean,
    question_errors,
    survey_errors,
)

QUESTION_FIELDS = (
    "type",
    "text",
    "help_text",
    "required",
    "choices",
    "driver",
    "is_outcome",
    "translations",
)
QUESTION_DEFAULTS = {
    "help_text": "",
    "required": False,
    "choices": [],
    "driver": "",
    "is_outcome": False,
    "translations": {},
}


def _question_values(data: dict) -> dict:
    values = {**QUESTION_DEFAULTS, **{k: data[k] for k in QUESTION_FIELDS if k in data}}
    values["text"] = (values.get("text") or "").strip()
    choices = values["choices"]
    if isinstance(choices, list):
        values["choices"] = [c.strip() if isinstance(c, str) else c for c in choices]
    values["driver"] = values["driver"] or ""
    values["translations"] = values["translations"] or {}
    return values


def _check_question(values: dict) -> None:
    errors = question_errors(
        type=values.get("type", ""),
        text=values["text"],
        choices=values["choices"],
        driver=values["driver"],
        is_outcome=values["is_outcome"],
        translations=values["translations"],
    )
    if errors:
        raise ValidationError(errors)


def _check_condition(*, target: Question | None, op: str, value: object) -> object:
    """Returns the cleaned condition value; raises when the condition is malformed."""
    if target is None:
        if op or value not in (None, ""):
            raise ValidationError(
                {"condition_question": "Choose the earlier question to depend on."}
            )
        return None
    cleaned, error = condition_clean(
        target_type=target.type, target_choices=target.choices, op=op, value=value
    )
    if error:
        field = "condition_question" if "free-text" in error else "condition_value"
        raise ValidationError({field if op else "condition_op": error})
    return cleaned


def _prefixed(error: ValidationError, position: int) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"Question {position} ({field}): {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [f"Question {position}: {message}" for message in error.messages]


@transaction.atomic
def survey_create(
    *,
    organization: Organization,
    user: AbstractBaseUser | None,
    title: str,
    kind: str,
    anonymous: bool = True,
    intro: str = "",
    thank_you: str = "Thank you for your feedback.",
    language: str = "en",
    translations: dict | None = None,
    template_key: str = "",
    questions: list[dict],
) -> Survey:
    """Creates a draft survey and its questions, all or nothing.

    A question's `condition_question` is the 0-based position of an earlier question in the list.
    """
    translations = translations or {}
    errors = survey_errors(title=title, kind=kind, language=language, translations=translations)
    if errors:
        raise ValidationError(errors)
    survey = Survey.objects.create(
        organization=organization,
        created_by=user if user and user.is_authenticated else None,
        title=title.strip(),
        kind=kind,
        anonymous=anonymous,
        intro=intro,
        thank_you=thank_you,
        language=language,
        translations=translations,
        template_key=template_key,
    )
    created: list[Question] = []
    messages: list[str] = []
    for position, data in enumerate(questions, start=1):
        try:
            created.append(_question_from_dict(survey=survey, data=data, earlier=created))
        except ValidationError as error:
            messages.extend(_prefixed(error, position))
    if messages:
        raise ValidationError({"questions": messages})
    return survey


def _question_from_dict(*, survey: Survey, data: dict, earlier: list[Question]) -> Question:
    values = _question_values(data)
    _check_question(values)
    index = data.get("condition_question")
    target = None
    if index is not None:
        if not isinstance(index, int) or not 0 <= index < len(earlier):
            raise ValidationError(
                {"condition_question": "A question can only depend on an earlier question."}
            )
        target = earlier[index]
    value = _check_condition(
        target=target, op=data.get("condition_op") or "", value=data.get("condition_value")
    )
    return Question.objects.create(
        survey=survey,
        order=len(earlier) + 1,
        condition_question=target,
        condition_op=data.get("condition_op") or "" if target else "",
        condition_value=value,
        **values,
    )


def survey_create_from_template(
    *, organization: Organization, user: AbstractBaseUser | None, key: str
) -> Survey:
    template = template_get(key)
    if template is None:
        raise ValidationError({"template": f"There is no template called “{key}”."})
    return survey_create(
        organization=organization,
        user=user,
        title=template.title,
        kind=template.kind,
        anonymous=template.anonymous,
        intro=template.intro,
        thank_you=template.thank_you,
        translations=template.translations,
        template_key=template.key,
        questions=template.questions,
    )
