"""The overview: headline cards with change and sparkline, open alerts, teams that moved most.

Each card reads one survey (the newest of its kind that has a question of the card's type), so
every figure is exactly what the scores API says for that survey, group and period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Max, Q

from dashboards.alerting.selectors import alerts_for_member
from dashboards.anonymity import hidden_text
from dashboards.models import AlertStatus
from dashboards.selectors.common import (
    Filters,
    default_survey_for_metric,
    period_floor,
    period_shift,
    period_starts,
)
from dashboards.selectors.figures import ORGANISATION
from dashboards.selectors.participation import participation_by_group
from dashboards.selectors.scores import metric_by_group, period_label
from dashboards.selectors.tables import HIDDEN, Table, hidden_in
from surveys.models import Invitation, Membership, Survey, SurveyKind
from surveys.permissions import can_view_results, team_scope

# key, label, survey kind, question type (None: participation, read from invitations)
CARDS = [
    ("enps", "eNPS", SurveyKind.EX, "nps"),
    ("engagement", "Engagement", SurveyKind.EX, "likert"),
    ("participation", "Participation", SurveyKind.EX, None),
    ("nps", "NPS", SurveyKind.CX, "nps"),
    ("csat", "CSAT", SurveyKind.CX, "csat"),
    ("ces", "CES", SurveyKind.CX, "ces"),
]
NO_RESPONSES = "No responses"
EMPTY_HINTS = {
    SurveyKind.EX: "No responses in this range: send the survey, or widen the dates.",
    SurveyKind.CX: "No responses in this range: share the survey's customer link, or widen the "
    "dates.",
}
# A team lead neither sends pulses nor makes customer links: the hint says what to expect.
TEAM_EMPTY_HINTS = {
    SurveyKind.EX: "No responses from your team yet: they appear once your HR team sends a pulse.",
    SurveyKind.CX: "No customer responses for your team yet: they appear once your CX manager "
    "shares a customer link for it.",
}
UNITS = {"engagement": "%", "participation": "%", "csat": "%", "ces": ""}
SPARK_CYCLES = 6
SPARK_MIN_SPAN = {"ces": 0.5}  # else 10 points (scores and percentages)
MOVERS = 5


def visible_kinds(membership: Membership) -> list[str]:
    return [kind for kind in SurveyKind.values if can_view_results(membership, kind)]


WHOLE_RANGE_NOTE = (
    "“Whole range” has no period before it to compare with, so these cards compare months "
    "instead: each shows its latest month with responses against the month before, and so does "
    "“Teams that moved most” (participation compares survey rounds, as always). The employee "
    "and customer experience pages show figures for the whole range."
)


def _card_period(filters: Filters) -> str:
    # Cards compare a period with the one before, so "all" falls back to months (and the page
    # says so: WHOLE_RANGE_NOTE).
    return "month" if filters.period == "all" else filters.period


def _periods(filters: Filters) -> tuple[str, dt.date, dt.date, list[dt.date]]:
    """(period size, current period start, previous period start, sparkline period starts).

    The current period holds the range's end; the range is stretched back to take in the
    previous period, so there is always something to compare with."""
    period = _card_period(filters)
    current = period_floor(period, filters.end)
    previous = period_shift(period, current, -1)
    start = min(filters.start, previous)
    return period, current, previous, period_starts(period=period, start=start, end=filters.end)


def _rows(
    filters: Filters, metric: str, survey: Survey, *, start: dt.date, group_by: str = "none"
) -> list[dict]:
    """metric_by_group by the card's period size from `start` to the range's end: the period
    holding the end is cut there (1-10 November for a range ending on the 10th), for the cards
    and for what moved most alike."""
    return metric_by_group(
        survey=survey,
        metric=metric,
        group_by=group_by,
        period=_card_period(filters),
        start=start,
        end=filters.end,
        **filters.narrowing(),
    )


def _series(filters: Filters, metric: str, survey: Survey) -> dict:
    """{period start: metric row} over the card's periods, ungrouped."""
    _, _, _, starts = _periods(filters)
    return {row["period_start"]: row for row in _rows(filters, metric, survey, start=starts[0])}


def _figure(row: dict | None) -> float | None:
    return None if row is None or row["suppressed"] else row["value"]


def _note(row: dict | None) -> str:
    """Why a period has no figure: hidden for anonymity, or nobody answered."""
    if row is not None and row["suppressed"]:
        return hidden_text(row)
    return NO_RESPONSES if _figure(row) is None else ""


def metric_card(*, filters: Filters, key: str, label: str, survey: Survey) -> dict:
    period, end_start, _, starts = _periods(filters)
    rows = _series(filters, key, survey)
    # The latest period with answers: a monthly pulse not yet sent this month shows last month.
    answered = [start for start, row in rows.items() if start <= end_start and row["respondents"]]
    current_start = max(answered, default=end_start)
    previous_start = period_shift(period, current_start, -1)
    current, previous = rows.get(current_start), rows.get(previous_start)
    value, before = _figure(current), _figure(previous)
    return {
        **_compared(
            filters, lambda: _series(filters.whole(), key, survey).get(current_start), "value"
        ),
        "key": key,
        "label": label,
        "unit": UNITS.get(key, ""),
        "survey": survey,
        "period": current["period"] if current else None,
        "period_start": current_start,
        "value": value,
        "previous": before,
        "change": round(value - before, 2) if value is not None and before is not None else None,
        "respondents": current["respondents"] if current and not current["suppressed"] else None,
        "suppressed": bool(current and current["suppressed"]),
        "hidden_text": hidden_text(current) if current and current["suppressed"] else "",
        "spark_labels": [period_label(_card_period(filters), s) for s in starts],
        "spark": [_figure(rows.get(s)) for s in starts],
        "spark_notes": [_note(rows.get(s)) for s in starts],
    }


def _compared(filters: Filters, whole_row: Callable[[], dict | None], field: str) -> dict:
    """The organisation's figure for the card's period (`whole_row()`'s `field`), beside a
    narrowed selection's (a team lead's team): {"organisation", "organisation_note"}; nothing
    for the whole organisation."""
    if not filters.narrowed:
        return {}
    row = whole_row()
    if row is not None and row["suppressed"]:
        return {"organisation": None, "organisation_note": hidden_text(row)}
    value = row[field] if row is not None else None
    return {"organisation": value, "organisation_note": NO_RESPONSES if value is None else ""}


def participation_survey(*, organization, prefer: Survey | None = None) -> Survey | None:
    """The survey of the participation card: `prefer` (the eNPS card's survey, so the two cards
    speak of one survey) when it sent invitations, else the newest EX survey that did
    (participation needs them). Following the newest alone, a small test survey sent last
    replaced the organisation's pulse on the card."""
    if prefer is not None and Invitation.objects.filter(survey=prefer).exists():
        return prefer
    latest = (
        Invitation.objects.filter(survey__organization=organization, survey__kind=SurveyKind.EX)
        .values("survey_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")
        .first()
    )
    return Survey.objects.get(pk=latest["survey_id"]) if latest else None


def participation_card(*, filters: Filters, survey: Survey) -> dict:
    rows = _rounds(filters, survey)
    current = rows[-1] if rows else None
    previous = rows[-2] if len(rows) > 1 else None
    value = current["rate"] if current else None
    before = previous["rate"] if previous else None

    def whole_row() -> dict | None:  # the same round, everyone invited
        rounds = {_cycle_id(row): row for row in _rounds(filters.whole(), survey)}
        return rounds.get(_cycle_id(current)) if current else None

    return {
        **_compared(filters, whole_row, "rate"),
        "key": "participation",
        "label": "Participation",
        "unit": "%",
        "survey": survey,
        "period": _cycle_label(current),
        "value": value,
        "previous": before,
        "change": round(value - before, 2) if value is not None and before is not None else None,
        "respondents": current["responses"] if current else None,
        "suppressed": bool(current and current["suppressed"]),
        "hidden_text": HIDDEN if current and current["suppressed"] else "",
        "spark_labels": [_cycle_label(row) for row in rows],
        "spark": [row["rate"] for row in rows],
        "spark_notes": [HIDDEN if row["suppressed"] else "" for row in rows],
    }


def _rounds(filters: Filters, survey: Survey) -> list[dict]:
    """Participation per round with invitations, the last SPARK_CYCLES."""
    rows = participation_by_group(
        survey=survey, group_by="none", by_cycle=True, **filters.narrowing()
    )
    return [row for row in rows if row["invited"]][-SPARK_CYCLES:]


def _cycle_id(row: dict | None) -> int | None:
    return row["cycle"]["id"] if row and row["cycle"] else None


def _cycle_label(row: dict | None) -> str | None:
    if row is None:
        return None
    return (
        f"Round {row['cycle']['number']}" if row["cycle"] and row["cycle"]["id"] else "All rounds"
    )


def _with_empty(card: dict, hint: str) -> dict:
    """Empty: nothing to show at all (no figure in any period, none hidden either)."""
    nothing = all(value is None for value in card["spark"]) and not hidden_in(card["spark_notes"])
    card["empty"] = nothing and card["value"] is None and not card["suppressed"]
    card["hint"] = hint
    return card


def headline_cards(*, filters: Filters, membership: Membership) -> list[dict]:
    kinds = visible_kinds(membership)
    cards = []
    surveys: dict[str, Survey | None] = {}
    for key, label, kind, question_type in CARDS:
        if kind not in kinds:
            continue
        hint = (TEAM_EMPTY_HINTS if team_scope(membership) else EMPTY_HINTS)[kind]
        if question_type is None:
            survey = participation_survey(
                organization=filters.organization, prefer=surveys.get("enps")
            )
        else:
            survey = default_survey_for_metric(
                organization=filters.organization,
                kind=kind,
                metric=key,
                team_id=team_scope(membership),
            )
        surveys[key] = survey
        if survey is None:
            cards.append(
                {
                    "key": key,
                    "label": label,
                    "survey": None,
                    "empty": True,
                    "suppressed": False,
                    "hint": hint,
                }
            )
        elif question_type is None:
            cards.append(_with_empty(participation_card(filters=filters, survey=survey), hint))
        else:
            cards.append(
                _with_empty(metric_card(filters=filters, key=key, label=label, survey=survey), hint)
            )
    return cards


def teams_that_moved(*, filters: Filters, cards: list[dict]) -> list[dict]:
    """Per team and headline metric, the change from the previous period to the current one
    (the card's: cut at the range's end), both periods shown (not suppressed); the largest
    moves first."""
    period = _card_period(filters)
    moves = []
    for card in cards:
        if card["key"] == "participation" or card.get("survey") is None:
            continue
        current = card["period_start"]
        previous = period_shift(period, current, -1)
        rows = _rows(filters, card["key"], card["survey"], start=previous, group_by="team")
        by_team: dict = {}
        for row in rows:
            if row["group"]["id"] is not None:
                by_team.setdefault(row["group"]["id"], {"team": row["group"]})[
                    row["period_start"]
                ] = row
        for team_rows in by_team.values():
            now, before = _figure(team_rows.get(current)), _figure(team_rows.get(previous))
            if now is not None and before is not None and now != before:
                change = round(now - before, 2)
                moves.append(
                    {
                        "team": team_rows["team"],
                        "metric": card["label"],
                        "unit": card["unit"],
                        "previous": before,
                        "current": now,
                        "change": change,
                    }
                )
    moves.sort(key=lambda move: (-abs(move["change"]), move["team"]["name"], move["metric"]))
    return moves[:MOVERS]


def open_alerts(*, membership: Membership, filters: Filters | None = None, limit: int = 5) -> dict:
    """The member's unresolved alerts (what the alert inbox shows them), newest first; with a
    team, department or location chosen, those about it (a team's alerts, and the department's
    or location's own). Alerts are work still to do, so the date range does not narrow them."""
    alerts = alerts_for_member(membership=membership).exclude(status=AlertStatus.RESOLVED)
    if filters is not None:
        for dimension, ids, team_field in (
            ("team", filters.team_ids, "team_id"),
            ("department", filters.department_ids, "team__department_id"),
            ("location", filters.location_ids, "team__location_id"),
        ):
            if ids is not None:
                own = [f"{dimension}:{pk}" for pk in ids]
                alerts = alerts.filter(Q(**{f"{team_field}__in": ids}) | Q(scope_key__in=own))
    return {"count": alerts.count(), "items": list(alerts.select_related("survey")[:limit])}


def overview_tables(*, cards: list[dict], moves: list[dict], compared: bool) -> list[Table]:
    """The cards' figures as tables; `compared`: with the organisation's figure beside each."""
    headers = ["Metric", "Survey", "Period", "Value", "Previous period", "Change", "Responses"]
    headline = Table(
        key="headline",
        caption="Headline figures",
        headers=headers + [ORGANISATION] if compared else headers,
    )
    for card in cards:
        if card.get("survey") is None:
            headline.rows.append(
                [card["label"], "No survey yet"] + [""] * (len(headline.headers) - 2)
            )
            continue
        shown = card["hidden_text"] if card["suppressed"] else card["value"]
        row = [
            card["label"],
            card["survey"].title,
            card["period"] or "",
            shown,
            card["previous"],
            card["change"],
            card["respondents"],
        ]
        if compared:
            note = card.get("organisation_note", "")
            row.append("" if card["empty"] else (note or card["organisation"]))
        headline.rows.append(row)
    trend = Table(key="trend", caption="Headline trend", headers=["Metric", "Period", "Value"])
    for card in cards:
        points = zip(
            card.get("spark_labels", []),
            card.get("spark", []),
            card.get("spark_notes", []),
            strict=True,
        )
        for label, value, note in points:
            trend.rows.append([card["label"], label, note or value])
    movers = Table(
        key="movers",
        caption="Teams that moved most",
        headers=["Team", "Metric", "Previous period", "Current period", "Change"],
        rows=[
            [m["team"]["name"], m["metric"], m["previous"], m["current"], m["change"]]
            for m in moves
        ],
    )
    return [headline, trend, movers]


def overview_dashboard(*, filters: Filters, membership: Membership) -> dict:
    cards = headline_cards(filters=filters, membership=membership)
    for card in cards:
        # A sparkline of gaps only (every period hidden) would be an empty frame: none is drawn.
        if not card["empty"] and any(value is not None for value in card["spark"]):
            card["chart"] = {
                "type": "line",
                "sparkline": True,
                "labels": card["spark_labels"],
                "datasets": [{"label": card["label"], "data": card["spark"]}],
                # A move of a few tenths is not drawn as a leap: the line spans at least this.
                "min_span": SPARK_MIN_SPAN.get(card["key"], 10),
            }
    moves = teams_that_moved(filters=filters, cards=cards)
    return {
        "cards": cards,
        "period_note": WHOLE_RANGE_NOTE if filters.period == "all" else "",
        "moves": moves,
        "alerts": open_alerts(membership=membership, filters=filters),
        "tables": overview_tables(cards=cards, moves=moves, compared=filters.narrowed),
    }
