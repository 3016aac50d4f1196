"""Writes for surveys and their questions: create, template, publish, close, duplicate, edit."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from config.audit import AuditAction, audit_changes, audit_object, audit_record
from surveys.library import template_get
from surveys.models import Organization, Question, Survey, SurveyStatus
from surveys.signals import results_changed, survey_revision_bump
from surveys.validation import (
    CLOSED_MESSAGE,
    FROZEN_MESSAGE,
    MAX_QUESTIONS,
    TOO_MANY_QUESTIONS,
    condition_clean,
    question_errors,
    survey_errors,
)

# Copied as-is when a survey is duplicated (a template carries all but the language).
SURVEY_SETTINGS = ("kind", "intro", "thank_you", "anonymous", "language", "translations")
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
    errors = survey_errors(
        title=title, intro=intro, kind=kind, language=language, translations=translations
    )
    if len(questions) > MAX_QUESTIONS:
        errors["questions"] = TOO_MANY_QUESTIONS
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
    outcome = None
    for position, data in enumerate(questions, start=1):
        try:
            if data.get("is_outcome") and outcome is not None:
                raise ValidationError({"is_outcome": _outcome_taken(outcome)})
            created.append(_question_from_dict(survey=survey, data=data, earlier=created))
            outcome = outcome or (created[-1] if created[-1].is_outcome else None)
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
        title=_unused_title(organization, template.title),
        template_key=template.key,
        questions=template.questions,
        **{field: getattr(template, field) for field in SURVEY_SETTINGS if field != "language"},
    )


def _unused_title(organization: Organization, title: str) -> str:
    """`title`, or "title (2)", "(3)"... when the organisation has a survey of that title: the
    second pulse from one template is told apart in the list and on the dashboards' pickers."""
    taken = set(
        Survey.objects.filter(organization=organization, title__startswith=title).values_list(
            "title", flat=True
        )
    )
    number = 1
    candidate = title
    while candidate in taken:
        number += 1
        suffix = f" ({number})"
        candidate = title[: 200 - len(suffix)] + suffix
    return candidate


SURVEY_EDITABLE = ("title", "intro", "thank_you", "anonymous", "language", "translations")


def survey_update(
    *, survey: Survey, user: AbstractBaseUser | None = None, request=None, **changes
) -> Survey:
    """Edits a survey's texts and settings. Its kind never changes; anonymity only while a draft,
    since respondents were told how their answers would be kept. A change of anonymity is
    recorded in the audit log."""
    unknown = set(changes) - set(SURVEY_EDITABLE)
    if unknown:
        raise TypeError(f"survey_update() got unexpected fields: {sorted(unknown)}")
    values = {field: changes.get(field, getattr(survey, field)) for field in SURVEY_EDITABLE}
    values["title"] = (values["title"] or "").strip()
    values["translations"] = values["translations"] or {}
    errors = survey_errors(
        title=values["title"],
        intro=values["intro"],
        kind=survey.kind,
        language=values["language"],
        translations=values["translations"],
    )
    if values["anonymous"] != survey.anonymous and survey.status != SurveyStatus.DRAFT:
        errors["anonymous"] = (
            "Anonymity can only change while the survey is a draft. Duplicate it to run it "
            "with the other setting."
        )
    if errors:
        raise ValidationError(errors)
    values["translations"] = _translations_kept(survey, values["translations"])
    anonymity = audit_changes({"anonymous": survey.anonymous}, {"anonymous": values["anonymous"]})
    for field, value in values.items():
        setattr(survey, field, value)
    with transaction.atomic():
        survey.save(update_fields=[*SURVEY_EDITABLE, "translations_removed"])
        if anonymity:
            action = AuditAction.SURVEY_ANONYMITY
            audit_object(obj=survey, action=action, user=user, detail=anonymity, request=request)
    return survey


def _translations_kept(survey: Survey, translations: dict) -> dict:
    """Keeps the texts of a language taken off the survey in `translations_removed`; a language
    added back without texts of its own gets them back. Returns the translations to save."""
    removed = {**(survey.translations_removed or {})}
    for language, texts in (survey.translations or {}).items():
        if language not in translations and texts:
            removed[language] = texts
    restored = {
        language: texts or removed.get(language, {}) for language, texts in translations.items()
    }
    survey.translations_removed = {k: v for k, v in removed.items() if k not in restored}
    return restored


# --- Lifecycle ------------------------------------------------------------------------------


@transaction.atomic
def survey_publish(*, survey: Survey, user: AbstractBaseUser | None = None, request=None) -> Survey:
    """Draft -> live, recorded in the audit log. Publishing a live survey again changes (and
    records) nothing."""
    if survey.status == SurveyStatus.LIVE:
        return survey
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError("A closed survey cannot be reopened. Duplicate it to run it again.")
    if not survey.questions.exists():
        raise ValidationError("Add at least one question before publishing.")
    now = timezone.now()
    # Compare-and-set: two concurrent publishes leave one published_at (and one audit entry).
    changed = Survey.objects.filter(pk=survey.pk, status=SurveyStatus.DRAFT).update(
        status=SurveyStatus.LIVE, published_at=now
    )
    survey.refresh_from_db()
    if changed:
        results_changed(organization_id=survey.organization_id)  # QuerySet.update sends none
        _lifecycle_audit(survey, AuditAction.SURVEY_PUBLISH, user=user, request=request)
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, user: AbstractBaseUser | None = None, request=None) -> Survey:
    """Live -> closed, recorded in the audit log. Closing a closed survey again changes (and
    records) nothing."""
    if survey.status == SurveyStatus.CLOSED:
        return survey
    if survey.status == SurveyStatus.DRAFT:
        raise ValidationError("Only a live survey can be closed; this one was never published.")
    changed = Survey.objects.filter(pk=survey.pk, status=SurveyStatus.LIVE).update(
        status=SurveyStatus.CLOSED, closed_at=timezone.now()
    )
    survey.refresh_from_db()
    if changed:
        results_changed(organization_id=survey.organization_id)
        _lifecycle_audit(survey, AuditAction.SURVEY_CLOSE, user=user, request=request)
    return survey


def _lifecycle_audit(survey: Survey, action: str, *, user, request) -> None:
    detail = {"title": survey.title, "kind": survey.kind}
    audit_object(obj=survey, action=action, user=user, detail=detail, request=request)


@transaction.atomic
def survey_delete(*, survey: Survey, user: AbstractBaseUser | None = None, request=None) -> None:
    """Delete a draft: it was never published, so no one was sent it and nothing was answered.
    A published survey keeps its answers (close it instead); refused with a reason. The
    deletion is recorded in the audit log (who deleted which draft), with it."""
    locked = Survey.objects.select_for_update().filter(pk=survey.pk).first()
    if locked is None:
        return  # deleted meanwhile (a double click)
    if locked.status != SurveyStatus.DRAFT or locked.responses.exists():
        raise ValidationError(
            "Only a draft can be deleted: a published survey keeps its answers. Close it instead."
        )
    detail = {"survey": locked.pk, "title": locked.title}
    locked.delete()
    audit_record(
        organization=survey.organization,
        user=user,
        action=AuditAction.SURVEY_DELETE,
        detail=detail,
        request=request,
    )


@transaction.atomic
def survey_duplicate(*, survey: Survey, user: AbstractBaseUser | None) -> Survey:
    """A new draft with the same settings and questions (display logic re-pointed to the copies)."""
    copy = Survey.objects.create(
        organization=survey.organization,
        created_by=user if user and user.is_authenticated else None,
        title=f"{survey.title} (copy)"[:200],
        template_key=survey.template_key,
        **{field: getattr(survey, field) for field in SURVEY_SETTINGS},
    )
    copies: dict[int, Question] = {}
    for question in survey.questions.order_by("order", "id"):
        copies[question.pk] = Question.objects.create(
            survey=copy,
            order=question.order,
            condition_question=copies.get(question.condition_question_id),
            condition_op=question.condition_op,
            condition_value=question.condition_value,
            **{field: getattr(question, field) for field in QUESTION_FIELDS},
        )
    return copy


# --- Questions ------------------------------------------------------------------------------


def _is_frozen(survey: Survey) -> bool:
    return survey.responses.exists()


def _check_open(survey: Survey, *, what: str) -> None:
    """A closed survey keeps the questions its answers were given to: wording may still be
    fixed (as once it has responses), its structure may not."""
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError(CLOSED_MESSAGE.format(what=what))


def _condition_target(*, survey: Survey, target: Question | None, before: int | None) -> None:
    """The question a condition depends on must be earlier in the same survey."""
    if target is None:
        return
    if target.survey_id != survey.pk or (before is not None and target.order >= before):
        raise ValidationError(
            {"condition_question": "A question can only depend on an earlier question."}
        )


@transaction.atomic
def question_add(
    *,
    survey: Survey,
    type: str,
    text: str,
    help_text: str = "",
    required: bool = False,
    choices: list[str] | None = None,
    driver: str = "",
    is_outcome: bool = False,
    translations: dict | None = None,
    condition_question: Question | None = None,
    condition_op: str = "",
    condition_value: object = None,
) -> Question:
    """Appends a question. `condition_question` must be a question of the same survey."""
    _check_open(survey, what="no question can be added")
    if survey.questions.count() >= MAX_QUESTIONS:
        raise ValidationError(TOO_MANY_QUESTIONS)
    values = _question_values(
        {
            "type": type,
            "text": text,
            "help_text": help_text,
            "required": required,
            "choices": choices or [],
            "driver": driver,
            "is_outcome": is_outcome,
            "translations": translations or {},
        }
    )
    _check_question(values)
    _check_one_outcome(survey=survey, question=None, is_outcome=values["is_outcome"])
    _condition_target(survey=survey, target=condition_question, before=None)
    value = _check_condition(target=condition_question, op=condition_op, value=condition_value)
    last = survey.questions.aggregate(last=Max("order"))["last"] or 0
    return Question.objects.create(
        survey=survey,
        order=last + 1,
        condition_question=condition_question,
        condition_op=condition_op if condition_question else "",
        condition_value=value,
        **values,
    )


@transaction.atomic
def question_update(*, question: Question, **changes) -> Question:
    """Edits a question. Once the survey has responses only wording and logic may change."""
    survey = question.survey
    values = _question_values(
        {**{f: getattr(question, f) for f in QUESTION_FIELDS}, **_only(changes, QUESTION_FIELDS)}
    )
    if values["type"] != question.type or values["choices"] != question.choices:
        _check_open(survey, what="its questions' type, scale and choices are fixed")
        if _is_frozen(survey):
            raise ValidationError(
                FROZEN_MESSAGE.format(what="its type, scale and choices are fixed")
            )
    _check_question(values)
    _check_one_outcome(survey=survey, question=question, is_outcome=values["is_outcome"])
    target = changes.get("condition_question", question.condition_question)
    op = changes.get("condition_op", question.condition_op) if target else ""
    value = changes.get("condition_value", question.condition_value) if target else None
    if target is not None and target.pk == question.pk:
        raise ValidationError({"condition_question": "A question cannot depend on itself."})
    _condition_target(survey=survey, target=target, before=question.order)
    value = _check_condition(target=target, op=op, value=value)
    for field, new in values.items():
        setattr(question, field, new)
    question.condition_question, question.condition_op, question.condition_value = target, op, value
    question.save()
    _check_dependents(question)
    return question


def _outcome_taken(outcome: Question) -> str:
    return (
        f"Only one question can be the outcome the drivers explain, and “{outcome.text}” "
        "already is. Untick it there first."
    )


def _check_one_outcome(*, survey: Survey, question: Question | None, is_outcome: bool) -> None:
    """Driver impact correlates each driver with *the* outcome question, so there is one."""
    if not is_outcome:
        return
    others = survey.questions.filter(is_outcome=True)
    if question is not None:
        others = others.exclude(pk=question.pk)
    outcome = others.first()
    if outcome is not None:
        raise ValidationError({"is_outcome": _outcome_taken(outcome)})


def _only(changes: dict, allowed: tuple[str, ...]) -> dict:
    unknown = (
        set(changes) - set(allowed) - {"condition_question", "condition_op", "condition_value"}
    )
    if unknown:
        raise TypeError(f"question_update() got unexpected fields: {sorted(unknown)}")
    return {k: v for k, v in changes.items() if k in allowed}


def _check_dependents(question: Question) -> None:
    """A changed type or choice list must still fit the conditions that point at this question."""
    for dependent in question.dependents.all():
        _, error = condition_clean(
            target_type=question.type,
            target_choices=question.choices,
            op=dependent.condition_op,
            value=dependent.condition_value,
        )
        if error:
            raise ValidationError(
                f"“{dependent.text}” is shown depending on this question, and its condition "
                f"would no longer make sense after this change. {error} Change or remove that "
                "condition first."
            )


@transaction.atomic
def question_remove(*, question: Question) -> None:
    _check_open(question.survey, what="its questions cannot be removed")
    if _is_frozen(question.survey):
        raise ValidationError(FROZEN_MESSAGE.format(what="its questions cannot be removed"))
    dependent = question.dependents.first()
    if dependent is not None:
        raise ValidationError(
            f"“{dependent.text}” is shown depending on this question. Remove that condition first."
        )
    survey = question.survey
    question.delete()
    _renumber(survey)


def _renumber(survey: Survey) -> list[Question]:
    questions = list(survey.questions.order_by("order", "id"))
    for position, question in enumerate(questions, start=1):
        question.order = position
    Question.objects.bulk_update(questions, ["order"])
    survey_revision_bump(survey.pk, survey)
    return questions


@transaction.atomic
def question_move(*, question: Question, direction: str) -> None:
    """Swaps a question with its neighbour ("up" or "down"); display logic must stay valid."""
    if direction not in ("up", "down"):
        raise ValidationError("Move a question up or down.")
    _check_open(question.survey, what="its questions cannot be reordered")
    # Lock the survey row so two concurrent moves cannot interleave their renumbering.
    Survey.objects.select_for_update().filter(pk=question.survey_id).first()
    questions = _renumber(question.survey)
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(questions):
        return
    first, second = sorted([questions[index], questions[other_index]], key=lambda q: q.order)
    if second.condition_question_id == first.pk:
        raise ValidationError(
            f"“{second.text}” depends on “{first.text}”, so it must stay after it."
        )
    first.order, second.order = second.order, first.order
    Question.objects.bulk_update([first, second], ["order"])
    survey_revision_bump(question.survey_id, question.survey)
    question.order = questions[index].order
