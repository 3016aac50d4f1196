"""A table of figures: what a chart draws, its accessible table shows and an export writes.

Building every dashboard section as a `Table` first keeps the three in step: the chart data, the
table behind the chart and the CSV/XLSX export are the same rows, with the same suppression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dashboards.anonymity import HIDDEN_TEXTS, NOT_ENOUGH

HIDDEN = NOT_ENOUGH  # the text of a cell hidden for its size (anonymity.hidden_text)


def hidden_texts(rows: Sequence[Sequence]) -> list[str]:
    """The texts of the rows' hidden cells (for their size, or to protect a smaller group)."""
    return [
        value for row in rows for value in row if isinstance(value, str) and value in HIDDEN_TEXTS
    ]


def hidden_in(row: Sequence) -> bool:
    """Whether a table row holds a hidden cell."""
    return bool(hidden_texts([row]))


def bar_label(name: str, *, hidden: bool) -> str:
    """A bar's label: a hidden group's says so, so its missing bar does not read as a zero."""
    return f"{name} (hidden)" if hidden else name


@dataclass
class Table:
    key: str  # slug: element ids, sheet names
    caption: str
    headers: Sequence[str]
    rows: list[list[Any]] = field(default_factory=list)
    chart: dict | None = None  # Chart.js config (type, labels, datasets) built from the rows
    # Why the chart has nothing to draw, said in its place (figures.explain_blank_chart).
    note: str = ""
    # The XLSX sheet's name, when the caption says more than a name (else the caption's start).
    sheet: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def all_hidden(self) -> bool:
        """Whether every row is hidden for anonymity: a table of "not enough" rows only."""
        return bool(self.rows) and all(hidden_in(row) for row in self.rows)

    @property
    def plotted(self) -> bool:
        """Whether the chart has a point of its own to draw: one of gaps only would be bare
        axes, and one of comparisons only (the organisation beside a hidden team) would not be
        the selection's chart."""
        return bool(self.chart) and any(
            value is not None
            for dataset in self.chart["datasets"]
            if "compare_of" not in dataset
            for value in dataset["data"]
        )
