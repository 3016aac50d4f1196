"""The filter bar's FastSelect draws the same options as Django's Select, escaped."""

from __future__ import annotations

import re

from django import forms

from dashboards.forms import FastSelect

CHOICES = [("", "All teams"), (1, "Front desk"), (2, '<script>alert("x")</script> & co')]


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
