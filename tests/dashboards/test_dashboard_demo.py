"""The dashboards on the demo data (seed_demo --small): every page renders for every role, and
its figures are the scores API's (and the linkage API's) for the same survey, group and period.

The demo is built once for the module and committed, then removed at the end (the `demo` fixture
of tests/surveys/test_seed_demo.py); each test runs in its own rolled-back transaction on top.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from dashboards.forms import default_start
from dashboards.selectors.tables import HIDDEN
from surveys.demo import USERS
from surveys.models import Role, Survey
from tests.surveys import test_seed_demo

pytestmark = pytest.mark.django_db

demo = test_seed_demo.demo  # the module-scoped demo organisation, built once for this module
# The demo's six months end on the fixture's pinned date: the dashboards look at those months.
RANGE = {
    "start": default_start(test_seed_demo.NOW.date()).isoformat(),
    "end": test_seed_demo.NOW.date().isoformat(),
}


@pytest.fixture
def as_role(demo, client):
    def _as(role: str):
        user = next(u for u in USERS if u.role == role)
        client.force_login(get_user_model().objects.get(username=user.email))
        return client

    return _as


def _rows(response, key: str) -> list[list]:
    return next(table for table in response.context["tables"] if table.key == key).rows


def _api(client, survey_id: int, **params) -> list[dict]:
    response = client.get(f"/api/v1/surveys/{survey_id}/scores/", params)
    assert response.status_code == 200
    return response.json()["results"]


def _score(result: dict, question_type: str, field: str):
    """The first question of a type in an API result (the demo surveys have one outcome each)."""
    return next((q[field] for q in result.get("questions", []) if q["type"] == question_type), None)


def _range(response) -> dict:
    data = response.context["form"].cleaned_data
    return {"start": data["start"].isoformat(), "end": data["end"].isoformat()}


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.HR_ADMIN, "/dashboards/"),
        (Role.HR_ADMIN, "/dashboards/ex/"),
        (Role.HR_ADMIN, "/dashboards/link/"),
        (Role.CX_MANAGER, "/dashboards/"),
        (Role.CX_MANAGER, "/dashboards/cx/"),
        (Role.CX_MANAGER, "/dashboards/link/"),
        (Role.TEAM_LEAD, "/dashboards/"),
        (Role.TEAM_LEAD, "/dashboards/ex/"),
        (Role.TEAM_LEAD, "/dashboards/cx/"),
    ],
)
def test_demo_pages_render_with_figures(as_role, role, url):
    params = {} if url.endswith("link/") else RANGE
    response = as_role(role).get(url, params)
    assert response.status_code == 200
    assert response.context["tables"]


def test_demo_overview_cards_are_the_scores_api_figures(as_role):
    client = as_role(Role.HR_ADMIN)
    page = client.get("/dashboards/", RANGE)
    cards = {card["key"]: card for card in page.context["cards"]}
    enps = cards["enps"]
    assert enps["value"] is not None or enps["suppressed"]
    results = _api(client, enps["survey"].id, period="month", **_range(page))
    by_period = {result["period"]: result for result in results}
    current = by_period[enps["period"]]
    assert enps["value"] == (None if current["suppressed"] else _score(current, "nps", "score"))
    assert enps["spark"][-1] == enps["value"]


def test_demo_ex_trends_are_the_scores_api_figures(demo, as_role):
    client = as_role(Role.HR_ADMIN)
    pulse = Survey.objects.get(organization=demo, template_key="enps_pulse")
    page = client.get("/dashboards/ex/", {**RANGE, "survey": pulse.id, "period": "month"})
    api = {r["period"]: r for r in _api(client, pulse.id, period="month", **_range(page))}
    checked = 0
    for row in _rows(page, "trends"):
        result = api.get(row[0])
        if result is None:
            assert row[2] == "No responses"
        elif result["suppressed"]:
            assert row[2] == HIDDEN
        else:
            assert row[2] == _score(result, "nps", "score")
            checked += 1
    assert checked >= 3  # six months of pulses


def test_demo_cx_breakdown_by_team_is_the_scores_api_figures(as_role):
    client = as_role(Role.CX_MANAGER)
    page = client.get("/dashboards/cx/", {**RANGE, "period": "all"})
    survey = page.context["filters"].survey
    api = {r["group"]["name"]: r for r in _api(client, survey.id, group_by="team", **_range(page))}
    question_type = page.context["metrics"][0][0].replace("enps", "nps")
    field = "mean" if question_type == "ces" else "score"
    rows = _rows(page, "teams")
    assert rows
    for name, _respondents, value, *_ in rows:
        result = api[name]
        assert value == (HIDDEN if result["suppressed"] else _score(result, question_type, field))


def test_demo_link_page_is_the_linkage_api(as_role):
    client = as_role(Role.HR_ADMIN)
    page = client.get("/dashboards/link/")
    data = page.context["form"].cleaned_data
    params = {"ex_survey": data["ex_survey"].id, "cx_survey": data["cx_survey"].id}
    api = client.get("/api/v1/linkage/", params).json()
    assert page.context["result"] == api
    assert api["n"] >= 4  # the demo's teams have enough answers on both sides


def test_demo_team_lead_sees_only_their_team(as_role):
    client = as_role(Role.TEAM_LEAD)
    page = client.get("/dashboards/cx/", {**RANGE, "period": "all"})
    names = [row[0] for row in _rows(page, "teams")]
    lead = next(u for u in USERS if u.role == Role.TEAM_LEAD)
    assert names == ["Organisation", lead.team]  # their team beside the organisation, no other
