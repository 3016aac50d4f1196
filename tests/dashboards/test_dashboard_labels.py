"""What the dashboards' tables and headings call their figures: a count of responses is headed
"Responses" (the scores API's `respondents` is the number of responses, docs/metrics.md), on the
pages and in the exports. Data: tests/dashboards/dashdata.py (March 2026, threshold 5)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.dashboards.dashdata import MARCH_FILTER, ex_cx, rebuild, store

pytestmark = pytest.mark.django_db

APRIL = dt.datetime(2026, 4, 14, 12, 0, tzinfo=dt.UTC)
MARCH_AND_APRIL = {"start": "2026-03-01", "end": "2026-04-30", "period": "month"}


@pytest.fixture
def data(world):
    return ex_cx(world)


def _export_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_heatmap_column_counts_responses_of_every_round_and_says_so(data, login):
    # Front desk's six people answer the pulse again in April: 6 + 6 = 12 responses, 6 people.
    store(
        survey=data.ex,
        team=data.world.team,
        columns={
            data.enps: [10, 9, 9, 8, 7, 3],
            data.engagement: [5, 5, 4, 4, 2, 1],
            data.recognition: [4, 4, 4, 2, 2, 2],
        },
        when=APRIL,
    )
    rebuild(data.ex)
    client = login(data.world.hr_admin)
    page = client.get("/dashboards/ex/", MARCH_AND_APRIL)
    heat = next(table for table in page.context["tables"] if table.key == "heatmap")
    assert heat.headers[:2] == ["Team", "Responses"]
    # engagement: 4 of 6 favourable in March, 4 of 6 in April -> 8/12 = 66.7
    front_desk = next(row for row in heat.rows if row[0] == "Front desk")
    assert front_desk[:3] == ["Front desk", 12, 66.7]
    html = page.content.decode()
    assert '<th scope="col">Team</th><th scope="col">Responses</th>' in html
    assert "a pulse's respondents answer each round" in html
    assert "Respondents</th>" not in html
    export = _export_rows(client.get("/dashboards/export/ex.csv", MARCH_AND_APRIL))
    caption = export.index(["Favourability by team and driver (% favourable)"])
    assert export[caption + 1][:2] == ["Team", "Responses"]


@pytest.mark.parametrize(
    ("url", "role", "headed"),
    [
        ("/dashboards/", "hr_admin", {"headline": "Responses"}),
        ("/dashboards/ex/", "hr_admin", {"trends": "Responses", "heatmap": "Responses"}),
        (
            "/dashboards/cx/",
            "cx_manager",
            {
                "trends": "Responses",
                "teams": "Responses",
                "locations": "Responses",
                "agents": "Responses",
            },
        ),
        ("/dashboards/link/", "hr_admin", {"points": "eNPS responses"}),
    ],
)
def test_no_dashboard_table_calls_a_count_of_responses_respondents(data, login, url, role, headed):
    page = login(getattr(data.world, role)).get(url, MARCH_FILTER)
    assert page.status_code == 200
    tables = {table.key: table for table in page.context["tables"]}
    for key, header in headed.items():
        assert header in tables[key].headers, key
    for table in tables.values():
        assert not [h for h in table.headers if "respondents" in h.lower()], table.key
    assert "Respondents</th>" not in page.content.decode()


def test_link_export_heads_each_sides_count_responses(data, login):
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    rows = _export_rows(login(data.world.cx_manager).get("/dashboards/export/link.csv", march))
    header = rows[rows.index(["Teams: eNPS against CSAT"]) + 1]
    assert header == ["Team", "Period", "eNPS", "eNPS responses", "CSAT", "CSAT responses"]


def test_driver_impact_heading_names_the_outcome_and_quotes_its_question(data, login):
    data.enps.text = "How likely are you to recommend <us> as a place to work?"
    data.enps.save()
    html = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER).content.decode()
    assert '<h2 id="drivers-heading" class="h5">What drives the outcome</h2>' in html
    assert (
        "Outcome question: “How likely are you to recommend &lt;us&gt; as a place to work?”" in html
    )
    assert "What drives How" not in html


def test_driver_impact_heading_without_an_outcome_question(data, login):
    data.enps.is_outcome = False
    data.enps.save()
    html = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER).content.decode()
    assert '<h2 id="drivers-heading" class="h5">What drives the outcome</h2>' in html
    assert 'id="drivers-outcome"' not in html
    assert "No driver impact: this survey has no outcome question." in html
