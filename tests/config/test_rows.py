"""config.rows and the lookups written with it: the same instances the ORM would give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Model
from django.utils import timezone
from rest_framework.authtoken.models import Token

from config import rows
from config.authentication import membership_and_rows_for_token, membership_for_token
from surveys.models import Survey, Team
from surveys.selectors import membership_for_user
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db


def _fields(obj: Model) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_in_organization_gives_what_the_orm_gives_json_and_dates_included(world):
    survey = SurveyFactory(
        organization=world.org,
        translations={"fr": {"title": "Enquête <b>"}},
        published_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
    )
    found = rows.in_organization(Survey, survey.pk, world.org.pk)
    assert _fields(found) == _fields(Survey.objects.get(pk=survey.pk))
    assert found.translations["fr"]["title"] == "Enquête <b>"
    assert not found._state.adding  # saved instance: save() updates, never inserts


def test_in_organization_is_none_elsewhere_and_for_impossible_ids(world):
    team = world.team
    assert rows.in_organization(Team, team.pk, world.outsider.organization_id) is None
    for pk in (0, -1, 2**63, 2**70, True, "1", None):
        assert rows.in_organization(Team, pk, world.org.pk) is None


def test_token_lookup_sets_organization_user_and_team_without_more_queries(
    world, django_assert_num_queries
):
    key = Token.objects.create(user=world.team_lead.user).key
    with django_assert_num_queries(1):
        membership = membership_for_token(key)
        assert membership.organization.name == world.org.name
        assert membership.team.name == world.team.name
        assert membership.user.username == world.team_lead.user.username
    assert _fields(membership) == _fields(world.team_lead)


def test_token_lookup_without_team_inactive_user_or_unknown_key(world):
    key = Token.objects.create(user=world.hr_admin.user).key
    assert membership_for_token(key).team is None
    world.hr_admin.user.is_active = False
    world.hr_admin.user.save()
    assert membership_for_token(key) is None
    assert membership_for_token("0" * 40) is None


def test_token_lookup_with_rows_of_the_members_organisation_only(world, django_assert_num_queries):
    key = Token.objects.create(user=world.cx_manager.user).key
    survey = SurveyFactory(organization=world.org)
    elsewhere = SurveyFactory(organization=world.outsider.organization)
    with django_assert_num_queries(1):
        membership, (found, team, other) = membership_and_rows_for_token(
            key, ((Survey, survey.pk), (Team, world.team.pk), (Survey, elsewhere.pk))
        )
        assert membership_for_user(user=membership.user) is membership  # no second read
    assert _fields(membership) == _fields(world.cx_manager)
    assert _fields(found) == _fields(Survey.objects.get(pk=survey.pk))
    assert _fields(team) == _fields(Team.objects.get(pk=world.team.pk))
    assert other is None  # another organisation's survey is not found
    for pk in (0, 2**70, None, "1"):
        assert membership_and_rows_for_token(key, ((Team, pk),))[1] == [None]
    assert membership_and_rows_for_token("0" * 40, ((Team, world.team.pk),)) == (None, [None])


def test_insert_stores_what_save_would_json_ip_and_creation_time_included(world):
    from surveys.models import AuditLog

    before = timezone.now()
    entry = rows.insert(
        AuditLog(
            organization=world.org,
            user=world.hr_admin.user,
            actor="hr",
            action="api.post",
            detail={"path": "/api/v1/x", "note": "élan <b>"},
            ip="2001:db8::1",
        )
    )
    assert entry.pk and not entry._state.adding
    stored = AuditLog.objects.get(pk=entry.pk)
    assert _fields(stored) == _fields(entry)
    assert stored.detail["note"] == "élan <b>" and stored.ip == "2001:db8::1"
    assert stored.created_at >= before
