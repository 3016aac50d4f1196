"""Dashboard pages: figures against the scores API and by hand (see tests/dashboards/dashdata.py
for the hand-built data), roles on every URL, filters, comments and empty states."""

from __future__ import annotations

import re

import pytest

from dashboards.anonymity import PROTECTS_ANOTHER
from dashboards.selectors.tables import HIDDEN
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH, MARCH_FILTER, ex_cx, rebuild, store
from tests.factories import (
    AlertFactory,
    AlertRuleFactory,
    CycleFactory,
    DepartmentFactory,
    InvitationFactory,
    MembershipFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
)

pytestmark = pytest.mark.django_db

PAGES = {
    "/dashboards/": {"hr_admin": 200, "cx_manager": 200, "team_lead": 200, "staff": 403},
    "/dashboards/ex/": {"hr_admin": 200, "cx_manager": 403, "team_lead": 200, "staff": 403},
    "/dashboards/cx/": {"hr_admin": 403, "cx_manager": 200, "team_lead": 200, "staff": 403},
    "/dashboards/link/": {"hr_admin": 200, "cx_manager": 200, "team_lead": 403, "staff": 403},
}


@pytest.fixture
def data(world):
    return ex_cx(world)


def _table(response, key: str) -> dict[str, list]:
    """A dashboard table by key, as {first cell: the rest of the row}."""
    tables = {table.key: table for table in response.context["tables"]}
    return {row[0]: row[1:] for row in tables[key].rows}


def _scores(client, survey, **params) -> dict:
    response = client.get(f"/api/v1/surveys/{survey.id}/scores/", params)
    assert response.status_code == 200
    return response.json()


def _figure(result: dict, question, field: str):
    return next(q[field] for q in result["questions"] if q["question"] == question.id)


# --- Roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "role", "status"), [(u, r, s) for u, roles in PAGES.items() for r, s in roles.items()]
)
def test_every_dashboard_url_for_each_role(data, login, url, role, status):
    assert login(data.world.member(role)).get(url, MARCH_FILTER).status_code == status


@pytest.mark.parametrize("url", list(PAGES))
def test_dashboards_send_anonymous_visitors_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", list(PAGES))
def test_dashboards_are_read_only(world, login, url):
    assert login(world.hr_admin).post(url, {}).status_code == 405


@pytest.mark.parametrize(
    ("url", "role"), [("/dashboards/ex/", "hr_admin"), ("/dashboards/cx/", "cx_manager")]
)
def test_other_organisations_survey_is_not_found(data, login, url, role):
    outsider = MembershipFactory(organization=data.world.outsider.organization, role=role)
    survey = data.ex if role == "hr_admin" else data.cx
    assert login(outsider).get(url, {"survey": survey.id}).status_code == 404
    assert (
        login(outsider)
        .get(f"/dashboards/export/{url.split('/')[2]}.csv", {"survey": survey.id})
        .status_code
        == 404
    )


def test_outsider_sees_only_their_own_empty_organisation(data, login):
    response = login(data.world.outsider).get("/dashboards/")
    assert response.status_code == 200
    assert all(card["survey"] is None for card in response.context["cards"])


def test_team_lead_asking_for_another_team_is_refused(data, login):
    client = login(data.world.team_lead)
    assert (
        client.get(
            "/dashboards/ex/", {**MARCH_FILTER, "team": data.world.other_team.id}
        ).status_code
        == 403
    )
    assert (
        client.get("/dashboards/cx/", {**MARCH_FILTER, "team": data.kitchen.id}).status_code == 403
    )
    assert (
        client.get("/dashboards/ex/", {**MARCH_FILTER, "team": data.world.team.id}).status_code
        == 200
    )


def test_team_lead_asking_for_another_department_is_refused(data, login):
    other = DepartmentFactory(organization=data.world.org)
    response = login(data.world.team_lead).get(
        "/dashboards/ex/", {**MARCH_FILTER, "department": other.id}
    )
    assert response.status_code == 403


RESULT_PAGES = ["/dashboards/", "/dashboards/ex/", "/dashboards/cx/"]
REFUSED = "Team leads see their own team only."


def _select(response, name: str) -> list[tuple[str, str]] | None:
    """The filter bar's <select name=...> as [(value, label)], or None when the bar has none."""
    found = re.search(
        rf'<select[^>]* name="{name}"[^>]*>(.*?)</select>', response.content.decode(), re.S
    )
    if found is None:
        return None
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))


@pytest.mark.parametrize("url", RESULT_PAGES)
def test_team_lead_filter_bar_offers_only_their_team(data, login, url):
    team = data.world.team
    response = login(data.world.team_lead).get(url, MARCH_FILTER)
    assert response.status_code == 200
    assert _select(response, "team") == [(str(team.id), "Front desk")]
    assert _select(response, "department") is None and _select(response, "location") is None


@pytest.mark.parametrize("url", RESULT_PAGES)
def test_hr_admin_and_cx_manager_filter_bar_lists_the_organisation(data, login, url):
    role = "cx_manager" if url == "/dashboards/cx/" else "hr_admin"
    response = login(data.world.member(role)).get(url, MARCH_FILTER)
    teams = [label for _, label in _select(response, "team")]
    assert teams == ["All teams", "Front desk", "Kitchen", "Night shift"]
    assert len(_select(response, "department")) == 4  # "All departments" and each team's own
    assert len(_select(response, "location")) == 4


def test_team_lead_url_naming_their_own_department_or_location_keeps_it_in_sight(data, login):
    team = data.world.team
    response = login(data.world.team_lead).get(
        "/dashboards/ex/",
        {**MARCH_FILTER, "department": team.department.id, "location": team.location.id},
    )
    assert response.status_code == 200
    assert _select(response, "department") == [
        ("", "All departments"),
        (str(team.department.id), team.department.name),
    ]
    assert _select(response, "location") == [
        ("", "All locations"),
        (str(team.location.id), team.location.name),
    ]
    # Front desk's responses are all at its own location: the same figures as without it.
    assert _table(response, "trends")["2026-03"][:3] == [6, 16.7, 6]


@pytest.mark.parametrize(
    "url", [*RESULT_PAGES, "/dashboards/export/ex.csv", "/dashboards/export/cx.xlsx"]
)
@pytest.mark.parametrize("name", ["team", "department", "location"])
def test_team_lead_url_for_another_team_says_why_it_is_refused(data, login, url, name):
    other = data.world.other_team
    asked = other if name == "team" else getattr(other, name)
    response = login(data.world.team_lead).get(url, {**MARCH_FILTER, name: asked.id})
    assert response.status_code == 403
    html = response.content.decode()
    assert REFUSED in html
    assert 'aria-label="Main"' in html and 'href="/dashboards/ex/"' in html  # the nav


def test_team_lead_url_for_an_unknown_team_is_a_filter_error(data, login):
    response = login(data.world.team_lead).get("/dashboards/ex/", {"team": "999999"})
    assert response.status_code == 400 and "team" in response.context["form"].errors
    assert _select(response, "team") == [(str(data.world.team.id), "Front desk")]


def test_team_lead_without_a_team_is_refused(data, login):
    lead = data.world.team_lead
    lead.team = None
    lead.save()
    assert login(lead).get("/dashboards/").status_code == 403


# --- EX figures ----------------------------------------------------------------------------------


def test_ex_trend_matches_the_scores_api(data, login):
    client = login(data.world.hr_admin)
    page = client.get("/dashboards/ex/", MARCH_FILTER)
    api = _scores(client, data.ex, period="month", start="2026-03-01", end="2026-03-31")
    (march,) = api["results"]
    respondents, enps, enps_n, engagement, engagement_n = _table(page, "trends")["2026-03"]
    assert (respondents, enps, enps_n, engagement, engagement_n) == (13, 7.7, 13, 61.5, 13)
    assert enps == _figure(march, data.enps, "score")
    assert engagement == march["engagement"]


def test_ex_heatmap_shows_visible_teams_and_hides_small_and_complement(data, login):
    client = login(data.world.hr_admin)
    page = client.get("/dashboards/ex/", MARCH_FILTER)
    heat = _table(page, "heatmap")
    # Front desk: engagement 4/6 favourable, recognition 3/6.
    assert heat["Front desk"] == [6, 66.7, 6, 50.0, 6]
    assert heat["Kitchen"] == [2, HIDDEN, "", HIDDEN, ""]
    assert heat["Night shift"] == [5, PROTECTS_ANOTHER, "", PROTECTS_ANOTHER, ""]
    api = {
        r["group"]["name"]: r
        for r in _scores(client, data.ex, group_by="team", **MARCH_FILTER | {"period": "all"})[
            "results"
        ]
    }
    assert heat["Front desk"][3] == _figure(api["Front desk"], data.recognition, "favourable")
    assert api["Night shift"]["suppressed"] and api["Kitchen"]["suppressed"]
    html = page.content.decode()
    assert '<td class="heat-cell heat-2">50.0%<br><small>n=6</small></td>' in html  # 50 -> heat-2
    assert html.count("Not enough responses to protect anonymity</td>") == 1  # Kitchen
    assert html.count("Hidden to protect a smaller group&#x27;s anonymity</td>") == 1  # Night


def test_team_lead_sees_own_team_figures(data, login):
    client = login(data.world.team_lead)
    page = client.get("/dashboards/ex/", MARCH_FILTER)
    # Front desk only: eNPS (3 promoters - 2 detractors) / 6 = 16.7.
    assert _table(page, "trends")["2026-03"][:3] == [6, 16.7, 6]
    # Beside the organisation's row (tests/dashboards/test_compared.py); one team needs no
    # "whole selection" row of its own.
    assert list(_table(page, "heatmap")) == ["Organisation", "Front desk"]
    api = _scores(client, data.ex, period="month", start="2026-03-01", end="2026-03-31")
    assert _figure(api["results"][0], data.enps, "score") == 16.7


def test_driver_impact_needs_25_respondents(data, login):
    page = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER)
    assert page.context["drivers"]["impact"]["status"] == "not enough data"
    assert "driver impact needs at least 25 people" in page.content.decode()


def test_drivers_ranked_with_focus_here(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    outcome = QuestionFactory(survey=survey, type="nps", is_outcome=True, text="Recommend?")
    tools = QuestionFactory(survey=survey, type="likert", driver="tools", text="I have the tools")
    growth = QuestionFactory(survey=survey, type="likert", driver="growth", text="I can grow")
    # 30 people: tools moves with the outcome and is mostly unfavourable -> focus here;
    # growth is all over the place.
    enps = [10, 9, 2, 3] * 7 + [10, 2]
    store(
        survey=survey,
        team=world.team,
        columns={
            outcome: enps,
            tools: [5 if v >= 9 else 1 for v in enps],
            growth: ([4, 2, 4, 2] * 8)[:30],
        },
    )
    rebuild(survey)
    page = login(world.hr_admin).get("/dashboards/ex/", {**MARCH_FILTER, "survey": survey.id})
    drivers = _table(page, "drivers")
    assert drivers[1][:2] == ["I have the tools", "Tools & resources"]
    assert drivers[1][-1] == "Focus here"
    assert "<strong>Focus here:</strong> I have the tools" in page.content.decode()


def test_participation_by_team_latest_round(data, login):
    cycle = CycleFactory(survey=data.ex, number=1)
    for team, invited, used in [
        (data.world.team, 8, 6),
        (data.world.other_team, 5, 5),
        (data.kitchen, 4, 2),
    ]:
        for index in range(invited):
            person = PersonFactory(organization=data.world.org, team=team)
            InvitationFactory(
                survey=data.ex, cycle=cycle, person=person, used_at=MARCH if index < used else None
            )
    page = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER)
    rows = _table(page, "participation")
    # Kitchen (2 answered) is hidden, and Night shift with it (complement); Front desk 6/8.
    assert rows["Front desk"] == [8, 6, 75.0]
    assert rows["Kitchen"] == [4, HIDDEN, HIDDEN]
    assert rows["Night shift"] == [5, HIDDEN, HIDDEN]


# --- CX figures ----------------------------------------------------------------------------------


def test_cx_breakdowns_match_the_scores_api(data, login):
    client = login(data.world.cx_manager)
    page = client.get("/dashboards/cx/", MARCH_FILTER)
    assert _table(page, "trends")["2026-03"][:4] == [17, 76.5, 17]
    teams = _table(page, "teams")
    assert teams == {
        "Front desk": [6, 50.0, 6],
        "Kitchen": [5, 100.0, 5],
        "Night shift": [6, 83.3, 6],
    }
    api = _scores(client, data.cx, group_by="team", start="2026-03-01", end="2026-03-31")
    for result in api["results"]:
        assert teams[result["group"]["name"]][1] == _figure(result, data.csat, "score")


def test_cx_breakdown_by_agent(data, login):
    page = login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER)
    # Ann served Front desk's six (3 of 6 satisfied), Bob Night shift's six (5 of 6).
    assert _table(page, "agents") == {"Ann": [6, 50.0, 6], "Bob": [6, 83.3, 6]}


def _agents_folded(page) -> bool:
    body = page.content.decode()
    details = body[: body.index('id="table-agents"')].rsplit("<details", 1)[1]
    return " open" not in details.split(">", 1)[0]


def test_a_long_agent_table_starts_folded(data, login):
    """Two agents: the table is the card, open. Over twenty: folded behind a line saying how
    many, so the detractor follow-ups below stay in reach."""
    client = login(data.world.cx_manager)
    assert not _agents_folded(client.get("/dashboards/cx/", MARCH_FILTER))
    for n in range(20):
        agent = PersonFactory(organization=data.world.org, name=f"Agent {n:02}")
        store(survey=data.cx, team=data.kitchen, agent=agent, columns={data.csat: [4]})
    page = client.get("/dashboards/cx/", MARCH_FILTER)
    assert _agents_folded(page)
    assert "22 agents: open the table, or pick a team above" in page.content.decode()


def test_small_agent_groups_are_hidden(data, login):
    store(
        survey=data.cx,
        team=data.kitchen,
        agent=PersonFactory(organization=data.world.org, name="Cy"),
        columns={data.csat: [1, 1]},
    )
    rebuild(data.cx)
    agents = _table(login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER), "agents")
    # Cy (2) hidden, and one of Ann and Bob (6 each) with Cy, so Cy cannot be subtracted.
    assert agents["Cy"] == [2, HIDDEN, ""]
    assert [agents["Ann"][1], agents["Bob"][1]].count(PROTECTS_ANOTHER) == 1


def test_detractor_follow_ups_link_their_alert(data, login):
    rule = AlertRuleFactory(organization=data.world.org, kind=SurveyKind.CX, metric="detractor")
    follow_up = data.cx.responses.filter(
        answers__question=data.csat, answers__value_int=1, team=data.world.team
    ).get()
    alert = AlertFactory(
        organization=data.world.org,
        survey=data.cx,
        rule=rule,
        metric="detractor",
        response=follow_up,
        response_key=str(follow_up.id),
    )
    page = login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER)
    follow_ups = page.context["follow_ups"]
    # CSAT 1-2: Front desk's 2 and 1, Night shift's 1.
    assert follow_ups["count"] == 3
    assert f'href="/dashboards/alerts/{alert.id}/"' in page.content.decode()


def test_follow_ups_list_each_response_once_with_its_low_answers(world, login):
    """Counted by responses, not answers. Front desk: (NPS 2, CSAT 1) both low, (9, 5) none,
    (5, 4) NPS, (10, 2) CSAT; Night shift: (6, 3) NPS, (7, 2) CSAT. 5 responses hold 6 low
    answers: 5 rows and a badge of 5, the first response's row with both its answers."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    nps = QuestionFactory(survey=survey, type="nps", order=1, text="How likely to recommend?")
    csat = QuestionFactory(survey=survey, type="csat", order=2, text="How satisfied?")
    store(survey=survey, team=world.team, columns={nps: [2, 9, 5, 10], csat: [1, 5, 4, 2]})
    store(survey=survey, team=world.other_team, columns={nps: [6, 7], csat: [3, 2]})
    rebuild(survey)

    page = login(world.cx_manager).get("/dashboards/cx/", {**MARCH_FILTER, "survey": survey.id})

    follow_ups = page.context["follow_ups"]
    assert follow_ups["count"] == 5
    # Same time for all: newest first by id, so Night shift's (7, 2) first, Front desk's first last.
    assert [
        [(a["question__text"], a["value_int"]) for a in i["answers"]] for i in follow_ups["items"]
    ] == [
        [("How satisfied?", 2)],
        [("How likely to recommend?", 6)],
        [("How satisfied?", 2)],
        [("How likely to recommend?", 5)],
        [("How likely to recommend?", 2), ("How satisfied?", 1)],
    ]
    body = page.content.decode()
    assert '<span class="badge text-bg-danger">5</span>' in body
    assert (
        "<div>How likely to recommend?: <strong>2</strong></div><div>How satisfied?: <strong>1</strong></div>"
        in body
    )
    assert "the latest" not in body


def test_anonymous_cx_survey_has_no_follow_ups(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=True)
    csat = QuestionFactory(survey=survey, type="csat")
    store(survey=survey, team=world.team, columns={csat: [1, 1, 1, 1, 1]})
    rebuild(survey)
    page = login(world.cx_manager).get("/dashboards/cx/", {**MARCH_FILTER, "survey": survey.id})
    assert page.context["follow_ups"] == {
        "available": False,
        "items": [],
        "count": 0,
        "page": None,
    }
    assert "detractors cannot be followed up one by one" in page.content.decode()


# --- Overview ------------------------------------------------------------------------------------


def _cards(response) -> dict[str, dict]:
    return {card["key"]: card for card in response.context["cards"]}


def test_overview_cards_for_hr_admin_are_the_ex_figures(data, login):
    client = login(data.world.hr_admin)
    cards = _cards(client.get("/dashboards/", MARCH_FILTER))
    assert list(cards) == ["enps", "engagement", "participation"]
    assert (cards["enps"]["value"], cards["enps"]["period"], cards["enps"]["respondents"]) == (
        7.7,
        "2026-03",
        13,
    )
    assert cards["engagement"]["value"] == 61.5
    assert cards["enps"]["change"] is None  # nobody answered in February
    assert cards["enps"]["spark_labels"] == [
        "2026-02",
        "2026-03",
    ]  # the range and the period before
    assert cards["enps"]["spark"] == [None, 7.7]
    api = _scores(client, data.ex, period="month", start="2026-03-01", end="2026-03-31")
    assert cards["enps"]["value"] == _figure(api["results"][0], data.enps, "score")


def test_overview_change_against_previous_period(data, login):
    # February: Front desk 5 promoters and Night shift 5 detractors -> (5 - 5) / 10 = 0.0.
    february = MARCH.replace(month=2)
    store(survey=data.ex, team=data.world.team, columns={data.enps: [10] * 5}, when=february)
    store(survey=data.ex, team=data.world.other_team, columns={data.enps: [0] * 5}, when=february)
    rebuild(data.ex)
    response = login(data.world.hr_admin).get("/dashboards/", MARCH_FILTER)
    card = _cards(response)["enps"]
    assert (card["previous"], card["value"], card["change"]) == (0.0, 7.7, 7.7)
    moves = {(m["team"]["name"], m["metric"]): m for m in response.context["moves"]}
    # Front desk eNPS 100.0 in February -> 16.7 in March; Night shift is hidden in March.
    assert moves[("Front desk", "eNPS")]["change"] == -83.3
    assert ("Night shift", "eNPS") not in moves


def test_overview_cards_for_cx_manager_are_the_cx_figures(data, login):
    cards = _cards(login(data.world.cx_manager).get("/dashboards/", MARCH_FILTER))
    assert list(cards) == ["nps", "csat", "ces"]
    assert cards["csat"]["value"] == 76.5
    assert cards["nps"]["survey"] is None and cards["ces"]["survey"] is None


def test_overview_for_team_lead_is_their_team(data, login):
    cards = _cards(login(data.world.team_lead).get("/dashboards/", MARCH_FILTER))
    assert cards["enps"]["value"] == 16.7
    assert cards["csat"]["value"] == 50.0


def test_overview_lists_open_alerts(data, login):
    AlertFactory(organization=data.world.org, survey=data.ex, message="eNPS fell in Front desk")
    AlertFactory(organization=data.world.org, survey=data.ex, message="Old news", status="resolved")
    html = login(data.world.hr_admin).get("/dashboards/", MARCH_FILTER).content.decode()
    assert "eNPS fell in Front desk" in html and "Old news" not in html


def test_overview_filtered_to_a_team_lists_the_open_alerts_about_it(data, login):
    """Chosen a team (or its department, or location), the panel lists that team's alerts and
    the department's or location's own, not the rest of the organisation's."""
    world = data.world
    ours = {"organization": world.org, "survey": data.ex}
    AlertFactory(
        **ours, message="About the team", team=world.team, scope_key=f"team:{world.team.id}"
    )
    AlertFactory(
        **ours,
        message="About another",
        team=world.other_team,
        scope_key=f"team:{world.other_team.id}",
    )
    AlertFactory(**ours, message="About everyone")
    client = login(world.hr_admin)

    def listed(**params):
        html = client.get("/dashboards/", {**MARCH_FILTER, **params}).content.decode()
        return {m for m in ("About the team", "About another", "About everyone") if m in html}

    assert listed() == {"About the team", "About another", "About everyone"}
    assert listed(team=world.team.id) == {"About the team"}
    location = world.team.location
    AlertFactory(**ours, message="About the location", scope_key=f"location:{location.id}")
    html = client.get("/dashboards/", {**MARCH_FILTER, "location": location.id}).content.decode()
    assert "About the location" in html and "About everyone" not in html


def test_overview_participation_card(data, login):
    cycle = CycleFactory(survey=data.ex, number=1)
    for index in range(17):
        person = PersonFactory(organization=data.world.org, team=data.world.team)
        InvitationFactory(
            survey=data.ex, cycle=cycle, person=person, used_at=MARCH if index < 13 else None
        )
    card = _cards(login(data.world.hr_admin).get("/dashboards/", MARCH_FILTER))["participation"]
    assert (card["value"], card["period"]) == (76.5, "Round 1")  # 13 of 17


def test_overview_participation_follows_the_enps_cards_survey(data, login):
    """A small test survey sent after the pulse does not take the participation card over: it
    speaks of the eNPS card's survey (the pulse, 13 of 17) while that one sent invitations."""
    cycle = CycleFactory(survey=data.ex, number=1)
    for index in range(17):
        person = PersonFactory(organization=data.world.org, team=data.world.team)
        InvitationFactory(
            survey=data.ex, cycle=cycle, person=person, used_at=MARCH if index < 13 else None
        )
    trial = SurveyFactory(organization=data.world.org, kind=SurveyKind.EX, title="Trial")
    for _ in range(3):
        person = PersonFactory(organization=data.world.org, team=data.world.team)
        InvitationFactory(survey=trial, person=person)
    cards = _cards(login(data.world.hr_admin).get("/dashboards/", MARCH_FILTER))
    assert cards["participation"]["survey"] == cards["enps"]["survey"] == data.ex
    assert cards["participation"]["value"] == 76.5


def test_overview_prints_without_controls(data, login):
    html = login(data.world.hr_admin).get("/dashboards/", MARCH_FILTER).content.decode()
    assert "data-print" in html and 'class="filters no-print"' in html


# --- Charts, tables, empty states ----------------------------------------------------------------


def test_charts_use_json_script_and_no_inline_script(data, login):
    page = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER)
    html = page.content.decode()
    assert '<canvas data-chart="chart-trends"' in html
    assert '<script id="chart-trends" type="application/json">' in html
    assert (
        '<table class="table table-sm table-striped align-middle mb-0" id="table-trends">' in html
    )
    for chunk in html.split("<script")[1:]:
        head = chunk.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head
    assert "unsafe-inline" not in page["Content-Security-Policy"]


def test_empty_state_without_any_survey(world, login):
    html = login(world.hr_admin).get("/dashboards/ex/").content.decode()
    assert "No employee survey yet" in html


def test_empty_state_without_responses(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    QuestionFactory(survey=survey, type="csat")
    html = login(world.cx_manager).get("/dashboards/cx/").content.decode()
    assert "No responses yet in this range: share the survey" in html


def test_a_team_leads_empty_pages_say_what_to_expect(world, login):
    """A team lead neither sends pulses nor makes customer links: no hint to do so."""
    for kind, question in ((SurveyKind.EX, "nps"), (SurveyKind.CX, "csat")):
        QuestionFactory(survey=SurveyFactory(organization=world.org, kind=kind), type=question)
    client = login(world.team_lead)
    pages = {
        url: client.get(url).content.decode()
        for url in ("/dashboards/", "/dashboards/ex/", "/dashboards/cx/")
    }
    for html in pages.values():
        assert "send the pulse" not in html and "share the survey" not in html
    assert "once your HR team sends a pulse" in pages["/dashboards/ex/"]
    assert "once your CX manager shares a customer link" in pages["/dashboards/cx/"]
    overview = pages["/dashboards/"]
    assert "once your HR team sends a pulse" in overview
    assert "once your CX manager shares a customer link" in overview


# --- Filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-04-01", "end": "2026-03-01"},
        {"start": "not a date"},
        {"period": "fortnight"},
        {"team": "999999"},
        {"survey": "abc"},
        {"period": "week", "start": "2020-01-01", "end": "2026-01-01"},
        {"sentiment": "furious"},
    ],
)
def test_invalid_filters_show_errors_not_a_500(data, login, params):
    response = login(data.world.hr_admin).get("/dashboards/ex/", params)
    assert response.status_code == 400
    assert response.context["form"].errors or response.context["comment_form"].errors


def test_survey_of_the_other_kind_is_a_filter_error(data, login):
    response = login(data.world.hr_admin).get("/dashboards/ex/", {"survey": data.cx.id})
    assert response.status_code == 400 and "survey" in response.context["form"].errors


def test_filters_are_kept_in_the_url_for_bookmarks(data, login):
    response = login(data.world.hr_admin).get(
        "/dashboards/ex/", {**MARCH_FILTER, "team": data.world.team.id}
    )
    html = response.content.decode()
    assert 'method="get"' in html
    assert 'value="2026-03-01"' in html
    assert f'<option value="{data.world.team.id}" selected>' in html
    assert "/dashboards/export/ex.csv?start=2026-03-01" in html


def test_department_and_location_filters_narrow_the_figures(data, login):
    client = login(data.world.hr_admin)
    department = data.world.team.department
    by_department = client.get("/dashboards/ex/", {**MARCH_FILTER, "department": department.id})
    assert _table(by_department, "trends")["2026-03"][:3] == [6, 16.7, 6]
    by_location = client.get(
        "/dashboards/ex/", {**MARCH_FILTER, "location": data.world.team.location.id}
    )
    assert _table(by_location, "trends")["2026-03"][:3] == [6, 16.7, 6]


def test_team_outside_the_department_is_a_filter_error(data, login):
    other = DepartmentFactory(organization=data.world.org)
    response = login(data.world.hr_admin).get(
        "/dashboards/ex/", {**MARCH_FILTER, "department": other.id, "team": data.world.team.id}
    )
    assert response.status_code == 400 and "team" in response.context["form"].errors


# --- Comments --------------------------------------------------------------------------------------


def _comments(response) -> list[str]:
    return [comment["value_text"] for comment in response.context["comments"]["page"]]


def test_anonymous_comments_only_from_teams_shown(data, login):
    response = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER)
    comments = _comments(response)
    assert sorted(comments) == sorted(
        ["Great team spirit", '=HYPERLINK("http://evil")', "<script>alert(1)</script>"]
    )
    assert response.context["comments"]["hidden_teams"] == 2
    html = response.content.decode()
    assert "Night shift secret" not in html and "Kitchen secret" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_anonymous_comments_show_no_other_answer_nor_day(data, login):
    response = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER)
    comment = response.context["comments"]["page"][0]
    assert set(comment) == {
        "id",
        "value_text",
        "sentiment_label",
        "sentiment_score",
        "question__text",
        "question__driver",
        "response__team__name",
        "response__submitted_at",
    }
    assert (
        "March 2026" in response.content.decode() and "2026-03-10" not in response.content.decode()
    )


def test_comment_filters_sentiment_search_and_driver(data, login):
    client = login(data.world.cx_manager)
    assert _comments(client.get("/dashboards/cx/", {**MARCH_FILTER, "sentiment": "negative"})) == [
        "Awful",
        "Rude and slow",
    ]
    assert _comments(client.get("/dashboards/cx/", {**MARCH_FILTER, "q": "lovely"})) == ["Lovely"]
    assert _comments(client.get("/dashboards/cx/", {**MARCH_FILTER, "driver": "growth"})) == []


def test_the_comment_count_says_how_many_the_filters_keep(data, login):
    """QA: a search matching nothing still read '2844 comments: ...'. The filtered count is
    said first, the selection's sentiment counts after it."""
    client = login(data.world.cx_manager)
    plain = client.get("/dashboards/cx/", MARCH_FILTER)
    total = plain.context["comments"]["counts"]["total"]
    assert plain.context["comments"]["matching"] is None
    assert 'id="comments-matching"' not in plain.content.decode()
    for params, kept in (
        ({"sentiment": "negative"}, 2),
        ({"q": "lovely"}, 1),
        ({"q": "zzzzqqq"}, 0),
    ):
        response = client.get("/dashboards/cx/", {**MARCH_FILTER, **params})
        assert response.context["comments"]["matching"] == kept, params
        assert f"{kept} of {total} comments match" in response.content.decode(), params


def test_team_lead_sees_own_team_comments(data, login):
    response = login(data.world.team_lead).get("/dashboards/ex/", MARCH_FILTER)
    assert "Great team spirit" in _comments(response)


def test_overview_card_without_answers_says_what_to_do(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    QuestionFactory(survey=survey, type="csat")
    response = login(world.cx_manager).get("/dashboards/", MARCH_FILTER)
    card = _cards(response)["csat"]
    assert card["empty"] and card["survey"] == survey
    assert (
        "No responses in this range: share the survey&#x27;s customer link, or widen the dates."
        in response.content.decode()
    )


def test_the_default_survey_carries_its_organisation(django_assert_num_queries):
    """The pages read the threshold from the default survey's organisation: it is the one asked
    for, so it comes with the survey instead of one more query per headline card."""
    from dashboards.selectors.common import default_survey

    survey = SurveyFactory(kind=SurveyKind.EX)
    organization = survey.organization
    found = default_survey(organization=organization, kinds=("ex",))
    assert found == survey
    with django_assert_num_queries(0):
        assert found.organization is organization


def test_a_printed_page_says_what_it_covers(world, login):
    """The filter bar is not printed: a print-only line names the survey, dates, period size
    and the team chosen (QA: a printed overview did not say what it covered)."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, title="Pulse")
    QuestionFactory(survey=survey, type="nps")
    html = (
        login(world.hr_admin)
        .get("/dashboards/ex/", {**MARCH_FILTER, "survey": survey.id, "team": world.team.id})
        .content.decode()
    )
    line = html.split('id="print-scope">', 1)[1].split("</p>", 1)[0]
    assert line == (
        f"Survey: Pulse · 1 Mar 2026 to 31 Mar 2026 · Period size: Month · Team: {world.team.name}"
    )
    overview = login(world.hr_admin).get("/dashboards/", MARCH_FILTER).content.decode()
    assert "Whole organisation</p>" in overview.split('id="print-scope">', 1)[1]
