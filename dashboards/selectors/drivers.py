"""Drivers: each driver's favourability per group and period, and driver impact (each driver
item's correlation with the outcome question, ranked, with a "focus here" pick), on the score
selectors' rules (dashboards.selectors.scores: anonymity, narrowing, ranges).

Driver impact's correlations are SUMs of the rollups' pair moments (dashboards.pairs); only while
those are against another outcome question (until the survey's rebuild) does it read answers,
in SQL too.

    driver_favourability(*, survey, **ScoreFilters) -> list[dict]
        Rows: {"group", "period", "period_start", "respondents", "suppressed", "complement",
               "drivers": {driver: {"favourable": float | None, "n": int}}}  (mean item favourability)
    driver_impact(*, survey, team_ids=None, department_ids=None, start=None, end=None) -> dict
        {"outcome": {"question", "text", "type"} | None, "respondents", "min_n", "status",
         "drivers": [{"question", "text", "driver", "n", "impact", "strength", "favourable",
                      "note", "focus"}], "focus": question id | None}, drivers ranked by impact;
        strength: "strong" (|r| >= 0.5), "moderate" (>= 0.3) or "weak"; "" without an impact;
        status "ok" | "not enough data" | "no outcome question" | "no driver questions".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Unpack

from django.db import connection
from django.db.models import Count, F, FilteredRelation, Q, Sum

from dashboards import metrics, pairs
from dashboards.anonymity import threshold_for, whole_months
from dashboards.models import HISTOGRAM_FIELDS, PAIR_FIELDS, QuestionRollup
from dashboards.monthly import month_end
from dashboards.selectors.scores import (
    ScoreFilters,
    _hidden_cells,
    _histograms,
    _month_cells,
    _narrowing,
    _respondents,
    _respondents_read,
    _sums,
    day_bounds,
    months_left_out,
    score_cells,
    scored_questions,
)
from responses.models import Answer
from surveys.models import QuestionType, Survey, Team

DRIVER_MIN_N = 25


def driver_favourability(*, survey: Survey, **filters: Unpack[ScoreFilters]) -> list[dict]:
    """Per group and period, each driver's favourability (mean of its Likert items'), with n."""
    by_driver: dict[str, list[int]] = defaultdict(list)
    for q in scored_questions(survey=survey):
        if q["type"] == QuestionType.LIKERT and q["driver"]:
            by_driver[q["driver"]].append(q["id"])
    ids = [qid for ids in by_driver.values() for qid in ids]
    cells = score_cells(survey=survey, question_ids=ids, **filters)
    rows = []
    for cell in cells:
        drivers = {}
        for driver, ids in by_driver.items():
            hists = [cell.hists[qid] for qid in ids if qid in cell.hists]
            if hists:
                drivers[driver] = {
                    "favourable": metrics.engagement(hists),
                    "n": max(map(sum, hists)),
                }
        rows.append(
            {
                "group": cell.group,
                "period": cell.period,
                "period_start": cell.period_start,
                "respondents": cell.respondents,
                "suppressed": cell.suppressed,
                "complement": cell.complement,
                "drivers": {} if cell.suppressed else drivers,
            }
        )
    return rows


def _pair_stats(
    *,
    survey: Survey,
    outcome_id: int,
    driver_ids: list[int],
    team_ids,
    start,
    end,
    months_out: Iterable[dt.date] = (),
) -> dict:
    """{question_id: (n, r)} over respondents who answered both the item and the outcome, but
    in the months `months_out` (first days).

    One query: the answers joined to the same response's outcome answer (a self-join through
    FilteredRelation). PostgreSQL computes corr() itself; elsewhere r comes from the sums.
    """
    queryset = Answer.objects.annotate(
        outcome=FilteredRelation(
            "response__answers", condition=Q(response__answers__question_id=outcome_id)
        )
    ).filter(
        day_bounds(start, end),
        question_id__in=driver_ids,
        value_int__isnull=False,
        outcome__value_int__isnull=False,
        response__survey=survey,
    )
    if team_ids is not None:
        queryset = queryset.filter(response__team_id__in=list(team_ids))
    for month in months_out:
        queryset = queryset.exclude(day_bounds(month, month_end(month)))
    x, y = F("value_int"), F("outcome__value_int")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import Corr

        rows = queryset.values("question_id").annotate(n=Count("id"), r=Corr(x, y)).order_by()
        return {row["question_id"]: (row["n"], row["r"]) for row in rows}
    rows = (
        queryset.values("question_id")
        .annotate(
            n=Count("id"), sx=Sum(x), sy=Sum(y), sxx=Sum(x * x), syy=Sum(y * y), sxy=Sum(x * y)
        )
        .order_by()
    )
    return {
        row["question_id"]: (
            row["n"],
            metrics.pearson_from_sums(
                n=row["n"],
                sx=row["sx"],
                sy=row["sy"],
                sxx=row["sxx"],
                syy=row["syy"],
                sxy=row["sxy"],
            ),
        )
        for row in rows
    }


def _driver_sums(*, survey, driver_ids, narrowing, left_out=None, **scope) -> tuple[dict, dict]:
    """({question_id: (n, r)}, {question_id: favourable %}) of the driver items, from one SUM
    over their rollups (but the rows `left_out` names: a function of the date field giving a
    Q): the pair moments give r (exactly as a correlation of the answers would), the histogram
    the favourability."""
    items = Q(question_id__in=driver_ids)
    rows = _sums(
        QuestionRollup,
        survey=survey,
        narrowing=narrowing,
        extra=items if left_out is None else lambda field: items & ~left_out(field),
        values=["question_id"],
        sums={name: name for name in PAIR_FIELDS},
        arrays={"hist": HISTOGRAM_FIELDS},
        **scope,
    )
    stats, favourable = {}, {}
    for row in rows:
        n, sx, sy, sxx, syy, sxy = (int(row[name] or 0) for name in PAIR_FIELDS)
        r = metrics.pearson_from_sums(n=n, sx=sx, sy=sy, sxx=sxx, syy=syy, sxy=sxy)
        stats[row["question_id"]] = (n, r)
        favourable[row["question_id"]] = metrics.favourability(row["hist"])["favourable"]
    return stats, favourable


def driver_impact(
    *,
    survey: Survey,
    team_ids: Iterable[int] | None = None,
    department_ids: Iterable[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict:
    """Each driver item's correlation with the outcome question, ranked, with a "focus here" pick.

    1. Pearson's r per driver-tagged Likert item against the outcome, with n (one SQL query).
    2. Shown only for n >= max(25, threshold); otherwise "not enough data".
    3. Favourability of each item from the rollups (same filters).
    4. Rank by impact; focus = highest impact x (100 - favourable) among positive impacts.
    An anonymous survey is read as score_cells reads it: by whole months, a month its month
    breakdown hides left out (else a range's impact table minus a shorter one's would be that
    month's answers, which every other figure hides). A department is asked for as such, not
    as its teams: hidden in its own breakdown (a complement, say), it shows nothing here either.
    """
    team_ids = list(team_ids) if team_ids is not None else None
    questions = scored_questions(survey=survey)
    outcome = next((q for q in questions if q["is_outcome"]), None)
    drivers = [
        q
        for q in questions
        if q["type"] == QuestionType.LIKERT and q["driver"] and q is not outcome
    ]
    narrowing = _narrowing(team_ids, department_ids, None)
    dropped: set[tuple] = set()
    if survey.anonymous:
        start, end = whole_months(start, end)
        _, dropped = months_left_out(
            survey=survey, group_by="none", start=start, end=end, narrowing=narrowing
        )
    left_out = _month_cells(dropped, "none") if dropped else None
    scope = {"survey": survey, "group_by": "none", "period": "all", "start": start, "end": end}
    if left_out is None:
        counts = _respondents(**scope, narrowing=narrowing)
    else:
        counts = _respondents_read(**scope, narrowing=narrowing, without=left_out)
    respondents = sum(row["n"] or 0 for row in counts.values())
    result = {
        "outcome": outcome
        and {"question": outcome["id"], "text": outcome["text"], "type": outcome["type"]},
        "respondents": respondents,
        "min_n": max(DRIVER_MIN_N, threshold_for(survey.organization)),
        "status": "ok",
        "drivers": [],
        "focus": None,
    }
    if outcome is None or not drivers:
        result["status"] = "no outcome question" if outcome is None else "no driver questions"
        return result
    driver_ids = [q["id"] for q in drivers]
    # The selection's own cell, hidden by score_cells' rule for an ungrouped total (under the
    # threshold, a complement, or the rest of the organisation would be); an anonymous
    # survey's, when no month of it is kept (_anonymous_cells).
    if not respondents or (
        not survey.anonymous
        and set(counts) & _hidden_cells(**scope, narrowing=narrowing, counts=counts)
    ):
        # Nothing of a hidden selection: no item's favourability, no correlation (one person's
        # answers, on an anonymous survey, in a team export of one day).
        rows = [
            _driver_row(q, (0, None), None, result["min_n"]) | {"focus": False} for q in drivers
        ]
        result.update(drivers=rows, status="not enough data")
        return result
    if pairs.against(survey_id=survey.pk, question_id=outcome["id"]):
        stats, favourable = _driver_sums(
            driver_ids=driver_ids, narrowing=narrowing, left_out=left_out, **scope
        )
    else:  # the rollups' pairs are against another outcome until the survey's rebuild
        stats = _pair_stats(
            survey=survey,
            outcome_id=outcome["id"],
            driver_ids=driver_ids,
            team_ids=_teams_of(team_ids, department_ids),
            start=start,
            end=end,
            months_out=[month for month, _ in dropped],
        )
        favourable = {
            row["question_id"]: metrics.favourability(row["hist"])["favourable"]
            for row in _histograms(**scope, narrowing=narrowing, left_out=left_out)
        }
    rows = [
        _driver_row(q, stats.get(q["id"], (0, None)), favourable.get(q["id"]), result["min_n"])
        for q in drivers
    ]
    rows.sort(key=lambda row: (row["impact"] is None, -(row["impact"] or 0)))
    focus = max(
        (row for row in rows if (row["impact"] or 0) > 0 and row["favourable"] is not None),
        key=lambda row: row["impact"] * (100 - row["favourable"]),
        default=None,
    )
    for row in rows:
        row["focus"] = row is focus
    result.update(drivers=rows, focus=focus and focus["question"])
    if all(row["impact"] is None for row in rows):
        result["status"] = "not enough data"
    return result


def _teams_of(team_ids: list[int] | None, department_ids: Iterable[int] | None):
    """The teams a team and department filter leave (the raw answers' reading narrows by team)."""
    if department_ids is None:
        return team_ids
    teams = Team.objects.filter(department_id__in=department_ids)
    if team_ids is not None:
        teams = teams.filter(id__in=team_ids)
    return list(teams.values_list("id", flat=True))


def _driver_row(question: dict, stat: tuple, favourable: float | None, min_n: int) -> dict:
    n, r = stat
    enough = n >= min_n and r is not None
    return {
        "question": question["id"],
        "text": question["text"],
        "driver": question["driver"],
        "n": n,
        "impact": metrics.round_half_up(r, 2) if enough else None,
        "strength": _strength(r) if enough else "",
        "favourable": favourable,
        "note": "" if enough else ("not enough data" if n < min_n else "no variation"),
    }


def _strength(r: float) -> str:
    """How strong a correlation reads, by the usual rule of thumb for survey data: |r| of 0.5
    or more strong, 0.3 or more moderate, else weak."""
    size = abs(r)
    return "strong" if size >= 0.5 else "moderate" if size >= 0.3 else "weak"
