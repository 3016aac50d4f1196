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
  <td class="heat-na" colspan="{{ heatmap.drivers|length }}">{{ row.hidden_text }}</td>
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
            {
                "name": 'Night <b>&"',
                "respondents": 3,
                "suppressed": True,
                "hidden_text": "Not enough responses to protect anonymity",
                "cells": [],
            },
            {
                "name": "Day",
                "respondents": 9,
                "suppressed": True,
                "hidden_text": "Hidden to protect a smaller group's anonymity",
                "cells": [],
            },
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


def test_numbers_are_written_as_localize_writes_them_in_every_language():
    import random

    from django.utils import translation
    from django.utils.formats import localize

    from dashboards.templatetags.dashboard_tables import _writer

    rng = random.Random(8)
    values = [0, -0.0, 7, -12, 10**12, 61.5, -3.25, 100.0, 1e-05, 2.5e16, float("nan"), True]
    values += [rng.randint(-(10**6), 10**6) for _ in range(200)]
    values += [round(rng.uniform(-1000, 1000), rng.randint(0, 3)) for _ in range(200)]
    for language in ("en", "fr", "de", "es"):
        with translation.override(language):
            write = _writer()
            for value in values:
                assert write(value) == str(localize(value)), (language, value)


def test_a_french_page_writes_decimal_commas():
    from django.utils import translation

    table = Table(key="t", caption="t", headers=["a", "b"], rows=[["Équipe <1>", 61.5]])
    with translation.override("fr"):
        loop = Template(
            '{% for row in table.rows %}<tr><th scope="row">{{ row.0 }}</th>'
            "<td>{{ row.1 }}</td></tr>{% endfor %}"
        ).render(Context({"table": table}))
        assert str(table_body(table)) == loop
    assert "61,5" in loop and "&lt;1&gt;" in loop
