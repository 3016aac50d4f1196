"""The overview's "Teams that moved most" (a team lead's "What moved most") compares the same
periods as the cards: the current one cut at the range's end, not the whole month or quarter
that holds it.

Front desk only (threshold 5; Night shift answers nothing):

CX survey (not anonymous), CSAT = share of 4-5:
    14 Oct: 5 5 5 5 1 -> 4/5 = 80.0
     5 Nov: 5 5 5 1 1 -> 3/5 = 60.0
    20 Nov: 1 1 1 1 1 -> 0/5 =  0.0   (whole November: 3/10 = 30.0)
  Range ending 10 Nov, by month: October 80.0 -> 1-10 November 60.0, change -20.0
  (the whole month would say 30.0, change -50.0).

EX pulse (anonymous, so read by whole months), eNPS = % promoters (9-10) - % detractors (0-6):
    12 Aug: 10 10 10 10 10 -> 100.0   (Q3)
    14 Oct: 10 10 10  0  0 -> (3 - 2) / 5 = 20.0
    18 Nov:  0  0  0  0  0 -> -100.0  (whole Q4: (3 - 7) / 10 = -40.0)
  Range ending 31 Oct, by quarter: Q3 100.0 -> Q4 up to 31 Oct 20.0, change -80.0
  (the whole quarter would say -40.0, change -140.0).
"""

from __future__ import annotations

import datetime as dt

import pytest

from surveys.models import SurveyKind
from tests.dashboards.dashdata import rebuild, store
from tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def _day(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def cx(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    csat = QuestionFactory(survey=survey, type="csat")
    for when, answers in [
        (_day(10, 14), [5, 5, 5, 5, 1]),
        (_day(11, 5), [5, 5, 5, 1, 1]),
        (_day(11, 20), [1, 1, 1, 1, 1]),
    ]:
        store(survey=survey, team=world.team, columns={csat: answers}, when=when)
    rebuild(survey)
    return survey


@pytest.fixture
def ex(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    enps = QuestionFactory(survey=survey, type="nps")
    for when, answers in [
        (_day(8, 12), [10] * 5),
        (_day(10, 14), [10, 10, 10, 0, 0]),
        (_day(11, 18), [0] * 5),
    ]:
        store(survey=survey, team=world.team, columns={enps: answers}, when=when)
    rebuild(survey)
    return survey


def _moves(response, metric: str) -> list[tuple]:
    assert response.status_code == 200
    return [
        (m["team"]["name"], m["previous"], m["current"], m["change"])
        for m in response.context["moves"]
        if m["metric"] == metric
    ]


def _card(response, key: str) -> dict:
    return next(card for card in response.context["cards"] if card["key"] == key)


@pytest.mark.parametrize("role", ["cx_manager", "team_lead"])
def test_a_mid_month_end_cuts_the_current_month_there(world, login, cx, role):
    response = login(getattr(world, role)).get(
        "/dashboards/", {"start": "2026-06-01", "end": "2026-11-10", "period": "month"}
    )
    assert _card(response, "csat")["value"] == 60.0  # the card: 1-10 November
    assert _moves(response, "CSAT") == [("Front desk", 80.0, 60.0, -20.0)]


def test_the_export_says_the_same(world, login, cx):
    response = login(world.cx_manager).get(
        "/dashboards/export/overview.csv",
        {"start": "2026-06-01", "end": "2026-11-10", "period": "month"},
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "Front desk,CSAT,80.0,60.0,-20.0" in text


@pytest.mark.parametrize("role", ["hr_admin", "team_lead"])
def test_a_range_ending_mid_quarter_cuts_the_current_quarter_there(world, login, ex, role):
    response = login(getattr(world, role)).get(
        "/dashboards/", {"start": "2026-07-01", "end": "2026-10-31", "period": "quarter"}
    )
    assert _card(response, "enps")["value"] == 20.0  # the card: October of Q4
    assert _moves(response, "eNPS") == [("Front desk", 100.0, 20.0, -80.0)]


def test_a_range_ending_at_the_months_end_takes_the_whole_month(world, login, cx):
    response = login(world.cx_manager).get(
        "/dashboards/", {"start": "2026-06-01", "end": "2026-11-30", "period": "month"}
    )
    assert _moves(response, "CSAT") == [("Front desk", 80.0, 30.0, -50.0)]
