"""Dates at the ends of the calendar never make a 500 (found by the audit, notes/audit.md).

- The scores API takes any ISO date: month rollups are planned without stepping past 9999-12-31.
- Dashboard pages, exports and the linkage API shift periods (previous, lagged, next), so their
  filters take dates from 1900 to 2999 and say so on the field otherwise.

Ranges that start and end inside a month read day rows there and month rows in between (on a
survey that is not anonymous: an anonymous one is reported by whole months). NPS of one team,
five respondents a day, every answer 10 or 0:
    2026-01-20: 5 x 10    2026-02-15: 5 x 0    2026-03-10: 5 x 10    2026-03-25: 5 x 0
    21 Jan - 20 Mar: Feb 15 + Mar 10  -> 10 answers, 5 promoters, 5 detractors  ->   0.0
    21 Jan - 31 Mar: + Mar 25         -> 15 answers, 5 promoters, 10 detractors -> -33.3
    20 Jan - 10 Mar: Jan 20 + Feb 15 + Mar 10 -> 15 answers, 10 - 5             ->  33.3
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dashboards.scoring import survey_rebuild
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH_FILTER, ex_cx
from tests.factories import QuestionFactory, SurveyFactory, response_with_answers

pytestmark = pytest.mark.django_db

DAYS = {(1, 20): 10, (2, 15): 0, (3, 10): 10, (3, 25): 0}


@pytest.fixture
def nps_survey(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=False)
    question = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    for (month, day), value in DAYS.items():
        when = dt.datetime(2026, month, day, 9, 0, tzinfo=dt.UTC)
        for _ in range(5):
            response_with_answers(
                survey=survey, team=world.team, answers={question: value}, submitted_at=when
            )
    survey_rebuild(survey_id=survey.id)
    return survey


def _scores(client, survey, **params):
    return client.get(reverse("api-survey-scores", args=[survey.id]), params)


@pytest.mark.parametrize(
    ("start", "end", "n", "score"),
    [
        ("2026-01-21", "2026-03-20", 10, 0.0),
        ("2026-01-21", "2026-03-31", 15, -33.3),
        ("2026-01-20", "2026-03-10", 15, 33.3),
        ("0001-01-01", "9999-12-31", 20, 0.0),
        ("2026-02-01", "9999-12-30", 15, -33.3),
    ],
)
def test_scores_for_ranges_inside_months_and_at_the_ends_of_the_calendar(
    world, login, nps_survey, start, end, n, score
):
    response = _scores(login(world.hr_admin), nps_survey, start=start, end=end)
    assert response.status_code == 200
    (result,) = response.json()["results"]
    (figures,) = result["questions"]
    assert (figures["n"], figures["score"]) == (n, score)


def test_an_anonymous_survey_is_reported_by_whole_months(world, login, nps_survey):
    """21 Jan - 20 Mar covers January to March whole: all 20 answers, 10 promoters, 10
    detractors -> 0.0; 1 - 10 March and 1 - 11 March are the same figures (March: 5 and 5)."""
    nps_survey.anonymous = True
    nps_survey.save(update_fields=["anonymous"])
    client = login(world.hr_admin)
    (result,) = _scores(client, nps_survey, start="2026-01-21", end="2026-03-20").json()["results"]
    assert (result["questions"][0]["n"], result["questions"][0]["score"]) == (20, 0.0)
    march = [
        _scores(client, nps_survey, start="2026-03-01", end=f"2026-03-{day}").json()
        for day in ("10", "11")
    ]
    assert march[0] == march[1] and march[0]["results"][0]["respondents"] == 10


@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_scores_by_period_up_to_the_last_day_there_is(world, login, nps_survey, period):
    response = _scores(
        login(world.hr_admin), nps_survey, start="9999-12-01", end="9999-12-31", period=period
    )
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.fixture
def data(world):
    return ex_cx(world)


@pytest.mark.parametrize(
    ("path", "member"),
    [
        ("/dashboards/", "hr_admin"),
        ("/dashboards/ex/", "hr_admin"),
        ("/dashboards/cx/", "cx_manager"),
        ("/dashboards/link/", "hr_admin"),
        ("/dashboards/export/ex.csv", "hr_admin"),
        ("/dashboards/export/link.xlsx", "cx_manager"),
    ],
)
@pytest.mark.parametrize(
    "dates",
    [
        {"start": "9999-12-01", "end": "9999-12-31"},
        {"end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-03-31"},
    ],
)
def test_dashboard_dates_outside_1900_to_2999_are_a_filter_error(data, login, path, member, dates):
    response = login(data.world.member(member)).get(path, {**MARCH_FILTER, **dates})
    assert response.status_code == 400
    if "export" not in path:
        errors = response.context["form"].errors
        assert set(errors) & {"start", "end"}, errors


def test_linkage_api_dates_outside_1900_to_2999_are_a_field_error(data, login):
    response = login(data.world.hr_admin).get(
        reverse("api-linkage"),
        {"ex_survey": data.ex.id, "cx_survey": data.cx.id, "start": "2026-01-01"}
        | {"end": "9999-12-31"},
    )
    assert response.status_code == 400
    assert response.json()["end"] == ["Pick a date from 1900 to 2999."]
