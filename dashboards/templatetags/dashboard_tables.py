"""`{{ table|table_body }}`: the rows of a dashboard Table as HTML, written in Python;
`{{ heatmap|heatmap_body }}` the same for the EX page's teams x drivers heatmap.

A by-team table of 200 teams and six columns is 1,200 cells; drawn with template loops it was a
third of a dashboard page's time. The output is what the loop drew: the first cell a row header,
None as an em dash, every value localised and escaped as `{{ value }}` would be. Strings are
joined directly rather than through format_html, and numbers are localised with the active
language's decimal separator looked up once per table (localize() looks it up per number):
drawing the EX heatmap took ~10 ms of a page that way, ~2 ms now.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from django import template
from django.conf import settings
from django.utils.formats import get_format, localize
from django.utils.safestring import mark_safe

register = template.Library()


def _text(value) -> str:
    """What `{{ value }}` writes for a value that is not a number: localised, escaped."""
    value = localize(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _writer() -> Callable[[object], str]:
    """A function writing a cell's value as `{{ value }}` would (localize, then escape), with
    the active language's formats read once: ints and floats (written as localize() writes
    them without grouping: str() with the language's decimal separator) need no escaping."""
    if settings.USE_THOUSAND_SEPARATOR:
        return _text
    separator = escape(str(get_format("DECIMAL_SEPARATOR")))

    def write(value) -> str:
        kind = type(value)
        if kind is int:
            return str(value)
        if kind is float:
            written = str(value)
            if "e" not in written and "n" not in written:  # not 1e-05, nan or inf
                return written.replace(".", separator)
        return _text(value)

    return write


def _row(row, write) -> str:
    if not row:
        return "<tr></tr>"
    first, *rest = row
    cells = "".join("<td>—</td>" if c is None else f"<td>{write(c)}</td>" for c in rest)
    return f'<tr><th scope="row">{write(first)}</th>{cells}</tr>'


@register.filter
def table_body(table) -> str:
    write = _writer()
    return mark_safe("\n".join(_row(row, write) for row in table.rows))  # noqa: S308 - escaped


def _heat_cell(cell: dict, write) -> str:
    css = escape(cell["css"])
    if cell["favourable"] is None:
        return f'<td class="heat-cell {css}">—</td>'
    return (
        f'<td class="heat-cell {css}">{write(cell["favourable"])}%<br>'
        f"<small>n={write(cell['n'])}</small></td>"
    )


def _heat_row(row: dict, columns: int, write) -> str:
    if row["suppressed"]:
        cells = f'<td class="heat-na" colspan="{columns}">{_text(row["hidden_text"])}</td>'
    else:
        cells = "".join(_heat_cell(cell, write) for cell in row["cells"])
    opening = '<tr class="heat-comparison">' if row.get("comparison") else "<tr>"
    return (
        f'{opening}<th scope="row">{_text(row["name"])}</th><td>{write(row["respondents"])}</td>'
        f"{cells}</tr>"
    )


@register.filter
def heatmap_body(heatmap: dict) -> str:
    """The heatmap's rows (dashboards.selectors.ex.heatmap): 200 teams x the drivers' cells."""
    columns = len(heatmap["drivers"])
    write = _writer()
    return mark_safe(  # noqa: S308 - every value escaped above
        "\n".join(_heat_row(row, columns, write) for row in heatmap["rows"])
    )


@register.simple_tag
def filters_summary(filters) -> str:
    """What a printed page covers, in one line (the filter bar is not printed): survey, dates,
    period size, and the department, team or location chosen."""
    from dashboards.forms import LINK_PERIOD_CHOICES, PERIOD_CHOICES
    from surveys.models import Department, Location, Team

    parts = [f"Survey: {filters.survey.title}"] if filters.survey else []
    start, end = (day and f"{day.day} {day:%b %Y}" for day in (filters.start, filters.end))
    if start or end:
        parts.append(f"{start or 'the first response'} to {end or 'today'}")
    periods = dict(PERIOD_CHOICES + LINK_PERIOD_CHOICES)
    parts.append(f"Period size: {periods.get(filters.period, filters.period)}")
    for label, model, ids in (
        ("Department", Department, filters.department_ids),
        ("Team", Team, filters.team_ids),
        ("Location", Location, filters.location_ids),
    ):
        if ids:
            names = model.objects.filter(pk__in=ids).order_by("name").values_list("name", flat=True)
            parts.append(f"{label}: {', '.join(names)}")
    if not filters.narrowed:
        parts.append("Whole organisation")
    return " · ".join(parts)
