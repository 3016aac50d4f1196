"""A survey's revision follows every write to its questions and rounds, and the submission
path's per-process cache of questions and rounds (responses.selectors) follows the revision."""

from __future__ import annotations

import datetime as dt

import pytest

from responses.selectors import survey_cycle_id_at, survey_questions
from surveys.models import Survey
from surveys.services import question_add, question_move, question_remove, question_update
from tests.factories import CycleFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def _stored(survey) -> int:
    return Survey.objects.values_list("revision", flat=True).get(pk=survey.pk)


def test_every_question_write_bumps_the_revision_in_the_database_and_on_the_instance(world):
    survey = SurveyFactory(organization=world.org)
    revisions = [survey.revision]
    first = question_add(survey=survey, type="nps", text="Recommend us?")
    second = question_add(survey=survey, type="text", text="Why?")
    revisions.append(_stored(survey))
    question_update(question=second, text="Tell us why")
    revisions.append(_stored(survey))
    question_move(question=second, direction="up")
    revisions.append(_stored(survey))
    question_remove(question=first)
    revisions.append(_stored(survey))
    assert revisions == sorted(set(revisions))  # strictly increasing
    held = Survey.objects.get(pk=survey.pk)
    QuestionFactory(survey=held)
    assert held.revision == _stored(held)  # the instance the writer held follows


def test_round_writes_bump_the_revision(world):
    survey = SurveyFactory(organization=world.org)
    before = _stored(survey)
    CycleFactory(survey=survey)
    assert _stored(survey) > before


def test_the_cached_questions_follow_the_revision(world):
    survey = SurveyFactory(organization=world.org)
    nps = QuestionFactory(survey=survey, type="nps", order=1)
    assert [q.id for q in survey_questions(survey=survey)] == [nps.id]
    assert survey_questions(survey=survey) is survey_questions(survey=survey)  # one read

    comment = QuestionFactory(survey=survey, type="text", order=2)
    fresh = Survey.objects.get(pk=survey.pk)  # as the next request reads it
    assert [q.id for q in survey_questions(survey=fresh)] == [nps.id, comment.id]


def test_the_round_at_a_moment_is_the_latest_opened_by_then(world):
    survey = SurveyFactory(organization=world.org)
    assert survey_cycle_id_at(survey=survey, moment=T0) is None
    first = CycleFactory(survey=survey, number=1, opens_at=T0, closed=True)
    second = CycleFactory(survey=survey, number=2, opens_at=T0 + dt.timedelta(days=30))
    survey = Survey.objects.get(pk=survey.pk)
    assert survey_cycle_id_at(survey=survey, moment=T0 - dt.timedelta(seconds=1)) is None
    assert survey_cycle_id_at(survey=survey, moment=T0 + dt.timedelta(days=1)) == first.id
    assert survey_cycle_id_at(survey=survey, moment=T0 + dt.timedelta(days=31)) == second.id


def test_a_new_survey_on_a_reused_id_does_not_get_the_old_ones_questions(world):
    """SQLite hands a deleted row's id to the next row, and that survey's revision can match the
    old one's: the cache must still not confuse the two."""
    old = SurveyFactory(organization=world.org)
    QuestionFactory(survey=old, type="nps")
    old = Survey.objects.get(pk=old.pk)
    assert len(survey_questions(survey=old)) == 1
    old_pk, old_revision = old.pk, old.revision
    old.delete()
    SurveyFactory(pk=old_pk, organization=world.org)
    Survey.objects.filter(pk=old_pk).update(revision=old_revision)
    reused = Survey.objects.get(pk=old_pk)
    assert survey_questions(survey=reused) == []  # read afresh: the old questions are gone
