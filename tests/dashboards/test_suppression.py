"""Anonymity on every dashboard surface: the single small group, the group that could be worked
out by subtraction (complementary suppression), the organisation's own threshold, comments."""

from __future__ import annotations

import pytest

from dashboards.anonymity import PROTECTS_ANOTHER as PROTECTS
from dashboards.selectors.tables import HIDDEN
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH, MARCH_FILTER, ex_cx, rebuild, store
from tests.factories import QuestionFactory, SurveyFactory, TeamFactory

pytestmark = pytest.mark.django_db

FEBRUARY = MARCH.replace(month=2)


def _rows(response, key: str) -> dict[str, list]:
    table = next(table for table in response.context["tables"] if table.key == key)
    return {row[0]: row[1:] for row in table.rows}


def _export(client, dashboard: str, params: dict) -> str:
    return b"".join(
        client.get(f"/dashboards/export/{dashboard}.csv", params).streaming_content
    ).decode()


def _pulse(world):
    """An anonymous EX pulse with an eNPS question and a comment question, no responses yet."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    QuestionFactory(survey=survey, type="nps", is_outcome=True)
    QuestionFactory(survey=survey, type="text", required=False)
    return survey


# --- A single small group -------------------------------------------------------------------------


def test_a_single_group_under_the_threshold_shows_no_figure_anywhere(world, login):
    survey = _pulse(world)
    store(survey=survey, team=world.team, columns={survey.questions.get(type="nps"): [10, 10, 10]})
    rebuild(survey)
    client = login(world.hr_admin)
    params = {**MARCH_FILTER, "survey": survey.id}
    page = client.get("/dashboards/ex/", params)
    assert _rows(page, "trends")["2026-03"] == [3, HIDDEN, ""]
    html = page.content.decode()
    assert "100.0" not in html and "Not enough responses to protect anonymity" in html
    assert "100.0" not in _export(client, "ex", params)
    card = next(
        c for c in client.get("/dashboards/", MARCH_FILTER).context["cards"] if c["key"] == "enps"
    )
    assert card["suppressed"] and card["value"] is None


def test_small_team_comments_are_not_listed(world, login):
    kitchen = TeamFactory(organization=world.org, name="Kitchen")
    survey = _pulse(world)
    enps, comment = survey.questions.get(type="nps"), survey.questions.get(type="text")
    store(survey=survey, team=world.team, columns={enps: [9] * 6, comment: ["fine"] * 6})
    store(survey=survey, team=world.other_team, columns={enps: [9] * 7, comment: ["ok"] * 7})
    store(survey=survey, team=kitchen, columns={enps: [0] * 5, comment: ["kitchen only"] * 5})
    store(
        survey=survey,
        team=TeamFactory(organization=world.org),
        columns={enps: [0], comment: ["lonely"]},
    )
    rebuild(survey)
    page = login(world.hr_admin).get("/dashboards/ex/", {**MARCH_FILTER, "survey": survey.id})
    texts = {c["value_text"] for c in page.context["comments"]["page"]}
    # The lonely one (1) is hidden, and Kitchen (5, the smallest other team) with it.
    assert texts == {"fine", "ok"}
    assert page.context["comments"]["hidden_teams"] == 2


# --- Subtraction ------------------------------------------------------------------------------------


def test_a_team_over_the_threshold_is_hidden_when_it_would_reveal_a_small_one(world, login):
    data = ex_cx(world)
    client = login(world.hr_admin)
    page = client.get("/dashboards/ex/", MARCH_FILTER)
    # Night shift has 5 (enough) but Kitchen's 2 = everyone - Front desk - Night shift.
    # It says why: hidden to protect a smaller group, not for its own size.
    assert _rows(page, "heatmap")["Night shift"] == [5, PROTECTS, "", PROTECTS, ""]
    assert _rows(page, "heatmap")["Kitchen"] == [2, HIDDEN, "", HIDDEN, ""]
    # Night shift's own figures (eNPS 40.0, engagement 80.0, recognition 40.0) are nowhere.
    for text in (page.content.decode(), _export(client, "ex", MARCH_FILTER)):
        assert "40.0" not in text and "80.0" not in text
    assert data.world.other_team.name in page.content.decode()  # named, without figures


def test_a_team_hidden_as_a_complement_stays_hidden_when_filtered_to(world, login):
    """Night shift (5) is hidden beside Kitchen (2) in the breakdowns; asked for on its own
    (?team=, a team lead's view, the driver table) it must be too, else the organisation minus
    the visible teams minus Night shift is Kitchen."""
    data = ex_cx(world)
    night = data.world.other_team
    params = {**MARCH_FILTER, "team": night.pk}
    client = login(world.hr_admin)
    page = client.get("/dashboards/ex/", params)
    assert _rows(page, "trends")["2026-03"][1] == PROTECTS
    for text in (page.content.decode(), _export(client, "ex", params)):
        assert "40.0" not in text and "80.0" not in text
    card = next(
        c for c in client.get("/dashboards/", params).context["cards"] if c["key"] == "enps"
    )
    assert card["suppressed"] and card["value"] is None
    assert card["hidden_text"] == PROTECTS


def test_team_leads_total_is_hidden_when_the_rest_of_the_organisation_is_small(world, login):
    kitchen = TeamFactory(organization=world.org, name="Kitchen")
    survey = _pulse(world)
    enps = survey.questions.get(type="nps")
    store(survey=survey, team=world.team, columns={enps: [10, 10, 10, 9, 9, 0]})
    store(survey=survey, team=kitchen, columns={enps: [0, 0]})
    rebuild(survey)
    client = login(world.team_lead)
    # Front desk has 6, but everyone (8) minus Front desk would give Kitchen's 2 answers.
    page = client.get("/dashboards/ex/", {**MARCH_FILTER, "survey": survey.id})
    assert _rows(page, "trends")["2026-03"][1] == PROTECTS
    trends = next(table for table in page.context["tables"] if table.key == "trends")
    assert trends.note == (
        f"{PROTECTS}: a group of at least 5 respondents is hidden too when its figures would "
        "let a smaller one be worked out by subtraction."
    )
    card = next(
        c for c in client.get("/dashboards/", MARCH_FILTER).context["cards"] if c["key"] == "enps"
    )
    assert card["suppressed"] and card["value"] is None
    assert page.context["comments"]["page"].paginator.count == 0


def test_a_period_that_could_be_subtracted_from_the_range_is_hidden(world, login):
    survey = _pulse(world)
    enps = survey.questions.get(type="nps")
    store(survey=survey, team=world.team, columns={enps: [0, 0]}, when=FEBRUARY)
    store(survey=survey, team=world.team, columns={enps: [10] * 6}, when=MARCH)
    rebuild(survey)
    params = {"survey": survey.id, "start": "2026-02-01", "end": "2026-03-31", "period": "month"}
    trends = _rows(login(world.hr_admin).get("/dashboards/ex/", params), "trends")
    # February (2 people) for its size; March (6) so February cannot be worked out.
    assert trends["2026-02"][1] == HIDDEN and trends["2026-03"][1] == PROTECTS


def test_link_leaves_out_small_teams_and_their_complements(world, login):
    ex_cx(world)
    response = login(world.hr_admin).get("/dashboards/link/")
    result = response.context["result"]
    assert [p["team"]["name"] for p in result["pairs"]] == ["Front desk"]
    assert result["excluded_teams"] == 2  # Kitchen (2) and Night shift (its complement)


# --- The organisation's threshold --------------------------------------------------------------------


def test_a_higher_organisation_threshold_hides_more(world, login):
    data = ex_cx(world)
    world.org.anonymity_threshold = 7
    world.org.save()
    page = login(world.hr_admin).get("/dashboards/ex/", MARCH_FILTER)
    assert all(
        values[1] == HIDDEN
        for name, values in _rows(page, "heatmap").items()
        if name != "All teams"
    )
    assert _rows(page, "heatmap")["All teams"][1] == 61.5  # 13 people in all
    assert page.context["comments"]["page"].paginator.count == 0
    assert data.ex.anonymous
    assert "fewer than 7 respondents" in page.content.decode()


def test_location_filter_cannot_isolate_a_small_team(world, login):
    data = ex_cx(world)
    client = login(world.hr_admin)
    params = {**MARCH_FILTER, "location": data.kitchen.location.id}
    page = client.get("/dashboards/ex/", params)
    assert _rows(page, "trends")["2026-03"][1] == HIDDEN
    assert page.context["comments"]["page"].paginator.count == 0
    assert "Kitchen secret" not in _export(client, "ex", params)


def test_weeks_of_an_anonymous_survey_are_refused_with_a_reason(world, login):
    data = ex_cx(world)
    params = {"start": "2026-03-09", "end": "2026-03-15", "period": "week", "team": data.kitchen.id}
    page = login(world.hr_admin).get("/dashboards/ex/", params)
    assert page.status_code == 400
    assert "reported by whole months" in page.content.decode()
    assert "tables" not in page.context


def test_a_few_days_of_an_anonymous_survey_are_its_whole_month(world, login):
    """9 - 15 March on the EX page is March: the figures, and the page says so."""
    ex_cx(world)
    client = login(world.hr_admin)
    days = client.get("/dashboards/ex/", {"start": "2026-03-09", "end": "2026-03-15"})
    march = client.get("/dashboards/ex/", MARCH_FILTER)
    assert _rows(days, "heatmap") == _rows(march, "heatmap")
    assert "1 Mar 2026 to 31 Mar 2026" in days.content.decode()


def test_an_anonymous_cx_survey_shows_no_figures_per_agent(world, login):
    """Ann served Front desk's six and Bob Night shift's six (50.0 and 83.3 as named figures);
    made anonymous, the survey's page and export show neither, and say why."""
    data = ex_cx(world)
    data.cx.anonymous = True
    data.cx.save(update_fields=["anonymous"])
    client = login(world.cx_manager)
    params = {**MARCH_FILTER, "survey": data.cx.id}
    page = client.get("/dashboards/cx/", params)
    assert page.context["by_agent"].rows == []
    assert 'id="agents-anonymous"' in page.content.decode()
    export = _export(client, "cx", params)
    assert "Ann" not in export and "Bob" not in export
