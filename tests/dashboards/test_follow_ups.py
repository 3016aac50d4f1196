"""The CX page's detractor follow-ups: a page at a time (newest first, Older/Newer links that keep
the other filters), every one of the range in the exports.

The data (`follow_ups`): a customer survey, not anonymous, with one CSAT question, in March 2026.
    Front desk:  CSAT 1, 2, 1, 2, 1 on 2, 3, 4, 5 and 6 March: 5 detractors
                 CSAT 5 and 4 on 2 March: not detractors
    Night shift: CSAT 2 on 7 March: 1 detractor
With a page of 2 (FOLLOW_UPS monkeypatched), Front desk's five are 6-5 March, 4-3 March, 2 March.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from dashboards.selectors import cx
from surveys.models import Survey, SurveyKind
from tests.dashboards.dashdata import (
    MARCH_FILTER,
    main_of,
    march_filters,
    rebuild,
    signed_in,
    store,
)
from tests.factories import AlertFactory, AlertRuleFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

CX_PAGE = "/dashboards/cx/"


def march(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, 12, 0, tzinfo=dt.UTC)


@dataclass
class FollowUps:
    world: object
    survey: Survey
    params: dict  # the CX page's filters: this survey, March, Front desk


@pytest.fixture
def follow_ups(world, monkeypatch) -> FollowUps:
    monkeypatch.setattr(cx, "FOLLOW_UPS", 2)
    survey = SurveyFactory(
        organization=world.org, kind=SurveyKind.CX, anonymous=False, title="After visit"
    )
    csat = QuestionFactory(survey=survey, type="csat", text="How satisfied?")
    for day, value in zip((2, 3, 4, 5, 6), (1, 2, 1, 2, 1), strict=True):
        store(survey=survey, team=world.team, columns={csat: [value]}, when=march(day))
    store(survey=survey, team=world.team, columns={csat: [5, 4]}, when=march(2))
    store(survey=survey, team=world.other_team, columns={csat: [2]}, when=march(7))
    rebuild(survey)
    params = {**MARCH_FILTER, "survey": survey.id, "team": world.team.id}
    return FollowUps(world, survey, params)


def _days(page) -> list[int]:
    """The days of the follow-ups listed on the page, in order."""
    items = page.context["follow_ups"]["items"]
    return [timezone.localtime(i["response__submitted_at"]).day for i in items]


def _link(html: str, label: str) -> dict[str, list[str]] | None:
    """The query of the follow-up pages' link labelled `label` (Older, Newer), or None."""
    nav = html[html.index('id="follow-up-pages"') :]
    found = re.search(rf'href="([^"]*)">{label}</a>', nav[: nav.index("</nav>")])
    return parse_qs(urlsplit(found.group(1).replace("&amp;", "&")).query) if found else None


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text[1:])))


def _follow_up_rows(rows: list[list[str]]) -> list[list[str]]:
    start = rows.index(["Detractor follow-ups"]) + 2
    end = next((i for i in range(start, len(rows)) if rows[i] == []), len(rows))
    return rows[start:end]


# --- The page, a page at a time ------------------------------------------------------------------


def test_follow_ups_come_a_page_at_a_time_newest_first(follow_ups, login):
    client = login(follow_ups.world.cx_manager)

    first = client.get(CX_PAGE, follow_ups.params)
    second = client.get(CX_PAGE, {**follow_ups.params, "follow_ups_page": 2})
    last = client.get(CX_PAGE, {**follow_ups.params, "follow_ups_page": 3})

    assert [_days(page) for page in (first, second, last)] == [[6, 5], [4, 3], [2]]
    assert first.context["follow_ups"]["count"] == 5  # Front desk's, not Night shift's
    assert "newest first: 1–2 of 5</caption>" in first.content.decode()
    assert "newest first: 3–4 of 5</caption>" in second.content.decode()
    assert "newest first: 5 of 5</caption>" in last.content.decode()


def test_older_and_newer_links_keep_the_other_filters(follow_ups, login):
    client = login(follow_ups.world.cx_manager)
    kept = {key: [str(value)] for key, value in follow_ups.params.items()}

    first = client.get(CX_PAGE, follow_ups.params).content.decode()
    second = client.get(CX_PAGE, {**follow_ups.params, "follow_ups_page": 2}).content.decode()
    last = client.get(CX_PAGE, {**follow_ups.params, "follow_ups_page": 3}).content.decode()

    assert _link(first, "Older") == {**kept, "follow_ups_page": ["2"]}
    assert _link(first, "Newer") is None
    assert _link(second, "Newer") == {**kept, "follow_ups_page": ["1"]}
    assert _link(second, "Older") == {**kept, "follow_ups_page": ["3"]}
    assert _link(last, "Newer") == {**kept, "follow_ups_page": ["2"]}
    assert _link(last, "Older") is None


def test_one_page_of_follow_ups_has_no_page_links(follow_ups, login, monkeypatch):
    monkeypatch.setattr(cx, "FOLLOW_UPS", 50)
    page = login(follow_ups.world.cx_manager).get(CX_PAGE, follow_ups.params)
    assert _days(page) == [6, 5, 4, 3, 2]
    assert 'id="follow-up-pages"' not in page.content.decode()


def test_a_page_past_the_last_shows_the_last(follow_ups, login):
    page = login(follow_ups.world.cx_manager).get(
        CX_PAGE, {**follow_ups.params, "follow_ups_page": 9}
    )
    assert page.status_code == 200 and _days(page) == [2]


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "Ensure this value is greater than or equal to 1."), ("x", "Enter a whole number.")],
)
def test_a_bad_follow_up_page_is_named_on_the_page_and_the_export(
    follow_ups, login, value, message
):
    client = login(follow_ups.world.cx_manager)
    params = {**follow_ups.params, "follow_ups_page": value}

    page = client.get(CX_PAGE, params)
    export = client.get("/dashboards/export/cx.csv", params)

    assert page.status_code == 400
    assert [(e["name"], e["message"]) for e in page.context["filter_errors"]] == [
        ("follow_ups_page", message)
    ]
    assert export.status_code == 400
    assert f"- follow_ups_page: {message}" in export.content.decode()


def test_each_page_of_follow_ups_is_kept_under_its_own_url(follow_ups):
    client = signed_in(follow_ups.world.cx_manager)
    second_params = {**follow_ups.params, "follow_ups_page": 2}

    first = main_of(client.get(CX_PAGE, follow_ups.params))
    second = main_of(client.get(CX_PAGE, second_params))

    assert main_of(client.get(CX_PAGE, follow_ups.params)) == first
    assert main_of(client.get(CX_PAGE, second_params)) == second
    assert second != first and "3–4 of 5" in second and "3–4 of 5" not in first


# --- Exports: every follow-up of the range -------------------------------------------------------


def test_exports_hold_every_follow_up_of_the_range_whatever_the_page(follow_ups, login):
    """The whole organisation: Night shift's (7 March) and Front desk's five, newest first, with
    the alert of 4 March's; the export of page 2 is the same file."""
    world = follow_ups.world
    params = {**MARCH_FILTER, "survey": follow_ups.survey.id}
    fourth = follow_ups.survey.responses.get(submitted_at=march(4))
    AlertFactory(
        organization=world.org,
        survey=follow_ups.survey,
        rule=AlertRuleFactory(organization=world.org, kind=SurveyKind.CX, metric="detractor"),
        response=fourth,
        response_key=str(fourth.id),
        status="acknowledged",
    )
    client = login(world.cx_manager)

    rows = _follow_up_rows(_csv_rows(client.get("/dashboards/export/cx.csv", params)))
    again = _csv_rows(client.get("/dashboards/export/cx.csv", {**params, "follow_ups_page": 2}))
    workbook = load_workbook(
        io.BytesIO(b"".join(client.get("/dashboards/export/cx.xlsx", params).streaming_content))
    )

    assert [(row[1][:10], row[2], row[4], row[5]) for row in rows] == [
        ("2026-03-07", "Night shift", "How satisfied?: 2", ""),
        ("2026-03-06", "Front desk", "How satisfied?: 1", ""),
        ("2026-03-05", "Front desk", "How satisfied?: 2", ""),
        ("2026-03-04", "Front desk", "How satisfied?: 1", "acknowledged"),
        ("2026-03-03", "Front desk", "How satisfied?: 2", ""),
        ("2026-03-02", "Front desk", "How satisfied?: 1", ""),
    ]
    assert rows[3][0] == str(fourth.id)
    assert _follow_up_rows(again) == rows
    sheet = list(workbook["Detractor follow-ups"].iter_rows(values_only=True))
    assert sheet[0][0] == "Detractor follow-ups" and len(sheet) == 2 + 6


def test_the_follow_ups_of_an_export_are_read_while_it_streams(follow_ups):
    filters = march_filters(follow_ups.survey)
    with CaptureQueriesContext(connection) as built:
        table = cx.follow_ups_table(filters=filters)
    assert len(built) == 0
    with CaptureQueriesContext(connection) as streamed:
        assert len(list(table.rows)) == 6
    assert len(streamed) >= 1
