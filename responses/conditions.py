"""Display logic, evaluated the same way for the answer form, the service and (in JS) the browser.

A question with a condition is shown only when the earlier answer it depends on meets it. A
question whose source question is itself hidden counts as unanswered, so chains hide together.
static/js/answer.js mirrors `condition_met`; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from surveys.models import ConditionOp, Question

EMPTY_VALUES = (None, "", [])


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _key(value: object) -> str:
    return str(value).strip().lower()


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def condition_met(question: Question, values: Mapping[int, object]) -> bool:
    """True when `question` should be shown given the answers so far (question id -> value)."""
    if question.condition_question_id is None:
        return True
    answer = values.get(question.condition_question_id)
    if answer in EMPTY_VALUES:
        return False
    op, target = question.condition_op, question.condition_value
    answered = _as_list(answer)
    if op in (ConditionOp.LTE, ConditionOp.GTE):
        number, limit = _number(answered[0]), _number(target)
        if number is None or limit is None:
            return False
        return number <= limit if op == ConditionOp.LTE else number >= limit
    wanted = {_key(v) for v in _as_list(target)}
    return any(_key(v) in wanted for v in answered)


def visible_question_ids(questions: Iterable[Question], values: Mapping[int, object]) -> set[int]:
    """Ids of the questions shown, walking the survey in order (`questions` must be ordered)."""
    visible: set[int] = set()
    kept: dict[int, object] = {}
    for question in questions:
        if condition_met(question, kept):
            visible.add(question.id)
            if question.id in values:
                kept[question.id] = values[question.id]
    return visible
