"""Exports: CSV and XLSX of what a dashboard shows (same suppression), streamed; formula
injection neutralised in both formats; raw responses only for non-anonymous surveys and owners."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dashboards.anonymity import PROTECTS_ANOTHER
from dashboards.exports import cell_safe
from dashboards.selectors import cx
from dashboards.selectors.raw import raw_responses_table
from dashboards.selectors.tables import HIDDEN
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH_FILTER, ex_cx, rebuild, store
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
    response = login(data.world.cx_manager).get(f"/dashboards/surveys/{data.cx.id}/responses.csv")
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
    assert len(body) == 17  # every response
    by_agent = {}
    for row in body:
        by_agent.setdefault(row[6], []).append(row[8])
    assert sorted(by_agent["Ann"]) == ["1", "2", "3", "4", "5", "5"]
    assert sorted(by_agent[""]) == ["4"] * 5
    assert ["5", "Lovely"] in [row[8:] for row in body]


def test_raw_export_xlsx(data, login):
    response = login(data.world.cx_manager).get(f"/dashboards/surveys/{data.cx.id}/responses.xlsx")
    rows = list(_xlsx(response).active.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 17


def test_raw_export_reads_rows_only_while_streaming(data):
    with CaptureQueriesContext(connection) as built:
        table = raw_responses_table(survey=data.cx)
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
    assert len(_csv(client.get(f"/dashboards/surveys/{survey.id}/responses.csv"))) == 4
    assert client.get(f"/dashboards/surveys/{survey.id}/responses.pdf").status_code == 404


# --- Audit -------------------------------------------------------------------------------------------


def test_exports_raw_responses_and_comments_are_audited(data, login):
    from surveys.models import AuditLog

    client = login(data.world.cx_manager)
    client.get(f"/dashboards/surveys/{data.cx.id}/responses.csv")
    client.get("/dashboards/export/cx.csv", MARCH_FILTER)
    client.get("/dashboards/cx/", MARCH_FILTER)
    entries = list(
        AuditLog.objects.filter(user=data.world.cx_manager.user).values_list("action", "object_id")
    )
    assert ("responses.view", str(data.cx.id)) in entries
    assert ("export.download", str(data.cx.id)) in entries
    assert ("comments.view", str(data.cx.id)) in entries
    assert AuditLog.objects.filter(organization=data.world.outsider.organization).count() == 0
