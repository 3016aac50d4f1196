"""Writes for an organisation's settings and its members' roles, each recorded in the audit log.

Only the Django admin (and the `add_member` command) change these: its save and delete call here.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from config.audit import AuditAction, audit_changes, audit_object
from surveys.models import Membership, Organization

MIN_THRESHOLD = 3  # as the model's check constraint


def anonymity_threshold_set(
    *,
    organization: Organization,
    threshold: int,
    user: AbstractBaseUser | None,
    request=None,
) -> None:
    """Set the smallest group whose results are shown; a change is recorded in the audit log
    (saving the same threshold again records nothing). `organization` holds the stored value."""
    if threshold < MIN_THRESHOLD:
        raise ValidationError(f"The anonymity threshold is never below {MIN_THRESHOLD}.")
    before = organization.anonymity_threshold
    if threshold == before:
        return
    with transaction.atomic():
        organization.anonymity_threshold = threshold
        organization.save(update_fields=["anonymity_threshold"])  # its signal: results_changed
        detail = {"from": before, "to": threshold}
        action = AuditAction.THRESHOLD_CHANGE
        audit_object(obj=organization, action=action, user=user, detail=detail, request=request)


@transaction.atomic
def member_save(
    *, membership: Membership, user: AbstractBaseUser | None, request=None
) -> Membership:
    """Save a member's role and team: a new member, or a changed role or team, is recorded in
    the audit log (by the user's id: the entry keeps no name or email)."""
    stored = Membership.objects.filter(pk=membership.pk).select_related("team").first()
    before = _member_settings(stored) if stored else None
    membership.save()
    after = _member_settings(membership)
    if before is None:
        detail, action = after, AuditAction.MEMBER_ADD
    else:
        detail, action = audit_changes(before, after), AuditAction.MEMBER_CHANGE
    if detail:
        detail = {"user": membership.user_id, **detail}
        audit_object(obj=membership, action=action, user=user, detail=detail, request=request)
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, user: AbstractBaseUser | None, request=None) -> None:
    """Take the member's role away (their account stays), recorded in the audit log."""
    detail = {"user": membership.user_id, "role": membership.role}
    action = AuditAction.MEMBER_REMOVE
    audit_object(obj=membership, action=action, user=user, detail=detail, request=request)
    membership.delete()


def _member_settings(membership: Membership) -> dict:
    return {"role": membership.role, "team": membership.team.name if membership.team else None}
