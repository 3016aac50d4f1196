"""Pair moments in the rollups: which outcome question they are against, and whether that is
still the survey's outcome.

Driver impact correlates each driver item with the survey's outcome question over the
respondents who answered both. The question rollups carry the moments of those pairs
(QuestionCounts.pair_*), added by scoring like every other count, so the correlation is a SUM
over rollup rows. They are against the question `PairOutcome` names, which only a survey's
rebuild changes (under its exclusive lock; dashboards.scoring.survey_rebuild): when an author
picks another outcome, `dashboards.signals` queues that rebuild on commit, the reconcile task
catches any it missed, and until then driver impact correlates raw answers (`current` is False).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dashboards import metrics
from dashboards.models import PAIR_FIELDS, PairOutcome, QuestionRollup
from surveys.models import Question


def _outcomes():
    """Outcome questions (those driver impact correlates against: scored, `is_outcome`)."""
    return Question.objects.filter(is_outcome=True, type__in=metrics.SCORED_TYPES)


def outcome_question_id(*, survey_id: int) -> int | None:
    """The survey's outcome question, if any."""
    return (
        _outcomes()
        .filter(survey_id=survey_id)
        .order_by("order", "id")
        .values_list("id", flat=True)
        .first()
    )


def against(*, survey_id: int, question_id: int) -> bool:
    """Whether the survey's rollups hold pair moments against the question `question_id`."""
    return PairOutcome.objects.filter(survey_id=survey_id, question_id=question_id).exists()


def current(*, survey_id: int) -> bool:
    """Whether the survey's rollups hold pair moments against its outcome question as it is
    now (else driver impact reads answers, until the rebuild that follows a change)."""
    stored = PairOutcome.objects.filter(survey_id=survey_id).values_list("question_id", flat=True)
    return next(iter(stored), None) == outcome_question_id(survey_id=survey_id)


def stale_surveys() -> list[int]:
    """Surveys whose outcome question is not the one their rollups' pairs are against."""
    # Per survey its first outcome by (order, id), as outcome_question_id picks: the last of
    # each survey's rows in this order.
    outcomes = dict(
        _outcomes().order_by("survey_id", "-order", "-id").values_list("survey_id", "id")
    )
    stored = dict(
        PairOutcome.objects.exclude(question_id=None).values_list("survey_id", "question_id")
    )
    return sorted(s for s in set(outcomes) | set(stored) if outcomes.get(s) != stored.get(s))


def outcome_set(*, survey_id: int, purged_before: dt.datetime | None) -> None:
    """Point the survey's pairs at its current outcome question (inside a rebuild, which then
    recomputes them). Purged days keep their rollups but have no answers to pair again: when
    the outcome changes, their pairs are emptied (as a correlation of raw answers would find
    nothing there either)."""
    outcome = outcome_question_id(survey_id=survey_id)
    stored = PairOutcome.objects.filter(survey_id=survey_id).first()
    if stored is not None and stored.question_id == outcome:
        return
    PairOutcome.objects.update_or_create(survey_id=survey_id, defaults={"question_id": outcome})
    if purged_before is not None:
        first_day = timezone.localtime(purged_before, timezone.get_default_timezone()).date()
        QuestionRollup.objects.filter(survey_id=survey_id, day__lt=first_day).update(
            **{name: 0 for name in PAIR_FIELDS}
        )
