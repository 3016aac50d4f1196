"""An anonymous survey is reported by whole months, and a group's month too small to show is left
out of its longer periods too, so no two date ranges, nor a range against its months, differ by
a hidden month or by a few days (docs/dashboards.md, Anonymity).

One anonymous eNPS pulse (threshold 5):

              January        February       March
    Alpha     6 x 10         2 x 0          6 x 10
    Beta      6 x 0          7 x 10         6 x 8

February: Alpha (2) is hidden, and Beta (7, the smallest other team) as its complement; the
organisation's February (9) is shown.
    Alpha, whole range: January and March only: 12 promoters of 12 -> 100.0 (not 12 of 14).
    Beta, whole range: January and March: 6 detractors, 6 passives of 12 -> -50.0.
    Everyone: every month shown: promoters 6 + 7 + 6 = 19, detractors 6 + 2 = 8 of 33 -> 33.3.
Everyone (33) minus Alpha (12) minus Beta (12) is February's 9 people, which the trend shows.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards.models import PairOutcome
from dashboards.selectors.drivers import driver_favourability, driver_impact
from dashboards.selectors.scores import metric_by_group
from surveys.models import SurveyKind
from tests.dashboards.dashdata import rebuild, store
from tests.dashboards.test_alert_views import rule_data, url
from tests.factories import QuestionFactory, SurveyFactory, TeamFactory

pytestmark = pytest.mark.django_db

Q1 = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 3, 31)}


def _day(month: int) -> dt.datetime:
    return dt.datetime(2026, month, 12, 10, tzinfo=dt.UTC)


@pytest.fixture
def pulse(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    enps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    comment = QuestionFactory(survey=survey, type="text", required=False)
    alpha = TeamFactory(organization=world.org, name="Alpha")
    beta = TeamFactory(organization=world.org, name="Beta")
    for team, months in (
        (alpha, {1: [10] * 6, 2: [0] * 2, 3: [10] * 6}),
        (beta, {1: [0] * 6, 2: [10] * 7, 3: [8] * 6}),
    ):
        for month, scores in months.items():
            said = [f"{team.name} in month {month}"] * len(scores)
            store(survey=survey, team=team, columns={enps: scores, comment: said}, when=_day(month))
    rebuild(survey)
    survey.teams = {"Alpha": alpha, "Beta": beta}
    return survey


def _figures(rows) -> dict:
    return {
        (row["group"]["name"] if row["group"] else None, row["period"]): (
            row["respondents"],
            row["value"],
        )
        for row in rows
    }


def test_a_hidden_month_is_left_out_of_the_whole_range(pulse):
    months = metric_by_group(survey=pulse, metric="enps", group_by="team", period="month", **Q1)
    assert _figures(months)[("Alpha", "2026-02")] == (2, None)
    assert _figures(months)[("Beta", "2026-02")] == (7, None)  # Alpha's complement
    whole = metric_by_group(survey=pulse, metric="enps", group_by="team", **Q1)
    assert _figures(whole) == {("Alpha", "all"): (12, 100.0), ("Beta", "all"): (12, -50.0)}
    quarter = metric_by_group(survey=pulse, metric="enps", group_by="team", period="quarter", **Q1)
    assert _figures(quarter) == {
        ("Alpha", "2026-Q1"): (12, 100.0),
        ("Beta", "2026-Q1"): (12, -50.0),
    }
    (everyone,) = metric_by_group(survey=pulse, metric="enps", **Q1)
    assert (everyone["respondents"], everyone["value"]) == (33, 33.3)


def test_ranges_differ_by_shown_months_only(pulse):
    """Alpha over January-February is Alpha's January: their difference is nothing."""
    alpha = [pulse.teams["Alpha"].id]

    def alpha_over(start: dt.date, end: dt.date) -> tuple:
        (row,) = metric_by_group(survey=pulse, metric="enps", team_ids=alpha, start=start, end=end)
        return row["respondents"], row["value"]

    january = alpha_over(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert january == (6, 100.0)
    assert alpha_over(dt.date(2026, 1, 1), dt.date(2026, 2, 28)) == january
    # Days inside a month are the whole month: 5-20 January is January.
    assert alpha_over(dt.date(2026, 1, 5), dt.date(2026, 1, 20)) == january


def test_a_month_hidden_alone_is_hidden_alone(pulse):
    (row,) = metric_by_group(
        survey=pulse,
        metric="enps",
        team_ids=[pulse.teams["Alpha"].id],
        start=dt.date(2026, 2, 1),
        end=dt.date(2026, 2, 28),
    )
    assert (row["respondents"], row["value"], row["suppressed"]) == (2, None, True)


def test_a_weekly_alert_rule_on_an_anonymous_survey_is_refused(world, login, pulse):
    data = rule_data(world, survey=pulse.pk, period="week")
    response = login(world.hr_admin).post(url("alert-rule-create"), data)
    assert response.status_code == 400
    assert "whole months" in response.context["form"].errors["period"][0]


def test_comments_of_a_left_out_month_are_not_listed(world, login, pulse):
    """Alpha's range is shown, but its February (2 people) is not: their comments are not
    listed, nor Beta's February (its complement)."""
    params = {"survey": pulse.id, "start": "2026-01-01", "end": "2026-03-31", "period": "month"}
    page = login(world.hr_admin).get("/dashboards/ex/", params)
    listed = {c["value_text"] for c in page.context["comments"]["page"]}
    assert listed == {
        "Alpha in month 1",
        "Alpha in month 3",
        "Beta in month 1",
        "Beta in month 3",
    }
    assert page.context["comments"]["counts"]["total"] == 24  # 6 + 6 + 6 + 6, none of February


def test_a_weekly_alert_rule_on_every_survey_of_a_kind_is_refused(world, login, pulse):
    """ "Every survey of this kind" reads the anonymous pulse too."""
    data = rule_data(world, survey="", period="week")
    response = login(world.hr_admin).post(url("alert-rule-create"), data)
    assert response.status_code == 400
    assert "monthly" in response.context["form"].errors["period"][0]


def test_the_ex_page_says_which_round_its_participation_is(world, login, pulse):
    from tests.factories import CycleFactory, invite_teams

    round_two = CycleFactory(
        survey=pulse, number=2, opens_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), closed=False
    )
    invite_teams(survey=pulse, cycle=round_two, plan={pulse.teams["Alpha"]: (7, 6)})
    page = login(world.hr_admin).get("/dashboards/ex/", {"survey": pulse.id, "start": "2026-01-01"})
    assert "Round 2 (opened 2 Mar 2026, still open): the latest round, whatever the dates." in (
        page.content.decode()
    )


def test_a_hidden_teams_comments_card_says_why_it_is_empty(world, login, pulse):
    params = {"survey": pulse.id, "start": "2026-02-01", "end": "2026-02-28"}
    page = login(world.hr_admin).get("/dashboards/ex/", {**params, "team": pulse.teams["Alpha"].id})
    assert "No comments to show: 1 team in this range is hidden to protect anonymity" in (
        page.content.decode()
    )


@pytest.fixture
def drivers(world):
    """An anonymous pulse with an outcome (eNPS) and one driver item. Alpha: 15 people in
    January and 15 in March (item x = 1..5 three times each, outcome 2x), 2 in February
    (item 5, outcome 0): February is hidden for Alpha. Beta: 10 people each month."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    outcome = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    item = QuestionFactory(survey=survey, type="likert", driver="recognition")
    alpha = TeamFactory(organization=world.org, name="Alpha")
    beta = TeamFactory(organization=world.org, name="Beta")
    steady = [1 + i % 5 for i in range(15)]
    for month in (1, 3):
        store(
            survey=survey,
            team=alpha,
            columns={item: steady, outcome: [2 * x for x in steady]},
            when=_day(month),
        )
    store(survey=survey, team=alpha, columns={item: [5, 5], outcome: [0, 0]}, when=_day(2))
    for month in (1, 2, 3):
        store(
            survey=survey, team=beta, columns={item: [3] * 10, outcome: [7] * 10}, when=_day(month)
        )
    rebuild(survey)
    survey.teams = {"Alpha": alpha, "Beta": beta}
    survey.item = item
    return survey


def _impact(survey, **filters) -> tuple:
    result = driver_impact(survey=survey, **filters)
    [row] = result["drivers"]
    return result["respondents"], row["n"], row["impact"], row["favourable"]


@pytest.mark.parametrize("from_answers", [False, True], ids=["rollups", "answers"])
def test_driver_impact_leaves_out_a_hidden_month(drivers, from_answers):
    """Alpha over the quarter is January and March only: 30 pairs on the line y = 2x (r 1.0),
    12 of 30 items at 4 or 5 (40.0% favourable), as the heatmap counts it. With February's two
    (43.8%, r under 1) the quarter minus January-and-March would be their answers. Ranges of
    days are read as whole months."""
    alpha = [drivers.teams["Alpha"].id]
    if from_answers:  # the rollups' pairs against another outcome: read from the answers
        PairOutcome.objects.filter(survey=drivers).delete()
    assert _impact(drivers, team_ids=alpha, **Q1) == (30, 30, 1.0, 40.0)
    assert _impact(
        drivers, team_ids=alpha, start=dt.date(2026, 1, 20), end=dt.date(2026, 3, 3)
    ) == (
        30,
        30,
        1.0,
        40.0,
    )
    [heat] = driver_favourability(survey=drivers, team_ids=alpha, **Q1)
    assert heat["drivers"]["recognition"] == {"favourable": 40.0, "n": 30}
    # February alone: hidden, nothing of it shown.
    february = {"start": dt.date(2026, 2, 1), "end": dt.date(2026, 2, 28)}
    assert driver_impact(survey=drivers, team_ids=alpha, **february)["status"] == "not enough data"
    assert _impact(drivers, team_ids=alpha, **february) == (0, 0, None, None)
    # The organisation's February (12 people) is shown, so every month counts: 30 + 2 + 30.
    assert _impact(drivers, **Q1)[:2] == (62, 62)
