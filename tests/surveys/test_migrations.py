"""Data migrations of surveys, run forward and back on rows made at the latest schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from surveys.models import Cycle, Invitation, InvitationToken, PulseSchedule, SurveyKind
from tests.factories import CycleFactory, InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("surveys", "0009_sessions_user_backend")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_earlier_tokens_move_between_the_column_and_their_table():
    reminded, reminded_twice, never = (InvitationFactory() for _ in range(3))
    InvitationToken.objects.create(invitation=reminded, token_hash="a" * 64)
    InvitationToken.objects.create(invitation=reminded_twice, token_hash="b" * 64)
    InvitationToken.objects.create(invitation=reminded_twice, token_hash="c" * 64)
    try:
        # Back: one column keeps the most recently replaced token of each invitation.
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps.get_model("surveys", "Invitation")
        kept = dict(old.objects.values_list("pk", "previous_token_hash"))
        assert kept == {reminded.pk: "a" * 64, reminded_twice.pk: "c" * 64, never.pk: ""}
        old.objects.filter(pk=never.pk).update(previous_token_hash="d" * 64)
    finally:
        _migrate(_latest())
    # Forward: every kept token is a row of its own, and the latest tokens are untouched.
    moved = set(InvitationToken.objects.values_list("invitation_id", "token_hash"))
    assert moved == {(reminded.pk, "a" * 64), (reminded_twice.pk, "c" * 64), (never.pk, "d" * 64)}
    assert Invitation.objects.get(pk=never.pk).token_hash == never.token_hash


def test_the_open_rounds_a_pulse_opened_are_marked_as_its_own():
    later = timezone.now() + dt.timedelta(days=7)
    pulsed, by_hand, one_off = (SurveyFactory(kind=SurveyKind.EX) for _ in range(3))
    for survey in (pulsed, by_hand):
        PulseSchedule.objects.create(survey=survey, frequency="weekly", starts_on=later.date())
    CycleFactory(survey=pulsed, number=1, closed=True, closes_at=timezone.now())
    pulse_round = CycleFactory(survey=pulsed, number=2, closes_at=later)
    hand_round = CycleFactory(survey=by_hand, number=1)  # sent by hand: no planned close
    demo_round = CycleFactory(survey=one_off, number=1, closes_at=later)  # no pulse
    try:
        _migrate([("surveys", "0011_remove_invitation_previous_token_hash")])
    finally:
        _migrate(_latest())
    assert set(Cycle.objects.filter(pulse=True).values_list("pk", flat=True)) == {pulse_round.pk}
    assert {hand_round.pk, demo_round.pk} <= set(Cycle.objects.values_list("pk", flat=True))
