"""The anonymity threshold and members' roles: changed through their services (the Django admin,
the add_member command), each change recorded in the organisation's audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from surveys.models import AuditLog, Membership, Organization, Role
from surveys.services import anonymity_threshold_set, member_remove, member_save
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    """A superuser signed in to the Django admin."""
    user = get_user_model().objects.create_superuser("root", "root@example.com", "x-Long-pass-1")
    client.force_login(user)
    return user


# --- Anonymity threshold --------------------------------------------------------------------


def test_a_threshold_change_is_recorded_once(world):
    anonymity_threshold_set(organization=world.org, threshold=7, user=world.hr_admin.user)
    anonymity_threshold_set(organization=world.org, threshold=7, user=world.hr_admin.user)
    [entry] = AuditLog.objects.all()
    assert (entry.user, entry.action, entry.organization) == (
        world.hr_admin.user,
        "threshold.change",
        world.org,
    )
    assert (entry.object_type, entry.object_id) == ("surveys.organization", str(world.org.pk))
    assert entry.detail == {"from": 5, "to": 7}
    assert Organization.objects.get(pk=world.org.pk).anonymity_threshold == 7


def test_a_threshold_below_three_is_refused(world):
    with pytest.raises(ValidationError):
        anonymity_threshold_set(organization=world.org, threshold=2, user=world.hr_admin.user)
    assert Organization.objects.get(pk=world.org.pk).anonymity_threshold == 5
    assert not AuditLog.objects.exists()


def organization_form(org, **changes) -> dict:
    data = {"name": org.name, "anonymity_threshold": org.anonymity_threshold}
    data["retention_months"] = org.retention_months or ""
    return {**data, **changes}


def test_the_admin_records_threshold_and_retention_changes(world, client, root):
    url = reverse("admin:surveys_organization_change", args=[world.org.pk])
    response = client.post(url, organization_form(world.org, anonymity_threshold=8))
    assert response.status_code == 302
    client.post(url, organization_form(world.org, anonymity_threshold=8, retention_months=12))
    client.post(url, organization_form(world.org, anonymity_threshold=8, retention_months=12))
    threshold, retention = AuditLog.objects.order_by("id")
    assert (threshold.user, threshold.action, threshold.organization) == (
        root,
        "threshold.change",
        world.org,
    )
    assert threshold.detail == {"from": 5, "to": 8}
    assert (retention.user, retention.action, retention.detail) == (
        root,
        "retention.change",
        {"from": None, "to": 12},
    )
    world.org.refresh_from_db()
    assert (world.org.anonymity_threshold, world.org.retention_months) == (8, 12)


# --- Members' roles -------------------------------------------------------------------------


def test_a_new_member_a_role_change_and_a_removal_are_each_one_entry(world):
    user = UserFactory()
    membership = Membership(user=user, organization=world.org, role=Role.STAFF)
    admin = world.hr_admin.user
    member_save(membership=membership, user=admin)
    member_save(membership=membership, user=admin)  # nothing changed
    membership.role = Role.CX_MANAGER
    member_save(membership=membership, user=admin)
    membership_id = membership.pk
    member_remove(membership=membership, user=admin)
    added, changed, removed = AuditLog.objects.order_by("id")
    assert [e.action for e in (added, changed, removed)] == [
        "member.add",
        "member.change",
        "member.remove",
    ]
    for entry in (added, changed, removed):
        assert (entry.user, entry.organization) == (admin, world.org)
        assert (entry.object_type, entry.object_id) == ("surveys.membership", str(membership_id))
    assert added.detail == {"user": user.pk, "role": "staff", "team": None}
    assert changed.detail == {"user": user.pk, "role": {"from": "staff", "to": "cx_manager"}}
    assert removed.detail == {"user": user.pk, "role": "cx_manager"}
    assert not Membership.objects.filter(pk=membership_id).exists()


def test_the_add_member_command_records_roles_as_the_systems(world):
    args = ["--org", world.org.name, "--email", "sam@example.com", "--role", "staff"]
    call_command("add_member", *args, "--password", "first-pass")
    call_command("add_member", *args, "--password", "second-pass")  # the password alone
    args[-1] = "hr_admin"
    call_command("add_member", *args, "--password", "second-pass")
    added, changed = AuditLog.objects.order_by("id")
    assert (added.action, added.user, added.actor) == ("member.add", None, "")
    assert (changed.action, changed.detail["role"]) == (
        "member.change",
        {"from": "staff", "to": "hr_admin"},
    )


def test_the_admin_records_role_changes_and_removals(world, client, root):
    membership = MembershipFactory(organization=world.org, role=Role.STAFF)
    url = reverse("admin:surveys_membership_change", args=[membership.pk])
    data = {"user": membership.user_id, "organization": world.org.pk, "role": "hr_admin"}
    assert client.post(url, {**data, "team": ""}).status_code == 302
    delete = reverse("admin:surveys_membership_delete", args=[membership.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    changed, removed = AuditLog.objects.order_by("id")
    assert (changed.user, changed.action, changed.detail["role"]) == (
        root,
        "member.change",
        {"from": "staff", "to": "hr_admin"},
    )
    assert (removed.user, removed.action) == (root, "member.remove")


def test_the_admin_records_each_member_a_bulk_delete_removes(world, client, root):
    members = [MembershipFactory(organization=world.org) for _ in range(2)]
    response = client.post(
        reverse("admin:surveys_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [m.pk for m in members], "post": "yes"},
    )
    assert response.status_code == 302
    assert sorted(AuditLog.objects.values_list("action", "object_id")) == [
        ("member.remove", str(m.pk)) for m in members
    ]
