"""Reads for distribution: participation per team, the open rounds, a person's pending invitations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dashboards.anonymity import threshold_for
from dashboards.selectors.participation import participation_by_group
from surveys.models import (
    CustomerLink,
    Cycle,
    Invitation,
    Organization,
    Person,
    Survey,
    SurveyStatus,
    Team,
)

# An email still in the queue is not "lost": only re-issue tokens of older unsent invitations.
UNSENT_GRACE = dt.timedelta(minutes=10)


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


def natural_key(text: str) -> tuple:
    """Sorts "Team 2" before "Team 10": digit runs compare as numbers, the rest without case."""
    parts = re.split(r"(\d+)", text.casefold())
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts)


def teams_with_people(*, organization: Organization) -> list[Team]:
    """The organisation's teams, each with `people_count` (its active people: who a send invites), by
    department then team name in natural order (no department last).

    One annotated query; the natural order is applied in Python because neither SQLite nor
    PostgreSQL's default collation compares the numbers inside names as numbers.
    """
    teams = (
        Team.objects.filter(organization=organization)
        .select_related("department")
        .annotate(people_count=Count("people", filter=Q(people__is_active=True)))
    )
    return sorted(
        teams,
        key=lambda team: (
            team.department is None,
            natural_key(team.department.name) if team.department else (),
            natural_key(team.name),
            team.pk,
        ),
    )


def invitees(*, survey: Survey, teams: Iterable[Team] | None) -> QuerySet[Person]:
    """Who a send invites: the active people of `teams` (None: of every team)."""
    people = Person.objects.filter(
        organization_id=survey.organization_id, is_active=True, team__isnull=False
    )
    return people if teams is None else people.filter(team__in=teams)


def invitations_lost() -> Q:
    """Invitations whose email never went out (a broker outage lost the token): a send issues
    them a new token and sends them again."""
    return Q(
        sent_at__isnull=True,
        used_at__isnull=True,
        created_at__lt=timezone.now() - UNSENT_GRACE,
    )


def send_preview(*, survey: Survey, teams: Iterable[Team] | None) -> dict:
    """What sending the survey to `teams` (None: everyone) would do, as invitations_send does it:
    the teams with their active people, how many people in all, and how many of them are
    already invited to the open round (and not sent again). Counted in the database."""
    team_ids = None if teams is None else {team.pk for team in teams}
    people = invitees(survey=survey, teams=team_ids)
    rows = [
        team
        for team in teams_with_people(organization=survey.organization)
        if (team.pk in team_ids if team_ids is not None else team.people_count)
    ]
    cycle = Cycle.objects.filter(survey=survey, closed=False).order_by("-number").first()
    invited = Invitation.objects.filter(survey=survey, cycle=cycle, person__in=people)
    already = invited.exclude(invitations_lost()).count() if cycle else 0
    total = people.count()
    return {
        "teams": rows,
        "people": total,
        "already": already,
        "to_send": total - already,
        "round": cycle.number if cycle else None,
    }
