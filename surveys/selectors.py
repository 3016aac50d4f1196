"""Reads for organisation structure and surveys."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from surveys.models import Membership, Survey


def membership_for_user(*, user: AbstractBaseUser) -> Membership | None:
    """The user's membership. A user belongs to one organisation in practice; take the first."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_tandem_membership", False)
    if cached is not False:
        return cached
    membership = (
        Membership.objects.select_related("organization", "team")
        .filter(user=user)
        .order_by("id")
        .first()
    )
    user._tandem_membership = membership
    return membership


def surveys_for_org(*, organization_id: int) -> QuerySet[Survey]:
    return Survey.objects.filter(organization_id=organization_id)
