"""The EX→CX link: each team's employee score against its customers' score, and how they move.

Both sides come from `metric_by_group(group_by="team")`, so a team hidden there (under the
threshold, or hidden as a complement of a small sibling) is hidden here too: such a team-period is
left out of the points and counted in `excluded_teams`.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import TypedDict, Unpack

from django.db.models import Max
from django.template.defaultfilters import pluralize

from dashboards.metrics import round_half_up
from dashboards.models import ResponseRollup
from dashboards.selectors.common import period_end, period_floor, period_shift
from dashboards.selectors.scores import metric_by_group, period_label
from dashboards.selectors.tables import Table
from dashboards.stats import correlation
from surveys.models import Survey

EX_METRICS = {"enps": "eNPS", "engagement": "Engagement"}
CX_METRICS = {"csat": "CSAT", "nps": "NPS", "ces": "CES"}
# How far a score must fall to count as a fall (CES is a 1-7 mean, the others are points).
FALL = {"enps": 5.0, "engagement": 5.0, "csat": 5.0, "nps": 5.0, "ces": 0.5}


def _team_rows(*, survey: Survey, metric: str, period: str, start, end) -> dict[tuple, dict]:
    """{(team id, period start): metric row} for real teams (responses without a team are no point)."""
    rows = metric_by_group(
        survey=survey, metric=metric, group_by="team", period=period, start=start, end=end
    )
    return {
        (row["group"]["id"], row["period_start"]): row
        for row in rows
        if row["group"]["id"] is not None
    }


def _shown(row: dict | None) -> bool:
    return row is not None and not row["suppressed"] and row["value"] is not None


def _shifted_range(period: str, start: dt.date | None, end: dt.date | None, lag: int):
    """The CX range for a lag: each EX period t is compared with CX period t + lag."""
    if not lag or period == "all":
        return start, end
    cx_start = period_shift(period, period_floor(period, start), lag) if start else None
    cx_end = (
        period_end(period, period_shift(period, period_floor(period, end), lag)) if end else None
    )
    return cx_start, cx_end


def _rounded(value: float | None) -> float | None:
    return None if value is None else round_half_up(Fraction(value), 2)


class LinkOptions(TypedDict, total=False):
    """What link_detail takes besides the surveys and metrics, passed on by linkage."""

    period: str
    lag: int
    start: dt.date | None
    end: dt.date | None


def link_detail(
    *,
    ex_survey: Survey,
    cx_survey: Survey,
    ex_metric: str,
    cx_metric: str,
    period: str = "all",
    lag: int = 0,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[dict, dict]:
    """(The body of GET /api/v1/linkage/, what the link page shows besides it).

    1. EX figures per team and period; CX figures per team and period, the CX range moved on by
       `lag` periods.
    2. Compare every EX period whose partner CX period (t + lag) has customer data at all.
    3. A team with respondents on either side in a compared period is a point when both sides
       are shown; otherwise it is left out and counted.
    4. Pearson, Spearman and Fisher's 95% interval over the points.

    The body's `excluded_teams` counts a team once per period it is left out in (team-months
    with period=month); the page also says how many teams that is ("left_out_teams"). A pair's
    `period` is the employees'; the page shows the customers' (t + lag) beside it ("cx_periods",
    one per pair, in the pairs' order) and names the teams left out ("left_out_names").
    """
    ex = _team_rows(survey=ex_survey, metric=ex_metric, period=period, start=start, end=end)
    cx_start, cx_end = _shifted_range(period, start, end, lag)
    cx = _team_rows(survey=cx_survey, metric=cx_metric, period=period, start=cx_start, end=cx_end)
    pairs, cx_periods, left_out = _compare(ex, cx, period=period, lag=lag)
    stats = correlation([pair["ex"] for pair in pairs], [pair["cx"] for pair in pairs])
    body = {
        "pairs": pairs,
        "n": stats.n,
        "pearson": _rounded(stats.pearson),
        "spearman": _rounded(stats.spearman),
        "ci95": [_rounded(stats.ci95[0]), _rounded(stats.ci95[1])] if stats.ci95 else None,
        "excluded_teams": len(left_out),
    }
    left_out_teams = {team for team, _ in left_out}
    return body, {
        "cx_periods": cx_periods,
        "left_out_teams": len(left_out_teams),
        # Naming a team left out gives none of its figures (it may have no answers on one side).
        "left_out_names": sorted(name for _, name in left_out_teams),
    }


def linkage(
    *,
    ex_survey: Survey,
    cx_survey: Survey,
    ex_metric: str,
    cx_metric: str,
    **options: Unpack[LinkOptions],
) -> dict:
    """The body of GET /api/v1/linkage/ (the contract of issue 5)."""
    body, _ = link_detail(
        ex_survey=ex_survey,
        cx_survey=cx_survey,
        ex_metric=ex_metric,
        cx_metric=cx_metric,
        **options,
    )
    return body


def _compare(
    ex: dict[tuple, dict], cx: dict[tuple, dict], *, period: str, lag: int
) -> tuple[list[dict], list[str], list[tuple]]:
    """Steps 2-3: (the pairs, sorted by team and period; each pair's CX period label; the
    ((team id, team name), EX period) left out)."""

    def partner(period_start):
        return period_shift(period, period_start, lag) if lag and period_start else period_start

    cx_starts = {period_start for _, period_start in cx}
    teams = {key[0]: row["group"] for key, row in [*ex.items(), *cx.items()]}
    compared, left_out = [], []
    for ex_period in sorted({p for _, p in ex}, key=lambda p: p or dt.date.min):
        if partner(ex_period) not in cx_starts:
            continue
        for team_id, team in teams.items():
            ex_row, cx_row = ex.get((team_id, ex_period)), cx.get((team_id, partner(ex_period)))
            if ex_row is None and cx_row is None:
                continue
            if not (_shown(ex_row) and _shown(cx_row)):
                left_out.append(((team_id, team["name"]), ex_period))
                continue
            pair = {
                "team": {"id": team_id, "name": team["name"]},
                "period": ex_row["period"],
                "ex": ex_row["value"],
                "ex_n": ex_row["respondents"],
                "cx": cx_row["value"],
                "cx_n": cx_row["respondents"],
            }
            compared.append((pair, cx_row["period"]))
    compared.sort(key=lambda item: (item[0]["team"]["name"], item[0]["period"]))
    return [pair for pair, _ in compared], [cx_period for _, cx_period in compared], left_out


def latest_day(survey: Survey) -> dt.date | None:
    return ResponseRollup.objects.filter(survey=survey).aggregate(day=Max("day"))["day"]


def early_warnings(
    *,
    ex_survey: Survey,
    cx_survey: Survey,
    ex_metric: str,
    cx_metric: str,
    period: str,
    reference: dt.date | None = None,
) -> dict:
    """Teams whose EX fell by FALL[ex_metric] or more from the previous period to the current
    one while their CX has not (yet): CX shown now, and not fallen by FALL[cx_metric] or more
    (both thresholds are returned, for the page to say).

    The current period holds `reference`, the range's end, and is cut there as the overview's
    cards are (1-10 November for a range ending on the 10th); with no end chosen, it is the
    whole period holding the last day with employee responses. Months when the link itself
    covers the whole range. Only shown figures are compared.
    """
    period = "month" if period == "all" else period
    falls = {"ex_fall": FALL[ex_metric], "cx_fall": FALL[cx_metric]}
    end = reference
    reference = reference or latest_day(ex_survey)
    if reference is None:
        return {"period": None, "previous": None, "teams": [], **falls}
    current = period_floor(period, reference)
    previous = period_shift(period, current, -1)
    scope = {"period": period, "start": previous, "end": end or period_end(period, current)}
    ex = _team_rows(survey=ex_survey, metric=ex_metric, **scope)
    cx = _team_rows(survey=cx_survey, metric=cx_metric, **scope)
    teams = []
    for (team_id, period_start), ex_now in ex.items():
        if period_start != current:
            continue
        ex_before, cx_now, cx_before = (
            ex.get((team_id, previous)),
            cx.get((team_id, current)),
            cx.get((team_id, previous)),
        )
        if not (_shown(ex_now) and _shown(ex_before) and _shown(cx_now)):
            continue
        ex_fall = ex_before["value"] - ex_now["value"]
        cx_fall = cx_before["value"] - cx_now["value"] if _shown(cx_before) else None
        if ex_fall >= FALL[ex_metric] and (cx_fall is None or cx_fall < FALL[cx_metric]):
            teams.append(
                {
                    "team": ex_now["group"],
                    "ex_before": ex_before["value"],
                    "ex_now": ex_now["value"],
                    "ex_change": round(-ex_fall, 2),
                    "cx_before": cx_before["value"] if cx_fall is not None else None,
                    "cx_now": cx_now["value"],
                }
            )
    teams.sort(key=lambda team: (team["ex_change"], team["team"]["name"]))
    return {
        "period": period_label(period, current),
        "previous": period_label(period, previous),
        "teams": teams,
        **falls,
    }


# What one left-out count is: a team once per period it is left out in.
LEFT_OUT_UNIT = {"all": "team", "month": "team-month", "quarter": "team-quarter"}


def left_out_label(*, result: dict, detail: dict, period: str) -> str:
    """ "2 teams" over the whole range; "12 team-months (3 teams)" by month."""
    counted, teams = result["excluded_teams"], detail["left_out_teams"]
    said = f"{counted} {LEFT_OUT_UNIT[period]}{pluralize(counted)}"
    return said if period == "all" else f"{said} ({teams} team{pluralize(teams)})"


def link_tables(
    *,
    result: dict,
    detail: dict,
    warnings: dict,
    ex_label: str,
    cx_label: str,
    period: str,
    lag: int,
) -> list[Table]:
    return [
        _points_table(result=result, detail=detail, ex_label=ex_label, cx_label=cx_label, lag=lag),
        _summary_table(result=result, detail=detail, period=period),
        _early_table(warnings=warnings, ex_label=ex_label, cx_label=cx_label),
    ]


def _points_table(*, result: dict, detail: dict, ex_label: str, cx_label: str, lag: int) -> Table:
    """One row per point; with a lag, each point pairs EX period t with CX period t + lag, and
    the table says both."""
    pairs = list(zip(result["pairs"], detail["cx_periods"], strict=True))
    periods = ["EX period", "CX period"] if lag else ["Period"]
    figures = [ex_label, f"{ex_label} responses", cx_label, f"{cx_label} responses"]
    points = Table(
        key="points",
        caption=f"Teams: {ex_label} against {cx_label}",
        headers=["Team", *periods, *figures],
        rows=[
            [
                p["team"]["name"],
                *([p["period"], cx_period] if lag else [p["period"]]),
                p["ex"],
                p["ex_n"],
                p["cx"],
                p["cx_n"],
            ]
            for p, cx_period in pairs
        ],
    )

    def label(p: dict, cx_period: str) -> str:
        when = f"EX {p['period']}, CX {cx_period}" if lag else p["period"]
        return f"{p['team']['name']} · {when}"

    points.chart = {
        "type": "scatter",
        "x_label": ex_label,
        "y_label": cx_label,
        "datasets": [
            {
                "label": "Teams",
                "data": [{"x": p["ex"], "y": p["cx"], "label": label(p, c)} for p, c in pairs],
            }
        ],
    }
    return points


def _summary_table(*, result: dict, detail: dict, period: str) -> Table:
    ci = result["ci95"]
    summary = Table(
        key="correlation",
        caption="Correlation",
        headers=[
            "Points (n)",
            "Pearson r",
            "Spearman rho",
            "95% CI low",
            "95% CI high",
            f"{LEFT_OUT_UNIT[period].capitalize()}s left out",
        ],
        rows=[
            [
                result["n"],
                result["pearson"],
                result["spearman"],
                ci[0] if ci else "",
                ci[1] if ci else "",
                result["excluded_teams"],
            ]
        ],
    )
    if period != "all":  # a team left out in several periods is counted in each
        summary.headers.append("Teams left out")
        summary.rows[0].append(detail["left_out_teams"])
    return summary


def _early_table(*, warnings: dict, ex_label: str, cx_label: str) -> Table:
    return Table(
        key="early-warning",
        caption="Early warning: employee score fell, customer score not yet",
        headers=[
            "Team",
            f"{ex_label} before",
            f"{ex_label} now",
            "Change",
            f"{cx_label} before",
            f"{cx_label} now",
        ],
        rows=[
            [
                t["team"]["name"],
                t["ex_before"],
                t["ex_now"],
                t["ex_change"],
                t["cx_before"],
                t["cx_now"],
            ]
            for t in warnings["teams"]
        ],
    )
