"""Tables of figures shared by the dashboards: a metric over time, a metric by group.

Both read `metric_by_group` (the scores API's own function), so a hidden group or period is
hidden here exactly as in the API, and both tell "hidden" apart from "nobody answered".
"""

from __future__ import annotations

from dashboards.anonymity import PROTECTS_ANOTHER, hidden_text
from dashboards.forms import METRIC_TYPES
from dashboards.selectors.common import Filters, period_starts
from dashboards.selectors.scores import metrics_by_group, period_label, scored_questions
from dashboards.selectors.tables import HIDDEN, Table, bar_label, hidden_texts

NO_DATA = "No responses"
SCALE = {
    "enps": (-100, 100),
    "nps": (-100, 100),
    "engagement": (0, 100),
    "csat": (0, 100),
    "ces": (1, 7),
}
# The y axis a score trend draws each metric on (charts.js): the two scores share one, the
# percentages another, CES's mean its own, each over its metric's whole scale (SCALE), so a CES
# of 5.2 is not drawn near 0 on the scores' axis and a CSAT of 79-85 is not a cliff.
AXIS = {"enps": "score", "nps": "score", "engagement": "percent", "csat": "percent", "ces": "mean"}
AXIS_UNIT = {"score": "-100 to 100", "percent": "%", "mean": "mean, 1–7"}


def scope_range(filters: Filters) -> dict:
    """start, end and the narrowing, for score selectors that also take `survey`."""
    return {"start": filters.start, "end": filters.end, **filters.narrowing()}


def present_metrics(filters: Filters, wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (metric, label) pairs of `wanted` that the filtered survey has a question for."""
    types = {question["type"] for question in scored_questions(survey=filters.survey)}
    return [(metric, label) for metric, label in wanted if METRIC_TYPES[metric] in types]


def blank_reason(*, hidden: list[str], threshold: int) -> str:
    """Why a chart or table of the selection shows no figure, given the texts of its hidden
    cells (anonymity.hidden_text): hidden (only to protect smaller groups, or not), or nobody
    answered (none hidden)."""
    if hidden and all(text == PROTECTS_ANOTHER for text in hidden):
        return (
            f"{PROTECTS_ANOTHER}: a group of at least {threshold} respondents is hidden too "
            "when its figures would let a smaller one be worked out by subtraction."
        )
    if hidden:
        return f"{HIDDEN}: figures are shown for groups of at least {threshold} respondents."
    return "No responses in this range."


def explain_blank_chart(table: Table, *, threshold: int) -> Table:
    """`table` with the reason its chart would draw nothing, for the page to say instead of
    drawing bare axes (a hidden row anywhere makes it "hidden")."""
    if not table.plotted:
        table.note = blank_reason(hidden=hidden_texts(table.rows), threshold=threshold)
    return table


def display_period(label: str) -> str:
    return "Whole range" if label == "all" else label


def _cells(row: dict | None) -> list:
    """[value, n] for a table, or the reason there is none."""
    if row is not None and row["suppressed"]:
        return [hidden_text(row), ""]
    if row is None or row["value"] is None:
        return [NO_DATA, (row["n"] or 0) if row else 0]
    return [row["value"], row["n"]]


def _plotted(row: dict | None) -> float | None:
    return None if row is None or row["suppressed"] else row["value"]


ORGANISATION = "Organisation"


def compared_label(label: str) -> str:
    """The header and legend of the organisation's figure beside a narrowed one."""
    return f"{label} (organisation)"


def _by_period(filters: Filters, metrics: list[tuple[str, str]]) -> dict[str, dict]:
    """{metric: {period start: row}} over the filters' range."""
    rows_of = metrics_by_group(
        survey=filters.survey,
        metrics=[metric for metric, _ in metrics],
        period=filters.period,
        **scope_range(filters),
    )
    return {metric: {row["period_start"]: row for row in rows} for metric, rows in rows_of.items()}


def _compared(row: dict | None) -> float | str | None:
    """The organisation's figure beside a narrowed one: the value, or why there is none."""
    return _cells(row)[0]


def series(*, filters: Filters, metrics: list[tuple[str, str]], caption: str, key: str) -> Table:
    """One row per period of the range with each metric's value and n; a line chart of them
    (a gap, never a zero, where a period is hidden or empty), each metric on its scale's own
    y axis (`yAxisID`, trend_axes). A selection narrowed to a team, department or location
    also gets the organisation's figure per metric and period: a column and a dashed line of
    the same colour on the same axis (`compare_of`, charts.js)."""
    by_metric = _by_period(filters, metrics)
    whole = _by_period(filters.whole(), metrics) if filters.narrowed else None
    starts = period_starts(period=filters.period, start=filters.start, end=filters.end) or [None]
    headers = ["Period", "Responses"]
    for _, label in metrics:
        headers += [label, f"{label} n"]
    datasets = [{"label": label, "data": [], "yAxisID": AXIS[metric]} for metric, label in metrics]
    if whole is not None:
        headers += [compared_label(label) for _, label in metrics]
        datasets += [
            {"label": compared_label(label), "data": [], "yAxisID": AXIS[metric], "compare_of": i}
            for i, (metric, label) in enumerate(metrics)
        ]
    table = Table(key=key, caption=caption, headers=headers)
    for start in starts:
        rows = [by_metric[metric].get(start) for metric, _ in metrics]
        present = next((row for row in rows if row is not None), None)
        cells = [
            display_period(period_label(filters.period, start)),
            present["respondents"] if present else 0,
        ]
        if whole is not None:
            rows += [whole[metric].get(start) for metric, _ in metrics]
        for index, (dataset, row) in enumerate(zip(datasets, rows, strict=True)):
            dataset["data"].append(_plotted(row))
            cells += _cells(row) if index < len(metrics) else [_compared(row)]
        table.rows.append(cells)
    table.chart = {
        "type": "line",
        "labels": [row[0] for row in table.rows],
        "datasets": datasets,
        "axes": trend_axes(metrics),
    }
    return explain_blank_chart(table, threshold=filters.threshold) if metrics else table


def trend_axes(metrics: list[tuple[str, str]]) -> list[dict]:
    """The y axes the metrics are drawn on (AXIS), only those used, scores first: each with its
    title, its metric's whole scale and its side (the first on the left, the others right)."""
    axes = []
    for axis in ("score", "percent", "mean"):
        drawn = [(metric, label) for metric, label in metrics if AXIS[metric] == axis]
        if drawn:
            low, high = SCALE[drawn[0][0]]
            axes.append(
                {
                    "id": axis,
                    "title": f"{', '.join(label for _, label in drawn)} ({AXIS_UNIT[axis]})",
                    "min": low,
                    "max": high,
                    "position": "right" if axes else "left",
                }
            )
    return axes


def _by_score(first: dict[tuple, dict]):
    """A sort key for groups, best first by the first metric's figure (every metric's scale
    reads higher as better: a CES of 7 is "very easy"), ties by name; then the groups without a
    figure, then the hidden ones, each by name. A hidden group's figure is never read here, so
    its place says nothing about it."""

    def key(group: tuple) -> tuple:
        row = first.get(group)
        if row is not None and row["suppressed"]:
            return (2, 0, group[1])
        value = _plotted(row)
        return (1, 0, group[1]) if value is None else (0, -value, group[1])

    return key


def breakdown(
    *,
    filters: Filters,
    metrics: list[tuple[str, str]],
    group_by: str,
    caption: str,
    key: str,
    by_score: bool = False,
) -> Table:
    """One row per group (team, department or location) over the whole range; a bar chart of
    the first metric. Groups by name, or with `by_score` best first (_by_score), in the chart
    and the table alike; the organisation's row, when there is one, stays first."""
    rows_of = metrics_by_group(
        survey=filters.survey,
        metrics=[metric for metric, _ in metrics],
        group_by=group_by,
        period="all",
        **scope_range(filters),
    )
    by_metric = {
        metric: {(row["group"]["id"], row["group"]["name"]): row for row in rows}
        for metric, rows in rows_of.items()
    }
    groups = sorted(
        {group for rows in by_metric.values() for group in rows}, key=lambda g: (g[0] is None, g[1])
    )
    if by_score and metrics:
        groups.sort(key=_by_score(by_metric[metrics[0][0]]))
    headers = [group_by.capitalize(), "Responses"]
    for _, label in metrics:
        headers += [label, f"{label} n"]
    table = Table(key=key, caption=caption, headers=headers)
    # A narrowed selection (a team lead's team) is read beside the organisation's figure: a
    # first row and bar, as the heatmap's first row.
    if groups and metrics and filters.narrowed:
        whole = metrics_by_group(
            survey=filters.survey,
            metrics=[metric for metric, _ in metrics],
            period="all",
            **scope_range(filters.whole()),
        )
        if any(whole.values()):
            by_metric = {
                metric: {**by_metric[metric], (None, ORGANISATION): next(iter(whole[metric]), None)}
                for metric in by_metric
            }
            groups = [(None, ORGANISATION), *groups]
    for group in groups:
        rows = [by_metric[metric].get(group) for metric, _ in metrics]
        present = next(row for row in rows if row is not None)
        table.rows.append(
            [group[1], present["respondents"], *[c for row in rows for c in _cells(row)]]
        )
    if groups and metrics:
        first = by_metric[metrics[0][0]]
        low, high = SCALE[metrics[0][0]]
        table.chart = {
            "type": "bar",
            "labels": [
                bar_label(group[1], hidden=bool(first.get(group) and first[group]["suppressed"]))
                for group in groups
            ],
            "datasets": [
                {"label": metrics[0][1], "data": [_plotted(first.get(group)) for group in groups]}
            ],
            "min": low,  # bars start from the scale's own floor, never from the data
            "max": high,
        }
        if groups[0] == (None, ORGANISATION):
            table.chart["reference"] = [0]  # the organisation's bar, drawn as a reference
    return explain_blank_chart(table, threshold=filters.threshold) if metrics else table
