"""`table_body` writes a Table's rows as the template loop did: a row header, em dashes for
missing figures, every value escaped."""

from __future__ import annotations

from django.template import Context, Template

from dashboards.selectors.tables import Table
from dashboards.templatetags.dashboard_tables import table_body


def test_rows_with_a_header_cell_dashes_and_escaping():
    table = Table(
        key="by-team",
        caption="By team",
        headers=["Team", "NPS", "Responses"],
        rows=[['<script>alert("x")</script>', None, 12], ["Front & back", 31.5, 0]],
    )
    html = str(table_body(table))
    assert html == (
        '<tr><th scope="row">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</th>'
        "<td>—</td><td>12</td></tr>\n"
        '<tr><th scope="row">Front &amp; back</th><td>31.5</td><td>0</td></tr>'
    )


def test_same_cells_as_the_template_loop_drew():
    table = Table(
        key="t", caption="t", headers=["a", "b"], rows=[["Night shift", 7.25], ["x", None]]
    )
    loop = Template(
        "{% for row in table.rows %}<tr>{% for cell in row %}{% if forloop.first %}"
        '<th scope="row">{{ cell }}</th>{% else %}<td>{{ cell|default_if_none:"—" }}</td>'
        "{% endif %}{% endfor %}</tr>{% if not forloop.last %}\n{% endif %}{% endfor %}"
    ).render(Context({"table": table}))
    assert str(table_body(table)) == loop
