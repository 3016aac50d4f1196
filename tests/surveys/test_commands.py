from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from surveys.models import Membership, Organization, Person, Role, Team

pytestmark = pytest.mark.django_db


def _add(**options):
    args = []
    for key, value in options.items():
        args += [f"--{key}", value]
    call_command("add_member", *args)


def test_add_member_creates_org_team_user_membership_and_person():
    _add(
        org="Nova",
        email="Lea@Nova.example",
        password="s3cret-pass",
        role="team_lead",
        team="Support",
    )
    org = Organization.objects.get(name="Nova")
    user = get_user_model().objects.get(username="lea@nova.example")
    membership = Membership.objects.get(user=user)
    assert membership.organization == org and membership.role == Role.TEAM_LEAD
    assert membership.team == Team.objects.get(organization=org, name="Support")
    person = Person.objects.get(organization=org, email="lea@nova.example")
    assert person.user == user and person.team == membership.team and person.is_lead
    assert authenticate(username="lea@nova.example", password="s3cret-pass") == user


def test_add_member_is_idempotent_and_updates_password_and_role():
    _add(org="Nova", email="sam@nova.example", password="first-pass", role="staff")
    _add(org="Nova", email="sam@nova.example", password="second-pass", role="hr_admin")
    assert get_user_model().objects.filter(username="sam@nova.example").count() == 1
    assert Organization.objects.filter(name="Nova").count() == 1
    assert Person.objects.filter(email="sam@nova.example").count() == 1
    membership = Membership.objects.get(user__username="sam@nova.example")
    assert membership.role == Role.HR_ADMIN
    assert authenticate(username="sam@nova.example", password="second-pass") is not None
    assert authenticate(username="sam@nova.example", password="first-pass") is None


def test_add_member_rejects_an_unknown_role():
    with pytest.raises(CommandError, match="Role must be one of: hr_admin, cx_manager"):
        _add(org="Nova", email="x@nova.example", password="pw-123456", role="boss")
    assert not Organization.objects.exists()


def test_add_member_rejects_a_bad_email():
    with pytest.raises(CommandError, match="not a valid email"):
        _add(org="Nova", email="nobody", password="pw-123456", role="staff")
