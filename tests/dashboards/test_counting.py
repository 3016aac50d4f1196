"""Each response counted exactly once: scoring adds its counts (PostgreSQL 15+) or recomputes its
bucket, a rebuild or an erasure recomputes, and whichever runs first, the figures are the same."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections, transaction

from dashboards import scoring
from dashboards.models import QuestionRollup, QuestionRollupMonth, ResponseRollup
from responses.models import Response
from surveys.models import Organization
from tests.dashboards.test_rowdiff import _everything
from tests.factories import (
    CycleFactory,
    TeamFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 3, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def survey(nps_survey):
    return nps_survey


def _varied(world, survey) -> list[Response]:
    """Responses over two months, two teams, another location, no team, a pulse round and
    comments of each sentiment."""
    elsewhere = TeamFactory(organization=world.org)
    cycle = CycleFactory(survey=survey)
    rows = [
        (world.team, {}, DAY, 10, "Wonderful, helpful and kind staff"),
        (world.team, {}, DAY + dt.timedelta(hours=1), 0, "Terrible, rude and slow"),
        (world.team, {"location": elsewhere.location}, DAY, 7, "It was a visit"),
        (world.other_team, {"cycle": cycle}, DAY + dt.timedelta(days=3), 9, ""),
        (None, {}, DAY, 3, "Awful"),
        (None, {"cycle": cycle}, DAY + dt.timedelta(days=3), 8, ""),
    ]
    return [
        response_with_answers(
            survey=survey,
            team=team,
            answers={survey.nps: value, **({survey.comment: text} if text else {})},
            submitted_at=at,
            **fields,
        )
        for team, fields, at, value, text in rows
    ]


def test_what_the_tasks_add_is_what_a_rebuild_computes(world, survey):
    responses = _varied(world, survey)
    ids = [r.id for r in responses]
    for batch in ([ids[0]], [ids[1]], ids[2:]):  # three adds, the last over several buckets
        assert scoring.responses_score(survey_id=survey.id, ids=batch) == batch
    added = _everything(survey)
    assert set(Response.objects.filter(survey=survey).values_list("counted", flat=True)) == {True}
    QuestionRollup.objects.filter(survey=survey).delete()
    QuestionRollupMonth.objects.filter(survey=survey).delete()
    ResponseRollup.objects.filter(survey=survey).delete()
    scoring.survey_rebuild(survey_id=survey.id)
    assert _everything(survey) == added
    (april,) = QuestionRollupMonth.objects.filter(survey=survey, team=None, month="2026-04-01")
    assert (april.n, april.total) == (1, 8)


def test_a_response_a_rebuild_counted_is_not_added_again_by_its_task(world, survey):
    first, second = (
        response_with_answers(survey=survey, team=world.team, answers={survey.nps: v})
        for v in (10, 2)
    )
    scoring.survey_rebuild(survey_id=survey.id)  # counts both; neither task has run
    rebuilt = _everything(survey)
    scoring.response_score(response_id=first.id)
    scoring.response_score(response_id=second.id)
    assert _everything(survey) == rebuilt
    assert QuestionRollup.objects.get(survey=survey, question=survey.nps).n == 2
    assert not Response.objects.filter(survey=survey, scored_at=None).exists()  # alerts ran


def test_an_erased_bucket_is_recomputed_and_later_responses_still_add(world, survey):
    kept = response_with_answers(survey=survey, team=world.team, answers={survey.nps: 9})
    waiting = response_with_answers(survey=survey, team=world.team, answers={survey.nps: 4})
    scoring.response_score(response_id=kept.id)  # counts both
    bucket = scoring.bucket_for(
        survey_id=survey.id, team_id=world.team.id, submitted_at=kept.submitted_at
    )
    waiting.delete()
    later = response_with_answers(survey=survey, team=world.team, answers={survey.nps: 6})
    with transaction.atomic():
        scoring.bucket_recompute(bucket)  # what an erasure does: counts `later` too
    scoring.response_score(response_id=later.id)
    row = QuestionRollup.objects.get(survey=survey, question=survey.nps)
    assert (row.n, row.total) == (2, 15)


def test_a_response_of_a_purged_day_is_marked_but_not_added(world, survey):
    old = response_with_answers(
        survey=survey, team=world.team, answers={survey.nps: 10}, submitted_at=DAY
    )
    scoring.response_score(response_id=old.id)
    Organization.objects.filter(pk=world.org.pk).update(purged_before=DAY + dt.timedelta(days=1))
    late = response_with_answers(
        survey=survey, team=world.team, answers={survey.nps: 0}, submitted_at=DAY
    )  # back-dated into the purged day
    scoring.response_score(response_id=late.id)
    late.refresh_from_db()
    assert late.counted and late.scored_at is not None
    row = QuestionRollup.objects.get(survey=survey, question=survey.nps)
    assert (row.n, row.total) == (1, 10)  # as a rebuild keeps it


@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_for_one_survey_count_each_response_once(world, survey):
    if not scoring.counts_addable():
        pytest.skip("concurrent adds are PostgreSQL's (SQLite writes one at a time)")
    responses = [
        response_with_answers(
            survey=survey, team=team, answers={survey.nps: 5, survey.comment: "fine"}
        )
        for team in (world.team, world.other_team) * 10
    ]
    ids = [r.id for r in responses]
    marked: list[list[int]] = []
    start = threading.Barrier(4)

    def task(order: list[int]) -> None:
        try:
            start.wait()
            marked.append(scoring.responses_score(survey_id=survey.id, ids=order))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=task, args=(ids if i % 2 else ids[::-1],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sum(marked, [])) == sorted(ids)  # each marked by exactly one of them
    assert sorted(
        QuestionRollup.objects.filter(question=survey.nps).values_list("team_id", "n", "total")
    ) == sorted([(world.team.id, 10, 50), (world.other_team.id, 10, 50)])


def test_a_task_gathers_until_its_response_is_old_enough_and_only_then(world, survey):
    import time

    from django.utils import timezone

    fresh = response_with_answers(
        survey=survey, team=world.team, answers={survey.nps: 9}, submitted_at=timezone.now()
    )
    started = time.monotonic()
    done = scoring.response_score(response_id=fresh.id, gather=0.3)
    assert 0.2 < time.monotonic() - started < 2
    assert done["newly_scored"]
    stale = response_with_answers(
        survey=survey,
        team=world.team,
        answers={survey.nps: 9},
        submitted_at=timezone.now() - dt.timedelta(minutes=1),  # waited in the queue already
    )
    started = time.monotonic()
    scoring.response_score(response_id=stale.id, gather=0.3)
    assert time.monotonic() - started < 0.2
