"""config.sessions (Django's database sessions and the signed-in user read by hand-written SQL) and
surveys.selectors.membership_for_user (the member read the same way): same answers as the ORM."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from config.sessions import SessionStore, UserBackend
from surveys.models import Role
from surveys.selectors import membership_for_user
from tests.factories import MembershipFactory, OrganizationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_saved_session_loads():
    store = SessionStore()
    store["answer"] = 42
    store.save()
    again = SessionStore(session_key=store.session_key)
    assert again["answer"] == 42
    assert again.session_key == store.session_key


def test_an_expired_session_is_a_new_empty_one():
    store = SessionStore()
    store["answer"] = 42
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    again = SessionStore(session_key=store.session_key)
    assert again.get("answer") is None
    assert again.session_key is None  # a new key is made when it is saved


def test_an_unknown_key_is_a_new_empty_session():
    again = SessionStore(session_key="x" * 32)
    assert dict(again.items()) == {}
    assert again.session_key is None


def test_sign_in_and_out_through_the_pages(world):
    world.hr_admin.user.set_password("pass-12345-word")
    world.hr_admin.user.save()
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"username": world.hr_admin.user.username, "password": "pass-12345-word"},
    )
    assert response.status_code == 302
    assert client.get("/dashboards/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/dashboards/").status_code == 302  # to the sign-in page


def test_membership_with_organisation_and_team():
    team = TeamFactory()
    member = MembershipFactory(organization=team.organization, team=team, role=Role.TEAM_LEAD)
    user = type(member.user).objects.get(pk=member.user_id)  # nothing cached on it
    found = membership_for_user(user=user)
    assert (found.pk, found.role) == (member.pk, Role.TEAM_LEAD)
    assert found.organization == team.organization and found.team == team
    assert membership_for_user(user=user) is found  # kept on the user for the request


def test_membership_without_team_and_the_first_of_several():
    user = UserFactory()
    first = MembershipFactory(user=user, organization=OrganizationFactory())
    MembershipFactory(user=user, organization=OrganizationFactory())
    found = membership_for_user(user=type(user).objects.get(pk=user.pk))
    assert found.pk == first.pk and found.team is None
    assert found.organization.name == first.organization.name


def test_no_membership():
    assert membership_for_user(user=UserFactory()) is None


# --- config.sessions.UserBackend: the signed-in user read by hand-written SQL -----------------


def test_the_signed_in_user_is_read_with_one_query_and_equals_the_orms(django_assert_num_queries):
    user = UserFactory(first_name="Ada")
    found = UserBackend().get_user(user.pk)
    assert found == user and found.first_name == "Ada" and found.password == user.password
    with django_assert_num_queries(1):
        UserBackend().get_user(user.pk)


@pytest.mark.parametrize("user_id", [0, -1, 2**63, "3", None, True])
def test_no_user_for_an_impossible_or_unknown_id(user_id, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert UserBackend().get_user(user_id) is None
    assert UserBackend().get_user(10**9) is None


def test_a_deactivated_user_is_signed_out_on_the_next_request(world):
    client = Client()
    client.force_login(world.hr_admin.user)
    assert client.get("/dashboards/").status_code == 200
    type(world.hr_admin.user).objects.filter(pk=world.hr_admin.user_id).update(is_active=False)
    assert client.get("/dashboards/").status_code == 302  # to the sign-in page


def _migration():
    return importlib.import_module("surveys.migrations.0009_sessions_user_backend")


def _session_with_backend(user, backend: str) -> str:
    store = SessionStore()
    store.update({"_auth_user_id": str(user.pk), "_auth_user_backend": backend})
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.save()
    return store.session_key


def test_sessions_signed_in_before_the_backend_stay_signed_in_after_the_migration(world):
    migration = _migration()
    key = _session_with_backend(world.hr_admin.user, migration.OLD)
    other = SessionStore()
    other["answer"] = 42
    other.save()
    client = Client()
    client.cookies["sessionid"] = key
    assert client.get("/dashboards/").status_code == 302  # Django no longer knows the old path

    key = _session_with_backend(world.hr_admin.user, migration.OLD)
    migration._rename(migration.OLD, migration.NEW)(django_apps, None)
    client = Client()
    client.cookies["sessionid"] = key
    assert client.get("/dashboards/").status_code == 200
    assert SessionStore(session_key=key)["_auth_user_backend"] == migration.NEW
    assert dict(SessionStore(session_key=other.session_key).items()) == {"answer": 42}

    migration._rename(migration.NEW, migration.OLD)(django_apps, None)  # and back
    assert SessionStore(session_key=key)["_auth_user_backend"] == migration.OLD
