"""Participation: invitations sent and used, per group and round, hidden by the figures' rules.

Counts come from invitations, which say whether someone answered but never what. A team with
fewer respondents than the threshold shows no answered count or rate, and the rules of the scores
(dashboards.selectors.scores) apply to it for the same reasons: teams within their departments, a
location adds up the teams shown there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, F

from dashboards import metrics
from dashboards.anonymity import threshold_for
from dashboards.selectors.scores import _group, _narrowing, _suppress_siblings, _team_hidden
from surveys.models import Invitation, Survey


def participation_by_group(
    *,
    survey: Survey,
    group_by: str = "team",
    by_cycle: bool = True,
    team_ids: Iterable[int] | None = None,
    department_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    cycle_id: int | None = None,
) -> list[dict]:
    """Invitations and responses (used invitations) per group (and cycle), with the rate; only
    the round `cycle_id` when given. Rows ordered by cycle, then group name.

    Groups follow the invitation's team (its department, its location). Hidden by responses,
    by the figures' rules, for the same reasons (the one rule of every page, export and API call
    that shows participation): teams within their departments (_team_hidden), departments among
    themselves; a location (and any view within one) adds up the teams shown there only, so it
    never gives a hidden team by subtraction (as _location_cells); a department or total within
    chosen teams is hidden when one of them is; a total narrowed to part of the organisation is
    hidden when the rest holds 1..threshold-1 responses.
    """
    threshold = threshold_for(survey.organization)
    teams = _participation_teams(survey=survey, by_cycle=by_cycle, cycle_id=cycle_id)
    departments = _summed(teams, "department")
    hidden_teams = _team_hidden(
        {(row["cycle"], row["team"]): row["responses"] for row in teams},
        departments,
        department_of={row["team"]: row["department"] for row in teams},
        threshold=threshold,
    )
    narrowing = _narrowing(team_ids, department_ids, location_ids)
    chosen = [row for row in teams if all(row[dim] in ids for dim, ids in narrowing.items())]
    by_location = group_by == "location" or "location" in narrowing
    cells: dict[tuple, dict] = {}
    for row in chosen:
        key = (row["cycle"], row[group_by] if group_by != "none" else None)
        cell = cells.setdefault(
            key,
            {
                "row": row,
                "invited": 0,
                "responses": 0,
                "shown_invited": 0,
                "shown_responses": 0,
                "hidden_team": False,
            },
        )
        cell["invited"] += row["invited"]
        cell["responses"] += row["responses"]
        if (row["cycle"], row["team"]) in hidden_teams:
            cell["hidden_team"] = True
        else:
            cell["shown_invited"] += row["invited"]
            cell["shown_responses"] += row["responses"]
    hidden = (
        set()
        if by_location
        else _participation_hidden(
            cells,
            group_by=group_by,
            narrowing=narrowing,
            hidden_teams=hidden_teams,
            totals=_summed(teams, "none"),
            departments=departments,
            threshold=threshold,
        )
    )
    result = []
    for key, cell in cells.items():
        first = cell["row"]
        suppressed = key in hidden or (by_location and not cell["shown_invited"])
        invited, responses = (
            (cell["shown_invited"], cell["shown_responses"])
            if by_location and not suppressed
            else (cell["invited"], cell["responses"])
        )
        result.append(
            {
                "group": _group(group_by, key[1], first.get(f"{group_by}_name")),
                "cycle": {"id": first["cycle"], "number": first["cycle_number"]}
                if first["cycle"]
                else None,
                "invited": invited,
                "responses": None if suppressed else responses,
                "rate": None
                if suppressed
                else metrics.participation(responses=responses, invited=invited),
                "suppressed": suppressed,
            }
        )
    return sorted(result, key=_participation_order)


def _participation_teams(*, survey: Survey, by_cycle: bool, cycle_id: int | None) -> list[dict]:
    """Invited and responses per team (and cycle), with the team's department and location."""
    queryset = Invitation.objects.filter(survey=survey)
    if cycle_id is not None:
        queryset = queryset.filter(cycle_id=cycle_id)
    keys = {
        "t_id": F("team_id"),
        "t_name": F("team__name"),
        "d_id": F("team__department_id"),
        "d_name": F("team__department__name"),
        "l_id": F("team__location_id"),
        "l_name": F("team__location__name"),
    }
    if by_cycle:
        keys.update(c_id=F("cycle_id"), c_number=F("cycle__number"))
    rows = queryset.values(**keys).annotate(invited=Count("id"), responses=Count("used_at"))
    return [
        {
            "team": row["t_id"],
            "team_name": row["t_name"],
            "department": row["d_id"],
            "department_name": row["d_name"],
            "location": row["l_id"],
            "location_name": row["l_name"],
            "cycle": row.get("c_id"),
            "cycle_number": row.get("c_number"),
            "invited": row["invited"],
            "responses": row["responses"],
        }
        for row in rows.order_by()
    ]


def _summed(teams: list[dict], group_by: str) -> dict[tuple, int]:
    """Responses per (cycle, group) ("none": the whole organisation's)."""
    sums: dict[tuple, int] = defaultdict(int)
    for row in teams:
        sums[row["cycle"], row[group_by] if group_by != "none" else None] += row["responses"]
    return sums


def _participation_hidden(
    cells, *, group_by, narrowing, hidden_teams, totals, departments, threshold
) -> set[tuple]:
    """The participation cells to hide (participation_by_group's rules; a view by or within
    locations needs none: it adds up shown teams only)."""
    if group_by == "team":
        return set(cells) & hidden_teams
    if group_by == "department":
        hidden = _suppress_siblings(departments, threshold=threshold)
    elif group_by == "none" and "department" in narrowing and "team" not in narrowing:
        ids = narrowing["department"]
        hidden = {
            (cycle, None)
            for cycle, department in _suppress_siblings(departments, threshold=threshold)
            if department in ids
        }
    else:
        hidden = {key for key, cell in cells.items() if 0 < cell["responses"] < threshold}
    if "team" in narrowing:  # within chosen teams: hidden when one of them is
        hidden |= {key for key, cell in cells.items() if cell["hidden_team"]}
    if group_by == "none" and narrowing:  # the rest of the organisation could be subtracted
        hidden |= {
            key
            for key, cell in cells.items()
            if 0 < totals[key[0], None] - cell["responses"] < threshold
        }
    return hidden


def _participation_order(row: dict) -> tuple:
    group = row["group"] or {}
    return (row["cycle"]["number"] if row["cycle"] else 0, str(group.get("name") or ""))
