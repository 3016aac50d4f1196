"""Reads for organisation structure and surveys."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from config import rows
from surveys.models import CustomerLink, Invitation, Membership, PulseSchedule, Survey


def membership_for_user(*, user: AbstractBaseUser) -> Membership | None:
    """The user's membership. A user belongs to one organisation in practice; take the first."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_tandem_membership", False)
    if cached is not False:
        return cached
    # Every signed-in page and API call asks: one hand-written query (config.rows).
    membership = rows.one_with(
        Membership, ("organization", "team"), "x.user_id = %s ORDER BY x.id", [user.pk]
    )
    user._tandem_membership = membership
    return membership


def surveys_for_org(*, organization_id: int) -> QuerySet[Survey]:
    return Survey.objects.filter(organization_id=organization_id)


def survey_of_organization(
    *, membership: Membership, pk: int, queryset: QuerySet[Survey] | None = None
) -> Survey:
    """Survey `pk` when it belongs to the member's organisation, else 404 (never 403: ids of
    another organisation's surveys are not confirmed). Role checks are the caller's: authoring,
    results and the link view each have their own."""
    if queryset is not None:
        return get_object_or_404(queryset, pk=pk, organization_id=membership.organization_id)
    # Every survey page and API call starts here: one hand-written query (config.rows).
    survey = rows.in_organization(Survey, pk, membership.organization_id)
    if survey is None:
        raise Http404("No survey matches the given query.")
    return survey


def survey_close_reach(*, survey: Survey) -> dict:
    """What closing the survey stops, for the page that asks to confirm it: its active customer
    links (and their printed QR codes), its unanswered invitations, an active pulse schedule."""
    return {
        "active_links": CustomerLink.objects.filter(survey=survey, active=True).count(),
        "pending_invitations": Invitation.objects.filter(
            survey=survey, used_at__isnull=True
        ).count(),
        "active_pulse": PulseSchedule.objects.filter(survey=survey, active=True).exists(),
    }
