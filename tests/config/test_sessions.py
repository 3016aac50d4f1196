"""config.sessions (Django's database sessions read by hand-written SQL) and
surveys.selectors.membership_for_user (the member read the same way): same answers as the ORM."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from config.sessions import SessionStore
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
