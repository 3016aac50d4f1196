"""`{{ table|table_body }}`: the rows of a dashboard Table as HTML, written in Python;
`{{ heatmap|heatmap_body }}` the same for the EX page's teams x drivers heatmap.

A by-team table of 200 teams and six columns is 1,200 cells; drawn with template loops it was a
third of a dashboard page's time. The output is what the loop drew: the first cell a row header,
None as an em dash, every value localised and escaped as `{{ value }}` would be.
"""

from __future__ import annotations

from django import template
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join

register = template.Library()


def _row(row) -> str:
    if not row:
        return format_html("<tr></tr>")
    first, *rest = row
    cells = format_html_join(
        "", "<td>{}</td>", (("—" if c is None else localize(c),) for c in rest)
    )
    return format_html('<tr><th scope="row">{}</th>{}</tr>', localize(first), cells)


@register.filter
def table_body(table) -> str:
    return format_html_join("\n", "{}", ((_row(row),) for row in table.rows))


def _heat_cell(cell: dict) -> str:
    if cell["favourable"] is None:
        return format_html('<td class="heat-cell {}">—</td>', cell["css"])
    return format_html(
        '<td class="heat-cell {}">{}%<br><small>n={}</small></td>',
        cell["css"],
        localize(cell["favourable"]),
        localize(cell["n"]),
    )


def _heat_row(row: dict, columns: int) -> str:
    if row["suppressed"]:
        cells = format_html(
            '<td class="heat-na" colspan="{}">Not enough responses to protect anonymity</td>',
            columns,
        )
    else:
        cells = format_html_join("", "{}", ((_heat_cell(cell),) for cell in row["cells"]))
    return format_html(
        '<tr><th scope="row">{}</th><td>{}</td>{}</tr>',
        row["name"],
        localize(row["respondents"]),
        cells,
    )


@register.filter
def heatmap_body(heatmap: dict) -> str:
    """The heatmap's rows (dashboards.selectors.ex.heatmap): 200 teams x the drivers' cells."""
    columns = len(heatmap["drivers"])
    return format_html_join("\n", "{}", ((_heat_row(row, columns),) for row in heatmap["rows"]))
