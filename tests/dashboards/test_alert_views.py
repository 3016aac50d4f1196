"""Alert pages: owner, colleague, team lead, staff, outsider and wrong-method cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from dashboards.models import Alert, AlertNote, AlertRule, OutboxMessage, WebhookEndpoint
from responses.models import Response
from surveys.models import AuditLog
from tests.factories import (
    AlertFactory,
    AlertRuleFactory,
    OutboxMessageFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    WebhookEndpointFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ex_alert(world):
    survey = SurveyFactory(organization=world.org, kind="ex", title="Pulse")
    return AlertFactory(
        organization=world.org,
        survey=survey,
        scope_key=f"team:{world.team.id}",
        scope_label="Front desk",
        team=world.team,
        message="eNPS for Front desk in 2026-02 is -20 (5 people), below 0.",
    )


@pytest.fixture
def cx_alert(world):
    survey = SurveyFactory(organization=world.org, kind="cx", anonymous=False, title="After visit")
    question = QuestionFactory(survey=survey, type="nps", text="Would you recommend us?")
    response = response_with_answers(survey=survey, team=world.other_team, answers={question: 3})
    return AlertFactory(
        organization=world.org,
        survey=survey,
        rule__metric="detractor",
        team=world.other_team,
        response=response,
        response_key=str(response.id),
        value=3,
        message="Detractor response in Acme Retail.",
    )


def url(name: str, *args) -> str:
    return reverse(f"dashboards:{name}", args=args)


# --- Inbox ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_ex", "sees_cx"),
    [
        ("hr_admin", True, False),
        ("cx_manager", False, True),
        ("team_lead", True, False),  # Front desk's lead: the EX alert is on Front desk
        ("outsider", False, False),
    ],
)
def test_inbox_shows_each_member_their_alerts(
    world, login, ex_alert, cx_alert, role, sees_ex, sees_cx
):
    response = login(world.member(role)).get(url("alerts"))

    assert response.status_code == 200
    body = response.content.decode()
    assert (url("alert-detail", ex_alert.pk) in body) is sees_ex
    assert (url("alert-detail", cx_alert.pk) in body) is sees_cx


def test_inbox_filters_by_status(world, login, ex_alert):
    resolved = AlertFactory(organization=world.org, survey=ex_alert.survey, status="resolved")
    client = login(world.hr_admin)

    active = client.get(url("alerts")).content.decode()
    only_resolved = client.get(url("alerts"), {"status": "resolved"}).content.decode()

    assert url("alert-detail", ex_alert.pk) in active
    assert url("alert-detail", resolved.pk) not in active
    assert url("alert-detail", resolved.pk) in only_resolved
    assert url("alert-detail", ex_alert.pk) not in only_resolved


@pytest.mark.parametrize("role", ["hr_admin", "team_lead", "outsider"])
def test_inbox_says_an_unknown_status_is_unknown_instead_of_listing_active_alerts(
    world, login, ex_alert, role
):
    response = login(world.member(role)).get(url("alerts"), {"status": "closed"})

    assert response.status_code == 400
    body = response.content.decode()
    assert (
        "There is no status “closed” to filter alerts by. Choose Active, Open, Acknowledged, "
        "Resolved or All."
    ) in body
    assert url("alert-detail", ex_alert.pk) not in body
    filters = body.split('aria-label="Filter by status"')[1].split("</ul>")[0]
    assert "active" not in filters.replace("?status=active", "")  # none pretends to be shown


def test_inbox_refuses_staff_anonymous_and_post(world, login, client):
    assert client.get(url("alerts")).status_code == 302  # to the sign-in page
    assert login(world.hr_admin).post(url("alerts")).status_code == 405
    assert login(world.staff).get(url("alerts")).status_code == 403


# --- Alert detail and actions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("hr_admin", 200), ("team_lead", 200), ("cx_manager", 403), ("staff", 403), ("outsider", 404)],
)
def test_alert_detail_access(world, login, ex_alert, role, status):
    response = login(world.member(role)).get(url("alert-detail", ex_alert.pk))

    assert response.status_code == status
    if status == 200:
        assert "below 0." in response.content.decode()


def test_team_lead_cannot_see_another_teams_alert(world, login, cx_alert):
    assert login(world.team_lead).get(url("alert-detail", cx_alert.pk)).status_code == 403


def test_alert_detail_refuses_post(world, login, ex_alert):
    assert login(world.hr_admin).post(url("alert-detail", ex_alert.pk)).status_code == 405


def test_cx_detractor_alert_shows_the_customers_answers_and_is_audited(world, login, cx_alert):
    response = login(world.cx_manager).get(url("alert-detail", cx_alert.pk))

    body = response.content.decode()
    assert "The customer's answers" in body
    assert "Would you recommend us?" in body
    entry = AuditLog.objects.get(action="responses.view")
    assert (entry.user, entry.object_id) == (world.cx_manager.user, str(cx_alert.response_id))


def test_cx_alert_says_who_served_the_customer(world, login, cx_alert):
    """Team, location and agent of the response, whatever the rule's scope (the organisation
    here): where a follow-up starts."""
    agent = PersonFactory(organization=world.org, team=world.other_team, name="Dana Agent")
    Response.objects.filter(pk=cx_alert.response_id).update(agent=agent)

    body = login(world.cx_manager).get(url("alert-detail", cx_alert.pk)).content.decode()

    team = world.other_team
    served = f"{team.name}{f' · {team.location.name}' if team.location else ''} · agent Dana Agent"
    assert f'Served by</dt><dd class="col-sm-8">{served}</dd>' in body
    stored = Response.objects.get(pk=cx_alert.response_id)
    when = timezone.localtime(stored.submitted_at)
    answered = f"{when:%Y-%m-%d %H:%M} ({stored.get_channel_display().lower()})"
    assert f'Answered</dt><dd class="col-sm-8">{answered}</dd>' in body


def test_detractor_alert_value_says_which_question(world, login, cx_alert, ex_alert):
    body = login(world.cx_manager).get(url("alert-detail", cx_alert.pk)).content.decode()
    other = login(world.hr_admin).get(url("alert-detail", ex_alert.pk)).content.decode()

    assert 'Value</dt><dd class="col-sm-8">NPS 3 (“Would you recommend us?”)</dd>' in body
    assert 'Value</dt><dd class="col-sm-8">-20.0</dd>' in other  # a figure: as before


def test_negative_comment_alert_value_is_a_count_or_a_labelled_sentiment(world, login):
    anonymous = SurveyFactory(organization=world.org, kind="ex", anonymous=True)
    named = SurveyFactory(organization=world.org, kind="cx", anonymous=False)
    question = QuestionFactory(survey=named, type="text")
    response = response_with_answers(survey=named, team=world.team, answers={question: "Awful"})
    counted, one, three = (
        AlertFactory(organization=world.org, survey=survey, rule__metric="negative_comment", **f)
        for survey, f in (
            (anonymous, {"value": 1.0}),
            (named, {"value": -0.9493, "response": response, "response_key": str(response.id)}),
            (anonymous, {"value": 3.0}),
        )
    )

    def value(membership, alert) -> str:
        body = login(membership).get(url("alert-detail", alert.pk)).content.decode()
        return body.split('Value</dt><dd class="col-sm-8">')[1].split("</dd>")[0]

    assert value(world.hr_admin, counted) == "1 negative comment"
    assert value(world.hr_admin, three) == "3 negative comments"
    assert value(world.cx_manager, one) == (
        "Negative comment (sentiment -0.95, on a scale from -1, most negative, to +1)"
    )


def test_ex_alert_has_no_served_by(world, login, ex_alert):
    body = login(world.hr_admin).get(url("alert-detail", ex_alert.pk)).content.decode()
    assert "Served by" not in body


def test_a_stored_alert_on_one_anonymous_response_shows_none_of_it(world, login, cx_alert):
    """Raised before per-response alerts stopped on anonymous surveys: the page keeps the alert
    (to resolve it) but shows neither the answers, the value, the message quoting them, nor who
    served the customer and when."""
    agent = PersonFactory(organization=world.org, team=world.other_team, name="Dana Agent")
    Response.objects.filter(pk=cx_alert.response_id).update(agent=agent)
    cx_alert.survey.anonymous = True
    cx_alert.survey.save()

    response = login(world.cx_manager).get(url("alert-detail", cx_alert.pk))

    body = response.content.decode()
    assert response.status_code == 200
    assert "raised on one response of an anonymous survey" in body
    for shown in ("Would you recommend us?", "Detractor response in Acme Retail.", "Served by"):
        assert shown not in body
    assert "Dana Agent" not in body and "Answered</dt>" not in body and "Value</dt>" not in body
    assert not AuditLog.objects.filter(action="responses.view").exists()
    overview = login(world.cx_manager).get(url("overview")).content.decode()
    assert "raised on one response of an anonymous survey" in overview
    assert "Detractor response in Acme Retail." not in overview


def test_owner_acknowledges_assigns_notes_and_resolves(world, login, ex_alert):
    client = login(world.hr_admin)

    assert client.post(url("alert-acknowledge", ex_alert.pk)).status_code == 302
    ex_alert.refresh_from_db()
    assert ex_alert.status == "acknowledged"
    assert ex_alert.first_response_at == ex_alert.acknowledged_at
    first = ex_alert.first_response_at

    lead = world.team_lead.user
    assert client.post(url("alert-assign", ex_alert.pk), {"assignee": lead.pk}).status_code == 302
    assert (
        client.post(url("alert-note", ex_alert.pk), {"body": "Talking to the team."}).status_code
        == 302
    )
    response = client.post(url("alert-resolve", ex_alert.pk), {"note": "Workload rebalanced."})
    assert response.status_code == 302

    ex_alert.refresh_from_db()
    assert (ex_alert.status, ex_alert.assignee) == ("resolved", lead)
    assert ex_alert.first_response_at == first  # stamped once, by the first action
    assert ex_alert.resolved_at >= first
    assert list(AlertNote.objects.filter(alert=ex_alert).values_list("body", flat=True)) == [
        f"Assigned to {lead.username}.",
        "Talking to the team.",
        "Workload rebalanced.",
    ]


def _messages(response) -> list[tuple[str, str]]:
    """The messages a redirect leaves for the next page (earlier ones were shown: follow=True)."""
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("role", ["hr_admin", "team_lead"])
def test_acknowledging_twice_says_it_was_already_acknowledged(world, login, ex_alert, role):
    client = login(world.member(role))
    client.post(url("alert-acknowledge", ex_alert.pk), follow=True)
    ex_alert.refresh_from_db()
    acknowledged_at = ex_alert.acknowledged_at

    response = client.post(url("alert-acknowledge", ex_alert.pk))

    assert response.status_code == 302
    assert _messages(response) == [
        ("info", "This alert was already acknowledged: nothing changed.")
    ]
    ex_alert.refresh_from_db()
    assert (ex_alert.status, ex_alert.acknowledged_at) == ("acknowledged", acknowledged_at)


def test_acknowledging_a_resolved_alert_says_it_was_already_resolved(world, login, ex_alert):
    client = login(world.hr_admin)
    client.post(url("alert-resolve", ex_alert.pk), {"note": ""}, follow=True)

    response = client.post(url("alert-acknowledge", ex_alert.pk))

    assert _messages(response) == [("info", "This alert was already resolved: nothing changed.")]
    ex_alert.refresh_from_db()
    assert (ex_alert.status, ex_alert.acknowledged_at) == ("resolved", None)


def test_resolving_twice_says_it_was_already_resolved_and_keeps_no_note(world, login, ex_alert):
    client = login(world.hr_admin)
    client.post(url("alert-resolve", ex_alert.pk), {"note": "Fixed."}, follow=True)
    ex_alert.refresh_from_db()
    resolved_at = ex_alert.resolved_at

    plain = client.post(url("alert-resolve", ex_alert.pk), {"note": ""})
    client.get(url("alert-detail", ex_alert.pk))  # shows (and uses up) the message
    noted = client.post(url("alert-resolve", ex_alert.pk), {"note": "Fixed again."})

    assert _messages(plain) == [("info", "This alert was already resolved: nothing changed.")]
    assert _messages(noted) == [
        (
            "info",
            "This alert was already resolved: nothing changed. Your closing note was not saved; "
            "add it as a note.",
        )
    ]
    ex_alert.refresh_from_db()
    assert ex_alert.resolved_at == resolved_at
    assert list(AlertNote.objects.values_list("body", flat=True)) == ["Fixed."]


def test_the_first_acknowledgement_and_resolution_say_so(world, login, ex_alert):
    client = login(world.hr_admin)

    acknowledged = client.post(url("alert-acknowledge", ex_alert.pk))
    client.get(url("alert-detail", ex_alert.pk))
    resolved = client.post(url("alert-resolve", ex_alert.pk), {"note": ""})

    assert _messages(acknowledged) == [("success", "Alert acknowledged.")]
    assert _messages(resolved) == [("success", "Alert resolved.")]


def test_a_note_is_the_first_response_too(world, login, ex_alert):
    login(world.team_lead).post(url("alert-note", ex_alert.pk), {"body": "On it."})

    ex_alert.refresh_from_db()
    assert ex_alert.first_response_at is not None
    assert ex_alert.status == "open"


def test_empty_note_and_foreign_assignee_are_rejected(world, login, ex_alert):
    client = login(world.hr_admin)

    empty = client.post(url("alert-note", ex_alert.pk), {"body": ""})
    foreign = client.post(url("alert-assign", ex_alert.pk), {"assignee": world.outsider.user.pk})

    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    assert foreign.status_code == 400
    ex_alert.refresh_from_db()
    assert (ex_alert.assignee, ex_alert.first_response_at) == (None, None)
    assert not AlertNote.objects.exists()


def test_team_lead_acknowledges_but_cannot_assign_or_resolve(world, login, ex_alert):
    client = login(world.team_lead)

    assert client.post(url("alert-acknowledge", ex_alert.pk)).status_code == 302
    assert client.post(url("alert-assign", ex_alert.pk), {"assignee": ""}).status_code == 403
    assert client.post(url("alert-resolve", ex_alert.pk)).status_code == 403
    ex_alert.refresh_from_db()
    assert ex_alert.status == "acknowledged"


@pytest.mark.parametrize(
    "action", ["alert-acknowledge", "alert-note", "alert-resolve", "alert-assign"]
)
def test_alert_actions_refuse_get_colleague_and_outsider(world, login, ex_alert, client, action):
    assert login(world.hr_admin).get(url(action, ex_alert.pk)).status_code == 405
    assert login(world.cx_manager).post(url(action, ex_alert.pk), {"body": "x"}).status_code == 403
    assert login(world.outsider).post(url(action, ex_alert.pk), {"body": "x"}).status_code == 404
    ex_alert.refresh_from_db()
    assert (ex_alert.status, ex_alert.first_response_at) == ("open", None)


# --- Rules ---------------------------------------------------------------------------------------


def rule_data(world, **fields) -> dict:
    data = {
        "name": "eNPS under zero",
        "survey": "",
        "metric": "enps",
        "condition": "below",
        "threshold": "0",
        "drop_points": "",
        "period": "month",
        "scope": "team",
        "team": world.team.pk,
        "owners": [world.hr_admin.user.pk],
        "active": "on",
    }
    data.update(fields)
    return data


def test_hr_admin_creates_an_ex_rule(world, login):
    response = login(world.hr_admin).post(url("alert-rule-create"), rule_data(world))

    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.kind, rule.metric, rule.threshold, rule.team) == ("ex", "enps", 0.0, world.team)
    assert (rule.organization, rule.created_by) == (world.org, world.hr_admin.user)
    assert list(rule.owners.all()) == [world.hr_admin.user]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (lambda w: {"threshold": "101"}, "threshold"),  # eNPS runs from -100 to 100
        (lambda w: {"threshold": ""}, "threshold"),
        (lambda w: {"condition": "drop", "drop_points": "0"}, "drop_points"),
        (lambda w: {"metric": "nps"}, "metric"),  # a CX metric on an HR admin's rule
        (lambda w: {"owners": [w.cx_manager.user.pk]}, "owners"),  # not an EX owner
        (lambda w: {"team": w.outsider.organization.teams.create(name="Theirs").pk}, "team"),
    ],
)
def test_bad_rule_is_rerendered_with_errors(world, login, fields, field):
    data = rule_data(world, **fields(world))

    response = login(world.hr_admin).post(url("alert-rule-create"), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not AlertRule.objects.exists()


def cx_rule_data(world, survey, metric: str) -> dict:
    return rule_data(
        world,
        name=f"{metric} below 70",
        survey=survey.pk if survey else "",
        metric=metric,
        threshold="70" if metric != "ces" else "4",
        owners=[world.cx_manager.user.pk],
    )


@pytest.mark.parametrize(
    ("asks", "metric", "measures"),
    [
        (["ces"], "csat", "It measures: CES (mean effort)."),
        (["csat", "text"], "nps", "It measures: CSAT, Detractor response"),
        (["single"], "negative_comment", "It measures: none of these metrics."),
    ],
)
def test_rule_on_a_metric_its_survey_does_not_measure_is_refused(
    world, login, asks, metric, measures
):
    survey = SurveyFactory(organization=world.org, kind="cx", title="After visit")
    for question_type in asks:
        QuestionFactory(survey=survey, type=question_type)

    response = login(world.cx_manager).post(
        url("alert-rule-create"), cx_rule_data(world, survey, metric)
    )

    assert response.status_code == 400
    [message] = response.context["form"].errors["metric"]
    assert message.startswith("“After visit” has no question for ")
    assert "could never fire" in message and measures in message
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize("metric", ["ces", "negative_comment"])
def test_rule_on_a_metric_its_survey_measures_is_saved(world, login, metric):
    survey = SurveyFactory(organization=world.org, kind="cx")
    QuestionFactory(survey=survey, type="ces")
    QuestionFactory(survey=survey, type="text")

    response = login(world.cx_manager).post(
        url("alert-rule-create"), cx_rule_data(world, survey, metric)
    )

    assert response.status_code == 302
    assert AlertRule.objects.get().survey == survey


def test_detractor_rule_for_one_anonymous_survey_is_refused(world, login):
    survey = SurveyFactory(organization=world.org, kind="cx", anonymous=True, title="After visit")
    QuestionFactory(survey=survey, type="nps")

    response = login(world.cx_manager).post(
        url("alert-rule-create"), cx_rule_data(world, survey, "detractor")
    )

    assert response.status_code == 400
    [message] = response.context["form"].errors["survey"]
    assert message.startswith("This survey is anonymous: detractors cannot be followed up")
    assert not AlertRule.objects.exists()


def test_detractor_rule_for_every_survey_is_saved_beside_an_anonymous_one(world, login):
    """It skips the anonymous surveys when it runs (test_alerts), as the form says."""
    SurveyFactory(organization=world.org, kind="cx", anonymous=True)
    client = login(world.cx_manager)

    page = client.get(url("alert-rule-create")).content.decode()
    response = client.post(url("alert-rule-create"), cx_rule_data(world, None, "detractor"))

    assert "Detractor follow-ups skip anonymous surveys" in page
    assert response.status_code == 302
    assert AlertRule.objects.get().survey is None


def test_rule_for_every_survey_needs_no_question(world, login):
    response = login(world.cx_manager).post(
        url("alert-rule-create"), cx_rule_data(world, None, "csat")
    )

    assert response.status_code == 302
    assert AlertRule.objects.get().survey is None


def test_ex_rule_on_engagement_needs_agreement_questions_participation_does_not(world, login):
    survey = SurveyFactory(organization=world.org, kind="ex", title="Pulse")
    QuestionFactory(survey=survey, type="nps")
    client = login(world.hr_admin)

    refused = client.post(
        url("alert-rule-create"), rule_data(world, survey=survey.pk, metric="engagement")
    )
    saved = client.post(
        url("alert-rule-create"), rule_data(world, survey=survey.pk, metric="participation")
    )

    assert refused.status_code == 400
    [message] = refused.context["form"].errors["metric"]
    assert message.endswith("It measures: eNPS (employees), Participation rate.")
    assert saved.status_code == 302
    assert list(AlertRule.objects.values_list("metric", flat=True)) == ["participation"]


@pytest.mark.parametrize(("active", "named"), [(True, "“Teams”"), (False, "“Teams” (paused)")])
def test_a_second_rule_with_the_same_condition_is_refused_naming_the_first(
    world, login, active, named
):
    first = AlertRuleFactory(
        organization=world.org, name="Teams", threshold=0, scope="team", team=world.team
    )
    first.active = active
    first.save()
    client = login(world.hr_admin)

    refused = client.post(url("alert-rule-create"), rule_data(world, name="Again"))
    other = client.post(url("alert-rule-create"), rule_data(world, name="Other", threshold="5"))
    edited = client.post(url("alert-rule-edit", first.pk), rule_data(world, name="Renamed"))

    assert refused.status_code == 400
    [message] = refused.context["form"].non_field_errors()
    assert message.startswith(f"The rule {named} already has this condition")
    assert message in refused.content.decode()  # shown above the form
    assert (other.status_code, edited.status_code) == (302, 302)  # another threshold; itself
    assert sorted(AlertRule.objects.values_list("name", flat=True)) == ["Other", "Renamed"]


def test_a_rule_edited_into_anothers_condition_is_refused(world, login):
    AlertRuleFactory(
        organization=world.org, name="Teams", threshold=0, scope="team", team=world.team
    )
    second = AlertRuleFactory(
        organization=world.org, name="Five", threshold=5, scope="team", team=world.team
    )

    response = login(world.hr_admin).post(url("alert-rule-edit", second.pk), rule_data(world))

    assert response.status_code == 400
    assert "“Teams”" in response.context["form"].non_field_errors()[0]
    second.refresh_from_db()
    assert second.threshold == 5.0


def test_rule_form_keeps_only_the_scopes_own_target(world, login):
    data = rule_data(world, scope="organization", condition="drop", drop_points="10")

    login(world.hr_admin).post(url("alert-rule-create"), data)

    rule = AlertRule.objects.get()
    assert (rule.team, rule.threshold, rule.drop_points) == (None, None, 10.0)


@pytest.mark.parametrize(
    ("role", "status"),
    [("hr_admin", 200), ("cx_manager", 403), ("team_lead", 403), ("staff", 403), ("outsider", 404)],
)
def test_rule_edit_access(world, login, role, status):
    rule = AlertRuleFactory(organization=world.org, kind="ex")

    assert login(world.member(role)).get(url("alert-rule-edit", rule.pk)).status_code == status


def test_rule_list_shows_own_kind_and_refuses_post(world, login):
    ex_rule = AlertRuleFactory(organization=world.org, kind="ex", name="EX rule")
    AlertRuleFactory(organization=world.org, kind="cx", metric="nps", name="CX rule")
    client = login(world.cx_manager)

    body = client.get(url("alert-rules")).content.decode()

    assert "CX rule" in body and "EX rule" not in body
    assert client.post(url("alert-rules")).status_code == 405
    assert login(world.team_lead).get(url("alert-rules")).status_code == 403
    assert ex_rule.pk


def test_deleting_a_rule_keeps_its_alerts(world, login, ex_alert):
    rule = ex_alert.rule
    client = login(world.hr_admin)

    assert client.get(url("alert-rule-delete", rule.pk)).status_code == 200
    assert login(world.outsider).post(url("alert-rule-delete", rule.pk)).status_code == 404
    assert login(world.hr_admin).post(url("alert-rule-delete", rule.pk)).status_code == 302

    assert not AlertRule.objects.exists()
    ex_alert.refresh_from_db()
    assert ex_alert.rule is None


# --- Webhooks and deliveries ---------------------------------------------------------------------


def test_owner_adds_a_webhook_endpoint_with_a_secret(world, login):
    client = login(world.cx_manager)

    response = client.post(
        url("alert-webhooks"),
        {"url": "https://helpdesk.example.com/hooks/tandem", "on_response": "on"},
    )

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.kind, endpoint.on_alert, endpoint.on_response) == ("cx", False, True)
    assert len(endpoint.secret) == 64
    assert endpoint.secret in client.get(url("alert-webhooks")).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"url": "ftp://example.com/hook", "on_alert": "on"},
        {"url": "https://example.com/hook"},  # no event chosen
    ],
)
def test_bad_webhook_endpoint_is_rejected(world, login, data):
    assert login(world.hr_admin).post(url("alert-webhooks"), data).status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_a_webhook_to_an_internal_address_is_refused_with_the_reason(world, login, settings):
    settings.TANDEM_WEBHOOK_PRIVATE_TARGETS = False
    response = login(world.hr_admin).post(
        url("alert-webhooks"),
        {"url": "http://169.254.169.254/latest/meta-data/", "on_alert": "on"},
    )
    assert response.status_code == 400
    assert "169.254.169.254 is a link-local address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [("hr_admin", 302), ("cx_manager", 403), ("team_lead", 403), ("outsider", 404)],
)
def test_webhook_delete_access(world, login, role, status):
    endpoint = WebhookEndpointFactory(organization=world.org, kind="ex")

    assert (
        login(world.member(role)).post(url("alert-webhook-delete", endpoint.pk)).status_code
        == status
    )
    assert WebhookEndpoint.objects.exists() is (status != 302)


def test_webhook_delete_refuses_get(world, login):
    endpoint = WebhookEndpointFactory(organization=world.org, kind="ex")
    assert login(world.hr_admin).get(url("alert-webhook-delete", endpoint.pk)).status_code == 405


def test_delivery_log_lists_own_kind_and_resends_a_failed_message(
    world, login, django_capture_on_commit_callbacks
):
    failed = OutboxMessageFactory(
        organization=world.org, target="hr@example.com", status="failed", attempts=10
    )
    OutboxMessageFactory(organization=world.org, survey_kind="cx", target="cx@example.com")
    client = login(world.hr_admin)

    body = client.get(url("alert-deliveries")).content.decode()
    assert "hr@example.com" in body and "cx@example.com" not in body
    assert client.get(url("alert-delivery-resend", failed.pk)).status_code == 405
    assert login(world.cx_manager).post(url("alert-delivery-resend", failed.pk)).status_code == 403
    assert login(world.outsider).post(url("alert-delivery-resend", failed.pk)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            login(world.hr_admin).post(url("alert-delivery-resend", failed.pk)).status_code == 302
        )

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 1)
    assert OutboxMessage.objects.filter(status="pending").count() == 1  # the CX one, untouched
    assert Alert.objects.count() == 0


def test_delivery_log_refuses_team_lead_and_post(world, login):
    assert login(world.team_lead).get(url("alert-deliveries")).status_code == 403
    assert login(world.hr_admin).post(url("alert-deliveries")).status_code == 405


def test_inbox_shows_mean_time_to_first_response_and_to_resolution(world, login, ex_alert):
    raised = dt.datetime(2026, 2, 10, 10, 0, tzinfo=dt.UTC)
    Alert.objects.filter(id=ex_alert.id).update(
        created_at=raised,
        first_response_at=raised + dt.timedelta(hours=1),
        resolved_at=raised + dt.timedelta(days=1, hours=4),
        status="resolved",
    )
    AlertFactory(
        organization=world.org,
        survey=ex_alert.survey,
        created_at=raised,
        first_response_at=raised + dt.timedelta(hours=3),
    )

    body = login(world.hr_admin).get(url("alerts")).content.decode()

    # First responses after 1 h and 3 h: 2 h on average; one resolution, after 1 day 4 hours.
    assert "Mean time to first response: 2 h 0 min" in body
    assert "to resolution: 1 d 4 h" in body
