"""Reads for distribution: participation per team, the open rounds, a person's pending surveys."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from dashboards.anonymity import suppressed_groups, threshold_for
from surveys.models import CustomerLink, Cycle, Invitation, Survey, SurveyStatus


def _rate(answered: int, invited: int) -> float | None:
    return round(100 * answered / invited, 1) if invited else None


def participation_by_team(*, survey: Survey, cycle: Cycle | None = None) -> dict:
    """Invited and answered per team for one round (the latest when none is given).

    Counts come from invitations, which say whether someone answered but never what. A team
    with fewer invited than the anonymity threshold shows no answered count or rate, and siblings
    are hidden with it when needed so the total cannot be used to work it out.
    """
    if cycle is None:
        cycle = Cycle.objects.filter(survey=survey).order_by("-number").first()
    threshold = threshold_for(survey.organization)
    rows = list(
        Invitation.objects.filter(survey=survey, cycle=cycle)
        .values("team_id", "team__name")
        .annotate(invited=Count("id"), answered=Count("id", filter=Q(used_at__isnull=False)))
        .order_by("team__name")
    )
    hidden = suppressed_groups({r["team_id"]: r["invited"] for r in rows}, threshold=threshold)
    teams = []
    for row in rows:
        suppressed = row["team_id"] in hidden
        teams.append(
            {
                "team": {"id": row["team_id"], "name": row["team__name"] or "No team"},
                "invited": row["invited"],
                "answered": None if suppressed else row["answered"],
                "rate": None if suppressed else _rate(row["answered"], row["invited"]),
                "suppressed": suppressed,
            }
        )
    invited = sum(r["invited"] for r in rows)
    answered = sum(r["answered"] for r in rows)
    total_hidden = invited < threshold
    return {
        "survey": survey.pk,
        "cycle": cycle.number if cycle else None,
        "threshold": threshold,
        "teams": teams,
        "total": {
            "invited": invited,
            "answered": None if total_hidden else answered,
            "rate": None if total_hidden else _rate(answered, invited),
            "suppressed": total_hidden,
        },
    }


def surveys_pending_for_user(*, user) -> QuerySet[Survey]:
    """Live EX surveys with an open invitation for this user's person record, not yet answered."""
    return (
        Survey.objects.filter(
            status=SurveyStatus.LIVE,
            invitations__person__user=user,
            invitations__used_at__isnull=True,
            invitations__cycle__closed=False,
        )
        .distinct()
        .order_by("title")
    )


def customer_links_for_survey(*, survey: Survey) -> QuerySet[CustomerLink]:
    return survey.links.select_related("team", "location", "agent").order_by("-active", "label")
