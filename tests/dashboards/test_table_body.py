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


# The EX heatmap's rows as templates/dashboards/ex.html drew them before heatmap_body.
HEATMAP_LOOP = """{% for row in heatmap.rows %}
<tr><th scope="row">{{ row.name }}</th><td>{{ row.respondents }}</td>
  {% if row.suppressed %}
  <td class="heat-na" colspan="{{ heatmap.drivers|length }}">Not enough responses to protect anonymity</td>
  {% else %}
  {% for cell in row.cells %}
  <td class="heat-cell {{ cell.css }}">{% if cell.favourable is None %}—{% else %}{{ cell.favourable }}%<br><small>n={{ cell.n }}</small>{% endif %}</td>
  {% endfor %}
  {% endif %}
</tr>
{% endfor %}"""


def test_heatmap_body_draws_what_the_template_loop_drew():
    import re

    from dashboards.templatetags.dashboard_tables import heatmap_body

    heatmap = {
        "drivers": [("growth", "Growth"), ("manager", "Manager")],
        "rows": [
            {
                "name": "All teams",
                "respondents": 1234,
                "suppressed": False,
                "cells": [
                    {"favourable": 61.5, "n": 40, "css": "heat-3"},
                    {"favourable": None, "n": 0, "css": "heat-na"},
                ],
            },
            {"name": 'Night <b>&"', "respondents": 3, "suppressed": True, "cells": []},
            {
                "name": "Front desk",
                "respondents": 12,
                "suppressed": False,
                "cells": [
                    {"favourable": 100.0, "n": 12, "css": "heat-5"},
                    {"favourable": 0.0, "n": 11, "css": "heat-0"},
                ],
            },
        ],
    }

    def squeezed(html: str) -> str:
        return re.sub(r">\s+<", "><", html.strip())

    drawn = Template(HEATMAP_LOOP).render(Context({"heatmap": heatmap}))
    assert squeezed(str(heatmap_body(heatmap))) == squeezed(drawn)
    assert "Night &lt;b&gt;&amp;&quot;" in drawn
