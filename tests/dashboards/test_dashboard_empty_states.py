"""What a dashboard says when a chart or the heatmap has nothing to show: hidden below the
anonymity threshold, or nobody answered in the range, or the survey has no such question. A chart
with nothing to draw is not drawn (no bare axes). Data: tests/dashboards/dashdata.py (March 2026,
threshold 5; Kitchen has 2 respondents, so it is hidden)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from dashboards.selectors.ex import NO_DRIVERS
from dashboards.selectors.tables import HIDDEN
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH, MARCH_FILTER, ex_cx, rebuild, store
from tests.factories import (
    CycleFactory,
    InvitationFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

HIDDEN_NOTE = f"{HIDDEN}: figures are shown for groups of at least 5 respondents."
NONE_NOTE = "No responses in this range."
APRIL = {"start": "2026-04-01", "end": "2026-04-30", "period": "month"}


@pytest.fixture
def data(world):
    return ex_cx(world)


def _tables(response) -> dict:
    return {table.key: table for table in response.context["tables"]}


def _chart_drawn(html: str, key: str) -> bool:
    return f'data-chart="chart-{key}"' in html


def test_ex_team_below_the_threshold_says_it_is_hidden(data, login):
    response = login(data.world.hr_admin).get(
        "/dashboards/ex/", {**MARCH_FILTER, "team": data.kitchen.id}
    )
    html = response.content.decode()
    assert response.status_code == 200
    # The heatmap has the organisation's row to show (a comparison), and the team's row says it
    # is hidden; the trend chart would hold only the organisation's line: not drawn, the note
    # says why (the organisation's figures stay in its table).
    heatmap = response.context["heatmap"]
    assert heatmap["note"] == ""
    assert [(row["name"], row["suppressed"]) for row in heatmap["rows"]] == [
        ("Organisation", False),
        ("Kitchen", True),
    ]
    assert _tables(response)["trends"].note == HIDDEN_NOTE
    assert NO_DRIVERS not in html  # the survey does tag drivers
    assert html.count(HIDDEN_NOTE) == 1
    assert not _chart_drawn(html, "trends")


def test_ex_range_without_responses_says_so(data, login):
    response = login(data.world.hr_admin).get("/dashboards/ex/", APRIL)
    html = response.content.decode()
    assert response.context["heatmap"]["note"] == NONE_NOTE
    assert _tables(response)["trends"].note == NONE_NOTE
    assert NO_DRIVERS not in html
    assert not _chart_drawn(html, "trends")


NARROWED_EMPTY = "No responses from the chosen teams, department or location in this range"


def test_filters_matching_nobody_say_so_not_send_the_survey(data, login):
    """A team with nobody in the range (the survey has answers there): the page says the
    filters match nobody, not that the survey was never sent (QA found the page telling HR to
    send an open pulse)."""
    empty_team = TeamFactory(organization=data.world.org, name="Empty shift")
    for user, page in ((data.world.hr_admin, "ex"), (data.world.cx_manager, "cx")):
        html = (
            login(user)
            .get(f"/dashboards/{page}/", {**MARCH_FILTER, "team": empty_team.id})
            .content.decode()
        )
        assert NARROWED_EMPTY in html, page
        assert "No responses yet in this range" not in html, page
        assert "No invitations sent yet" not in html and "name an agent" not in html, page
    html = login(data.world.hr_admin).get("/dashboards/ex/", APRIL).content.decode()
    assert "No responses yet in this range: send the survey, or widen the dates." in html
    assert NARROWED_EMPTY not in html


def test_ex_figures_in_range_draw_the_chart_without_a_note(data, login):
    response = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER)
    html = response.content.decode()
    assert _tables(response)["trends"].note == ""
    assert response.context["heatmap"]["note"] == ""
    assert _chart_drawn(html, "trends")
    assert "The figures behind this chart" in html


def test_ex_survey_without_drivers_says_it_has_none(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, title="eNPS only")
    enps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    store(survey=survey, team=world.team, columns={enps: [10, 9, 8, 7, 6]})
    rebuild(survey)
    response = login(world.hr_admin).get("/dashboards/ex/", {**MARCH_FILTER, "survey": survey.id})
    assert response.context["heatmap"]["note"] == NO_DRIVERS


def test_ex_participation_hidden_everywhere_says_so(data, login):
    cycle = CycleFactory(survey=data.ex, number=1)
    for index in range(4):  # 4 invited, 2 answered: below 5
        person = PersonFactory(organization=data.world.org, team=data.kitchen)
        InvitationFactory(
            survey=data.ex, cycle=cycle, person=person, used_at=MARCH if index < 2 else None
        )
    response = login(data.world.hr_admin).get(
        "/dashboards/ex/", {**MARCH_FILTER, "team": data.kitchen.id}
    )
    participation = _tables(response)["participation"]
    assert participation.rows == [["Kitchen", 4, HIDDEN, HIDDEN]]
    assert participation.note == HIDDEN_NOTE
    assert not _chart_drawn(response.content.decode(), "participation")


def test_cx_range_without_responses_says_so_on_every_chart(data, login):
    response = login(data.world.cx_manager).get("/dashboards/cx/", APRIL)
    tables = _tables(response)
    html = response.content.decode()
    for key in ("trends", "teams", "locations"):
        assert tables[key].note == NONE_NOTE, key
        assert not _chart_drawn(html, key), key


def test_cx_breakdown_with_a_shown_group_draws_its_chart(data, login):
    response = login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER)
    assert _tables(response)["teams"].note == ""
    assert _chart_drawn(response.content.decode(), "teams")


def test_cx_agents_all_hidden_say_so_in_one_line_and_export_as_before(data, login):
    # One day in April: Ann serves two customers, Bob one. Both are under 5, so neither is shown.
    april = dt.datetime(2026, 4, 14, 12, 0, tzinfo=dt.UTC)
    store(
        survey=data.cx,
        team=data.world.team,
        agent=data.ann,
        columns={data.csat: [5, 1]},
        when=april,
    )
    store(
        survey=data.cx,
        team=data.world.other_team,
        agent=data.bob,
        columns={data.csat: [4]},
        when=april,
    )
    rebuild(data.cx)
    client = login(data.world.cx_manager)
    one_day = {"start": "2026-04-14", "end": "2026-04-14", "period": "month"}
    response = client.get("/dashboards/cx/", one_day)
    html = response.content.decode()
    assert _tables(response)["agents"].all_hidden
    assert (
        "2 agents served customers in this range, none with enough responses to be shown: "
        "figures per agent need at least 5 responses each"
    ) in html
    assert 'id="table-agents"' not in html
    export = b"".join(client.get("/dashboards/export/cx.csv", one_day).streaming_content)
    rows = list(csv.reader(io.StringIO(export.decode("utf-8").lstrip("\ufeff"))))
    start = rows.index(["By agent"])
    assert rows[start + 1 : start + 4] == [
        ["Agent", "Responses", "CSAT", "CSAT n"],
        ["Ann", "2", HIDDEN, ""],
        ["Bob", "1", HIDDEN, ""],
    ]


def test_cx_agents_with_one_shown_keep_their_table(data, login):
    response = login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER)
    assert not _tables(response)["agents"].all_hidden
    html = response.content.decode()
    assert 'id="table-agents"' in html and 'id="agents-all-hidden"' not in html


def test_overview_card_hidden_in_every_period_draws_no_sparkline(data, login):
    response = login(data.world.hr_admin).get(
        "/dashboards/", {**MARCH_FILTER, "team": data.kitchen.id}
    )
    enps = next(card for card in response.context["cards"] if card["key"] == "enps")
    assert enps["suppressed"] and "chart" not in enps
    assert 'data-chart="spark-enps"' not in response.content.decode()


def test_a_sparkline_spans_at_least_its_figures_least_range(data, login):
    """charts.js draws a sparkline over its data's own range, at least `min_span` wide: Chart.js
    had widened an eNPS of -0.7..19.7 to -100..100 on a 40 px axis (a fall drawn flat)."""
    cards = login(data.world.hr_admin).get("/dashboards/", MARCH_FILTER).context["cards"]
    spans = {card["key"]: card["chart"]["min_span"] for card in cards if "chart" in card}
    assert spans["enps"] == 10
    cx = login(data.world.cx_manager).get("/dashboards/", MARCH_FILTER).context["cards"]
    assert {card["key"]: card["chart"]["min_span"] for card in cx if "chart" in card} == {
        "csat": 10
    }


def test_a_hidden_groups_bar_is_labelled_hidden_not_left_as_a_blank(data, login):
    """Kitchen (2 respondents) has no bar: its label says it is hidden, so the gap does not
    read as a zero (QA read the participation chart's gaps as 0%)."""
    cycle = CycleFactory(survey=data.ex, number=1)
    for team, people, answered in ((data.kitchen, 4, 2), (data.world.team, 6, 5)):
        for index in range(people):
            person = PersonFactory(organization=data.world.org, team=team)
            InvitationFactory(
                survey=data.ex,
                cycle=cycle,
                person=person,
                used_at=MARCH if index < answered else None,
            )
    ex = _tables(login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER))
    chart = ex["participation"].chart
    pairs = list(zip(chart["labels"], chart["datasets"][0]["data"], strict=True))
    assert ("Kitchen (hidden)", None) in pairs
    # Front desk (5 of 6) is hidden too, to protect Kitchen within their department: said so.
    assert all(label.endswith(" (hidden)") == (value is None) for label, value in pairs)
    night = TeamFactory(organization=data.world.org, name="Night")
    store(survey=data.cx, team=night, columns={data.csat: [5, 4]})
    rebuild(data.cx)
    cx = _tables(login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER))
    chart = cx["teams"].chart
    pairs = list(zip(chart["labels"], chart["datasets"][0]["data"], strict=True))
    assert ("Night (hidden)", None) in pairs
    assert all(label.endswith(" (hidden)") == (value is None) for label, value in pairs)
