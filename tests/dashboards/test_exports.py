"""Exports: CSV and XLSX of what a dashboard shows (same suppression), streamed; formula
injection neutralised in both formats; raw responses only for non-anonymous surveys and owners."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from dashboards.anonymity import PROTECTS_ANOTHER
from dashboards.exports import cell_safe
from dashboards.forms import default_start
from dashboards.selectors import cx
from dashboards.selectors.raw import raw_responses_table
from dashboards.selectors.tables import HIDDEN
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH_FILTER, ex_cx, march_filters, rebuild, store
from tests.factories import QuestionFactory, SurveyFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    return ex_cx(world)


def _csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _section(rows: list[list[str]], caption: str) -> list[list[str]]:
    """The rows of one table in a CSV export (after its caption and header, up to the blank line)."""
    start = rows.index([caption]) + 2
    end = next((i for i in range(start, len(rows)) if rows[i] == []), len(rows))
    return rows[start:end]


# --- Formula injection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd", '=HYPERLINK("x")']
)
def test_text_that_could_start_a_formula_gets_a_quote(text):
    assert cell_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["Front desk", "a=b", "", 12, -5, -2.5, None, "1-2"])
def test_other_values_are_left_alone(value):
    assert cell_safe(value) == value


# --- Dashboard exports -----------------------------------------------------------------------------


def test_ex_csv_is_streamed_with_the_pages_figures_and_suppression(data, login):
    response = login(data.world.hr_admin).get("/dashboards/export/ex.csv", MARCH_FILTER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tandem-ex-')
    rows = _csv(response)
    assert _section(rows, "Score trends") == [["2026-03", "13", "7.7", "13", "61.5", "13"]]
    heat = {
        row[0]: row[1:] for row in _section(rows, "Favourability by team and driver (% favourable)")
    }
    assert heat["Front desk"] == ["6", "66.7", "6", "50.0", "6"]
    # the complement of Kitchen, saying so
    assert heat["Night shift"] == ["5", PROTECTS_ANOTHER, "", PROTECTS_ANOTHER, ""]
    assert heat["Kitchen"] == ["2", HIDDEN, "", HIDDEN, ""]


def test_ex_export_comments_are_neutralised_and_only_from_shown_teams(data, login):
    rows = _csv(login(data.world.hr_admin).get("/dashboards/export/ex.csv", MARCH_FILTER))
    comments = {row[-1] for row in _section(rows, "Comments")}
    assert comments == {
        "Great team spirit",
        '\'=HYPERLINK("http://evil")',
        "<script>alert(1)</script>",
    }
    assert all(row[0] == "2026-03" for row in _section(rows, "Comments"))  # the month, not the day
    flat = str(rows)
    assert "Night shift secret" not in flat and "Kitchen secret" not in flat


def test_comment_filters_apply_to_the_export(data, login):
    rows = _csv(
        login(data.world.cx_manager).get(
            "/dashboards/export/cx.csv", {**MARCH_FILTER, "sentiment": "negative"}
        )
    )
    assert sorted(row[-1] for row in _section(rows, "Comments")) == ["Awful", "Rude and slow"]


def test_xlsx_has_a_sheet_per_table_and_text_cells_for_formulas(data, login):
    response = login(data.world.hr_admin).get("/dashboards/export/ex.xlsx", MARCH_FILTER)
    assert response.status_code == 200
    assert (
        response["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = _xlsx(response)
    assert workbook.sheetnames == [
        "Score trends",
        "Favourability by team and",
        "Drivers ranked by impact on",
        "Participation by team",
        "Comments",
    ]
    trends = list(workbook["Score trends"].iter_rows(values_only=True))
    assert trends[2] == ("2026-03", 13, 7.7, 13, 61.5, 13)
    comments = workbook["Comments"]
    cells = [row[-1] for row in comments.iter_rows(min_row=3)]
    formula = next(cell for cell in cells if "HYPERLINK" in str(cell.value))
    assert formula.value == '\'=HYPERLINK("http://evil")' and formula.data_type == "s"


def test_follow_ups_export_holds_them_all_when_the_page_shows_a_part(data, login, monkeypatch):
    """CSAT 1-2 in March: Front desk's 2 and 1 (Ann), Night shift's 1 (Bob): 3 responses. With
    pages of 2, the page shows "1–2 of 3" and the export all 3 (newest first: the same time,
    so the latest stored first); the sheet keeps its name."""
    monkeypatch.setattr(cx, "FOLLOW_UPS", 2)
    client = login(data.world.cx_manager)

    rows = _csv(client.get("/dashboards/export/cx.csv", MARCH_FILTER))
    page = client.get("/dashboards/cx/", MARCH_FILTER).content.decode()
    workbook = _xlsx(client.get("/dashboards/export/cx.xlsx", MARCH_FILTER))

    follow_ups = _section(rows, "Detractor follow-ups")
    assert rows[rows.index(["Detractor follow-ups"]) + 1] == [
        "Response",
        "Submitted",
        "Team",
        "Agent",
        "Low answers",
        "Alert status",
    ]
    assert [row[2:5] for row in follow_ups] == [
        ["Night shift", "Bob", "How satisfied were you?: 1"],
        ["Front desk", "Ann", "How satisfied were you?: 1"],
        ["Front desk", "Ann", "How satisfied were you?: 2"],
    ]
    assert "newest first: 1–2 of 3" in page
    sheet = list(workbook["Detractor follow-ups"].iter_rows(values_only=True))
    assert sheet[0][0] == "Detractor follow-ups" and len(sheet) == 5


def test_follow_ups_export_of_all_of_them_says_nothing_more(data, login):
    rows = _csv(login(data.world.cx_manager).get("/dashboards/export/cx.csv", MARCH_FILTER))

    assert len(_section(rows, "Detractor follow-ups")) == 3


def test_team_names_are_neutralised_in_exports_and_escaped_in_pages(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    csat = QuestionFactory(survey=survey, type="csat")
    evil = TeamFactory(organization=world.org, name="=cmd|'/C calc'!A0 <script>x</script>")
    store(survey=survey, team=evil, columns={csat: [5, 5, 5, 5, 5]})
    rebuild(survey)
    client = login(world.cx_manager)
    params = {**MARCH_FILTER, "survey": survey.id}
    rows = _csv(client.get("/dashboards/export/cx.csv", params))
    assert _section(rows, "By team")[0][0] == "'=cmd|'/C calc'!A0 <script>x</script>"
    sheet = _xlsx(client.get("/dashboards/export/cx.xlsx", params))["By team"]
    assert (
        sheet["A3"].value == "'=cmd|'/C calc'!A0 <script>x</script>"
        and sheet["A3"].data_type == "s"
    )
    html = client.get("/dashboards/cx/", params).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html


def test_control_characters_do_not_break_xlsx(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    csat = QuestionFactory(survey=survey, type="csat")
    text = QuestionFactory(survey=survey, type="text", required=False)
    store(
        survey=survey,
        team=world.team,
        columns={csat: [5] * 5, text: ["bell\x07 and\x01 nul", None, None, None, None]},
    )
    rebuild(survey)
    response = login(world.cx_manager).get(
        "/dashboards/export/cx.xlsx", {**MARCH_FILTER, "survey": survey.id}
    )
    cells = [row[-1] for row in _xlsx(response)["Comments"].iter_rows(min_row=3, values_only=True)]
    assert cells == ["bell and nul"]


def test_overview_and_link_exports(data, login):
    overview = _csv(login(data.world.hr_admin).get("/dashboards/export/overview.csv", MARCH_FILTER))
    headline = {row[0]: row for row in _section(overview, "Headline figures")}
    assert headline["eNPS"][1:4] == ["Pulse", "2026-03", "7.7"]
    link = _csv(login(data.world.cx_manager).get("/dashboards/export/link.csv"))
    # Only Front desk is shown on the EX side (Kitchen small, Night shift its complement).
    assert _section(link, "Correlation") == [["1", "", "", "", "", "2"]]


@pytest.mark.parametrize(
    ("role", "dashboard", "status"),
    [
        ("staff", "overview", 403),
        ("staff", "ex", 403),
        ("hr_admin", "cx", 403),
        ("cx_manager", "ex", 403),
        ("team_lead", "link", 403),
        ("team_lead", "ex", 200),
        ("team_lead", "cx", 200),
        ("hr_admin", "nope", 404),
    ],
)
def test_export_roles(data, login, role, dashboard, status):
    response = login(data.world.member(role)).get(
        f"/dashboards/export/{dashboard}.csv", MARCH_FILTER
    )
    assert response.status_code == status


def test_team_lead_export_is_their_team_and_cannot_ask_for_another(data, login):
    client = login(data.world.team_lead)
    rows = _csv(client.get("/dashboards/export/ex.csv", MARCH_FILTER))
    assert _section(rows, "Score trends")[0][:3] == ["2026-03", "6", "16.7"]
    assert (
        client.get(
            "/dashboards/export/ex.csv", {**MARCH_FILTER, "team": data.kitchen.id}
        ).status_code
        == 403
    )


def test_export_errors(data, login):
    client = login(data.world.hr_admin)
    assert client.get("/dashboards/export/ex.pdf").status_code == 404
    assert client.get("/dashboards/export/ex.csv", {"period": "decade"}).status_code == 400
    assert client.post("/dashboards/export/ex.csv").status_code == 405


# --- Raw responses -----------------------------------------------------------------------------------


def test_raw_export_of_a_non_anonymous_survey(data, login):
    response = login(data.world.cx_manager).get(
        f"/dashboards/surveys/{data.cx.id}/responses.csv", MARCH_FILTER
    )
    assert response.status_code == 200
    rows = _csv(response)
    assert rows[1] == [
        "Response",
        "Submitted",
        "Team",
        "Location",
        "Respondent",
        "Respondent email",
        "Agent",
        "Channel",
        "How satisfied were you?",
        "Tell us more",
    ]
    body = rows[2:]
    assert len(body) == 17  # every response of March
    by_agent = {}
    for row in body:
        by_agent.setdefault(row[6], []).append(row[8])
    assert sorted(by_agent["Ann"]) == ["1", "2", "3", "4", "5", "5"]
    assert sorted(by_agent[""]) == ["4"] * 5
    assert ["5", "Lovely"] in [row[8:] for row in body]


def test_raw_export_xlsx(data, login):
    response = login(data.world.cx_manager).get(
        f"/dashboards/surveys/{data.cx.id}/responses.xlsx", MARCH_FILTER
    )
    rows = list(_xlsx(response).active.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 17


def test_raw_export_reads_rows_only_while_streaming(data):
    filters = march_filters(data.cx)
    with CaptureQueriesContext(connection) as built:
        table = raw_responses_table(filters=filters)
    assert len(built) == 1  # the question headers; the answers are read as the file streams
    with CaptureQueriesContext(connection) as streamed:
        assert len(list(table.rows)) == 17
    assert len(streamed) >= 1


@pytest.mark.parametrize(
    ("role", "survey", "status"),
    [
        ("hr_admin", "ex", 403),  # anonymous: never one by one
        ("hr_admin", "cx", 403),  # not the CX owner
        ("cx_manager", "ex", 403),
        ("team_lead", "cx", 403),
        ("staff", "cx", 403),
        ("outsider", "cx", 404),
        ("cx_manager", "cx", 200),
    ],
)
def test_raw_export_permissions(data, login, role, survey, status):
    survey = data.ex if survey == "ex" else data.cx
    assert (
        login(data.world.member(role))
        .get(f"/dashboards/surveys/{survey.id}/responses.csv")
        .status_code
        == status
    )


def test_raw_export_of_non_anonymous_ex_for_hr_admin(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=False)
    question = QuestionFactory(survey=survey, type="nps")
    store(survey=survey, team=world.team, columns={question: [9, 3]})
    client = login(world.hr_admin)
    export = client.get(f"/dashboards/surveys/{survey.id}/responses.csv", MARCH_FILTER)
    assert len(_csv(export)) == 4
    assert client.get(f"/dashboards/surveys/{survey.id}/responses.pdf").status_code == 404


# --- Raw responses under the page's filters --------------------------------------------------------


def _raw(client, survey, params=None):
    return client.get(f"/dashboards/surveys/{survey.id}/responses.csv", params or {})


def _teams(response) -> list[str]:
    """The team of each exported response (sorted)."""
    return sorted(row[2] for row in _csv(response)[2:])


def test_raw_export_honours_the_pages_team_department_and_location(data, login):
    """March: Front desk 6, Night shift 6, Kitchen 5. Each team has its own department and
    location (the factories')."""
    client = login(data.world.cx_manager)
    team, night = data.world.team, data.world.other_team

    assert _teams(_raw(client, data.cx, {**MARCH_FILTER, "team": team.id})) == ["Front desk"] * 6
    by_department = _raw(client, data.cx, {**MARCH_FILTER, "department": night.department_id})
    assert _teams(by_department) == ["Night shift"] * 6
    by_location = _raw(client, data.cx, {**MARCH_FILTER, "location": data.kitchen.location_id})
    assert _teams(by_location) == ["Kitchen"] * 5


def test_raw_export_honours_the_date_range_and_the_pages_default_one(data, login):
    """Besides March's 17: Front desk on 2 April (CSAT 3) and today (CSAT 2). Without dates the
    export is the page's default range, the last six months: today's only."""
    store(
        survey=data.cx,
        team=data.world.team,
        columns={data.csat: [3]},
        when=dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.UTC),
    )
    store(survey=data.cx, team=data.world.team, columns={data.csat: [2]}, when=timezone.now())
    client = login(data.world.cx_manager)

    april = _csv(_raw(client, data.cx, {"start": "2026-04-01", "end": "2026-04-30"}))
    march_to_april = _raw(client, data.cx, {"start": "2026-03-01", "end": "2026-04-30"})
    default = _csv(_raw(client, data.cx))

    assert [row[8] for row in april[2:]] == ["3"]
    assert len(_csv(march_to_april)) == 2 + 18
    assert [row[8] for row in default[2:]] == ["2"]


@pytest.mark.parametrize(
    ("params", "line"),
    [
        ({"start": "2026-13-01"}, "- start: Enter a valid date."),
        ({"start": "2026-04-01", "end": "2026-03-01"}, "- end: The end date must be on or after"),
        ({"period": "decade"}, "- period: Select a valid choice. decade is not one of"),
        ({"team": "x"}, "- team: Select a valid choice."),
    ],
)
def test_raw_export_with_bad_filters_is_a_400_naming_them(data, login, params, line):
    response = _raw(login(data.world.cx_manager), data.cx, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("Some filters are not valid, so nothing was exported:") and line in text


def test_raw_export_refuses_a_team_of_another_department_or_organisation(data, login):
    client = login(data.world.cx_manager)
    team, night = data.world.team, data.world.other_team
    mixed = _raw(client, data.cx, {"team": team.id, "department": night.department_id})
    theirs = _raw(
        client, data.cx, {"team": TeamFactory(organization=data.world.outsider.organization).id}
    )

    assert mixed.status_code == 400 and f"- team: {team.name} is not in" in mixed.content.decode()
    assert theirs.status_code == 400 and "- team: Select a valid choice." in theirs.content.decode()


def test_raw_export_of_one_survey_refuses_another_named_in_the_query(data, login):
    client = login(data.world.cx_manager)
    other = SurveyFactory(organization=data.world.org, kind=SurveyKind.CX, anonymous=False)
    outside = SurveyFactory(organization=data.world.outsider.organization, kind=SurveyKind.CX)

    named = _raw(client, data.cx, {"survey": other.id})

    assert named.status_code == 400
    assert "- survey: This export is of “CSAT”: leave the survey out." in named.content.decode()
    assert _raw(client, data.cx, {"survey": data.cx.id}).status_code == 200
    assert _raw(client, data.cx, {"survey": outside.id}).status_code == 404


def _raw_links(page) -> dict[str, dict[str, list[str]]]:
    """The page's raw export links: {"csv" or "xlsx": the query}, none when not offered."""
    html = page.content.decode()
    links = {}
    for fmt in ("csv", "xlsx"):
        found = re.search(rf'id="raw-export-{fmt}" href="([^"]*)"', html)
        if found:
            url = urlsplit(found.group(1).replace("&amp;", "&"))
            links[fmt] = (url.path, parse_qs(url.query))
    return links


def test_cx_page_links_the_raw_export_of_its_filters(data, login):
    client = login(data.world.cx_manager)
    params = {**MARCH_FILTER, "team": data.world.other_team.id}

    links = _raw_links(client.get("/dashboards/cx/", params))

    query = {key: [str(value)] for key, value in {**params, "survey": data.cx.id}.items()}
    assert links == {
        "csv": (f"/dashboards/surveys/{data.cx.id}/responses.csv", query),
        "xlsx": (f"/dashboards/surveys/{data.cx.id}/responses.xlsx", query),
    }
    assert _teams(client.get(links["csv"][0], query)) == ["Night shift"] * 6


def test_cx_page_without_dates_links_the_raw_export_of_its_default_range(data, login):
    today = timezone.localdate()
    links = _raw_links(login(data.world.cx_manager).get("/dashboards/cx/"))
    assert links["csv"][1]["end"] == [today.isoformat()]
    assert links["csv"][1]["start"] == [default_start(today).isoformat()]


def test_ex_page_links_the_raw_export_of_a_non_anonymous_survey_only(data, login):
    survey = SurveyFactory(organization=data.world.org, kind=SurveyKind.EX, anonymous=False)
    question = QuestionFactory(survey=survey, type="nps")
    store(survey=survey, team=data.world.team, columns={question: [9, 3]})
    rebuild(survey)
    client = login(data.world.hr_admin)

    named = _raw_links(client.get("/dashboards/ex/", {**MARCH_FILTER, "survey": survey.id}))
    anonymous = _raw_links(client.get("/dashboards/ex/", {**MARCH_FILTER, "survey": data.ex.id}))

    assert named["csv"][0] == f"/dashboards/surveys/{survey.id}/responses.csv"
    assert len(_csv(client.get(*named["csv"]))) == 2 + 2
    assert anonymous == {}


def test_no_raw_export_link_for_team_leads_or_anonymous_cx_surveys(data, login):
    anonymous = SurveyFactory(organization=data.world.org, kind=SurveyKind.CX, anonymous=True)
    store(
        survey=anonymous,
        team=data.world.team,
        columns={QuestionFactory(survey=anonymous, type="csat"): [4] * 5},
    )
    rebuild(anonymous)
    manager = login(data.world.cx_manager)
    assert (
        _raw_links(manager.get("/dashboards/cx/", {**MARCH_FILTER, "survey": anonymous.id})) == {}
    )
    lead = login(data.world.team_lead)
    assert _raw_links(lead.get("/dashboards/cx/", {**MARCH_FILTER, "survey": data.cx.id})) == {}
    assert _raw_links(lead.get("/dashboards/ex/", MARCH_FILTER)) == {}


# --- Audit -------------------------------------------------------------------------------------------


def test_exports_raw_responses_and_comments_are_audited(data, login):
    from surveys.models import AuditLog

    client = login(data.world.cx_manager)
    client.get(f"/dashboards/surveys/{data.cx.id}/responses.csv", MARCH_FILTER)
    client.get("/dashboards/export/cx.csv", MARCH_FILTER)
    client.get("/dashboards/cx/", MARCH_FILTER)
    entries = list(
        AuditLog.objects.filter(user=data.world.cx_manager.user).values_list("action", "object_id")
    )
    assert ("responses.view", str(data.cx.id)) in entries
    assert ("export.download", str(data.cx.id)) in entries
    assert ("comments.view", str(data.cx.id)) in entries
    assert AuditLog.objects.filter(organization=data.world.outsider.organization).count() == 0
