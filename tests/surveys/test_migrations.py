"""Data migrations of surveys, run forward and back on rows made at the latest schema."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from surveys.models import Invitation, InvitationToken
from tests.factories import InvitationFactory

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
