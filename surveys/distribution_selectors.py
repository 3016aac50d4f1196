"""Reads for distribution: participation per team, the open rounds, a person's pending invitations."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from dashboards.anonymity import threshold_for
from dashboards.selectors.participation import participation_by_group
from surveys.models import CustomerLink, Cycle, Invitation, Survey, SurveyStatus


def participation_by_team(*, survey: Survey, cycle: Cycle | None = None) -> dict:
    """Invited and answered per team for one round (the latest when none is given).

    Counts come from invitations, which say whether someone answered but never what. Teams are
    hidden by the dashboards' rule (dashboards.selectors.participation.participation_by_group): a
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


def round_has_invitations(*, survey: Survey) -> bool:
    """Whether anyone is invited to the survey's open round: a reminder has someone to go to."""
    return Invitation.objects.filter(survey=survey, cycle__closed=False).exists()


def invitations_pending_for_user(*, user) -> QuerySet[Invitation]:
    """This user's unanswered invitations to live surveys whose round is still open, by title.

    Open as the answer page judges it (responses.views): an invitation without a round is open,
    hence the OR (`cycle__closed=False` alone is an inner join and would leave it out).
    """
    return (
        Invitation.objects.filter(
            person__user=user,
            used_at__isnull=True,
            survey__status=SurveyStatus.LIVE,
        )
        .filter(Q(cycle__isnull=True) | Q(cycle__closed=False))
        .select_related("survey", "cycle")
        .order_by("survey__title", "pk")
    )


def customer_links_for_survey(*, survey: Survey) -> QuerySet[CustomerLink]:
    return survey.links.select_related("team", "location", "agent").order_by("-active", "label")
