"""Who may do what. One place, used by views and the API alike.

- HR admins author EX surveys and see EX results (all teams).
- CX managers author CX surveys and see CX results (all teams), and own CX alerts.
- Team leads see results for their own team only (above the anonymity threshold).
- Staff answer surveys.
- HR admins and CX managers both see the EX->CX link.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from surveys.models import Membership, Role, SurveyKind
from surveys.selectors import membership_for_user

AUTHOR_ROLE_FOR_KIND = {SurveyKind.EX: Role.HR_ADMIN, SurveyKind.CX: Role.CX_MANAGER}
RESULT_ROLES = {Role.HR_ADMIN, Role.CX_MANAGER, Role.TEAM_LEAD}


def can_author(membership: Membership | None, kind: str | None = None) -> bool:
    if membership is None:
        return False
    if kind is None:
        return membership.role in AUTHOR_ROLE_FOR_KIND.values()
    return membership.role == AUTHOR_ROLE_FOR_KIND.get(kind)


def authorable_kinds(membership: Membership | None) -> list[str]:
    return [kind for kind in SurveyKind.values if can_author(membership, kind)]


def can_view_results(membership: Membership | None, kind: str | None = None) -> bool:
    """Team leads see both kinds for their own team; the others see their own kind."""
    if membership is None:
        return False
    if membership.role == Role.TEAM_LEAD:
        return membership.team_id is not None
    if kind is None:
        return membership.role in (Role.HR_ADMIN, Role.CX_MANAGER)
    return can_author(membership, kind)


def can_view_link(membership: Membership | None) -> bool:
    return membership is not None and membership.role in (Role.HR_ADMIN, Role.CX_MANAGER)


def team_scope(membership: Membership) -> int | None:
    """The only team a user may see results for, or None for the whole organisation."""
    return membership.team_id if membership.role == Role.TEAM_LEAD else None


def membership_required(*roles: str):
    """View decorator: signed in (else login redirect), member of an organisation with one of
    `roles` (any role when none are given), else 403. Sets `request.membership`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_for_user(user=request.user)
            if membership is None or (roles and membership.role not in roles):
                raise PermissionDenied("Your role does not give access to this page.")
            request.membership = membership
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
