"""The employee-experience dashboard: trends, teams × drivers heatmap, driver impact,
participation by team. Every figure comes from dashboards.selectors.scores (the scores API's
own functions), so suppression is the same as the API's."""

from __future__ import annotations

from django.utils import timezone

from dashboards.anonymity import hidden_text
from dashboards.selectors.common import Filters
from dashboards.selectors.drivers import driver_favourability, driver_impact
from dashboards.selectors.figures import (
    ORGANISATION,
    blank_reason,
    explain_blank_chart,
    present_metrics,
    scope_range,
    series,
)
from dashboards.selectors.participation import participation_by_group
from dashboards.selectors.scores import scored_questions
from dashboards.selectors.tables import HIDDEN, Table, bar_label, hidden_in
from surveys.models import Driver, QuestionType

HEAT_STEPS = (40, 50, 60, 70, 80)  # % favourable: below 40 is heat-0, 80 and above heat-5


def heat_class(favourable: float | None) -> str:
    if favourable is None:
        return "heat-na"
    return f"heat-{sum(favourable >= step for step in HEAT_STEPS)}"


EX_TREND_METRICS = [("enps", "eNPS"), ("engagement", "Engagement")]
NO_DRIVERS = "No driver-tagged agreement questions in this survey."


def heatmap_note(*, filters: Filters, rows: list[dict]) -> str:
    """Why the heatmap has no driver column: the survey tags none, every group is hidden, or
    nobody answered a driver question in the selection."""
    tagged = any(
        q["type"] == QuestionType.LIKERT and q["driver"]
        for q in scored_questions(survey=filters.survey)
    )
    if not tagged:
        return NO_DRIVERS
    if any(row["respondents"] and not row["suppressed"] for row in rows):
        return "Nobody answered the driver questions in this range."
    hidden = [row["hidden_text"] for row in rows if row["suppressed"]]
    return blank_reason(hidden=hidden, threshold=filters.threshold)


def heatmap(*, filters: Filters) -> dict:
    """Teams (rows) × drivers (columns): % favourable with n, hidden rows read "not enough";
    without a driver column, `note` says why."""
    overall = driver_favourability(survey=filters.survey, period="all", **scope_range(filters))
    teams = driver_favourability(
        survey=filters.survey, group_by="team", period="all", **scope_range(filters)
    )
    # A narrowed selection (a team lead's team) is read beside the organisation's figures.
    compared = (
        driver_favourability(survey=filters.survey, period="all", **scope_range(filters.whole()))
        if filters.narrowed
        else []
    )
    used = {driver for row in compared + overall + teams for driver in row["drivers"]}
    drivers = [(key, label) for key, label in Driver.choices if key in used]
    if filters.team_ids is not None and len(filters.team_ids) == 1:
        overall = []  # one team: its own row says it all
    whole = "Whole selection" if filters.narrowed else "All teams"
    named = [(ORGANISATION, True, row) for row in compared] + [
        (row["group"]["name"] if row["group"] else whole, False, row) for row in overall + teams
    ]
    rows = []
    for name, comparison, row in named:
        cells = [
            {
                **row["drivers"].get(key, {"favourable": None, "n": 0}),
                "css": heat_class(row["drivers"].get(key, {}).get("favourable")),
            }
            for key, _ in drivers
        ]
        rows.append(
            {
                "name": name,
                "comparison": comparison,
                "respondents": row["respondents"],
                "suppressed": row["suppressed"],
                "hidden_text": hidden_text(row) if row["suppressed"] else "",
                "cells": cells,
            }
        )
    table = Table(
        key="heatmap",
        caption="Favourability by team and driver (% favourable)",
        headers=[
            "Team",
            "Responses",
            *[h for _, label in drivers for h in (label, f"{label} n")],
        ],
    )
    for row in rows:
        if row["suppressed"]:
            hidden = [row["hidden_text"], ""] * len(drivers)
            table.rows.append([row["name"], row["respondents"], *hidden])
        else:
            table.rows.append(
                [
                    row["name"],
                    row["respondents"],
                    *[v for c in row["cells"] for v in (c["favourable"], c["n"])],
                ]
            )
    note = "" if drivers else heatmap_note(filters=filters, rows=rows)
    return {"drivers": drivers, "rows": rows, "table": table, "note": note}


def drivers_ranked(*, filters: Filters) -> dict:
    impact = driver_impact(
        survey=filters.survey,
        team_ids=filters.team_ids,
        department_ids=filters.department_ids,
        start=filters.start,
        end=filters.end,
    )
    labels = dict(Driver.choices)
    table = Table(
        key="drivers",
        caption="Drivers ranked by impact on the outcome",
        headers=["Rank", "Item", "Driver", "Impact (r)", "n", "% favourable", "Focus here"],
    )
    for rank, row in enumerate(impact["drivers"], start=1):
        table.rows.append(
            [
                rank,
                row["text"],
                labels.get(row["driver"], row["driver"]),
                row["impact"] if row["impact"] is not None else row["note"],
                row["n"],
                row["favourable"],
                "Focus here" if row["focus"] else "",
            ]
        )
    shown = [row for row in impact["drivers"] if row["impact"] is not None]
    if shown:
        table.chart = {
            "type": "bar",
            "horizontal": True,
            "labels": [row["text"] for row in shown],
            "datasets": [{"label": "Impact (r)", "data": [row["impact"] for row in shown]}],
            "min": -1,
            "max": 1,
        }
    return {"impact": impact, "table": table, "location_ignored": filters.location_ids is not None}


def participation(*, filters: Filters) -> Table:
    """Participation by team in the survey's latest round (invitations sent, used)."""
    rows = participation_by_group(
        survey=filters.survey, group_by="team", by_cycle=True, **filters.narrowing()
    )
    caption = "Participation by team (latest round)"
    if rows:
        last = rows[-1]["cycle"]["number"] if rows[-1]["cycle"] else None
        rows = [row for row in rows if (row["cycle"]["number"] if row["cycle"] else None) == last]
        cycle = filters.survey.cycles.filter(number=last).first() if last else None
        if cycle is not None:
            opened = timezone.localtime(cycle.opens_at).strftime("%-d %b %Y")
            caption = (
                f"Participation by team, round {cycle.number} (opened {opened}"
                f"{'' if cycle.closed else ', still open'}): the latest round, whatever the dates"
            )
    table = Table(
        key="participation",
        caption=caption,
        headers=["Team", "Invited", "Responses", "Participation %"],
    )
    for row in sorted(rows, key=lambda row: row["group"]["name"]):
        table.rows.append(
            [
                row["group"]["name"],
                row["invited"],
                HIDDEN if row["suppressed"] else row["responses"],
                HIDDEN if row["suppressed"] else row["rate"],
            ]
        )
    if rows:
        table.chart = {
            "type": "bar",
            "labels": [bar_label(row[0], hidden=hidden_in(row)) for row in table.rows],
            "datasets": [
                {
                    "label": "Participation %",
                    "data": [None if r[3] == HIDDEN else r[3] for r in table.rows],
                }
            ],
            "min": 0,
            "max": 100,
        }
        explain_blank_chart(table, threshold=filters.threshold)
    return table


def ex_dashboard(*, filters: Filters) -> dict:
    trend_metrics = present_metrics(filters, EX_TREND_METRICS)
    trends = series(filters=filters, metrics=trend_metrics, caption="Score trends", key="trends")
    heat = heatmap(filters=filters)
    drivers = drivers_ranked(filters=filters)
    taking_part = participation(filters=filters)
    has_text = filters.survey.questions.filter(type=QuestionType.TEXT).exists()
    return {
        "trends": trends,
        "trend_metrics": trend_metrics,
        "respondents": sum(row[1] for row in trends.rows),
        "heatmap": heat,
        "drivers": drivers,
        "participation": taking_part,
        "has_comments": has_text,
        "tables": [trends, heat["table"], drivers["table"], taking_part],
    }
