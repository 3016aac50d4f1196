"""The EX→CX link: pairs, correlation, lag, exclusions (threshold and complement), early warning,
and GET /api/v1/linkage/ (figures by hand, contract keys, errors, roles)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from dashboards.selectors.linkage import early_warnings, left_out_label, link_detail, linkage
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH, rebuild, store
from tests.factories import QuestionFactory, SurveyFactory, TeamFactory

pytestmark = pytest.mark.django_db

JANUARY = dt.datetime(2026, 1, 14, 12, 0, tzinfo=dt.UTC)
FEBRUARY = dt.datetime(2026, 2, 11, 12, 0, tzinfo=dt.UTC)
APRIL = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)

# eNPS answers per team (promoters 9-10, detractors 0-6):
EX_ANSWERS = {
    "A": [10, 10, 10, 10, 10],  # 5 people, 5 promoters -> 100.0
    "B": [10, 10, 10, 10, 0, 8],  # 6 people, 4 P, 1 D -> 50.0
    "C": [10, 10, 0, 0, 8, 8, 8, 8],  # 8 people, 2 P, 2 D -> 0.0
    "D": [0, 0, 0, 0, 0, 0, 10, 10, 8, 8],  # 10 people, 2 P, 6 D -> -40.0
}
# CSAT answers (share of 4-5), 5 customers each:
CX_ANSWERS = {
    "A": [5, 5, 5, 5, 5],  # 100.0
    "B": [5, 5, 5, 5, 1],  # 80.0
    "C": [5, 5, 5, 1, 1],  # 60.0
    "D": [5, 1, 1, 1, 1],  # 20.0
}
# ex = 100, 50, 0, -40 (mean 27.5), cx = 100, 80, 60, 20 (mean 65):
# dx = 72.5, 22.5, -27.5, -67.5; dy = 35, 15, -5, -45
# Sxy = 2537.5 + 337.5 + 137.5 + 3037.5 = 6050; Sxx = 11075; Syy = 3500
# r = 6050 / sqrt(11075 * 3500) = 0.9717 -> 0.97; ranks agree exactly -> rho = 1.0
# Fisher: z = atanh(0.9717) = 2.1224, n - 3 = 1 -> 2.1224 -/+ 1.96 -> tanh: 0.161 .. 0.9994


class Link:
    def __init__(self, world, *, ex_when=MARCH, cx_when=MARCH):
        org = world.org
        self.teams = {name: TeamFactory(organization=org, name=f"Team {name}") for name in "ABCDEF"}
        self.ex = SurveyFactory(organization=org, kind=SurveyKind.EX, title="Pulse")
        self.enps = QuestionFactory(survey=self.ex, type="nps", is_outcome=True)
        self.cx = SurveyFactory(organization=org, kind=SurveyKind.CX, title="CSAT", anonymous=False)
        self.csat = QuestionFactory(survey=self.cx, type="csat")
        for name, answers in EX_ANSWERS.items():
            store(survey=self.ex, team=self.teams[name], columns={self.enps: answers}, when=ex_when)
        for name, answers in CX_ANSWERS.items():
            store(survey=self.cx, team=self.teams[name], columns={self.csat: answers}, when=cx_when)

    def add(self, *, team: str, ex=None, cx=None, when=MARCH):
        if ex:
            store(survey=self.ex, team=self.teams[team], columns={self.enps: ex}, when=when)
        if cx:
            store(survey=self.cx, team=self.teams[team], columns={self.csat: cx}, when=when)

    def result(self, **options):
        rebuild(self.ex, self.cx)
        return linkage(
            ex_survey=self.ex, cx_survey=self.cx, ex_metric="enps", cx_metric="csat", **options
        )


def _points(result) -> dict[str, tuple]:
    return {p["team"]["name"]: (p["ex"], p["ex_n"], p["cx"], p["cx_n"]) for p in result["pairs"]}


def test_one_point_per_team_with_correlation_by_hand(world):
    result = Link(world).result()
    assert _points(result) == {
        "Team A": (100.0, 5, 100.0, 5),
        "Team B": (50.0, 6, 80.0, 5),
        "Team C": (0.0, 8, 60.0, 5),
        "Team D": (-40.0, 10, 20.0, 5),
    }
    assert result["n"] == 4
    assert result["pearson"] == 0.97
    assert result["spearman"] == 1.0
    assert result["ci95"] == [0.16, 1.0]
    assert result["excluded_teams"] == 0
    assert {p["period"] for p in result["pairs"]} == {"all"}


def test_small_team_and_its_complement_are_left_out_and_counted(world):
    link = Link(world)
    # Team E: 3 employees (under 5). Hidden alone, it could be worked out from the total minus the
    # others, so the smallest other team (A, 5 people) is hidden on the EX side too.
    link.add(team="E", ex=[10, 10, 10], cx=[5, 5, 5, 5, 5])
    # Team F: customers but no employee answers at all: no EX side, so no point.
    link.add(team="F", cx=[4, 4, 4, 4, 4])
    result = link.result()
    assert sorted(_points(result)) == ["Team B", "Team C", "Team D"]
    assert result["excluded_teams"] == 3  # A (complement), E (under threshold), F (no EX)
    _, detail = link_detail(
        ex_survey=link.ex, cx_survey=link.cx, ex_metric="enps", cx_metric="csat"
    )
    assert detail["left_out_names"] == ["Team A", "Team E", "Team F"]
    # ex = 50, 0, -40; cx = 80, 60, 20: Sxy = 2666.7, Sxx = 4066.7, Syy = 1866.7 -> r = 0.968
    assert result["pearson"] == 0.97
    assert result["spearman"] == 1.0
    assert result["ci95"] is None  # fewer than 4 points


def test_lag_pairs_employees_this_month_with_customers_next_month(world):
    link = Link(world, ex_when=JANUARY, cx_when=FEBRUARY)
    same = link.result(period="month", lag=0)
    assert same["n"] == 0 and same["pairs"] == []
    lagged = link.result(period="month", lag=1)
    assert lagged["n"] == 4
    assert {p["period"] for p in lagged["pairs"]} == {"2026-01"}
    assert lagged["pearson"] == 0.97


def test_lag_with_a_date_range_reads_customers_one_period_later(world):
    link = Link(world, ex_when=JANUARY, cx_when=FEBRUARY)
    result = link.result(period="month", lag=1, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    assert result["n"] == 4


def test_monthly_pairs_are_one_per_team_and_month(world):
    link = Link(world)
    result = link.result(period="month")
    assert {p["period"] for p in result["pairs"]} == {"2026-03"}
    assert result["n"] == 4


def _march_and_april(world) -> Link:
    """Teams A-D answer on both sides in March and April; team F has customers only, both months."""
    link = Link(world)
    for name in "ABCD":
        link.add(team=name, ex=EX_ANSWERS[name], cx=CX_ANSWERS[name], when=APRIL)
    for when in (MARCH, APRIL):
        link.add(team="F", cx=[4, 4, 4, 4, 4], when=when)
    return link


def test_a_team_left_out_in_two_months_is_one_team_and_two_team_months(world):
    link = _march_and_april(world)
    rebuild(link.ex, link.cx)
    choice = {"ex_survey": link.ex, "cx_survey": link.cx, "ex_metric": "enps", "cx_metric": "csat"}
    by_month, detail = link_detail(**choice, period="month")
    assert by_month["n"] == 8  # A-D in March and in April
    assert by_month["excluded_teams"] == 2  # F in March, F in April
    assert detail["left_out_teams"] == 1
    assert left_out_label(result=by_month, detail=detail, period="month") == (
        "2 team-months (1 team)"
    )
    whole, detail = link_detail(**choice, period="all")
    assert (whole["excluded_teams"], detail["left_out_teams"]) == (1, 1)
    assert left_out_label(result=whole, detail=detail, period="all") == "1 team"
    assert linkage(**choice, period="month") == by_month  # the API's body, nothing added


def test_early_warning_flags_employees_falling_before_customers(world):
    org = world.org
    ex = SurveyFactory(organization=org, kind=SurveyKind.EX)
    enps = QuestionFactory(survey=ex, type="nps")
    cx = SurveyFactory(organization=org, kind=SurveyKind.CX)
    csat = QuestionFactory(survey=cx, type="csat")
    falling_alone, falling_both, rising = (TeamFactory(organization=org) for _ in range(3))
    series = [
        # team, EX February, EX March, CX February, CX March
        (
            falling_alone,
            [10] * 5,
            [10, 10, 0, 0, 8],
            [5, 5, 5, 5, 1],
            [5, 5, 5, 5, 1],
        ),  # 100 -> 0; 80 -> 80
        (
            falling_both,
            [10] * 5,
            [10, 10, 0, 0, 8],
            [5] * 5,
            [5, 5, 5, 1, 1],
        ),  # 100 -> 0; 100 -> 60
        (rising, [10, 10, 0, 0, 8], [10] * 5, [5] * 5, [5] * 5),  # 0 -> 100
    ]
    for team, ex_feb, ex_mar, cx_feb, cx_mar in series:
        store(survey=ex, team=team, columns={enps: ex_feb}, when=FEBRUARY)
        store(survey=ex, team=team, columns={enps: ex_mar}, when=MARCH)
        store(survey=cx, team=team, columns={csat: cx_feb}, when=FEBRUARY)
        store(survey=cx, team=team, columns={csat: cx_mar}, when=MARCH)
    rebuild(ex, cx)
    warnings = early_warnings(
        ex_survey=ex, cx_survey=cx, ex_metric="enps", cx_metric="csat", period="month"
    )
    assert warnings["period"] == "2026-03" and warnings["previous"] == "2026-02"
    assert [
        (w["team"]["id"], w["ex_before"], w["ex_now"], w["ex_change"], w["cx_before"], w["cx_now"])
        for w in warnings["teams"]
    ] == [(falling_alone.id, 100.0, 0.0, -100.0, 80.0, 80.0)]


def _slipping_mid_march(world):
    """One team, EX and CX not anonymous (so cut by days), February whole, March in two halves:
        EX eNPS  February 10 x5 -> 100.0;  5 March 10 10 0 0 8 -> (2 - 2) / 5 = 0.0;
                 20 March 10 x5            (whole March: (7 - 2) / 10 = 50.0)
        CX CSAT  February 5 x5  -> 100.0;  5 March 5 x5 -> 100.0;
                 20 March 1 x5             (whole March: 5/10 = 50.0)
    Up to 10 March: eNPS 100.0 -> 0.0 while CSAT stays 100.0, a warning. Whole March: CSAT fell
    50 points too, none."""
    org = world.org
    ex = SurveyFactory(organization=org, kind=SurveyKind.EX, anonymous=False)
    enps = QuestionFactory(survey=ex, type="nps")
    cx = SurveyFactory(organization=org, kind=SurveyKind.CX, anonymous=False)
    csat = QuestionFactory(survey=cx, type="csat")
    early, late = MARCH.replace(day=5), MARCH.replace(day=20)
    for when, ex_answers, cx_answers in [
        (FEBRUARY, [10] * 5, [5] * 5),
        (early, [10, 10, 0, 0, 8], [5] * 5),
        (late, [10] * 5, [1] * 5),
    ]:
        store(survey=ex, team=world.team, columns={enps: ex_answers}, when=when)
        store(survey=cx, team=world.team, columns={csat: cx_answers}, when=when)
    rebuild(ex, cx)
    return {"ex_survey": ex, "cx_survey": cx, "ex_metric": "enps", "cx_metric": "csat"}


def _warned(warnings: dict) -> list[tuple]:
    return [
        (w["team"]["name"], w["ex_before"], w["ex_now"], w["cx_before"], w["cx_now"])
        for w in warnings["teams"]
    ]


def test_early_warning_stops_at_the_ranges_end(world):
    choice = _slipping_mid_march(world)
    cut = early_warnings(**choice, period="month", reference=dt.date(2026, 3, 10))
    assert (cut["period"], cut["previous"]) == ("2026-03", "2026-02")
    assert _warned(cut) == [("Front desk", 100.0, 0.0, 100.0, 100.0)]
    # No end chosen: the month of the last employee response (20 March), whole.
    whole = early_warnings(**choice, period="month")
    assert whole["period"] == "2026-03" and _warned(whole) == []


def test_link_page_says_by_how_much_a_score_must_fall(world, login):
    """A customer score that fell less than the threshold still lists the team: the page says
    the threshold rather than "has not fallen"."""
    choice = _slipping_mid_march(world)
    params = {
        "ex_survey": choice["ex_survey"].id,
        "cx_survey": choice["cx_survey"].id,
        "period": "month",
        "end": "2026-03-10",
    }
    client = login(world.hr_admin)
    html = client.get("/dashboards/link/", params).content.decode()
    assert (
        "Teams whose eNPS fell by 5 points or more from 2026-02 to 2026-03 while their "
        "customers' CSAT has not fallen by 5 points or more (yet)." in html
    )
    QuestionFactory(survey=choice["cx_survey"], type="ces", order=2)  # a 1-7 mean: 0.5
    html = client.get("/dashboards/link/", {**params, "cx_metric": "ces"}).content.decode()
    assert "customers' CES has not fallen by 0.5 points or more (yet)." in html


# --- API ---------------------------------------------------------------------------------------


def _api(client, link: Link, **params):
    query = {"ex_survey": link.ex.id, "cx_survey": link.cx.id, **params}
    return client.get("/api/v1/linkage/", query)


def test_api_returns_the_contract_with_figures_by_hand(world, login):
    link = Link(world)
    rebuild(link.ex, link.cx)
    response = _api(
        login(world.hr_admin), link, ex_metric="enps", cx_metric="csat", lag=0, period="all"
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"pairs", "n", "pearson", "spearman", "ci95", "excluded_teams"}
    assert body["pairs"][0] == {
        "team": {"id": link.teams["A"].id, "name": "Team A"},
        "period": "all",
        "ex": 100.0,
        "ex_n": 5,
        "cx": 100.0,
        "cx_n": 5,
    }
    assert (body["n"], body["pearson"], body["spearman"], body["ci95"], body["excluded_teams"]) == (
        4,
        0.97,
        1.0,
        [0.16, 1.0],
        0,
    )


def test_api_defaults_and_cx_manager_access(world, login):
    link = Link(world)
    rebuild(link.ex, link.cx)
    body = _api(login(world.cx_manager), link).json()
    assert body["n"] == 4 and body["pairs"][0]["period"] == "all"


def test_api_ci_is_null_below_four_pairs(world, login):
    link = Link(world)
    link.add(team="E", ex=[10, 10, 10])
    rebuild(link.ex, link.cx)
    body = _api(login(world.hr_admin), link).json()
    assert body["n"] == 3 and body["ci95"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ex_metric": "csat"}, "ex_metric"),
        ({"cx_metric": "enps"}, "cx_metric"),
        ({"lag": "2"}, "lag"),
        ({"lag": "1", "period": "all"}, "lag"),
        ({"period": "week"}, "period"),
        ({"ex_survey": "abc"}, "ex_survey"),
        ({"ex_survey": ""}, "ex_survey"),
        ({"start": "2026-03-31", "end": "2026-03-01"}, "end"),
        ({"ex_metric": "engagement"}, "ex_metric"),  # the pulse has no agreement item
        ({"cx_metric": "nps"}, "cx_metric"),  # the CSAT survey has no 0-10 question
    ],
)
def test_api_bad_parameters_are_400_with_the_field(world, login, params, field):
    link = Link(world)
    response = _api(login(world.hr_admin), link, **params)
    assert response.status_code == 400
    assert field in response.json()


def test_api_survey_of_the_wrong_kind_is_400(world, login):
    link = Link(world)
    response = login(world.hr_admin).get(
        "/api/v1/linkage/", {"ex_survey": link.cx.id, "cx_survey": link.cx.id}
    )
    assert response.status_code == 400 and "ex_survey" in response.json()


def test_api_other_organisations_survey_is_404(world, login):
    link = Link(world)
    foreign = SurveyFactory(organization=world.outsider.organization, kind=SurveyKind.CX)
    client = login(world.hr_admin)
    assert (
        client.get(
            "/api/v1/linkage/", {"ex_survey": link.ex.id, "cx_survey": foreign.id}
        ).status_code
        == 404
    )
    # The outsider cannot read ours either.
    assert _api(login(world.outsider), link).status_code == 404


@pytest.mark.parametrize("role", ["team_lead", "staff"])
def test_api_is_for_hr_admins_and_cx_managers_only(world, login, role):
    link = Link(world)
    assert _api(login(world.member(role)), link).status_code == 403


def test_api_needs_sign_in_and_get(world, client, login):
    link = Link(world)
    assert _api(client, link).status_code in (401, 403)
    assert login(world.hr_admin).post("/api/v1/linkage/", {}).status_code == 405


def test_api_token_authentication_works(world, client):
    from rest_framework.authtoken.models import Token

    link = Link(world)
    rebuild(link.ex, link.cx)
    token = Token.objects.create(user=world.hr_admin.user)
    response = client.get(
        "/api/v1/linkage/",
        {"ex_survey": link.ex.id, "cx_survey": link.cx.id},
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200 and response.json()["n"] == 4


# --- The page ------------------------------------------------------------------------------------


def test_link_page_shows_the_api_figures(world, login):
    link = Link(world)
    rebuild(link.ex, link.cx)
    client = login(world.hr_admin)
    params = {
        "ex_survey": link.ex.id,
        "cx_survey": link.cx.id,
        "ex_metric": "enps",
        "cx_metric": "csat",
    }
    page = client.get("/dashboards/link/", params)
    api = client.get("/api/v1/linkage/", params).json()
    assert page.status_code == 200
    assert page.context["result"] == api
    html = page.content.decode()
    assert '<dd class="col-5" id="link-pearson">0.97</dd>' in html
    assert '<dd class="col-5" id="link-ci">0.16 to 1.0</dd>' in html
    assert 'data-chart="chart-points"' in html and 'id="chart-points"' in html


def _section(rows: list[list[str]], caption: str) -> list[list[str]]:
    """A CSV export's table: its header and rows (up to the blank line after them)."""
    start = rows.index([caption]) + 1
    end = next((i for i in range(start, len(rows)) if rows[i] == []), len(rows))
    return rows[start:end]


def test_link_page_says_how_many_teams_and_team_months_are_left_out(world, login):
    link = _march_and_april(world)
    rebuild(link.ex, link.cx)
    client = login(world.hr_admin)
    params = {"ex_survey": link.ex.id, "cx_survey": link.cx.id, "period": "month"}
    html = client.get("/dashboards/link/", params).content.decode()
    assert '<dt class="col-7">Left out</dt>' in html
    assert '<dd class="col-5" id="link-excluded">2 team-months (1 team)</dd>' in html
    assert "Left out: a team, in a month, with no answers on one side," in html
    # F, left out in March and April, is named once; its figures are not on the page.
    assert '<dd class="col-12 small text-body-secondary" id="link-excluded-names">Team F</dd>' in (
        html
    )
    assert "Teams left out" not in html
    export = client.get("/dashboards/export/link.csv", params)
    text = b"".join(export.streaming_content).decode("utf-8").lstrip("\ufeff")
    header, row = _section(list(csv.reader(io.StringIO(text))), "Correlation")
    assert header[-2:] == ["Team-months left out", "Teams left out"]
    assert row[-2:] == ["2", "1"]
    whole = client.get("/dashboards/link/", {**params, "period": "all"}).content.decode()
    assert '<dd class="col-5" id="link-excluded">1 team</dd>' in whole
    assert "Left out: a team with no answers on one side," in whole


def test_with_a_lag_the_page_and_export_show_both_periods_of_each_point(world, login):
    link = Link(world, ex_when=JANUARY, cx_when=FEBRUARY)
    rebuild(link.ex, link.cx)
    client = login(world.hr_admin)
    params = {"ex_survey": link.ex.id, "cx_survey": link.cx.id, "period": "month", "lag": "1"}
    page = client.get("/dashboards/link/", params)
    points = page.context["tables"][0]
    assert points.headers == [
        "Team",
        "EX period",
        "CX period",
        "eNPS",
        "eNPS responses",
        "CSAT",
        "CSAT responses",
    ]
    # Team A: employees in January (eNPS 100.0, 5) against customers in February (100.0, 5).
    assert points.rows[0] == ["Team A", "2026-01", "2026-02", 100.0, 5, 100.0, 5]
    assert points.chart["datasets"][0]["data"][0]["label"] == "Team A · EX 2026-01, CX 2026-02"
    html = page.content.decode()
    assert "customers' CSAT one month later" in html
    assert '<th scope="col">EX period</th><th scope="col">CX period</th>' in html
    export = client.get("/dashboards/export/link.csv", params)
    text = b"".join(export.streaming_content).decode("utf-8").lstrip("\ufeff")
    table = _section(list(csv.reader(io.StringIO(text))), "Teams: eNPS against CSAT")
    assert table[0][:3] == ["Team", "EX period", "CX period"]
    assert table[1] == ["Team A", "2026-01", "2026-02", "100.0", "5", "100.0", "5"]
    # The API's pairs keep their contract: the employees' period only.
    api = client.get("/api/v1/linkage/", params).json()
    assert set(api["pairs"][0]) == {"team", "period", "ex", "ex_n", "cx", "cx_n"}
    assert api["pairs"][0]["period"] == "2026-01"


def test_without_a_lag_one_period_column(world, login):
    link = Link(world)
    rebuild(link.ex, link.cx)
    params = {"ex_survey": link.ex.id, "cx_survey": link.cx.id, "period": "month"}
    page = login(world.hr_admin).get("/dashboards/link/", params)
    points = page.context["tables"][0]
    assert points.headers[:3] == ["Team", "Period", "eNPS"]
    assert points.rows[0][:2] == ["Team A", "2026-03"]
    assert points.chart["datasets"][0]["data"][0]["label"] == "Team A · 2026-03"


def test_link_page_empty_state_without_surveys(world, login):
    page = login(world.cx_manager).get("/dashboards/link/")
    assert page.status_code == 200
    assert "Missing: the employee and the customer survey." in page.content.decode()


def test_link_page_bad_filter_shows_errors_not_500(world, login):
    link = Link(world)
    page = login(world.hr_admin).get("/dashboards/link/", {"ex_survey": link.ex.id, "lag": "7"})
    assert page.status_code == 400
    assert "Select a valid choice" in page.content.decode()


def test_link_page_names_no_team_when_none_is_left_out(world, login):
    link = Link(world)
    rebuild(link.ex, link.cx)
    params = {"ex_survey": link.ex.id, "cx_survey": link.cx.id}
    html = login(world.cx_manager).get("/dashboards/link/", params).content.decode()
    assert '<dd class="col-5" id="link-excluded">0 teams</dd>' in html
    assert 'id="link-excluded-names"' not in html
