"""Negative-comment alerts on an anonymous survey count the comments the EX page counts for the
same scope and range, never one the page hides (a small team's, a month left out)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboards import scoring
from dashboards.alerting.services import alert_rules_evaluate
from dashboards.models import Alert
from tests.dashboards import test_alerts
from tests.dashboards.test_alerts import FEB, JAN, NEGATIVE, POSITIVE
from tests.factories import (
    AlertRuleFactory,
    DepartmentFactory,
    LocationFactory,
    TeamFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

survey = test_alerts.ex_survey  # an anonymous EX survey: an NPS question and a comment


def respond(survey, team, people: int, *, negatives: int, when=FEB) -> None:
    """`people` responses of the team, the first `negatives` with a negative comment and the
    next one with a positive one."""
    for index in range(people):
        answers = {survey.nps: 9}
        if index < negatives:
            answers[survey.comment] = NEGATIVE
        elif index == negatives:
            answers[survey.comment] = POSITIVE
        response_with_answers(survey=survey, team=team, answers=answers, submitted_at=when)


@pytest.fixture
def hidden_team(world, survey):
    """February, threshold 5, each team's people in its one location:

    Front Office (Seattle): Reception 6 people, 1 negative comment; Concierge 2 people and
    Bell desk 3 people, 1 negative comment each. Concierge and Bell desk are hidden (their
    department's hidden teams then hold 5), so are their comments.
    Kitchen (Portland): Cooks 5 people, 2 negative comments.

    The page counts: organisation 1 + 2 = 3 (not 5); Front Office 1 (not 3); Kitchen 2;
    Seattle 1 (not 3: the hidden teams' cells are left out of it); Portland 2.
    """
    seattle, portland = (LocationFactory(organization=world.org, name=n) for n in ("S", "P"))
    front, kitchen = (DepartmentFactory(organization=world.org, name=n) for n in ("FO", "K"))

    def team(name, department, location):
        return TeamFactory(
            organization=world.org, name=name, department=department, location=location
        )

    teams = {
        "reception": team("Reception", front, seattle),
        "concierge": team("Concierge", front, seattle),
        "bell_desk": team("Bell desk", front, seattle),
        "cooks": team("Cooks", kitchen, portland),
    }
    respond(survey, teams["reception"], 6, negatives=1)
    respond(survey, teams["concierge"], 2, negatives=1)
    respond(survey, teams["bell_desk"], 3, negatives=1)
    respond(survey, teams["cooks"], 5, negatives=2)
    scoring.survey_rebuild(survey_id=survey.id)
    return {**teams, "seattle": seattle, "portland": portland, "front": front, "kitchen": kitchen}


def comment_rule(world, survey, **fields):
    fields.setdefault("period", "month")
    return AlertRuleFactory(
        organization=world.org,
        owners=[world.hr_admin.user],
        survey=survey,
        metric="negative_comment",
        threshold=None,
        **fields,
    )


def evaluate(survey) -> dict[str, Alert]:
    alert_rules_evaluate(survey_id=survey.id, response_id=survey.responses.latest("id").id)
    return {alert.scope_key: alert for alert in Alert.objects.filter(survey=survey)}


def page_negatives(client, survey, start: str, end: str, **narrowing) -> int:
    """The negative comments the EX page counts for the survey, range and filter."""
    params = {"survey": survey.id, "start": start, "end": end, **narrowing}
    response = client.get(reverse("dashboards:ex"), params)
    assert response.status_code == 200
    return response.context["comments"]["counts"]["negative"]


def test_organisation_alert_counts_only_the_shown_teams_comments(world, survey, hidden_team, login):
    comment_rule(world, survey, scope="organization")

    alert = evaluate(survey)["org"]

    assert alert.value == 3.0  # Reception 1 + Cooks 2; not the hidden teams' 2
    assert alert.message.startswith("3 negative comment(s) in Acme Retail in 2026-02 (16 resp")
    page = page_negatives(login(world.hr_admin), survey, "2026-02-01", "2026-02-28")
    assert page == 3


def test_department_alert_counts_only_its_shown_teams_comments(world, survey, hidden_team, login):
    comment_rule(world, survey, scope="department")
    front, kitchen = hidden_team["front"], hidden_team["kitchen"]

    alerts = evaluate(survey)

    assert alerts[f"department:{front.id}"].value == 1.0  # Reception's; not Concierge's nor Bell's
    assert alerts[f"department:{kitchen.id}"].value == 2.0
    client = login(world.hr_admin)
    for department, count in ((front, 1), (kitchen, 2)):
        assert (
            page_negatives(client, survey, "2026-02-01", "2026-02-28", department=department.id)
            == count
        )


def test_location_alert_leaves_out_the_hidden_teams_cells(world, survey, hidden_team, login):
    seattle = hidden_team["seattle"]
    comment_rule(world, survey, scope="location", location=seattle)

    [alert] = evaluate(survey).values()

    # Seattle's kept cells: Reception's only (6 people, 1 negative comment). The review's
    # case: "1 negative comment(s) in Seattle…" while the page said 0, here 3 against 1.
    assert (alert.scope_key, alert.value) == (f"location:{seattle.id}", 1.0)
    assert "1 negative comment(s) in S in 2026-02 (6 respondents)" in alert.message
    client = login(world.hr_admin)
    assert page_negatives(client, survey, "2026-02-01", "2026-02-28", location=seattle.id) == 1


def test_each_location_and_each_team_alert_equals_the_page(world, survey, hidden_team, login):
    comment_rule(world, survey, scope="location")
    comment_rule(world, survey, scope="team")

    alerts = evaluate(survey)

    client = login(world.hr_admin)
    raised = {key: alert.value for key, alert in alerts.items()}
    assert raised == {
        f"location:{hidden_team['seattle'].id}": 1.0,
        f"location:{hidden_team['portland'].id}": 2.0,
        f"team:{hidden_team['reception'].id}": 1.0,
        f"team:{hidden_team['cooks'].id}": 2.0,
    }  # no alert about Concierge or Bell desk: hidden
    for key, value in raised.items():
        dimension, pk = key.split(":")
        narrowing = {dimension: pk}
        assert page_negatives(client, survey, "2026-02-01", "2026-02-28", **narrowing) == value


def test_no_alert_when_the_only_negative_comment_is_a_hidden_teams(world, survey, login):
    """The review's case: the location's one negative comment was a hidden small team's."""
    seattle = LocationFactory(organization=world.org, name="Seattle")
    front = DepartmentFactory(organization=world.org, name="FO")
    big, small, other = (
        TeamFactory(organization=world.org, name=name, department=front, location=seattle)
        for name in ("Reception", "Concierge", "Bell desk")
    )
    respond(survey, big, 6, negatives=0)
    respond(survey, small, 2, negatives=1)  # hidden, with Bell desk (2 + 3 = 5)
    respond(survey, other, 3, negatives=0)
    scoring.survey_rebuild(survey_id=survey.id)
    for scope in ("organization", "department", "location"):
        comment_rule(world, survey, scope=scope)

    assert evaluate(survey) == {}
    client = login(world.hr_admin)
    assert page_negatives(client, survey, "2026-02-01", "2026-02-28", location=seattle.id) == 0
    assert page_negatives(client, survey, "2026-02-01", "2026-02-28") == 0


def test_quarterly_team_alert_leaves_out_the_teams_hidden_month(world, survey, login):
    # Front desk: January 6 people, 1 negative comment (shown); February 2 people, 1 negative
    # comment (hidden, so left out of the quarter). The quarter: 1 comment, 6 respondents.
    respond(survey, world.team, 6, negatives=1, when=JAN)
    respond(survey, world.team, 2, negatives=1, when=FEB)
    scoring.survey_rebuild(survey_id=survey.id)
    comment_rule(world, survey, scope="team", team=world.team, period="quarter")

    [alert] = evaluate(survey).values()

    assert (alert.period_key, alert.value) == ("2026-Q1", 1.0)
    assert "1 negative comment(s) in Front desk in 2026-Q1 (6 respondents)" in alert.message
    client = login(world.hr_admin)
    assert page_negatives(client, survey, "2026-01-01", "2026-03-31", team=world.team.id) == 1
