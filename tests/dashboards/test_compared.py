"""The organisation's figures beside a narrowed selection (a team lead's team, a team, department
or location filter): overview cards, trend tables and charts, the heatmap's first row.

Hand-worked on tests/dashboards/dashdata.py's March data (threshold 5):
    Front desk (the team lead's team): eNPS 16.7, engagement 66.7, recognition 50.0 (n 6);
        CSAT 50.0 (n 6).
    Organisation (13 people): eNPS (6 promoters - 5 detractors) / 13 = 7.7; engagement 8/13 =
        61.5; recognition favourable 3 (Front desk) + 2 (Night shift: 4, 5) + 0 = 5/13 = 38.5.
        CSAT (17 customers): 13/17 = 76.5.
"""

from __future__ import annotations

import json
import re

import pytest

from dashboards.selectors.tables import HIDDEN
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH_FILTER, ex_cx, rebuild, store
from tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    return ex_cx(world)


def _tables(response) -> dict:
    assert response.status_code == 200
    return {table.key: table for table in response.context["tables"]}


def _by_header(table, first: str) -> dict:
    """The row whose first cell is `first`, as {header: cell}."""
    row = next(row for row in table.rows if row[0] == first)
    return dict(zip(table.headers, row, strict=True))


def _chart(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html)
    assert found, chart_id
    return json.loads(found.group(1))


def test_team_lead_ex_trends_carry_the_organisation(data, login):
    page = login(data.world.team_lead).get("/dashboards/ex/", MARCH_FILTER)
    trends = _tables(page)["trends"]
    assert trends.headers[-2:] == ["eNPS (organisation)", "Engagement (organisation)"]
    march = _by_header(trends, "2026-03")
    assert (march["eNPS"], march["Engagement"]) == (16.7, 66.7)
    assert (march["eNPS (organisation)"], march["Engagement (organisation)"]) == (7.7, 61.5)
    # Drawn as dashed lines of the team's colours: each comparison names its dataset.
    chart = _chart(page.content.decode(), "chart-trends")
    assert [(d["label"], d.get("compare_of")) for d in chart["datasets"]] == [
        ("eNPS", None),
        ("Engagement", None),
        ("eNPS (organisation)", 0),
        ("Engagement (organisation)", 1),
    ]
    assert chart["datasets"][2]["data"] == [7.7]


def test_organisation_figures_match_the_scores_api(data, login):
    """The comparison is the figure HR reads for the whole organisation."""
    page = login(data.world.team_lead).get("/dashboards/ex/", MARCH_FILTER)
    compared = _by_header(_tables(page)["trends"], "2026-03")["eNPS (organisation)"]
    api = login(data.world.hr_admin).get(
        f"/api/v1/surveys/{data.ex.id}/scores/",
        {"period": "month", "start": "2026-03-01", "end": "2026-03-31"},
    )
    (result,) = api.json()["results"]
    assert result["group"] is None
    score = next(q["score"] for q in result["questions"] if q["question"] == data.enps.id)
    assert score == compared == 7.7


def test_team_lead_heatmap_starts_with_the_organisation(data, login):
    page = login(data.world.team_lead).get("/dashboards/ex/", MARCH_FILTER)
    heatmap = _tables(page)["heatmap"]
    organisation, team = heatmap.rows
    assert organisation[:2] == ["Organisation", 13]
    assert _by_header(heatmap, "Organisation")["Recognition"] == 38.5
    assert _by_header(heatmap, "Organisation")["Recognition n"] == 13
    assert team[:2] == ["Front desk", 6]
    assert _by_header(heatmap, "Front desk")["Recognition"] == 50.0
    html = page.content.decode()
    assert '<tr class="heat-comparison"><th scope="row">Organisation</th><td>13</td>' in html


def test_team_lead_overview_cards_carry_the_organisation(data, login):
    page = login(data.world.team_lead).get("/dashboards/", MARCH_FILTER)
    cards = {card["key"]: card for card in page.context["cards"]}
    assert (cards["enps"]["value"], cards["enps"]["organisation"]) == (16.7, 7.7)
    assert (cards["engagement"]["value"], cards["engagement"]["organisation"]) == (66.7, 61.5)
    assert (cards["csat"]["value"], cards["csat"]["organisation"]) == (50.0, 76.5)
    headline = _tables(page)["headline"]
    assert headline.headers[-1] == "Organisation"
    assert _by_header(headline, "eNPS")["Organisation"] == 7.7
    assert _by_header(headline, "CSAT")["Organisation"] == 76.5
    html = page.content.decode()
    assert "Organisation: <strong>7.7</strong>" in html
    assert "Organisation: <strong>76.5%</strong>" in html


def test_cx_trends_and_breakdowns_for_the_team_lead(data, login):
    page = login(data.world.team_lead).get("/dashboards/cx/", MARCH_FILTER)
    tables = _tables(page)
    march = _by_header(tables["trends"], "2026-03")
    assert (march["CSAT"], march["CSAT (organisation)"]) == (50.0, 76.5)
    # By team: the organisation's row and bar first (17 customers), then the team's only.
    assert [row[:3] for row in tables["teams"].rows] == [
        ["Organisation", 17, 76.5],
        ["Front desk", 6, 50.0],
    ]
    assert tables["teams"].chart["labels"] == ["Organisation", "Front desk"]
    assert tables["teams"].chart["datasets"][0]["data"] == [76.5, 50.0]
    assert tables["teams"].chart["reference"] == [0]  # drawn grey (charts.js)


def test_whole_organisation_has_no_comparison(data, login):
    """HR without a filter reads the organisation itself: nothing to compare with."""
    client = login(data.world.hr_admin)
    tables = _tables(client.get("/dashboards/ex/", MARCH_FILTER))
    trends = tables["trends"]
    assert not any("organisation" in header for header in trends.headers)
    assert all("compare_of" not in dataset for dataset in trends.chart["datasets"])
    assert [row[0] for row in tables["heatmap"].rows][:1] == ["All teams"]
    overview = client.get("/dashboards/", MARCH_FILTER)
    assert "Organisation" not in _tables(overview)["headline"].headers
    assert all("organisation" not in card for card in overview.context["cards"])


def test_hidden_team_keeps_the_organisation_beside_it(data, login):
    """Kitchen (2 people) is hidden; the organisation's figures are still shown beside it (HR
    reads them on the same page without the filter: no small group is given away)."""
    page = login(data.world.hr_admin).get(
        "/dashboards/ex/", {**MARCH_FILTER, "team": data.kitchen.id}
    )
    march = _by_header(_tables(page)["trends"], "2026-03")
    assert march["eNPS"] == HIDDEN
    assert march["eNPS (organisation)"] == 7.7


def test_department_filter_compares_with_the_organisation(data, login, world):
    from tests.factories import DepartmentFactory

    operations = DepartmentFactory(organization=world.org, name="Operations")
    service = DepartmentFactory(organization=world.org, name="Service")
    for team, department in ((world.team, operations), (data.kitchen, operations)):
        team.department = department
        team.save()
    world.other_team.department = service
    world.other_team.save()
    rebuild(data.ex)
    page = login(world.hr_admin).get(
        "/dashboards/ex/", {**MARCH_FILTER, "department": operations.id}
    )
    march = _by_header(_tables(page)["trends"], "2026-03")
    # Operations = Front desk + Kitchen (8 people): promoters 3, detractors 2 + 2 -> -12.5.
    assert (march["eNPS"], march["eNPS (organisation)"]) == (-12.5, 7.7)
    heatmap = _tables(page)["heatmap"]
    assert [row[0] for row in heatmap.rows][:2] == ["Organisation", "Whole selection"]


def test_organisation_below_the_threshold_is_hidden_beside_its_team(world, login):
    """An organisation of 4 respondents: neither the team nor the organisation is shown."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, title="Tiny")
    enps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    store(survey=survey, team=world.team, columns={enps: [10, 9, 0, 8]})
    rebuild(survey)
    page = login(world.team_lead).get("/dashboards/ex/", {**MARCH_FILTER, "survey": survey.id})
    march = _by_header(_tables(page)["trends"], "2026-03")
    assert march["eNPS"] == HIDDEN
    assert march["eNPS (organisation)"] == HIDDEN
    cards = login(world.team_lead).get("/dashboards/", MARCH_FILTER).context["cards"]
    enps_card = next(card for card in cards if card["key"] == "enps")
    assert enps_card["organisation"] is None
    assert enps_card["organisation_note"] == HIDDEN


def test_no_responses_in_the_range_says_so(data, login):
    page = login(data.world.team_lead).get(
        "/dashboards/ex/", {"start": "2026-04-01", "end": "2026-04-30", "period": "month"}
    )
    april = _by_header(_tables(page)["trends"], "2026-04")
    assert april["eNPS (organisation)"] == "No responses"


def test_exports_carry_the_organisation_beside_the_team(data, login):
    import csv
    import io

    client = login(data.world.team_lead)
    response = client.get("/dashboards/export/ex.csv", MARCH_FILTER)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[rows.index(["Score trends"]) + 1]
    march = dict(zip(header, rows[rows.index(["Score trends"]) + 2], strict=True))
    assert (march["eNPS"], march["eNPS (organisation)"]) == ("16.7", "7.7")
    start = rows.index(["Favourability by team and driver (% favourable)"]) + 2
    assert rows[start][:2] == ["Organisation", "13"]
    assert rows[start + 1][:2] == ["Front desk", "6"]
    overview = client.get("/dashboards/export/overview.csv", MARCH_FILTER)
    text = b"".join(overview.streaming_content).decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[rows.index(["Headline figures"]) + 1]
    assert header[-1] == "Organisation"
    enps = next(row for row in rows if row and row[0] == "eNPS")
    assert enps[-1] == "7.7"


def test_the_team_leads_movers_are_their_teams_figures(data, login):
    """A team lead's "moved most" lists their own team's figures: no team column to repeat."""
    lead = login(data.world.team_lead).get("/dashboards/", MARCH_FILTER).content.decode()
    assert "What moved most" in lead and "Teams that moved most" not in lead
    assert "Your team has no figure for both this period and the previous one yet." in lead
    hr = login(data.world.hr_admin).get("/dashboards/", MARCH_FILTER).content.decode()
    assert "Teams that moved most" in hr and "What moved most" not in hr


def test_the_xlsx_export_carries_the_organisation_too(data, login):
    import io

    from openpyxl import load_workbook

    response = login(data.world.team_lead).get("/dashboards/export/cx.xlsx", MARCH_FILTER)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    trends = list(workbook["Score trends"].iter_rows(values_only=True))
    assert trends[1][-1] == "CSAT (organisation)"
    assert trends[2][0] == "2026-03" and trends[2][-1] == 76.5
    teams = list(workbook["By team"].iter_rows(values_only=True))
    assert [row[:3] for row in teams[2:]] == [("Organisation", 17, 76.5), ("Front desk", 6, 50.0)]


def test_locations_within_a_team_say_they_are_the_teams_responses(data, login):
    """A location's row within a team is that team's customers there (QA: a team lead read
    "Seattle Waterfront 775" beside the CX manager's 3,476 for the same location)."""
    lead = _tables(login(data.world.team_lead).get("/dashboards/cx/", MARCH_FILTER))
    assert (
        lead["locations"].caption == "By location: the selected team's responses at each location"
    )
    html = login(data.world.team_lead).get("/dashboards/cx/", MARCH_FILTER).content.decode()
    assert "The selected team&#x27;s responses at each location, not the whole location's." in html
    whole = _tables(login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER))
    assert whole["locations"].caption == "By location"
