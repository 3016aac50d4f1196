"""The filter bar's FastSelect draws the same options as Django's Select, escaped; its model
lists are read by one plain query each."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.forms import DashboardFilterForm, FastSelect

CHOICES = [("", "All teams"), (1, "Front desk"), (2, '<script>alert("x")</script> & co')]
LISTS = ("survey", "department", "team", "location")


def _options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, bool(selected), label.strip())
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html
        )
    ]


def test_same_options_and_selection_as_django_select():
    for value in ("", 2, "2", None):
        attrs = {"id": "id_team", "class": "form-select"}
        ours = FastSelect(choices=CHOICES).render("team", value, attrs)
        django = forms.Select(choices=CHOICES).render("team", value, attrs)
        assert _options(ours) == _options(django)
        for attribute in ('name="team"', 'id="id_team"', 'class="form-select"'):
            assert attribute in ours.split(">", 1)[0]
    html = FastSelect(choices=CHOICES).render("team", 2, {})
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; co" in html
    assert '<option value="2" selected>' in html


@pytest.mark.django_db
def test_the_filter_bar_reads_each_list_in_one_plain_query(world):
    """ListedModelChoiceField: the same options as Django's ModelChoiceField, each list read
    by one SELECT (Django's iterator() opens a server-side cursor on PostgreSQL: three round
    trips a list)."""
    form = DashboardFilterForm({}, organization=world.org)
    assert form.is_valid(), form.errors
    with CaptureQueriesContext(connection) as captured:
        # Iterated as FastSelect does (list() would ask for a COUNT first, for its length).
        choices = {name: [c for c in form.fields[name].choices] for name in LISTS}
    sql = [query["sql"] for query in captured.captured_queries]
    assert len(sql) == len(LISTS) and all(q.lstrip().startswith("SELECT") for q in sql)
    for name in LISTS:
        plain = forms.ModelChoiceField(
            queryset=form.fields[name].queryset, empty_label=form.fields[name].empty_label
        )
        assert [(str(v), label) for v, label in choices[name]] == [
            (str(v), label) for v, label in plain.choices
        ]
    assert len(choices["team"]) > 1  # the world's teams, after "All teams"
