"""The score trends draw each scale on its own y axis (static/js/charts.js reads `axes` and each
dataset's `yAxisID`): NPS and eNPS on -100..100 on the left, percentages (CSAT, engagement) on
0..100 and CES's 1-7 mean on the right, only the axes in use, each over its whole scale
whatever the figures. The organisation's dashed line shares its metric's axis.

CX survey (not anonymous), March 2026, 5 customers per team:
    Front desk   NPS 10 10 9 7 0 -> (3 - 1) / 5 = 40.0   CSAT 5 4 4 3 1 -> 3/5 = 60.0
                 CES 7 6 5 5 2   -> 25 / 5 = 5.0
    Night shift  NPS 10 x5 -> 100.0   CSAT 5 x5 -> 100.0   CES 7 x5 -> 7.0
    Everyone     NPS (8 - 1) / 10 = 70.0   CSAT 8/10 = 80.0   CES (25 + 35) / 10 = 6.0
EX pulse: tests/dashboards/dashdata.py (March: eNPS 7.7, engagement 61.5).
"""

from __future__ import annotations

import json
import re

import pytest

from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH, MARCH_FILTER, ex_cx, rebuild, store
from tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

SCORE = {"id": "score", "min": -100, "max": 100, "position": "left"}
CX_AXES = [
    {**SCORE, "title": "NPS (-100 to 100)"},
    {"id": "percent", "title": "CSAT (%)", "min": 0, "max": 100, "position": "right"},
    {"id": "mean", "title": "CES (mean, 1–7)", "min": 1, "max": 7, "position": "right"},
]


@pytest.fixture
def cx(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    nps, csat, ces = (
        QuestionFactory(survey=survey, type=kind, order=order)
        for order, kind in enumerate(["nps", "csat", "ces"], start=1)
    )
    store(
        survey=survey,
        team=world.team,
        columns={nps: [10, 10, 9, 7, 0], csat: [5, 4, 4, 3, 1], ces: [7, 6, 5, 5, 2]},
    )
    store(
        survey=survey,
        team=world.other_team,
        columns={nps: [10] * 5, csat: [5] * 5, ces: [7] * 5},
    )
    rebuild(survey)
    return survey


def _trend_chart(response) -> dict:
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r'<script id="chart-trends" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


def _drawn(chart: dict) -> list[tuple]:
    return [(d["label"], d["yAxisID"], d["data"]) for d in chart["datasets"]]


def test_nps_csat_and_ces_each_get_their_own_axis(world, login, cx):
    chart = _trend_chart(
        login(world.cx_manager).get("/dashboards/cx/", {**MARCH_FILTER, "survey": cx.id})
    )
    assert chart["axes"] == CX_AXES
    assert _drawn(chart) == [
        ("NPS", "score", [70.0]),
        ("CSAT", "percent", [80.0]),
        ("CES", "mean", [6.0]),
    ]
    assert "min" not in chart and "max" not in chart  # no one range for every metric


def test_the_organisation_is_drawn_on_its_metrics_axis(world, login, cx):
    chart = _trend_chart(
        login(world.team_lead).get("/dashboards/cx/", {**MARCH_FILTER, "survey": cx.id})
    )
    assert chart["axes"] == CX_AXES
    assert _drawn(chart) == [
        ("NPS", "score", [40.0]),
        ("CSAT", "percent", [60.0]),
        ("CES", "mean", [5.0]),
        ("NPS (organisation)", "score", [70.0]),
        ("CSAT (organisation)", "percent", [80.0]),
        ("CES (organisation)", "mean", [6.0]),
    ]
    assert [d.get("compare_of") for d in chart["datasets"]] == [None, None, None, 0, 1, 2]


def test_only_the_axes_in_use_are_drawn(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    csat = QuestionFactory(survey=survey, type="csat")
    # 4 or 5: 4 of 5 -> 80.0; 3 of 5 -> 60.0.
    store(survey=survey, team=world.team, columns={csat: [5, 5, 4, 4, 1]})
    store(
        survey=survey, team=world.team, columns={csat: [5, 4, 4, 2, 1]}, when=MARCH.replace(day=20)
    )
    rebuild(survey)
    chart = _trend_chart(
        login(world.cx_manager).get("/dashboards/cx/", {**MARCH_FILTER, "survey": survey.id})
    )
    # CSAT alone: its 0..100 axis on the left, not an automatic 60-80 around the figure.
    assert chart["axes"] == [
        {"id": "percent", "title": "CSAT (%)", "min": 0, "max": 100, "position": "left"}
    ]
    assert _drawn(chart) == [("CSAT", "percent", [70.0])]  # 7 of 10


@pytest.mark.parametrize("start", ["2026-03-01", "2026-02-01"])
def test_enps_and_engagement_get_their_own_axes_over_one_or_more_periods(world, login, start):
    """One month or two, the axes run over the whole scales (before, a lone point got the
    metrics' scale and two points an automatic range)."""
    data = ex_cx(world)
    params = {**MARCH_FILTER, "survey": data.ex.id, "start": start}
    chart = _trend_chart(login(world.hr_admin).get("/dashboards/ex/", params))
    assert chart["axes"] == [
        {**SCORE, "title": "eNPS (-100 to 100)"},
        {"id": "percent", "title": "Engagement (%)", "min": 0, "max": 100, "position": "right"},
    ]
    gap = [None] if start == "2026-02-01" else []  # nobody answered in February
    assert _drawn(chart) == [
        ("eNPS", "score", [*gap, 7.7]),
        ("Engagement", "percent", [*gap, 61.5]),
    ]
