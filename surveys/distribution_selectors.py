"""Reads for distribution: participation per team, the open rounds, a person's pending surveys."""

from __future__ import annotations

from django.db.models import QuerySet

from dashboards.anonymity import threshold_for
from dashboards.selectors.scores import participation_by_group
from surveys.models import CustomerLink, Cycle, Survey, SurveyStatus


def participation_by_team(*, survey: Survey, cycle: Cycle | None = None) -> dict:
    """Invited and answered per team for one round (the latest when none is given).

    Counts come from invitations, which say whether someone answered but never what. Teams are
    hidden by the dashboards' rule (dashboards.selectors.scores.participation_by_group): a
    team with fewer respondents than the anonymity threshold shows no answered count or rate,
    and siblings are hidden with it when needed so the total cannot be used to work it out.
    The same teams are hidden here as on the EX dashboard, so neither can fill in the other.
    """
    if cycle is None:
        cycle = Cycle.objects.filter(survey=survey).order_by("-number").first()
    cycle_id = cycle.pk if cycle else 0  # no round yet: nothing was sent
    rows = participation_by_group(survey=survey, group_by="team", cycle_id=cycle_id)
    (total,) = participation_by_group(survey=survey, group_by="none", cycle_id=cycle_id) or [
        {"invited": 0, "responses": None, "rate": None, "suppressed": True}
    ]
    return {
        "survey": survey.pk,
        "cycle": cycle.number if cycle else None,
        "threshold": threshold_for(survey.organization),
        "teams": [
            {
                "team": row["group"],
                "invited": row["invited"],
                "answered": row["responses"],
                "rate": row["rate"],
                "suppressed": row["suppressed"],
            }
            for row in sorted(rows, key=lambda row: row["group"]["name"])
        ],
        "total": {
            "invited": total["invited"],
            "answered": total["responses"],
            "rate": total["rate"],
            "suppressed": total["suppressed"],
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
