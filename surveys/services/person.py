"""Writes for one person of the organisation chart: their details, and marking them as left."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from config.audit import AuditAction, audit_changes, audit_object
from surveys.models import Person, Team
from surveys.signals import results_changed

EMAIL_TAKEN = "Someone else in the organisation already has this email address."
TEAM_ELSEWHERE = "Choose one of the organisation's teams."


def person_update(
    *,
    person: Person,
    name: str,
    email: str,
    team: Team | None,
    user: AbstractBaseUser | None,
    request=None,
) -> Person:
    """Change a person's name, email and team; the change is recorded in the audit log as
    before → after (saving the same values again records nothing). An email another person of
    the organisation has (any case), or another organisation's team, is refused and nothing is
    saved."""
    name, email = name.strip(), email.strip().lower()
    errors = {}
    taken = Person.objects.filter(organization_id=person.organization_id, email__iexact=email)
    if taken.exclude(pk=person.pk).exists():
        errors["email"] = EMAIL_TAKEN
    if team is not None and team.organization_id != person.organization_id:
        errors["team"] = TEAM_ELSEWHERE
    if not name:
        errors["name"] = "Give the person's name."
    if errors:
        raise ValidationError(errors)
    before = _person_details(person)
    person.name, person.email, person.team = name, email, team
    detail = audit_changes(before, _person_details(person))
    if not detail:
        return person
    try:
        with transaction.atomic():
            person.save(update_fields=["name", "email", "team"])
            action = AuditAction.PERSON_EDIT
            audit_object(obj=person, action=action, user=user, detail=detail, request=request)
    except IntegrityError:  # another request gave the email to someone between check and save
        raise ValidationError({"email": EMAIL_TAKEN}) from None
    return person


def person_active_set(
    *, person: Person, active: bool, user: AbstractBaseUser | None, request=None
) -> bool:
    """Mark the person as left (`active` False: no send invites them, no reminder reaches them)
    or back. Recorded in the audit log; returns False when they already were so."""
    # Compare-and-set: two admins clicking at once record one change.
    changed = Person.objects.filter(pk=person.pk, is_active=not active).update(is_active=active)
    person.is_active = active
    if changed:
        results_changed(organization_id=person.organization_id)  # update() sends no signal
        action = AuditAction.PERSON_BACK if active else AuditAction.PERSON_LEFT
        detail = {"is_active": {"from": not active, "to": active}}
        audit_object(obj=person, action=action, user=user, detail=detail, request=request)
    return bool(changed)


def _person_details(person: Person) -> dict:
    return {
        "name": person.name,
        "email": person.email,
        "team": person.team.name if person.team else None,
    }
