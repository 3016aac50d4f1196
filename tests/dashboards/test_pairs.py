"""Driver impact from the rollups' pair moments (dashboards.pairs): the same figures as a
correlation of the answers, whichever way the counts got there, and never stale figures after
the outcome question changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards import pairs, scoring
from dashboards.models import (
    PairOutcome,
    QuestionRollup,
    QuestionRollupMonth,
    ResponseRollup,
    ResponseRollupMonth,
)
from dashboards.reads import shared_reads
from dashboards.selectors import scores
from dashboards.selectors.drivers import driver_impact
from responses.models import Response
from surveys.models import Organization
from surveys.services.authoring import question_update
from tests.dashboards.test_rowdiff import _everything
from tests.dashboards.test_scores_api import _driver_survey
from tests.factories import QuestionFactory, SurveyFactory, response_with_answers

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 2, 10, 12, 0, tzinfo=dt.UTC)


def _raw(survey, **filters) -> dict:
    """driver_impact as it is computed from the answers (the rollups' pairs set aside)."""
    stored = PairOutcome.objects.filter(survey=survey)
    kept = list(stored.values_list("question_id", flat=True))
    stored.delete()
    try:
        assert not pairs.current(survey_id=survey.id)
        return driver_impact(survey=survey, **filters)
    finally:
        for question_id in kept:
            PairOutcome.objects.create(survey=survey, question_id=question_id)


def _pair_sums(survey, question) -> tuple:
    row = QuestionRollup.objects.filter(survey=survey, question=question)
    fields = ("pair_n", "pair_x", "pair_y", "pair_xx", "pair_yy", "pair_xy")
    return tuple(sum(values) for values in zip(*row.values_list(*fields), strict=True))


def test_pair_moments_by_hand(world):
    """A = x for x = 1..5 five times, outcome y = 2x: n 25, Σx 75, Σy 150, Σx² 275, Σy² 1100,
    Σxy 550. C answered by the first 10 only (x = 1..5 twice): n 10, Σx 30, Σy 60, Σx² 110,
    Σy² 440, Σxy 220. The outcome pairs with itself: Σx = Σy = 150, Σx² = Σy² = Σxy = 1100."""
    survey, outcome, items = _driver_survey(world)
    assert PairOutcome.objects.get(survey=survey).question_id == outcome.id
    assert _pair_sums(survey, items["A"]) == (25, 75, 150, 275, 1100, 550)
    assert _pair_sums(survey, items["C"]) == (10, 30, 60, 110, 440, 220)
    assert _pair_sums(survey, outcome) == (25, 150, 150, 1100, 1100, 1100)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"team_ids": None, "start": dt.date(2026, 2, 10)},
        {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 3, 31)},  # whole months
        {"end": dt.date(2026, 2, 9)},  # nobody
    ],
)
def test_rollups_give_what_the_answers_give(world, filters):
    survey, _, _ = _driver_survey(world)
    assert pairs.current(survey_id=survey.id)
    assert driver_impact(survey=survey, **filters) == _raw(survey, **filters)


def test_rollup_path_reads_no_answers(world):
    survey, _, _ = _driver_survey(world)
    with CaptureQueriesContext(connection) as queries:
        driver_impact(survey=survey)
    assert not [q for q in queries if "responses_answer" in q["sql"]]


def _mixed_survey(world):
    """An outcome (Likert), two drivers, answers over two teams, two months and partial pairs
    (some respondents skip the outcome or a driver)."""
    survey = SurveyFactory(organization=world.org)
    outcome = QuestionFactory(survey=survey, type="likert", is_outcome=True)
    a = QuestionFactory(survey=survey, type="likert", driver="growth")
    b = QuestionFactory(survey=survey, type="likert", driver="tools")
    other = QuestionFactory(survey=survey, type="nps")
    answered = []
    for i in range(60):
        values = {a: 1 + (i * 7) % 5, other: i % 11}
        if i % 4:
            values[outcome] = 1 + (i * 3) % 5
        if i % 3:
            values[b] = 1 + (i * i) % 5
        answered.append(
            response_with_answers(
                survey=survey,
                team=world.team if i % 2 else world.other_team,
                answers=values,
                submitted_at=DAY + dt.timedelta(days=(i % 40)),
            )
        )
    return survey, outcome, (a, b), answered


def test_what_scoring_adds_is_what_a_rebuild_computes(world):
    survey, _, _, answered = _mixed_survey(world)
    scoring.survey_rebuild(survey_id=survey.id)  # names the outcome; counts every response
    Response.objects.filter(survey=survey).update(counted=False, scored_at=None)
    for model in (QuestionRollup, QuestionRollupMonth, ResponseRollup, ResponseRollupMonth):
        model.objects.filter(survey=survey).delete()
    ids = [r.id for r in answered]
    for batch in (ids[:7], ids[7:30], ids[30:]):
        scoring.responses_score(survey_id=survey.id, ids=batch)
    added = _everything(survey)
    scoring.survey_rebuild(survey_id=survey.id)
    assert _everything(survey) == added
    assert driver_impact(survey=survey) == _raw(survey)


def test_another_outcome_is_never_read_from_stale_pairs(world, django_capture_on_commit_callbacks):
    survey, outcome, (a, b), _ = _mixed_survey(world)
    scoring.survey_rebuild(survey_id=survey.id)
    before = driver_impact(survey=survey)
    assert before["outcome"]["question"] == outcome.id
    # The author makes B the outcome: until the rebuild, the pairs (against the old outcome)
    # are not used, and the figures are the answers' own.
    question_update(question=outcome, is_outcome=False)
    question_update(question=b, is_outcome=True)
    assert not pairs.current(survey_id=survey.id)
    assert pairs.stale_surveys() == [survey.id]
    now = driver_impact(survey=survey)
    assert now["outcome"]["question"] == b.id
    assert now == _raw(survey)
    # The commit queues the survey's rebuild (eager here): pairs against B from then on.
    with django_capture_on_commit_callbacks(execute=True):
        question_update(question=a, text="Growth, reworded")
    assert not pairs.current(survey_id=survey.id)  # a wording change queues nothing...
    with django_capture_on_commit_callbacks(execute=True):
        question_update(question=b, text="Tools, reworded")  # ...a write to the outcome does
    assert pairs.current(survey_id=survey.id)
    assert PairOutcome.objects.get(survey=survey).question_id == b.id
    after = driver_impact(survey=survey)
    assert after == _raw(survey)
    assert [row["impact"] for row in after["drivers"]] == [row["impact"] for row in now["drivers"]]


def test_the_reconcile_rebuilds_surveys_whose_pairs_are_stale(world):
    survey, outcome, _, _ = _mixed_survey(world)  # never rebuilt: no pairs at all
    plain = SurveyFactory(organization=world.org)  # no outcome: nothing to rebuild
    QuestionFactory(survey=plain, type="nps")
    assert pairs.stale_surveys() == [survey.id]
    assert driver_impact(survey=survey) == _raw(survey)
    assert scoring.pairs_reconcile() == [survey.id]
    assert pairs.stale_surveys() == []
    assert PairOutcome.objects.get(survey=survey).question_id == outcome.id
    assert _pair_sums(survey, outcome)[0] == 45  # 60 respondents, a quarter skip the outcome
    assert scoring.pairs_reconcile() == []


def test_a_new_outcome_empties_the_pairs_of_purged_days(world):
    survey, outcome, (a, b), answered = _mixed_survey(world)
    scoring.survey_rebuild(survey_id=survey.id)
    watermark = DAY + dt.timedelta(days=20)
    Organization.objects.filter(pk=world.org.pk).update(purged_before=watermark)
    Response.objects.filter(survey=survey, submitted_at__lt=watermark).delete()
    kept = QuestionRollup.objects.filter(survey=survey, day__lt=watermark.date())
    assert sum(kept.values_list("pair_n", flat=True)) > 0
    question_update(question=outcome, is_outcome=False)
    question_update(question=a, is_outcome=True)
    scoring.survey_rebuild(survey_id=survey.id)
    # Purged days keep their counts but have no answers to pair with the new outcome.
    assert sum(kept.values_list("n", flat=True)) > 0
    assert set(kept.values_list("pair_n", "pair_xy")) == {(0, 0)}
    assert driver_impact(survey=survey) == _raw(survey)
    assert driver_impact(survey=survey)["outcome"]["question"] == a.id


def test_a_deleted_outcome_leaves_no_outcome(world):
    survey, outcome, _, _ = _mixed_survey(world)
    scoring.survey_rebuild(survey_id=survey.id)
    outcome.delete()
    assert PairOutcome.objects.get(survey=survey).question_id is None
    assert pairs.current(survey_id=survey.id)
    assert driver_impact(survey=survey)["status"] == "no outcome question"


def test_a_page_reads_its_respondents_and_questions_once(world):
    """shared_reads: panels asking for the same respondents or questions share one read, and
    nothing is kept after the block (the rollups change with every scored response)."""
    survey, _, _ = _driver_survey(world)
    args = {"survey": survey, "group_by": "team", "period": "all", "start": None, "end": None}
    with shared_reads():
        with CaptureQueriesContext(connection) as queries:
            first = scores._respondents(**args, narrowing={})
            assert scores._respondents(**args, narrowing={}) is first
            assert scores.scored_questions(survey=survey) is scores.scored_questions(survey=survey)
            other = scores._respondents(**args, narrowing={"team": [world.team.id]})
        assert len(queries) == 3
        assert other is not first
        assert driver_impact(survey=survey) == _raw(survey)
    assert scores._respondents(**args, narrowing={}) is not first
    assert scores._respondents(**args, narrowing={}) == first
