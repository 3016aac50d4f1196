"""Storing responses: one validated, all-or-nothing write per submission.

The browser form, customer links and the API all go through `response_submit`, so they share one
set of rules and one set of messages.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from contextlib import nullcontext
from functools import partial
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from config import rows
from dashboards.tasks import scoring_queue
from responses.conditions import EMPTY_VALUES, visible_question_ids
from responses.models import Answer, Channel, Response
from responses.selectors import survey_cycle_id_at, survey_questions
from surveys.models import (
    SCALES,
    TEXT_MAX_LENGTH,
    AuditLog,
    Cycle,
    Invitation,
    Location,
    Person,
    Question,
    QuestionType,
    Survey,
    SurveyKind,
    SurveyStatus,
    Team,
)

ALREADY_ANSWERED = "This survey has already been answered with this link."
SURVEY_CLOSED = "This survey is closed."
SURVEY_NOT_OPEN = "This survey is not open yet."
ROUND_CLOSED = "This round of the survey has closed."
REQUIRED = "This question needs an answer."
# In English for the API; the answer form says it in the respondent's language, the number
# written as that language writes numbers (responses.forms).
TEXT_TOO_LONG = gettext_noop("Keep the answer to %(max)s characters or fewer.")
TEXT_TOO_LONG_EN = TEXT_TOO_LONG % {"max": f"{TEXT_MAX_LENGTH:,}"}
FUTURE_SKEW = dt.timedelta(minutes=5)
# Imports carry history, but no feedback program's goes back this far: an earlier time is a
# mistake (a 1900 default, a two-digit year), and would stretch every trend over a century.
EARLIEST_SUBMISSION = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_INTEGER = re.compile(r"-?\d+")
# PostgreSQL text cannot hold NUL, and lone UTF-16 surrogates (a JSON "\ud800" escape) are not
# encodable as UTF-8: both are dropped from free text rather than failing the whole response.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def answer_field(question_id: int) -> str:
    """The error key (and form field name) for one question's answer."""
    return f"question_{question_id}"


def response_submit(
    *,
    survey: Survey,
    answers: list[dict],
    team: Team | None,
    location: Location | None = None,
    cycle: Cycle | None = None,
    respondent: Person | None = None,
    agent: Person | None = None,
    channel: str,
    language: str = "",
    submitted_at: dt.datetime | None = None,
    submission_key: str | None = None,
    invitation: Invitation | None = None,
    questions: list[Question] | None = None,
    audit: AuditLog | None = None,
) -> Response:
    """Validate and store one response with all its answers.

    1. A submission_key seen before returns the response stored for it (double click, retry):
       looked up first for an invitation (whose second use would otherwise be refused), else
       found by the key's unique constraint when the insert fails.
    2. Everything is checked before writing; ValidationError lists the problems per field.
       `questions` (the survey's, in order) saves reading them again when the caller has them.
    3. One transaction: claim the invitation (compare-and-set on used_at), insert the response
       and its answers. A second submission with the same token finds the invitation used.
    4. After commit, queue scoring; a broker outage only delays it (the reconcile task).
    `audit` (an unsaved audit entry, config.audit.api_write_entry) is stored with a new
    response, in the same statement on PostgreSQL; `audit.pk` is set then. A replayed
    submission stores nothing, the entry neither.
    """
    submission_key = submission_key or None
    if submission_key and invitation and (existing := _replayed(survey=survey, key=submission_key)):
        return existing
    now = timezone.now()
    submitted_at = submitted_at or now
    questions = survey_questions(survey=survey) if questions is None else questions
    errors: dict[str, list[str]] = {}
    _check_context(
        survey=survey,
        team=team,
        location=location,
        cycle=cycle,
        invitation=invitation,
        channel=channel,
        submitted_at=submitted_at,
        submission_key=submission_key,
        now=now,
        errors=errors,
    )
    values = _clean_answers(questions=questions, answers=answers, errors=errors)
    if errors:
        raise ValidationError(errors)

    row = Response(
        survey=survey,
        team=team,
        location_id=location.id if location else (team.location_id if team else None),
        cycle_id=(cycle.id if cycle else None)
        or (invitation.cycle_id if invitation else None)
        or survey_cycle_id_at(survey=survey, moment=submitted_at),
        # Only a named EX survey keeps who answered; a CX response keeps the agent who served.
        respondent=respondent if not survey.anonymous and survey.kind == SurveyKind.EX else None,
        agent=agent if survey.kind == SurveyKind.CX else None,
        channel=channel,
        language=language[:8],
        submitted_at=submitted_at,
        submission_key=submission_key,
    )
    try:
        if invitation is None and connection.vendor == "postgresql":
            _insert_in_one_statement(row, _answer_values(questions, values), audit=audit)
        else:
            with transaction.atomic():
                if invitation is not None and not _invitation_claim(invitation, now=now):
                    raise ValidationError({"invitation": [ALREADY_ANSWERED]})
                row.save(force_insert=True)
                Answer.objects.bulk_create(_answer_rows(row, questions, values))
                if audit is not None:
                    rows.insert(audit)
    except (IntegrityError, ValidationError):
        # Lost a race with the same submission_key (double click): the first one stands.
        if submission_key and (existing := _replayed(survey=survey, key=submission_key)):
            return existing
        raise
    transaction.on_commit(partial(scoring_queue, row.pk, survey.id, row.submitted_at))
    return row


_INSERT_SQL = """
    WITH r AS (
        INSERT INTO responses_response (survey_id, team_id, location_id, cycle_id, respondent_id,
            agent_id, channel, language, submitted_at, submission_key, scored_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL)
        RETURNING id
    ), a AS (
        INSERT INTO responses_answer (response_id, question_id, value_int, value_text,
            value_choices, sentiment_score, sentiment_label)
        SELECT r.id, x.question_id, x.value_int, x.value_text, x.value_choices::jsonb, NULL, ''
        FROM r, unnest(%s::bigint[], %s::smallint[], %s::text[], %s::text[])
            AS x(question_id, value_int, value_text, value_choices)
    ){also}
    SELECT {returned}
"""


def _insert_in_one_statement(
    row: Response, answers: list[AnswerValues], *, audit: AuditLog | None = None
) -> None:
    """PostgreSQL: the response and its answers in one INSERT statement (data-modifying CTEs),
    and `audit` with them when given.

    A single statement is atomic on its own, so outside a transaction this is one round trip
    where save() + bulk_create() in atomic() were four (BEGIN, two INSERTs, COMMIT): the
    submission path's largest share of database time. Inside a caller's transaction it runs in
    a savepoint, so a duplicate submission key fails only this statement.
    """
    params = [
        row.survey_id,
        row.team_id,
        row.location_id,
        row.cycle_id,
        row.respondent_id,
        row.agent_id,
        row.channel,
        row.language,
        row.submitted_at,
        row.submission_key,
        [a.question_id for a in answers],
        [a.value_int for a in answers],
        [a.value_text for a in answers],
        [None if a.value_choices is None else json.dumps(a.value_choices) for a in answers],
    ]
    sql = _INSERT_SQL.format(also="", returned="id FROM r")
    if audit is not None:
        audit_sql, audit_params = rows.insert_statement(audit)
        sql = _INSERT_SQL.format(also=f", l AS ({audit_sql})", returned="r.id, l.id FROM r, l")
        params += audit_params
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        rows.execute(cursor, sql, params)
        row.pk, *audited = cursor.fetchone()
    if audited:
        audit.pk = audited[0]
        audit._state.adding = False
    row._state.adding = False
    row._state.db = connection.alias


def _replayed(*, survey: Survey, key: str) -> Response | None:
    existing = Response.objects.filter(submission_key=key).first()
    if existing is not None and existing.survey_id != survey.id:
        raise ValidationError(
            {"submission_key": ["This submission key belongs to another survey."]}
        )
    return existing


def _invitation_claim(invitation: Invitation, *, now: dt.datetime) -> bool:
    """Mark the invitation used, only if nobody did first (the row lock serialises racers).

    On an anonymous survey the invitation records *that* it was used, not *when*: a used_at equal
    to the response's submitted_at would lead from the response back to the person.
    """
    used_at = invitation.created_at if invitation.survey.anonymous else now
    claimed = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(
        used_at=used_at
    )
    return claimed == 1


def _check_context(
    *,
    survey: Survey,
    team: Team | None,
    location: Location | None,
    cycle: Cycle | None,
    invitation: Invitation | None,
    channel: str,
    submitted_at: dt.datetime,
    submission_key: str | None,
    now: dt.datetime,
    errors: dict[str, list[str]],
) -> None:
    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if survey.status == SurveyStatus.DRAFT:
        add("survey", SURVEY_NOT_OPEN)
    elif survey.status != SurveyStatus.LIVE:
        add("survey", SURVEY_CLOSED)
    org_id = survey.organization_id
    if team is not None and team.organization_id != org_id:
        add("team", "Unknown team.")
    if location is not None and location.organization_id != org_id:
        add("location", "Unknown location.")
    if cycle is not None and cycle.survey_id != survey.id:
        add("cycle", "This round belongs to another survey.")
    if invitation is not None and (message := _invitation_error(invitation, survey)):
        add("invitation", message)
    if channel not in Channel.values:
        add("channel", f"Channel must be one of: {', '.join(Channel.values)}.")
    if timezone.is_naive(submitted_at):
        add("submitted_at", "Give the time with its time zone.")
    elif submitted_at > now + FUTURE_SKEW:
        add("submitted_at", "The submission time cannot be in the future.")
    elif submitted_at < EARLIEST_SUBMISSION:
        add("submitted_at", f"The submission time cannot be before {EARLIEST_SUBMISSION:%Y-%m-%d}.")
    if submission_key is not None and (
        not isinstance(submission_key, str) or len(submission_key) > 64
    ):
        add("submission_key", "Use a text of at most 64 characters.")


def _invitation_error(invitation: Invitation, survey: Survey) -> str:
    if invitation.survey_id != survey.id:
        return "This link is for another survey."
    if invitation.used_at is not None:
        return ALREADY_ANSWERED
    if invitation.cycle is not None and invitation.cycle.closed:
        return ROUND_CLOSED
    return ""


MAX_LISTED_PROBLEMS = 20  # answers the error body lists one by one


def _clean_answers(
    *, questions: list[Question], answers: object, errors: dict
) -> dict[int, object]:
    """Cleaned values by question id for the questions shown, reporting problems in `errors`."""
    if not isinstance(answers, list):
        errors["answers"] = ["Send the answers as a list of {question, value}."]
        return {}
    by_id = {q.id: q for q in questions}
    values: dict[int, object] = {}
    seen: set[int] = set()
    problems: dict[str, None] = {}  # each message once, in order (a list of 50,000 copies of
    # one answer once gave a 2 MB error body repeating the same line)
    for item in answers:
        question_id = _question_id(item)
        if question_id not in by_id:
            problems[f"Question {_describe(item)} is not part of this survey."] = None
            continue
        if question_id in seen:
            problems[f"Question {question_id} is answered more than once."] = None
            continue
        seen.add(question_id)
        cleaned, message = answer_clean(by_id[question_id], item.get("value"))
        if message:
            errors[answer_field(question_id)] = [message]
        else:
            values[question_id] = cleaned
    if problems:
        listed = list(problems)
        more = len(listed) - MAX_LISTED_PROBLEMS
        if more > 0:
            listed = [*listed[:MAX_LISTED_PROBLEMS], f"And {more} more answers like these."]
        errors.setdefault("answers", []).extend(listed)
    visible = visible_question_ids(questions, values)
    for question in questions:
        field = answer_field(question.id)
        shown_and_missing = question.id in visible and values.get(question.id) in EMPTY_VALUES
        if question.required and shown_and_missing and field not in errors:
            errors[field] = [REQUIRED]
    # Answers to hidden questions are dropped: the respondent could not see them.
    return {k: v for k, v in values.items() if k in visible and v not in EMPTY_VALUES}


def _question_id(item: object) -> int | None:
    if not isinstance(item, dict):
        return None
    value = item.get("question")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _describe(item: object) -> str:
    if isinstance(item, dict):
        return str(item.get("question"))[:20]
    return "(not an object)"


def answer_clean(question: Question, value: object) -> tuple[object, str]:
    """(cleaned value, error message) for one answer; None means not answered."""
    if value in EMPTY_VALUES:
        return None, ""
    if question.type in SCALES:
        return _clean_scale(question, value)
    if question.type == QuestionType.SINGLE:
        if not isinstance(value, str) or value not in question.choices:
            return None, _choice_message(question)
        return value, ""
    if question.type == QuestionType.MULTI:
        picked = [value] if isinstance(value, str) else value
        if not isinstance(picked, list) or not all(isinstance(v, str) for v in picked):
            return None, _choice_message(question)
        if any(v not in question.choices for v in picked):
            return None, _choice_message(question)
        return [c for c in question.choices if c in picked], ""
    if not isinstance(value, str):
        return None, "Write the answer as text."
    text = _UNSTORABLE.sub("", value).strip()
    if len(text) > TEXT_MAX_LENGTH:
        return None, TEXT_TOO_LONG_EN
    return text or None, ""


def _clean_scale(question: Question, value: object) -> tuple[object, str]:
    low, high = SCALES[question.type]
    message = f"Choose a whole number from {low} to {high}."
    if isinstance(value, bool):
        return None, message
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        return None, message
    return value, ""


def _choice_message(question: Question) -> str:
    return f"Choose from: {', '.join(question.choices)}."


class AnswerValues(NamedTuple):
    """One answer's stored columns (what the one-statement insert sends; no model instance:
    building Answer instances cost more than the insert's Python side)."""

    question_id: int
    value_int: int | None
    value_text: str
    value_choices: list | None


def _answer_values(questions: list[Question], values: dict) -> list[AnswerValues]:
    found = []
    for question in questions:
        if question.id not in values:
            continue
        value = values[question.id]
        if question.type in SCALES:
            found.append(AnswerValues(question.id, value, "", None))
        elif question.type == QuestionType.TEXT:
            found.append(AnswerValues(question.id, None, value, None))
        else:  # single and multiple choice both store a list of the options picked
            found.append(
                AnswerValues(question.id, None, "", value if isinstance(value, list) else [value])
            )
    return found


def _answer_rows(response: Response, questions: list[Question], values: dict) -> list[Answer]:
    return [Answer(response=response, **row._asdict()) for row in _answer_values(questions, values)]
