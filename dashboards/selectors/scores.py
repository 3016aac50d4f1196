"""Scores read from the rollup tables, with the anonymity rule applied. Other modules build on these.

Every figure is a SQL SUM over QuestionRollup / ResponseRollup rows grouped by group and period;
the formulas in dashboards.metrics then turn the summed histograms into scores. Drivers
(favourability and impact) are in dashboards.selectors.drivers, on these functions.

Filters shared by the functions below (all keyword-only; the ScoreFilters TypedDict):
    group_by   "none" | "team" | "department" (the team's) | "location"        (GROUP_BY)
    period     "all" | "week" | "month" | "quarter", labelled "all", "2026-W07" (ISO week),
               "2026-02", "2026-Q1"                                            (PERIODS)
    start, end dates, inclusive, on the day a response was submitted (None: open)
    team_ids, department_ids, location_ids   iterables of ids narrowing the population (None: all)

Anonymity: a group and period with fewer respondents than `threshold_for(org)` is suppressed, and
so are enough of its siblings (the other groups of the same period; for group_by="none", the other
periods) per `suppressed_groups`. A filter on the grouping dimension (team_ids with group_by="team")
does not change which siblings are hidden: the rule is decided on every sibling, then the asked-for
ones are returned. An ungrouped, filtered total is hidden when the rest of the organisation holds
1..threshold-1 respondents (else it could be subtracted from the organisation's total).
An ungrouped total narrowed to one team, department or location is hidden whenever that group's
own breakdown hides it (_hidden_as_siblings), so no view shows what another hides as a complement.
An anonymous survey is read by whole months (score_cells widens the range; a weekly period is
read as months, and the pages and API refuse it): over a quarter or the whole range its figures
are the sums of its month cells, a month cell hidden in the month breakdown left out
(_anonymous_cells), so no two ranges differ by days or by a hidden month.
Teams are decided within their departments (_team_hidden): a department's hidden teams hold
0 or at least `threshold` people, so a department minus its visible teams gives nothing away.
A view by or within locations (a location breakdown or filter, alone or with teams) is built
from team x location cells, each kept or left out of every location figure (_location_cells):
cells of hidden teams, small cells, and in each team enough more that its left-out cells hold 0
or the threshold. So no location minus its teams, nor teams against locations, gives a team.
A department within chosen teams is those teams: hidden when one of them is. Participation
follows the same rules (dashboards.selectors.participation). tests/dashboards/test_anonymity_combinations.py
checks them all together: no small group's answers are a combination of the cells shown.

Signatures:
    score_cells(*, survey, group_by="none", period="all", start=None, end=None, team_ids=None,
                department_ids=None, location_ids=None) -> list[Cell]
        One Cell per group and period, ordered by period then group name: .group ({"id", "name"}
        or None for group_by="none"), .period (label), .period_start (date or None), .respondents,
        .suppressed, .hists {question_id: [c0..c10]} (empty when suppressed).
    survey_scores(**same) -> dict
        The body of GET /api/v1/surveys/{id}/scores/.
    metric_by_group(*, survey, metric, **same, question_id=None) -> list[dict]
        (metrics_by_group(*, survey, metrics, **same) -> {metric: rows}: several at once)
        metric in METRICS: "enps" | "nps" (score), "csat" (score), "ces" (mean), "engagement",
        "favourability" (favourable %, of `question_id`). The question is `question_id`, else the
        survey's outcome question of that type, else its first question of that type.
        Rows: {"group", "period", "period_start", "value", "n", "respondents", "suppressed",
        "complement"} (complement: hidden to protect a smaller group, not for its own size)
        (value/n None when suppressed or nobody answered; engagement's n is its largest item n).
    (participation_by_group lives in dashboards.selectors.participation, driver_favourability
    and driver_impact in dashboards.selectors.drivers, on these rules.)
    Helpers: period_label(period, start), scored_questions(*, survey),
    engagement_question_ids(questions), metric_question(*, questions, metric, question_id),
    day_bounds(start, end) (a Q on response__submitted_at for those days).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

from django.db.models import F, Q
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone

from dashboards import metrics
from dashboards.anonymity import suppressed_groups, threshold_for, whole_months
from dashboards.lookups import MonthCellsIn
from dashboards.models import (
    HISTOGRAM_FIELDS,
    QuestionRollup,
    ResponseRollup,
)
from dashboards.monthly import as_dicts, column, month_end, rollup_rows
from dashboards.reads import shared
from surveys.models import Driver, Question, QuestionType, Survey, Team

# group_by -> (id path, name path, name of the NULL group) on rollups (and responses)
GROUP_BY: dict[str, tuple[str, str, str] | None] = {
    "none": None,
    "team": ("team_id", "team__name", "No team"),
    "department": ("team__department_id", "team__department__name", "No department"),
    "location": ("location_id", "location__name", "No location"),
}
PERIODS = {"all": None, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
METRICS = ("enps", "nps", "csat", "ces", "engagement", "favourability")
_NARROWING = {
    "team": "team_id__in",
    "department": "team__department_id__in",
    "location": "location_id__in",
}
_METRIC_TYPE = {
    "enps": "nps",
    "nps": "nps",
    "csat": "csat",
    "ces": "ces",
    "favourability": "likert",
}
_METRIC_FIELD = {"nps": "score", "csat": "score", "ces": "mean", "likert": "favourable"}


class ScoreFilters(TypedDict, total=False):
    """The filters score_cells takes, passed on unchanged by the functions built on it."""

    group_by: str
    period: str
    start: dt.date | None
    end: dt.date | None
    team_ids: Iterable[int] | None
    department_ids: Iterable[int] | None
    location_ids: Iterable[int] | None


@dataclass
class Cell:
    group: dict | None
    period: str
    period_start: dt.date | None
    respondents: int
    suppressed: bool
    hists: dict[int, list[int]] = field(default_factory=dict)
    # Hidden although it holds the threshold of people itself: to protect a smaller group (a
    # sibling, or the rest of the organisation). Said apart from "not enough responses".
    complement: bool = False


# --- Building blocks ---------------------------------------------------------------------------


def period_label(period: str, start: dt.date | None) -> str:
    if start is None or period == "all":
        return "all"
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _narrowing(team_ids, department_ids, location_ids) -> dict[str, list[int]]:
    given = {"team": team_ids, "department": department_ids, "location": location_ids}
    return {dim: list(ids) for dim, ids in given.items() if ids is not None}


def _population(*, survey: Survey, start, end, narrowing: dict[str, list[int]]) -> Q:
    condition = Q(survey=survey)
    if start is not None:
        condition &= Q(day__gte=start)
    if end is not None:
        condition &= Q(day__lte=end)
    for dim, ids in narrowing.items():
        condition &= Q(**{_NARROWING[dim]: ids})
    return condition


def _keys(group_by: str, period: str, field: str = "day", *, names: bool = True) -> dict:
    """values() expressions naming each row's group (g_id, and g_name unless `names` is False)
    and period (p_start, from the rollup's date `field`: "day", or "month" on month rollups,
    whose date is already its month's start)."""
    keys: dict = {}
    if GROUP_BY[group_by]:
        id_path, name_path, _ = GROUP_BY[group_by]
        keys["g_id"] = F(id_path)
        if names:
            keys["g_name"] = F(name_path)
    if PERIODS[period]:
        keys["p_start"] = (
            F(field) if (period, field) == ("month", "month") else PERIODS[period](field)
        )
    return keys


def _sums(day_model, **query) -> list[dict]:
    """`_rows`' rows as dicts {name: value}."""
    return as_dicts(*_rows(day_model, **query))


def _rows(
    day_model,
    *,
    survey,
    group_by,
    period,
    start,
    end,
    narrowing,
    extra=None,
    names: bool = True,
    **query,
) -> tuple[list[str], list[tuple]]:
    """SUMs over the rollups of the population, per group and period, as (names, tuples)
    (dashboards.monthly reads month rows for whole months; weeks straddle months, so weekly
    periods read day rows). `extra` narrows the rows: a Q, or a function of the date field
    ("day" or "month") giving one."""
    population = _population(survey=survey, start=None, end=None, narrowing=narrowing)
    return rollup_rows(
        day_model,
        survey_id=survey.pk,
        start=start,
        end=end,
        where=lambda field: population & (extra(field) if callable(extra) else extra or Q()),
        keys=lambda field: _keys(group_by, period, field, names=names),
        by_month=period != "week",
        **query,
    )


def _cell_keys(names: list[str]):
    """What gives a fetched tuple's cell key (period start, group id), None for either one
    the columns `names` lack."""
    period_at, group_at = column(names, "p_start"), column(names, "g_id")

    def key(row: tuple) -> tuple:
        return (
            None if period_at is None else row[period_at],
            None if group_at is None else row[group_at],
        )

    return key


def _respondents(*, survey, group_by, period, start, end, narrowing) -> dict[tuple, dict]:
    """{(period_start, group_id): {"name", "n", "people"}} per cell (callers only read it).

    `n` is the SUM of ResponseRollup.responses. `people` is what the anonymity threshold is
    checked against: a person answers a pulse round at most once, so over several rounds the
    responses of a 4-person team can add up past 5; the largest round (responses outside any
    round count as one round) is a lower bound on the people behind the cell. The rows are
    already aggregated per cell and round, so the MAX over rounds below is over a few rows.
    """
    key = (
        "respondents",
        survey.pk,
        group_by,
        period,
        start,
        end,
        tuple((dim, tuple(ids)) for dim, ids in sorted(narrowing.items())),
    )
    return shared(
        key,
        lambda: _respondents_read(
            survey=survey,
            group_by=group_by,
            period=period,
            start=start,
            end=end,
            narrowing=narrowing,
        ),
    )


def _respondents_read(
    *, survey, group_by, period, start, end, narrowing, without=None
) -> dict[tuple, dict]:
    """_respondents, read; but the rows `without` names (a function of the date field giving a
    Q) when given."""
    scope = {"group_by": group_by, "period": period, "start": start, "end": end}
    # survey_id keeps the GROUP BY non-empty when there is no group and no period.
    names, rows = _rows(
        ResponseRollup,
        survey=survey,
        **scope,
        narrowing=narrowing,
        values=["survey_id", "cycle_id"],
        sums={"n": "responses"},
        extra=None if without is None else lambda field: ~without(field),
    )
    cell_key = _cell_keys(names)
    name_at = column(names, "g_name")
    cells: dict[tuple, dict] = {}
    for row in rows:
        n = row[-1] or 0  # the SUM of responses, last
        cell = cells.get(key := cell_key(row))
        if cell is None:
            name = None if name_at is None else row[name_at]
            cells[key] = {"name": name, "n": n, "people": n}
        else:
            cell["n"] += n
            cell["people"] = max(cell["people"], n)
    return cells


def _hidden_cells(
    *, survey, group_by, period, start, end, narrowing, counts, periods_are_siblings=True
) -> set[tuple]:
    """The cells to hide. Ungrouped, the periods are each other's siblings unless
    `periods_are_siblings` is False (an anonymous survey's months, each reported whole or
    left out of every figure: _anonymous_cells)."""
    threshold = threshold_for(survey.organization)
    scope = {"survey": survey, "period": period, "start": start, "end": end, "threshold": threshold}
    if group_by == "none":
        people = {key: c["people"] for key, c in counts.items()}
        if periods_are_siblings:
            hidden = suppressed_groups(people, threshold=threshold)
        else:
            hidden = {key for key, n in people.items() if 0 < n < threshold}
        if narrowing:
            whole = _respondents(
                survey=survey, group_by="none", period=period, start=start, end=end, narrowing={}
            )
            hidden |= {key for key, c in counts.items() if 0 < whole[key]["n"] - c["n"] < threshold}
            hidden |= _hidden_as_siblings(**scope, narrowing=narrowing) & set(counts)
    elif group_by in narrowing or group_by == "team":
        hidden = _breakdown_hidden(**scope, group_by=group_by, narrowing=narrowing)
    else:
        people = {key: c["people"] for key, c in counts.items()}
        hidden = _suppress_siblings(people, threshold=threshold)
    if group_by == "department" and "team" in narrowing:
        # A department within chosen teams is those teams: hidden when one of them is.
        asked, department_of = set(narrowing["team"]), _team_departments(survey)
        hidden |= {
            (period_start, department_of.get(team))
            for period_start, team in _breakdown_hidden(**scope, group_by="team", narrowing={})
            if team in asked
        }
    return hidden


def _breakdown_hidden(*, survey, group_by, period, start, end, narrowing, threshold) -> set[tuple]:
    """The cells a breakdown by `group_by` hides, decided among all its siblings: a filter on
    that dimension picks which are returned, never which are hidden. Teams are decided within
    their departments (_team_hidden), so a department filter does not change them either."""
    rest = {
        dim: ids
        for dim, ids in narrowing.items()
        if dim != group_by and not (group_by == "team" and dim == "department")
    }
    scope = {"survey": survey, "period": period, "start": start, "end": end, "narrowing": rest}
    people = {key: c["people"] for key, c in _respondents(**scope, group_by=group_by).items()}
    if group_by != "team":
        return _suppress_siblings(people, threshold=threshold)
    departments = {
        key: c["people"] for key, c in _respondents(**scope, group_by="department").items()
    }
    return _team_hidden(
        people, departments, department_of=_team_departments(survey), threshold=threshold
    )


def _team_departments(survey: Survey) -> dict[int, int | None]:
    """{team id: its department id} for the survey's organisation."""
    return shared(
        ("team departments", survey.organization_id),
        lambda: dict(
            Team.objects.filter(organization_id=survey.organization_id).values_list(
                "id", "department_id"
            )
        ),
    )


def _team_hidden(
    teams: dict[tuple, int],
    departments: dict[tuple, int],
    *,
    department_of: dict[int, int | None],
    threshold: int,
) -> set[tuple]:
    """Keys (period, team) to hide, given each team's and each department's people per period.

    Decided within each department, not among all teams at once: a department's figure minus
    its visible teams is its hidden teams together, so that must hold at least `threshold`
    people (or nothing), else a team hidden only as another department's complement could be
    worked out there and the small team then from the organisation's total. A department its
    own breakdown hides keeps at least one team hidden, else its teams would add up to it: a
    small department's teams are all small; one hidden as a complement hides its smallest team
    (at least `threshold` people) when none is hidden already, not all of them, so one small
    group (a customer link's few answers without a team) costs one team, not a department's.
    (Teams without a department, and answers without a team, form the department None, as in
    the department breakdown.) tests/dashboards/test_anonymity_combinations.py checks that no
    small group is then a combination of the figures shown.
    """
    hidden_departments = _suppress_siblings(departments, threshold=threshold)
    by_department: dict[tuple, dict] = defaultdict(dict)
    for (period, team), n in teams.items():
        by_department[period, department_of.get(team)][team] = n
    hidden = set()
    for (period, department), members in by_department.items():
        at_least_one = (period, department) in hidden_departments
        teams_hidden = suppressed_groups(members, threshold=threshold, at_least_one=at_least_one)
        hidden |= {(period, team) for team in teams_hidden}
    return hidden


def _hidden_as_siblings(*, narrowing, **scope) -> set[tuple]:
    """Keys (period, None) of an ungrouped total narrowed to one team, department or location
    that its own breakdown hides (as too small, or as a complement): a group is hidden however
    it is asked for, else the one view would give what the other hides to a subtraction (a
    team's total minus the visible teams' is the hidden team)."""
    hidden = set()
    for dim, ids in narrowing.items():
        if len(ids) == 1:
            in_breakdown = _breakdown_hidden(**scope, group_by=dim, narrowing=narrowing)
            hidden |= {(p, None) for p, g in in_breakdown if g == ids[0]}
    return hidden


def _suppress_siblings(counts: dict[tuple, int], *, threshold: int) -> set[tuple]:
    """Keys (sibling set, group) to hide, deciding within each sibling set."""
    by_set: dict = defaultdict(dict)
    for (sibling_set, group), n in counts.items():
        by_set[sibling_set][group] = n
    return {
        (sibling_set, group)
        for sibling_set, groups in by_set.items()
        for group in suppressed_groups(groups, threshold=threshold)
    }


def _histograms(*, survey, narrowing, only: Q | None = None, **scope) -> list[dict]:
    """Per question, group (g_id: no name, the cells have it) and period: the summed histogram
    of the scored questions (those matching `only`) as `hist`, a list of 11 ints."""
    return as_dicts(*_histogram_rows(survey=survey, narrowing=narrowing, only=only, **scope))


def _histogram_rows(*, survey, narrowing, only: Q | None = None, left_out=None, **scope):
    """_histograms as (names, tuples): question_id, then g_id and p_start where the scope
    has them, then hist. `left_out` (a function of the date field giving a Q) names rows
    to leave out."""
    scored = Q(question__type__in=metrics.SCORED_TYPES) & (only or Q())
    return _rows(
        QuestionRollup,
        survey=survey,
        narrowing=narrowing,
        extra=scored if left_out is None else lambda field: scored & ~left_out(field),
        names=False,
        values=["question_id"],
        arrays={"hist": HISTOGRAM_FIELDS},
        **scope,
    )


def _group(group_by: str, group_id, name) -> dict | None:
    if GROUP_BY[group_by] is None:
        return None
    return {"id": group_id, "name": name if group_id is not None else GROUP_BY[group_by][2]}


def score_cells(
    *,
    survey: Survey,
    group_by: str = "none",
    period: str = "all",
    start: dt.date | None = None,
    end: dt.date | None = None,
    team_ids: Iterable[int] | None = None,
    department_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    question_ids: Iterable[int] | None = None,
) -> list[Cell]:
    """Respondents, suppression and per-question histograms for every group and period.

    1. SUM respondents per cell from ResponseRollup; decide which cells are hidden.
    2. SUM the histograms per cell and question from QuestionRollup (one query), of
       `question_ids` only when given (a metric reads one question: 200 teams x 6 questions
       of rows shrink to 200).
    3. Attach them to the visible cells only.
    """
    narrowing = _narrowing(team_ids, department_ids, location_ids)
    if survey.anonymous:
        start, end = whole_months(start, end)
        period = "month" if period == "week" else period
    scope = {"survey": survey, "group_by": group_by, "period": period, "start": start, "end": end}
    only = Q(question_id__in=list(question_ids)) if question_ids is not None else Q()
    if _involves_locations(group_by, narrowing):
        return _location_cells(**scope, narrowing=narrowing, only=only)
    if survey.anonymous and period != "month":
        return _anonymous_cells(**scope, narrowing=narrowing, only=only)
    counts = _respondents(**scope, narrowing=narrowing)
    hidden = _hidden_cells(**scope, narrowing=narrowing, counts=counts)
    threshold = threshold_for(survey.organization)
    cells = {
        key: Cell(
            group=_group(group_by, key[1], count["name"]),
            period=period_label(period, key[0]),
            period_start=key[0],
            respondents=count["n"],
            suppressed=key in hidden,
            complement=key in hidden and count["people"] >= threshold,
        )
        for key, count in counts.items()
        if count["n"]
    }
    return _with_histograms(cells, **scope, narrowing=narrowing, only=only)


def _with_histograms(
    cells: dict[tuple, Cell], *, narrowing, only: Q, left_out=None, **scope
) -> list[Cell]:
    """The cells, ordered, each shown one given its questions' histograms of the scope (but
    the rows `left_out` names: _histogram_rows)."""
    # Tuples (question_id, [g_id], [p_start], hist): the team x month scores read ~13,000.
    names, rows = _histogram_rows(**scope, narrowing=narrowing, only=only, left_out=left_out)
    cell_key = _cell_keys(names)
    for row in rows:
        cell = cells.get(cell_key(row))
        if cell is not None and not cell.suppressed:
            cell.hists[row[0]] = row[-1]
    return sorted(cells.values(), key=_cell_order)


def _anonymous_cells(*, survey, group_by, period, start, end, narrowing, only: Q) -> list[Cell]:
    """score_cells of an anonymous survey over whole ranges or quarters: the sums of its month
    cells, each month of a group reported whole or left out.

    A month cell hidden in the month breakdown (too few people, or a complement within its
    month) is left out of the range's and the quarter's figures, not merely hidden in the
    monthly trend: else a group's range minus its shown months would be that month. Every
    figure is then a sum of month cells that are each shown somewhere, so no two ranges, nor a
    range against its months, differ by a hidden month. A cell with no month left is hidden.
    Ranges are whole months (score_cells widened them), so no two differ by days either.
    The histograms are read once for the range, the left-out month cells' rows excluded in
    the query (_month_cells), not per month and summed here.
    """
    scope = {"survey": survey, "group_by": group_by, "start": start, "end": end}
    months, dropped = months_left_out(**scope, narrowing=narrowing)
    every: dict[tuple, dict] = {}
    kept: dict[tuple, int] = defaultdict(int)
    for (month, group), count in months.items():
        key = (_period_start(period, month), group)
        whole = every.setdefault(key, {"name": count["name"], "n": 0, "people": 0})
        whole["n"] += count["n"]
        whole["people"] = max(whole["people"], count["people"])  # its largest month's
        if (month, group) not in dropped:
            kept[key] += count["n"]
    cells = _kept_cells(every, kept, group_by=group_by, period=period, survey=survey)
    return _with_histograms(
        cells,
        **scope,
        period=period,
        narrowing=narrowing,
        only=only,
        left_out=_month_cells(dropped, group_by) if dropped else None,
    )


def months_left_out(
    *, survey, group_by, start, end, narrowing
) -> tuple[dict[tuple, dict], set[tuple]]:
    """An anonymous survey's month cells ({(month, group id): {"name", "n", "people"}}) and
    those left out of every longer figure (_anonymous_cells; driver impact too): hidden in the
    month breakdown, as too few people or as a complement within its month, with answers."""
    scope = {"survey": survey, "group_by": group_by, "start": start, "end": end}
    months = _respondents(**scope, period="month", narrowing=narrowing)
    hidden = _hidden_cells(
        **scope, period="month", narrowing=narrowing, counts=months, periods_are_siblings=False
    )
    return months, {key for key in hidden if months.get(key, {}).get("n")}


def _kept_cells(
    every: dict[tuple, dict], kept: dict[tuple, int], *, group_by: str, period: str, survey
) -> dict[tuple, Cell]:
    """Cells whose figures add up only the parts kept (`every`: {key: {"name", "n", "people"}}
    of all parts, `kept`: {key: n} of those kept): a cell with none kept is hidden, its count
    shown as any hidden cell's (a complement when its people reach the threshold)."""
    threshold = threshold_for(survey.organization)
    return {
        key: Cell(
            group=_group(group_by, key[1], count["name"]),
            period=period_label(period, key[0]),
            period_start=key[0],
            respondents=kept.get(key, 0) or count["n"],
            suppressed=not kept.get(key, 0),
            complement=not kept.get(key, 0) and count["people"] >= threshold,
        )
        for key, count in every.items()
        if count["n"]
    }


def _month_cells(keys: set[tuple], group_by: str):
    """A function of the rollups' date field giving a Q on the rows of these (month, group)
    cells: one hashed lookup of (month, group) per row (MonthCellsIn) where the group is a
    column of the rollup row itself, else a condition per month (_cells_by_month)."""
    id_path = GROUP_BY[group_by][0] if GROUP_BY[group_by] else None
    if id_path is None or "__" not in id_path:
        return lambda field: Q(MonthCellsIn(field, id_path, keys))
    return lambda field: _cells_by_month(
        keys, id_path, lambda month: _period_rows("month", month, field)
    )


def _cells_by_month(keys: set[tuple], id_path: str | None, in_month: Callable[[dt.date], Q]) -> Q:
    """A Q on the rows of these (month, group) cells: per month (`in_month(month)`, its rows),
    its groups' ids at `id_path` (None: no group). A handful of months, each an id list, so
    the database tests a few conditions per row, not one per cell."""
    by_month: dict = defaultdict(set)
    for month, group in keys:
        by_month[month].add(group)
    result = Q(pk__in=[])
    for month, ids in by_month.items():
        result |= in_month(month) & (Q() if id_path is None else _ids_in(id_path, ids))
    return result


def _ids_in(path: str, ids: Iterable) -> Q:
    """`path` is one of the ids (None: the rows without one)."""
    ids = set(ids)
    condition = Q(**{f"{path}__anyof": sorted(i for i in ids if i is not None)})
    return condition | Q(**{f"{path}__isnull": True}) if None in ids else condition


def _period_rows(period: str, start: dt.date | None, field: str) -> Q:
    """The rollup rows (of date `field`, "day" or "month") of the period starting `start`."""
    if start is None:  # the whole range
        return Q()
    if period == "week":
        return Q(day__gte=start, day__lte=start + dt.timedelta(days=6))
    last = start if period == "month" else start.replace(month=start.month + 2)
    if field == "month":
        return Q(month__gte=start, month__lte=last)
    return Q(day__gte=start, day__lte=month_end(last))


# --- Locations: built from the team x location cells each safe to show ----------------------


def _involves_locations(group_by: str, narrowing: dict) -> bool:
    return group_by == "location" or "location" in narrowing


def _location_cells(*, survey, group_by, period, start, end, narrowing, only: Q) -> list[Cell]:
    """score_cells of a view by or within locations (a location breakdown, a location filter,
    alone or with a team or department): sums of the team x location cells kept.

    A location's figure minus its teams shown there is its teams hidden there, and teams and
    locations cross: a location's groups hidden among themselves (as siblings) cannot keep
    that from being one small team. So every location figure is built from team x location
    cells, each kept or left out of all of them (_left_out_cells): a cell of a team the team
    breakdown hides, a cell with fewer people than the threshold, and in each team enough more
    that its left-out cells hold 0 or at least the threshold. Every location figure is then a
    sum of kept cells of at least the threshold each: location figures subtracted give kept
    cells, and a team's total minus its kept cells is its left-out cells together, 0 or at
    least the threshold. A location cell with no kept team cell is hidden (its count shown as
    any hidden cell's). Decided per period of the view, or per month on an anonymous survey
    (its months folded like _anonymous_cells').
    """
    cell_period = "month" if survey.anonymous else period
    left_out = _left_out_cells(survey=survey, period=cell_period, start=start, end=end)
    rows_out = _location_rows(left_out, cell_period) if any(left_out) else None
    scope = {"survey": survey, "group_by": group_by, "period": period, "start": start, "end": end}
    every = _respondents(**scope, narrowing=narrowing)
    kept = (
        every
        if rows_out is None
        else _respondents_read(**scope, narrowing=narrowing, without=rows_out)
    )
    cells = _kept_cells(
        every,
        {key: count["n"] for key, count in kept.items()},
        group_by=group_by,
        period=period,
        survey=survey,
    )
    return _with_histograms(cells, **scope, narrowing=narrowing, only=only, left_out=rows_out)


def _left_out_cells(*, survey, period, start, end) -> tuple[set, set]:
    """The team x location cells left out of location figures (_location_cells), per period:
    (whole teams as keys (period, team), the rest as keys (period, team, location))."""
    return shared(
        ("left out cells", survey.pk, period, start, end),
        lambda: _left_out_cells_read(survey=survey, period=period, start=start, end=end),
    )


def _left_out_cells_read(*, survey, period, start, end) -> tuple[set, set]:
    threshold = threshold_for(survey.organization)
    names, rows = rollup_rows(
        ResponseRollup,
        survey_id=survey.pk,
        start=start,
        end=end,
        where=Q(survey=survey),
        values=["survey_id", "cycle_id", "team_id", "location_id"],
        keys=lambda field: _keys("none", period, field),
        sums={"n": "responses"},
        by_month=period != "week",
    )
    period_at = column(names, "p_start")
    teams: dict = defaultdict(dict)  # (period, team) -> {location: people (the largest round)}
    for row in rows:
        cells = teams[None if period_at is None else row[period_at], row[2]]
        cells[row[3]] = max(cells.get(row[3], 0), row[-1] or 0)
    hidden_teams = _breakdown_hidden(
        survey=survey,
        group_by="team",
        period=period,
        start=start,
        end=end,
        narrowing={},
        threshold=threshold,
    )
    whole, partial = set(), set()
    for team_key, cells in teams.items():
        present = {location: n for location, n in cells.items() if n > 0}
        out = set(present) if team_key in hidden_teams else set()
        out |= {location for location, n in present.items() if n < threshold}
        kept = sorted((n, str(location), location) for location, n in present.items())
        kept = [item for item in kept if item[2] not in out]
        while kept and 0 < sum(present[location] for location in out) < threshold:
            out.add(kept.pop(0)[2])
        if out and out == set(present):
            whole.add(team_key)
        else:
            partial |= {(*team_key, location) for location in out}
    return whole, partial


def _location_rows(left_out: tuple[set, set], period: str):
    """A function of the rollups' date field giving a Q on the rows of the left-out cells: per
    period, the whole teams' ids, and per location its teams' (a few conditions per row)."""
    whole, partial = left_out
    by_period: dict = defaultdict(lambda: (set(), defaultdict(set)))
    for period_start, team in whole:
        by_period[period_start][0].add(team)
    for period_start, team, location in partial:
        by_period[period_start][1][location].add(team)

    def condition(field: str) -> Q:
        result = Q(pk__in=[])
        for period_start, (teams, by_location) in by_period.items():
            rows = _ids_in("team_id", teams) if teams else Q(pk__in=[])
            for location, located in by_location.items():
                rows |= _ids_in("location_id", [location]) & _ids_in("team_id", located)
            result |= _period_rows(period, period_start, field) & rows
        return result

    return condition


def _period_start(period: str, month: dt.date | None) -> dt.date | None:
    """The start of the `period` ("all" or "quarter") holding the month starting `month`."""
    if period == "all" or month is None:
        return None
    return month.replace(month=(month.month - 1) // 3 * 3 + 1)


def _cell_order(cell: Cell) -> tuple:
    group = cell.group or {}
    return (cell.period_start or dt.date.min, group.get("id") is None, group.get("name") or "")


def scored_questions(*, survey: Survey) -> list[dict]:
    """The survey's scored questions in order: id, type, driver, is_outcome, text (callers
    only read them)."""
    return shared(
        ("questions", survey.pk),
        lambda: list(
            Question.objects.filter(survey=survey, type__in=metrics.SCORED_TYPES)
            .order_by("order", "id")
            .values("id", "type", "driver", "is_outcome", "text")
        ),
    )


def engagement_question_ids(questions: list[dict]) -> list[int]:
    """Likert items tagged "engagement"; when the survey tags none, all its Likert items."""
    likert = [q for q in questions if q["type"] == QuestionType.LIKERT]
    tagged = [q["id"] for q in likert if q["driver"] == Driver.ENGAGEMENT]
    return tagged or [q["id"] for q in likert]


def _engagement(cell: Cell, ids: list[int]) -> float | None:
    return metrics.engagement(cell.hists[qid] for qid in ids if qid in cell.hists)


# --- The scores API -----------------------------------------------------------------------------


def survey_scores(*, survey: Survey, **filters: Unpack[ScoreFilters]) -> dict:
    cells = score_cells(survey=survey, **filters)
    questions = scored_questions(survey=survey)
    engagement_ids = engagement_question_ids(questions)
    plan = [(q["id"], q["type"], metrics.figures_for(q["type"])) for q in questions]
    return {
        "survey": survey.id,
        "group_by": filters.get("group_by", "none"),
        "period": filters.get("period", "all"),
        "threshold": threshold_for(survey.organization),
        "results": [_cell_json(cell, plan, engagement_ids) for cell in cells],
    }


def _cell_json(cell: Cell, plan: list[tuple], engagement_ids: list[int]) -> dict:
    """One result of the scores API; `plan` is (id, type, figures function) per question."""
    body = {
        "group": cell.group,
        "period": cell.period,
        "respondents": cell.respondents,
        "suppressed": cell.suppressed,
    }
    if cell.suppressed:
        return body
    hists = cell.hists
    body["questions"] = [
        {"question": qid, "type": qtype, **figures(hist)}
        for qid, qtype, figures in plan
        if (hist := hists.get(qid)) is not None and sum(hist)
    ]
    body["engagement"] = _engagement(cell, engagement_ids)
    return body


# --- Reusable per-group series ------------------------------------------------------------------


def metric_question(
    *, questions: list[dict], metric: str, question_id: int | None = None
) -> int | None:
    """The question a metric reads: the given one, else the outcome of that type, else the first."""
    if question_id is not None:
        return question_id
    of_type = [q for q in questions if q["type"] == _METRIC_TYPE.get(metric)]
    outcome = [q for q in of_type if q["is_outcome"]]
    return (outcome or of_type or [{"id": None}])[0]["id"]


def metric_by_group(
    *,
    survey: Survey,
    metric: str,
    question_id: int | None = None,
    **filters: Unpack[ScoreFilters],
) -> list[dict]:
    return metrics_by_group(survey=survey, metrics=[metric], question_id=question_id, **filters)[
        metric
    ]


def metrics_by_group(
    *,
    survey: Survey,
    metrics: list[str],
    question_id: int | None = None,
    **filters: Unpack[ScoreFilters],
) -> dict[str, list[dict]]:
    """{metric: metric_by_group rows} for several metrics from one score_cells call (a table of
    NPS, CSAT and CES side by side reads the rollups once, not three times)."""
    for metric in metrics:
        if metric not in METRICS:
            raise ValueError(f"Unknown metric {metric!r}")
    questions = scored_questions(survey=survey)
    types = {q["id"]: q["type"] for q in questions}
    ids = {
        metric: engagement_question_ids(questions)
        if metric == "engagement"
        else [metric_question(questions=questions, metric=metric, question_id=question_id)]
        for metric in metrics
    }
    wanted = {qid for metric_ids in ids.values() for qid in metric_ids}
    cells = score_cells(survey=survey, question_ids=wanted, **filters)
    return {
        metric: [_metric_row(cell, metric, ids[metric], types) for cell in cells]
        for metric in metrics
    }


def _metric_row(cell: Cell, metric: str, ids: list[int], types: dict[int, str]) -> dict:
    value = n = None
    answered = [qid for qid in ids if qid in cell.hists]
    if metric == "engagement" and answered:
        value = _engagement(cell, answered)
        n = max(sum(cell.hists[qid]) for qid in answered)
    elif answered:
        question_type = types[answered[0]]
        figures = metrics.question_figures(question_type, cell.hists[answered[0]])
        value, n = figures[_METRIC_FIELD[question_type]], figures["n"]
    return {
        "group": cell.group,
        "period": cell.period,
        "period_start": cell.period_start,
        "value": value,
        "n": n,
        "respondents": cell.respondents,
        "suppressed": cell.suppressed,
        "complement": cell.complement,
    }


# --- Days ---------------------------------------------------------------------------------------


def day_bounds(start: dt.date | None, end: dt.date | None) -> Q:
    """Responses submitted on days start..end in the site's time zone (index-friendly range)."""
    tz = timezone.get_default_timezone()
    condition = Q()
    if start is not None:
        condition &= Q(
            response__submitted_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz)
        )
    if end is not None:
        next_day = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        condition &= Q(response__submitted_at__lt=next_day)
    return condition
