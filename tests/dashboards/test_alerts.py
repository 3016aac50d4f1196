"""Alert rules: each kind fires (or not) at its boundary, with figures worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from dashboards import scoring
from dashboards.alerting import services
from dashboards.alerting.services import alert_rules_evaluate, alert_rules_sweep
from dashboards.models import Alert, OutboxKind, OutboxMessage
from tests.factories import (
    AlertRuleFactory,
    CycleFactory,
    InvitationFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
    UserFactory,
    WebhookEndpointFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

JAN = dt.datetime(2026, 1, 14, 9, 0, tzinfo=dt.UTC)
FEB = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)
NEGATIVE = "I hate the chaos here, it is awful."  # VADER compound -0.886
POSITIVE = "Great help, thank you so much!"  # +0.862


@pytest.fixture
def ex_survey(world):
    survey = SurveyFactory(organization=world.org, kind="ex", anonymous=True)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1)
    survey.comment = QuestionFactory(survey=survey, type="text", order=2, required=False)
    return survey


@pytest.fixture
def cx_survey(world):
    survey = SurveyFactory(organization=world.org, kind="cx", anonymous=False)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1)
    survey.csat = QuestionFactory(survey=survey, type="csat", order=2)
    survey.comment = QuestionFactory(survey=survey, type="text", order=3, required=False)
    return survey


@pytest.fixture
def third_team(world):
    return TeamFactory(organization=world.org, name="Back office")


def rule(world, **fields):
    fields.setdefault("owners", [world.hr_admin.user])
    fields.setdefault("organization", world.org)
    return AlertRuleFactory(**fields)


def respond(survey, team, values, *, when=FEB, comments=()):
    """One response per 0-10 value (the first ones carrying `comments`); returns the last."""
    last = None
    for index, value in enumerate(values):
        answers = {survey.nps: value}
        if index < len(comments):
            answers[survey.comment] = comments[index]
        last = response_with_answers(survey=survey, team=team, answers=answers, submitted_at=when)
    return last


def evaluate(survey, response=None) -> list[Alert]:
    scoring.survey_rebuild(survey_id=survey.id)
    return alert_rules_evaluate(survey_id=survey.id, response_id=response and response.id)


# --- Below a threshold ---------------------------------------------------------------------------


def test_enps_below_threshold_fires_only_strictly_below(world, ex_survey):
    # 10, 10, 9 promoters; 7 passive; 3 detractor: (3 - 1) / 5 = +40.0
    last = respond(ex_survey, world.team, [10, 10, 9, 7, 3])
    at_40 = rule(world, threshold=40)
    above_40 = rule(world, threshold=40.1)

    alerts = evaluate(ex_survey, last)

    assert [a.rule for a in alerts] == [above_40]
    alert = alerts[0]
    assert alert.value == 40.0
    assert (alert.scope_key, alert.scope_label) == ("org", "Acme Retail")
    assert (alert.period_key, alert.period_label) == ("2026-02", "2026-02")
    assert "40%" not in alert.message and "is 40 (5 people), below 40.1" in alert.message
    assert not Alert.objects.filter(rule=at_40).exists()


def test_a_weekly_rule_saved_on_an_anonymous_survey_is_read_monthly(world, ex_survey):
    """Weekly rules are refused on anonymous surveys now; one saved before is evaluated on the
    month (labelled as such), never on a week's figures."""
    last = respond(ex_survey, world.team, [10, 10, 9, 7, 3])  # +40.0, as above
    weekly = rule(world, threshold=40.1, period="week")
    (alert,) = evaluate(ex_survey, last)
    assert alert.rule == weekly and alert.value == 40.0
    assert (alert.period_key, alert.period_label) == ("2026-02", "2026-02")


def test_anonymous_ex_group_below_threshold_never_alerts(world, ex_survey, third_team):
    # Front desk 5 people: 10 promoter, 8 and 7 passives, 3 and 2 detractors: (1 - 2) / 5 = -20.0.
    # Night shift 4 people and Back office 1, both all detractors (-100), are under 5: never
    # named. Together they hold 5 people, so Front desk stays visible.
    respond(ex_survey, world.team, [10, 8, 7, 3, 2])
    respond(ex_survey, world.other_team, [0, 0, 0, 0])
    last = respond(ex_survey, third_team, [0])
    each_team = rule(world, scope="team", threshold=0)
    night_shift = rule(world, scope="team", team=world.other_team, threshold=0)

    alerts = evaluate(ex_survey, last)

    assert [(a.rule, a.scope_key, a.value) for a in alerts] == [
        (each_team, f"team:{world.team.id}", -20.0)
    ]
    assert alerts[0].team == world.team
    assert not Alert.objects.filter(rule=night_shift).exists()


def test_location_scope_names_the_location(world, ex_survey):
    last = respond(ex_survey, world.team, [10, 8, 7, 3, 2])  # -20.0, as above
    location = world.team.location
    by_location = rule(world, scope="location", location=location, threshold=0)

    [alert] = evaluate(ex_survey, last)

    assert alert.rule == by_location
    assert (alert.scope_key, alert.scope_label) == (f"location:{location.id}", location.name)
    assert alert.team is None  # a location alert is not any one team's


# --- Drop against the previous period ------------------------------------------------------------


def test_drop_fires_at_exactly_x_points_when_both_periods_reach_threshold(world, ex_survey):
    respond(ex_survey, world.team, [10, 10, 10, 9, 9], when=JAN)  # 5 promoters: +100.0
    last = respond(ex_survey, world.team, [10, 10, 9, 7, 3])  # +40.0: a drop of 60 points
    sixty = rule(world, condition="drop", threshold=None, drop_points=60)
    rule(world, condition="drop", threshold=None, drop_points=60.1)

    alerts = evaluate(ex_survey, last)

    assert [(a.rule, a.value, a.previous_value) for a in alerts] == [(sixty, 40.0, 100.0)]
    assert "fell from 100 in 2026-01 to 40 in 2026-02" in alerts[0].message
    # The survey is named: an organisation's surveys can each have an eNPS or engagement.
    assert alerts[0].message.startswith(f"eNPS (employees) on “{ex_survey.title}” for ")


@pytest.mark.parametrize(
    ("january", "february"),
    [
        ([10, 10, 10, 10], [10, 10, 9, 7, 3]),  # January has 4 people
        ([10, 10, 10, 9, 9], [9, 7, 3, 3]),  # February has 4 people
    ],
)
def test_drop_needs_both_periods_at_threshold(world, ex_survey, january, february):
    respond(ex_survey, world.team, january, when=JAN)
    last = respond(ex_survey, world.team, february)
    rule(world, condition="drop", threshold=None, drop_points=10)

    assert evaluate(ex_survey, last) == []


# --- Detractors (CX) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nps", "csat", "fires"),
    [(6, 5, True), (7, 5, False), (10, 2, True), (10, 3, False)],
)
def test_detractor_response_on_cx_at_the_boundary(world, cx_survey, nps, csat, fires):
    response = response_with_answers(
        survey=cx_survey, team=world.team, answers={cx_survey.nps: nps, cx_survey.csat: csat}
    )
    detractor = rule(
        world, kind="cx", metric="detractor", threshold=None, owners=[world.cx_manager.user]
    )

    alerts = evaluate(cx_survey, response)

    if not fires:
        assert alerts == []
        return
    [alert] = alerts
    assert (alert.rule, alert.response, alert.response_key) == (
        detractor,
        response,
        str(response.id),
    )
    assert alert.value == (nps if nps <= 6 else csat)
    assert "Follow up with the customer" in alert.message


def test_detractor_alert_names_where_the_customer_was_served_and_each_question(world, cx_survey):
    """Whatever the rule's scope (the organisation here): the team, location and agent the
    response was attributed to, and each low answer with its question."""
    agent = PersonFactory(organization=world.org, team=world.team, name="Dana Agent")
    response = response_with_answers(
        survey=cx_survey,
        team=world.team,
        answers={cx_survey.nps: 2, cx_survey.csat: 1},
        agent=agent,
    )
    rule(world, kind="cx", metric="detractor", threshold=None, owners=[world.cx_manager.user])

    [alert] = evaluate(cx_survey, response)

    where = f"Front desk · {world.team.location.name} · agent Dana Agent"
    assert (alert.scope_key, alert.scope_label, alert.value) == ("org", where, 2.0)
    assert alert.message == (
        f"Detractor response, served by {where}: NPS 2 (“{cx_survey.nps.text}”); "
        f"CSAT 1 (“{cx_survey.csat.text}”). Follow up with the customer."
    )
    email = OutboxMessage.objects.get(alert=alert, kind=OutboxKind.EMAIL).payload
    assert f": {where}, 2026-" in email["subject"]


def test_detractor_alert_without_team_location_or_agent_names_the_rules_scope(world, cx_survey):
    response = response_with_answers(
        survey=cx_survey, team=None, answers={cx_survey.nps: 10, cx_survey.csat: 2}
    )
    rule(world, kind="cx", metric="detractor", threshold=None)

    [alert] = evaluate(cx_survey, response)

    assert alert.scope_label == "Acme Retail"
    assert alert.message.startswith("Detractor response, served by Acme Retail: CSAT 2 (")


def test_detractor_outside_the_rules_team_is_ignored(world, cx_survey):
    response = response_with_answers(
        survey=cx_survey, team=world.other_team, answers={cx_survey.nps: 0}
    )
    rule(world, kind="cx", metric="detractor", scope="team", team=world.team, threshold=None)

    assert evaluate(cx_survey, response) == []


def test_detractor_rule_waits_for_a_response(world, cx_survey):
    response_with_answers(survey=cx_survey, team=world.team, answers={cx_survey.nps: 0})
    rule(world, kind="cx", metric="detractor", threshold=None)

    assert evaluate(cx_survey) == []  # the sweep (no response) raises no per-response alert


def test_no_detractor_alert_on_an_anonymous_cx_survey(world, cx_survey):
    """One customer's answers are never singled out on an anonymous survey: a rule on every CX
    survey skips it, and so does a rule saved for that survey alone before the form refused it."""
    cx_survey.anonymous = True
    cx_survey.save()
    response = response_with_answers(
        survey=cx_survey, team=world.team, answers={cx_survey.nps: 0, cx_survey.csat: 1}
    )
    rule(world, kind="cx", metric="detractor", threshold=None)
    rule(world, kind="cx", metric="detractor", threshold=None, survey=cx_survey)

    assert evaluate(cx_survey, response) == []
    assert not Alert.objects.exists() and not OutboxMessage.objects.exists()


# --- Negative comments ---------------------------------------------------------------------------


def test_negative_comment_on_cx_alerts_per_response_and_quotes_it(world, cx_survey):
    negative = response_with_answers(
        survey=cx_survey, team=world.team, answers={cx_survey.nps: 9, cx_survey.comment: NEGATIVE}
    )
    positive = response_with_answers(
        survey=cx_survey, team=world.team, answers={cx_survey.nps: 9, cx_survey.comment: POSITIVE}
    )
    comments = rule(world, kind="cx", metric="negative_comment", threshold=None)

    [alert] = evaluate(cx_survey, negative)
    assert evaluate(cx_survey, positive) == []

    assert (alert.rule, alert.response) == (comments, negative)
    assert NEGATIVE in alert.message


def test_negative_comment_on_anonymous_ex_needs_a_group_at_threshold_and_never_quotes(
    world, ex_survey, third_team
):
    # Front desk: 5 people, one negative comment. Night shift: 4 people, one negative comment.
    # Back office: 1 person. Only Front desk may be spoken of, by count only.
    respond(ex_survey, world.team, [9, 9, 9, 9, 9], comments=[NEGATIVE, POSITIVE])
    respond(ex_survey, world.other_team, [9, 9, 9, 9], comments=[NEGATIVE])
    last = respond(ex_survey, third_team, [9])
    comments = rule(world, metric="negative_comment", scope="team", threshold=None)

    [alert] = evaluate(ex_survey, last)

    assert (alert.rule, alert.scope_key, alert.value) == (comments, f"team:{world.team.id}", 1.0)
    assert alert.response is None and alert.response_key == ""
    assert "1 negative comment(s) in Front desk in 2026-02 (5 respondents)" in alert.message
    assert "chaos" not in alert.message
    body = OutboxMessage.objects.get(alert=alert, kind=OutboxKind.EMAIL).payload["body"]
    assert "chaos" not in body


def test_negative_comment_on_anonymous_cx_is_counted_per_group_never_quoted(world, cx_survey):
    # Front desk: 5 customers, one negative comment: one alert about the team, by count only,
    # raised with or without the response that brought it (the worker, the hourly sweep).
    cx_survey.anonymous = True
    cx_survey.save()
    comments = [NEGATIVE, POSITIVE]
    for index in range(5):
        answers = {cx_survey.nps: 9}
        if index < len(comments):
            answers[cx_survey.comment] = comments[index]
        last = response_with_answers(
            survey=cx_survey, team=world.team, answers=answers, submitted_at=FEB
        )
    rule(world, kind="cx", metric="negative_comment", scope="team", threshold=None)

    [alert] = evaluate(cx_survey, last)

    assert (alert.scope_key, alert.value, alert.response_key) == (f"team:{world.team.id}", 1.0, "")
    assert alert.response is None
    assert "1 negative comment(s) in Front desk in 2026-02 (5 respondents)" in alert.message
    assert "chaos" not in alert.message


# --- Participation -------------------------------------------------------------------------------


def invite(survey, cycle, team, *, invited: int, answered: int) -> None:
    for index in range(invited):
        InvitationFactory(
            survey=survey,
            cycle=cycle,
            person__team=team,
            used_at=timezone.now() if index < answered else None,
        )


def test_participation_below_threshold_on_a_finished_cycle(world, ex_survey):
    cycle = CycleFactory(survey=ex_survey, number=1, closed=True)
    invite(ex_survey, cycle, world.team, invited=10, answered=5)  # 5 / 10 = 50.0%
    invite(ex_survey, cycle, world.other_team, invited=4, answered=0)  # 0%, but only 4 invited
    at_50 = rule(world, metric="participation", scope="team", threshold=50)
    below_60 = rule(world, metric="participation", scope="team", threshold=60)

    alerts = evaluate(ex_survey)

    assert [(a.rule, a.scope_key, a.value) for a in alerts] == [
        (below_60, f"team:{world.team.id}", 50.0)
    ]
    assert (alerts[0].period_key, alerts[0].period_label) == ("cycle-1", "Cycle 1")
    assert "50% (10 people), below 60%" in alerts[0].message
    assert not Alert.objects.filter(rule=at_50).exists()


def test_participation_waits_for_the_cycle_to_finish(world, ex_survey):
    cycle = CycleFactory(
        survey=ex_survey, number=1, closes_at=timezone.now() + dt.timedelta(days=2)
    )
    invite(ex_survey, cycle, world.team, invited=10, answered=1)
    rule(world, metric="participation", threshold=60)

    assert evaluate(ex_survey) == []


def test_sweep_evaluates_surveys_that_have_rules(world, ex_survey):
    cycle = CycleFactory(survey=ex_survey, number=1, closed=True)
    invite(ex_survey, cycle, world.team, invited=10, answered=5)
    rule(world, metric="participation", threshold=60)

    assert alert_rules_sweep() == 1
    assert alert_rules_sweep() == 0  # already raised for cycle 1
    assert Alert.objects.get().value == 50.0


# --- Which rules run; no duplicates; notifications in the same transaction ------------------------


def test_inactive_other_survey_and_other_kind_rules_do_not_run(world, ex_survey, cx_survey):
    last = respond(ex_survey, world.team, [0, 0, 0, 0, 0])  # -100
    rule(world, threshold=0, active=False)
    rule(world, threshold=0, survey=SurveyFactory(organization=world.org, kind="ex"))
    rule(world, kind="cx", metric="nps", threshold=0)
    rule(world, threshold=0, organization=world.outsider.organization)

    assert evaluate(ex_survey, last) == []


def test_re_running_creates_no_duplicate_alert_or_message(world, ex_survey):
    last = respond(ex_survey, world.team, [0, 0, 0, 0, 0])
    rule(world, threshold=0)
    WebhookEndpointFactory(organization=world.org, kind="ex")

    assert len(evaluate(ex_survey, last)) == 1
    assert evaluate(ex_survey, last) == []
    assert alert_rules_evaluate(survey_id=ex_survey.id) == []
    assert Alert.objects.count() == 1
    assert OutboxMessage.objects.count() == 2  # one email, one webhook


def test_two_rules_with_one_condition_raise_one_alert_to_both_owners(world, ex_survey):
    # Saved before the form refused the second: same survey, metric, threshold, period, scope.
    last = respond(ex_survey, world.team, [0, 0, 0, 0, 0])  # eNPS -100
    second_owner = UserFactory(email="second@example.com")
    first = rule(world, threshold=0, scope="team", survey=ex_survey)
    rule(world, threshold=0, scope="team", survey=ex_survey, owners=[second_owner])
    other = rule(world, threshold=10, scope="team", survey=ex_survey)  # another condition

    alerts = evaluate(ex_survey, last)

    assert sorted(alert.rule_id for alert in alerts) == [first.id, other.id]
    emails = OutboxMessage.objects.filter(alert__rule=first, kind=OutboxKind.EMAIL)
    assert sorted(emails.values_list("target", flat=True)) == sorted(
        [world.hr_admin.user.email, "second@example.com"]
    )
    assert alert_rules_evaluate(survey_id=ex_survey.id) == []
    assert Alert.objects.count() == 2


def test_alert_writes_an_email_per_owner_and_a_webhook_per_endpoint_of_its_kind(world, ex_survey):
    last = respond(ex_survey, world.team, [0, 0, 0, 0, 0])
    second_owner = UserFactory(email="second@example.com")
    no_email = UserFactory(email="")
    rule(world, threshold=0, owners=[world.hr_admin.user, second_owner, no_email])
    hook = WebhookEndpointFactory(organization=world.org, kind="ex")
    WebhookEndpointFactory(organization=world.org, kind="cx")
    WebhookEndpointFactory(organization=world.org, kind="ex", active=False)
    WebhookEndpointFactory(organization=world.org, kind="ex", on_alert=False, on_response=True)

    [alert] = evaluate(ex_survey, last)

    emails = OutboxMessage.objects.filter(alert=alert, kind=OutboxKind.EMAIL)
    assert sorted(emails.values_list("target", flat=True)) == sorted(
        [world.hr_admin.user.email, "second@example.com"]
    )
    [webhook] = OutboxMessage.objects.filter(alert=alert, kind=OutboxKind.WEBHOOK)
    assert (webhook.endpoint, webhook.target) == (hook, hook.url)
    assert webhook.payload["event"] == "alert.created"
    assert webhook.payload["alert"]["id"] == alert.id
    assert webhook.payload["alert"]["value"] == -100.0


def test_outbox_is_written_in_the_same_transaction_as_the_alert(world, ex_survey, monkeypatch):
    last = respond(ex_survey, world.team, [0, 0, 0, 0, 0])
    rule(world, threshold=0)
    write = services._alert_messages_write

    def write_then_crash(**kwargs):
        write(**kwargs)
        assert OutboxMessage.objects.count() == 1  # written, not yet committed
        raise RuntimeError("worker died")

    monkeypatch.setattr(services, "_alert_messages_write", write_then_crash)
    with pytest.raises(RuntimeError):
        evaluate(ex_survey, last)

    assert Alert.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_scoring_a_response_raises_the_alert_and_emails_its_owner(
    world, ex_survey, django_capture_on_commit_callbacks
):
    rule(world, name="eNPS under zero", threshold=0)
    responses = [
        response_with_answers(survey=ex_survey, team=world.team, answers={ex_survey.nps: 0})
        for _ in range(5)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for response in responses:
            scoring.response_score(response_id=response.id)

    alert = Alert.objects.get()
    assert alert.value == -100.0
    [email] = mail.outbox
    assert email.to == [world.hr_admin.user.email]
    assert email.subject == f"[Tandem] eNPS under zero: Acme Retail, {alert.period_label}"
    assert f"/dashboards/alerts/{alert.id}/" in email.body
    assert OutboxMessage.objects.get().status == "sent"


def test_a_rule_without_its_figure_compares_nothing(world, ex_survey):
    last = respond(ex_survey, world.team, [0, 0, 0, 0, 0])
    rule(world, threshold=None)  # saved through the admin, say
    rule(world, condition="drop", threshold=None, drop_points=None)

    assert evaluate(ex_survey, last) == []
