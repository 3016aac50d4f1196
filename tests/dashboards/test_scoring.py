"""Scoring services: sentiment, bucket recompute from source rows, reconcile and rebuild."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboards import scoring, tasks
from dashboards.models import QuestionRollup, ResponseRollup
from responses.models import Answer, Response
from tests.factories import (
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def survey(world):
    survey = SurveyFactory(organization=world.org)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1)
    survey.likert = QuestionFactory(survey=survey, type="likert", order=2, driver="engagement")
    survey.comment = QuestionFactory(survey=survey, type="text", order=3, required=False)
    return survey


def rollup_rows(survey_id: int) -> tuple[list, list]:
    """Every rollup row of a survey, without ids, in a stable order."""
    fields = [f.attname for f in QuestionRollup._meta.concrete_fields if f.attname != "id"]
    questions = QuestionRollup.objects.filter(survey_id=survey_id).values_list(*fields)
    responses = sorted(
        ResponseRollup.objects.filter(survey_id=survey_id).values_list(
            "team_id", "location_id", "day", "responses"
        ),
        key=str,
    )
    return sorted(questions, key=str), responses


def test_response_score_builds_the_bucket_from_source_rows(world, survey):
    team = world.team
    first = response_with_answers(
        survey=survey, team=team, answers={survey.nps: 9, survey.likert: 4}, submitted_at=DAY
    )
    response_with_answers(
        survey=survey,
        team=team,
        answers={survey.nps: 3, survey.likert: 5, survey.comment: "I love this team, great work"},
        submitted_at=DAY + dt.timedelta(hours=2),
    )
    scoring.response_score(response_id=first.id)

    row = QuestionRollup.objects.get(survey=survey, question=survey.nps, team=team)
    # Both responses of the bucket (same team, same day) count, whichever was scored.
    assert (row.day, row.n, row.total, row.total_sq, row.c3, row.c9) == (
        DAY.date(),
        2,
        12,
        90,
        1,
        1,
    )
    assert QuestionRollup.objects.get(question=survey.likert).total == 9
    comment = QuestionRollup.objects.get(question=survey.comment)
    assert (comment.n, comment.pos, comment.neu, comment.neg) == (1, 1, 0, 0)
    assert ResponseRollup.objects.get(survey=survey, team=team).responses == 2
    assert Response.objects.get(id=first.id).scored_at is not None


def test_comment_gets_sentiment_score_and_label(world, survey):
    response = response_with_answers(
        survey=survey,
        team=world.team,
        answers={survey.comment: "The new rota is terrible and I feel awful."},
    )
    scoring.response_score(response_id=response.id)
    answer = Answer.objects.get(response=response, question=survey.comment)
    assert -1 <= answer.sentiment_score <= -0.05
    assert answer.sentiment_label == "negative"
    assert QuestionRollup.objects.get(question=survey.comment).neg == 1


def test_neutral_comment_is_labelled_neutral(world, survey):
    response = response_with_answers(
        survey=survey, team=world.team, answers={survey.comment: "The meeting is on Tuesday."}
    )
    scoring.response_score(response_id=response.id)
    answer = Answer.objects.get(response=response, question=survey.comment)
    assert (answer.sentiment_score, answer.sentiment_label) == (0.0, "neutral")


def test_scoring_twice_gives_the_same_rollups(world, survey):
    response = response_with_answers(
        survey=survey,
        team=world.team,
        answers={survey.nps: 10, survey.comment: "Good"},
        submitted_at=DAY,
    )
    scoring.response_score(response_id=response.id)
    once = rollup_rows(survey.id)
    done = scoring.response_score(response_id=response.id)
    assert rollup_rows(survey.id) == once
    assert done["newly_scored"] is False
    assert QuestionRollup.objects.filter(survey=survey).count() == 2


def test_one_task_scores_its_whole_survey_and_the_others_only_run_their_alerts(
    world, survey, monkeypatch
):
    """Coalescing: the first task of a survey marks every unscored response of it, whatever
    their team or day; the tasks queued for the others find them scored, write nothing, and
    re-run only their (idempotent) alert rules. Another survey's responses are left to its own."""
    evaluated = []
    monkeypatch.setattr(
        scoring, "_alerts_evaluate", lambda *, survey_id, response_id: evaluated.append(response_id)
    )
    monkeypatch.setattr(scoring, "survey_has_listeners", lambda *, survey_id: True)
    same = [
        response_with_answers(
            survey=survey, team=world.team, answers={survey.nps: v}, submitted_at=DAY
        )
        for v in (10, 0, 7)
    ]
    next_day = response_with_answers(
        survey=survey,
        team=world.other_team,
        answers={survey.nps: 9},
        submitted_at=DAY + dt.timedelta(days=1),
    )
    other_survey = SurveyFactory(organization=world.org)
    elsewhere = response_with_answers(
        survey=other_survey,
        team=world.team,
        answers={QuestionFactory(survey=other_survey, type="nps", order=1): 3},
        submitted_at=DAY,
    )
    first = scoring.response_score(response_id=same[0].id)
    assert (first["responses_marked"], first["newly_scored"]) == (4, True)
    marked = sorted(r.id for r in [*same, next_day])
    assert sorted(evaluated) == marked
    assert not Response.objects.filter(id__in=marked, scored_at=None).exists()
    assert Response.objects.get(id=elsewhere.id).scored_at is None
    (row,) = QuestionRollup.objects.filter(survey=survey, day=DAY.date())
    assert (row.n, row.total, row.c0, row.c7, row.c10) == (3, 17, 1, 1, 1)
    (row,) = QuestionRollup.objects.filter(survey=survey, day=next_day.submitted_at.date())
    assert (row.team_id, row.n, row.total) == (world.other_team.id, 1, 9)

    evaluated.clear()
    later = scoring.response_score(response_id=same[1].id)
    assert (later["responses_marked"], later["newly_scored"]) == (0, False)
    # Its alerts and those of the responses marked with it, in case the first task died before
    # running them (a re-delivered message finds its response scored).
    assert sorted(evaluated) == marked
    assert QuestionRollup.objects.get(survey=survey, day=DAY.date()).n == 3


def test_a_task_for_a_scored_response_still_scores_the_rest_of_its_survey(world, survey):
    """A task is published for a survey only when none is waiting (dashboards.queueing): one
    whose own response another task already counted must still score the responses stored
    since, which published nothing because this task was waiting."""
    first = response_with_answers(
        survey=survey, team=world.team, answers={survey.nps: 10}, submitted_at=DAY
    )
    scoring.response_score(response_id=first.id)
    later = response_with_answers(
        survey=survey, team=world.other_team, answers={survey.nps: 2}, submitted_at=DAY
    )
    done = scoring.response_score(response_id=first.id)
    assert (done["newly_scored"], done["responses_marked"]) == (False, 1)
    assert Response.objects.get(id=later.id).scored_at is not None
    assert sorted(
        QuestionRollup.objects.filter(survey=survey, question=survey.nps).values_list("n", "total")
    ) == [(1, 2), (1, 10)]


def test_without_alert_rules_or_webhooks_a_coalesced_task_looks_nothing_up_per_response(
    world, survey, monkeypatch
):
    evaluated = []
    monkeypatch.setattr(
        scoring, "_alerts_evaluate", lambda *, survey_id, response_id: evaluated.append(response_id)
    )
    responses = [
        response_with_answers(
            survey=survey, team=world.team, answers={survey.nps: 9}, submitted_at=DAY
        )
        for _ in range(4)
    ]
    assert scoring.response_score(response_id=responses[0].id)["responses_marked"] == 4
    assert evaluated == []


def test_buckets_are_split_by_team_and_day_and_location(world, survey):
    other_location_team = TeamFactory(organization=world.org)
    responses = [
        response_with_answers(
            survey=survey, team=world.team, answers={survey.nps: 8}, submitted_at=DAY
        ),
        response_with_answers(
            survey=survey,
            team=world.team,
            answers={survey.nps: 6},
            submitted_at=DAY + dt.timedelta(days=1),
        ),
        response_with_answers(
            survey=survey,
            team=world.team,
            answers={survey.nps: 7},
            submitted_at=DAY,
            location=other_location_team.location,
        ),
        response_with_answers(survey=survey, team=None, answers={survey.nps: 0}, submitted_at=DAY),
    ]
    for response in responses:
        scoring.response_score(response_id=response.id)
    rows = QuestionRollup.objects.filter(survey=survey)
    assert sorted((r.team_id or 0, r.day.day, r.total) for r in rows) == sorted(
        [(world.team.id, 10, 8), (world.team.id, 11, 6), (world.team.id, 10, 7), (0, 10, 0)]
    )
    # Two locations within one team and day are two rows of the same bucket.
    assert QuestionRollup.objects.filter(team=world.team, day=DAY.date()).count() == 2
    assert ResponseRollup.objects.filter(survey=survey, team=None).get().responses == 1


def test_deleted_response_is_a_no_op(world, survey):
    assert scoring.response_score(response_id=999_999) is None


def test_a_task_whose_response_was_deleted_still_scores_its_surveys_backlog(world, survey):
    """Erased between its submission and its task: the task still scores the survey's other
    unscored responses, which queued no task of their own while its flag was held."""
    gone = response_with_answers(survey=survey, team=world.team, answers={survey.nps: 9})
    waiting = [
        response_with_answers(survey=survey, team=world.team, answers={survey.nps: value})
        for value in (10, 3)
    ]
    gone_id = gone.id
    gone.delete()
    done = scoring.response_score(response_id=gone_id, survey_id=survey.id)
    assert (done["survey"], done["newly_scored"], done["responses_marked"]) == (survey.id, False, 2)
    assert all(Response.objects.get(pk=r.pk).scored_at for r in waiting)
    rollup = ResponseRollup.objects.get(survey=survey, team=world.team)
    assert rollup.responses == 2


def test_reconcile_scores_old_unscored_responses_once_per_survey(world, survey):
    old = timezone.now() - dt.timedelta(minutes=5)
    stale = [
        response_with_answers(
            survey=survey, team=world.team, answers={survey.nps: v}, submitted_at=old
        )
        for v in (10, 9, 2)
    ]
    fresh = response_with_answers(survey=survey, team=world.team, answers={survey.nps: 5})
    done = scoring.scores_reconcile()
    assert done == {"responses": 3, "surveys": 1}
    assert not Response.objects.filter(
        id__in=[r.id for r in stale], scored_at__isnull=True
    ).exists()
    assert Response.objects.get(id=fresh.id).scored_at is None  # its own task has time to run
    assert scoring.scores_reconcile() == {"responses": 0, "surveys": 0}


def test_reconcile_works_in_batches_and_evaluates_alerts(world, survey, monkeypatch):
    evaluated = []
    monkeypatch.setattr(
        scoring, "_alerts_evaluate", lambda **kw: evaluated.append(kw["response_id"])
    )
    monkeypatch.setattr(scoring, "survey_has_listeners", lambda *, survey_id: True)
    old = timezone.now() - dt.timedelta(hours=1)
    teams = [world.team] * 3 + [world.other_team] * 2
    ids = [
        response_with_answers(
            survey=survey,
            team=team,
            answers={survey.nps: 5},
            submitted_at=old + dt.timedelta(seconds=i),
        ).id
        for i, team in enumerate(teams)
    ]
    # Batches of 2 by age, each scored in one transaction for its survey.
    assert scoring.scores_reconcile(batch_size=2) == {"responses": 5, "surveys": 3}
    assert sorted(evaluated) == ids
    assert (
        sum(ResponseRollup.objects.filter(survey=survey).values_list("responses", flat=True)) == 5
    )


def test_reconcile_runs_one_at_a_time(world, survey):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    import psycopg2

    db = connection.settings_dict
    key = [scoring._lock_number("tandem:scores:reconcile")]
    response_with_answers(survey=survey, team=world.team, answers={survey.nps: 1}, submitted_at=DAY)
    other = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
    )
    try:
        with other.cursor() as cursor:  # another worker's reconcile is running
            cursor.execute("SELECT pg_try_advisory_lock(%s)", key)
            assert scoring.scores_reconcile() == {"responses": 0, "surveys": 0, "skipped": True}
            cursor.execute("SELECT pg_advisory_unlock(%s)", key)
    finally:
        other.close()
    assert scoring.scores_reconcile() == {"responses": 1, "surveys": 1}


def test_rebuild_equals_incremental_and_repairs_damage(world, survey):
    for value, team in ((10, world.team), (4, world.other_team), (8, world.team)):
        response = response_with_answers(
            survey=survey, team=team, answers={survey.nps: value, survey.comment: "fine, thanks"}
        )
        scoring.response_score(response_id=response.id)
    incremental = rollup_rows(survey.id)
    QuestionRollup.objects.filter(survey=survey).update(n=99, c10=0)
    ResponseRollup.objects.filter(survey=survey).first().delete()
    totals = scoring.scores_rebuild(survey_id=survey.id)
    assert rollup_rows(survey.id) == incremental
    assert (totals["surveys"], totals["responses"]) == (1, 3)


def test_rebuild_scores_command_prints_progress_and_summary(world, survey, capsys):
    response_with_answers(survey=survey, team=world.team, answers={survey.nps: 9})
    call_command("rebuild_scores", "--survey", str(survey.id))
    out = capsys.readouterr().out
    assert f"Survey {survey.id}" in out
    assert out.strip().splitlines()[-1].startswith("Rebuilt 1 survey:")
    assert QuestionRollup.objects.get(survey=survey).c9 == 1


def test_rebuild_scores_command_rejects_unknown_survey(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No survey 424242"):
        call_command("rebuild_scores", "--survey", "424242")


def test_tasks_call_the_services(world, survey):
    response = response_with_answers(survey=survey, team=world.team, answers={survey.nps: 9})
    tasks.response_score.delay(response.id)
    assert QuestionRollup.objects.get(survey=survey).c9 == 1
    QuestionRollup.objects.all().delete()
    tasks.scores_rebuild.delay(survey.id)
    assert QuestionRollup.objects.get(survey=survey).c9 == 1
    tasks.scores_reconcile.delay()


def test_tasks_retry_on_database_errors():
    for task in (tasks.response_score, tasks.scores_reconcile, tasks.scores_rebuild):
        assert task.acks_late is True
        assert task.max_retries and task.retry_backoff
        assert any(
            issubclass(exc, Exception) and exc.__name__ == "OperationalError"
            for exc in task.autoretry_for
        )


def test_reconcile_runs_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["scores-reconcile"]
    assert entry == {
        "task": "dashboards.tasks.scores_reconcile",
        "schedule": float(settings.TANDEM_RECONCILE_SECONDS),
    }
