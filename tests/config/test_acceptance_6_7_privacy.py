"""Acceptance audit of issue 6 (privacy): a purged or erased comment does not live on in the
alerts that quoted it, in their e-mails and webhooks, or in new-response webhooks; an erased
agent's name goes from the webhooks of the customers they served."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from config.audit import audit_record
from dashboards.alerting.services import alert_rules_evaluate
from dashboards.alerting.webhooks import response_webhooks_queue
from dashboards.models import Alert, AlertMetric, AlertNote, OutboxMessage
from dashboards.scoring import response_score
from surveys.models import AuditLog, Organization, SurveyKind
from surveys.privacy import person_erase, person_export, retention_purge
from tests.config.test_privacy import subject  # noqa: F401, F811 - fixture: Sam Doe, with an account
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

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
OLD = dt.datetime(2025, 11, 3, 9, 0, tzinfo=dt.UTC)
SECRET = "My manager Dana shouts at us every morning"
KEPT = "The new rota is much better"


@pytest.fixture
def cx(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    survey.csat = QuestionFactory(survey=survey, type="csat", order=1)
    survey.comment = QuestionFactory(survey=survey, type="text", required=False, order=2)
    WebhookEndpointFactory(organization=world.org, kind=SurveyKind.CX, on_response=True)
    return survey


def _answered(survey, team, comment: str, when: dt.datetime, **fields):
    """A scored response with its new-response webhook queued, and a negative-comment alert
    quoting it with one alert e-mail (as dashboards.alerting writes them)."""
    response = response_with_answers(
        survey=survey,
        team=team,
        answers={survey.csat: 1, survey.comment: comment},
        submitted_at=when,
        **fields,
    )
    response_score(response_id=response.pk)
    response_webhooks_queue(response_id=response.pk)
    rule = AlertRuleFactory(
        organization=survey.organization, kind=survey.kind, metric=AlertMetric.NEGATIVE_COMMENT
    )
    message = f"Negative comment in {team.name} on “{survey.comment.text}”: “{comment}”"
    alert = AlertFactory(
        organization=survey.organization,
        survey=survey,
        rule=rule,
        response=response,
        message=message,
    )
    OutboxMessageFactory(
        organization=survey.organization,
        survey_kind=survey.kind,
        alert=alert,
        payload={"subject": "[Tandem] negative comment", "body": f"{message}\n\nSurvey: x\n"},
    )
    return response, alert


def _stored_text() -> str:
    """Every alert message and outbox payload, as one string."""
    return json.dumps(
        [
            list(Alert.objects.values_list("message", flat=True)),
            list(OutboxMessage.objects.values_list("payload", flat=True)),
        ],
        ensure_ascii=False,
    )


def test_purged_comment_leaves_no_copy_in_alerts_or_deliveries(world, cx):
    old, old_alert = _answered(cx, world.team, SECRET, OLD)
    recent, _ = _answered(cx, world.team, KEPT, NOW - dt.timedelta(days=3))
    assert SECRET in _stored_text()  # the copies exist before the purge
    assert OutboxMessage.objects.filter(response_id=old.pk).count() == 1
    Organization.objects.filter(pk=world.org.pk).update(retention_months=6)
    world.org.refresh_from_db()

    assert retention_purge(organization=world.org, now=NOW)["responses"] == 1

    stored = _stored_text()
    assert SECRET not in stored
    assert KEPT in stored  # the recent response's copies are untouched
    assert not OutboxMessage.objects.filter(response_id=old.pk).exists()
    assert OutboxMessage.objects.filter(response_id=recent.pk).count() == 1
    old_alert.refresh_from_db()
    # The alert stays (it was handled, counted in time-to-resolve); its quote goes.
    assert old_alert.message == (
        f"Negative comment in {world.team.name} on “{cx.comment.text}”: “[comment removed]”"
    )
    email = old_alert.messages.get()
    assert "“[comment removed]”" in email.payload["body"]


def test_erased_persons_comments_and_name_leave_no_copy(world, cx, subject):  # noqa: F811
    _, alert = _answered(cx, world.team, SECRET, NOW, respondent=subject)
    served, _ = _answered(cx, world.team, KEPT, NOW, agent=subject)
    assert "Sam Doe" in _stored_text() and SECRET in _stored_text()

    person_erase(person=subject, user=world.hr_admin.user)

    stored = _stored_text()
    assert SECRET not in stored and "Sam Doe" not in stored
    assert KEPT in stored  # a customer's comment about the agent is the customer's, not theirs
    alert.refresh_from_db()
    assert alert.response_id is None and alert.message.endswith("“[comment removed]”")
    webhook = OutboxMessage.objects.get(response_id=served.pk)
    assert webhook.payload["response"]["agent"] is None


def test_erased_agent_leaves_no_name_in_the_alerts_on_customers_they_served(world, cx, subject):  # noqa: F811
    """A detractor alert names where the customer was served, the agent included, in its scope,
    message, e-mail and webhook: erasing the agent takes the name from all of them."""
    AlertRuleFactory(
        organization=world.org,
        kind=SurveyKind.CX,
        metric=AlertMetric.DETRACTOR,
        threshold=None,
        owners=[world.cx_manager.user],
    )
    WebhookEndpointFactory(organization=world.org, kind=SurveyKind.CX, on_alert=True)
    served = response_with_answers(
        survey=cx, team=world.team, answers={cx.csat: 1}, submitted_at=NOW, agent=subject
    )
    [alert] = alert_rules_evaluate(survey_id=cx.id, response_id=served.id)
    where = f"{world.team.name} · {world.team.location.name}"
    assert alert.scope_label == f"{where} · agent Sam Doe"
    assert alert.messages.count() == 3  # an e-mail, two alert webhooks

    person_erase(person=subject, user=world.hr_admin.user)

    alert.refresh_from_db()
    assert alert.scope_label == where
    assert alert.message.startswith(f"Detractor response, served by {where}: CSAT 1")
    assert "Sam Doe" not in _stored_text()


# --- Who read a quoted comment is in the audit log ----------------------------------------------


def test_opening_an_alert_that_quotes_a_comment_is_audited(world, cx, login):
    _, quoting = _answered(cx, world.team, SECRET, NOW)
    figure = AlertFactory(organization=world.org, survey=cx, metric=AlertMetric.CSAT)
    client = login(world.cx_manager)

    assert SECRET in client.get(f"/dashboards/alerts/{quoting.pk}/").content.decode()
    assert client.get(f"/dashboards/alerts/{figure.pk}/").status_code == 200

    entry = AuditLog.objects.get(action="comments.view")
    assert (entry.user, entry.object_id, entry.detail) == (
        world.cx_manager.user,
        str(cx.pk),
        {"alert": quoting.pk},
    )
    assert entry.created_at is not None
    # The HR admins' audit page lists it.
    page = login(world.hr_admin).get("/surveys/audit/", {"action": "comments.view"})
    assert world.cx_manager.user.username in page.content.decode()


def test_an_anonymous_ex_comment_alert_quotes_nothing_and_is_not_audited(world, login):
    ex = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    alert = AlertFactory(
        organization=world.org,
        survey=ex,
        metric=AlertMetric.NEGATIVE_COMMENT,
        message="2 negative comment(s) in Front desk. Comments are not quoted.",
    )
    assert login(world.hr_admin).get(f"/dashboards/alerts/{alert.pk}/").status_code == 200
    assert not AuditLog.objects.filter(action="comments.view").exists()


# --- An access request covers what the person did as a user ------------------------------------


def test_export_includes_the_persons_activity_as_a_user(world, cx, subject):  # noqa: F811
    account = subject.user
    with time_machine.travel(NOW, tick=False):
        audit_record(
            organization=world.org,
            user=account,
            action="api.post",
            obj=world.team,
            detail={"path": "/api/v1/teams/"},
        )
        alert = AlertFactory(organization=world.org, survey=cx, assignee=account)
        AlertNote.objects.create(alert=alert, author=account, body="Called them back")
        AlertNote.objects.create(alert=alert, author=world.cx_manager.user, body="Not theirs")
        data = person_export(person=subject, user=world.hr_admin.user)

    json.dumps(data)
    assert data["activity"] == {
        "audit_log": [
            {
                "at": "2026-06-15T12:00:00+00:00",
                "action": "api.post",
                "object_type": "surveys.team",
                "object_id": str(world.team.pk),
                "detail": {"path": "/api/v1/teams/"},
                "ip": None,
            }
        ],
        "alert_notes": [
            {"alert": alert.pk, "at": "2026-06-15T12:00:00+00:00", "body": "Called them back"}
        ],
        "alerts_assigned": [alert.pk],
    }


def test_export_of_a_person_without_an_account_has_no_activity(world, cx):
    person = PersonFactory(organization=world.org, team=world.team)
    assert person_export(person=person, user=world.hr_admin.user)["activity"] is None
