"""Alert rules created, changed and deleted are in the audit log: one entry each, nothing for
an edit that changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboards.alerting import actions
from dashboards.models import AlertRule
from surveys.models import AuditLog
from tests.dashboards.test_alert_views import rule_data
from tests.factories import AlertRuleFactory

pytestmark = pytest.mark.django_db


def assert_entry(entry: AuditLog, *, membership, action: str, rule_id: int) -> None:
    assert (entry.user, entry.actor) == (membership.user, membership.user.username)
    assert (entry.organization, entry.action) == (membership.organization, action)
    assert (entry.object_type, entry.object_id) == ("dashboards.alertrule", str(rule_id))


def test_a_new_rule_is_recorded_with_what_it_does(world):
    rule = AlertRule(
        organization=world.org, kind="ex", name="eNPS under zero", metric="enps", threshold=0
    )
    actions.alert_rule_save(rule=rule, owners=[world.hr_admin.user], user=world.hr_admin.user)
    [entry] = AuditLog.objects.all()
    assert_entry(entry, membership=world.hr_admin, action="alert_rule.create", rule_id=rule.pk)
    assert entry.detail["name"] == "eNPS under zero"
    assert (entry.detail["metric"], entry.detail["threshold"]) == ("enps", 0)
    assert entry.detail["owners"] == [world.hr_admin.user.pk]


def test_an_edit_records_what_changed_and_a_no_op_nothing(world):
    rule = AlertRuleFactory(organization=world.org, name="Low", threshold=0.0)
    user = world.hr_admin.user
    actions.alert_rule_save(rule=rule, owners=[user], user=user)
    rule.threshold = -20.0
    actions.alert_rule_save(rule=rule, owners=[user], user=user)
    actions.alert_rule_save(rule=rule, owners=[user], user=user)  # nothing changed
    owners, threshold = AuditLog.objects.order_by("id")
    assert_entry(threshold, membership=world.hr_admin, action="alert_rule.edit", rule_id=rule.pk)
    assert owners.detail == {"owners": {"from": [], "to": [user.pk]}}
    assert threshold.detail == {"threshold": {"from": 0.0, "to": -20.0}}


def test_a_deleted_rule_is_recorded_by_id_and_name(world):
    rule = AlertRuleFactory(organization=world.org, name="Low")
    rule_id = rule.pk
    actions.alert_rule_delete(rule=rule, user=world.hr_admin.user)
    [entry] = AuditLog.objects.all()
    assert_entry(entry, membership=world.hr_admin, action="alert_rule.delete", rule_id=rule_id)
    assert entry.detail == {"name": "Low", "metric": "enps"}
    assert not AlertRule.objects.exists()


def test_the_rule_pages_record_create_edit_and_delete(world, login):
    client = login(world.hr_admin)
    client.post(reverse("dashboards:alert-rule-create"), rule_data(world))
    rule = AlertRule.objects.get()
    client.post(reverse("dashboards:alert-rule-edit", args=[rule.pk]), rule_data(world))
    client.post(
        reverse("dashboards:alert-rule-edit", args=[rule.pk]), rule_data(world, name="Renamed")
    )
    client.post(reverse("dashboards:alert-rule-delete", args=[rule.pk]))
    entries = list(AuditLog.objects.order_by("id"))
    assert [e.action for e in entries] == [
        "alert_rule.create",
        "alert_rule.edit",
        "alert_rule.delete",
    ]
    for entry in entries:
        assert_entry(entry, membership=world.hr_admin, action=entry.action, rule_id=rule.pk)
    assert entries[1].detail == {"name": {"from": "eNPS under zero", "to": "Renamed"}}
    assert entries[0].ip == "127.0.0.1"


def test_refused_rule_writes_leave_no_entry(world, login):
    rule = AlertRuleFactory(organization=world.org)
    assert (
        login(world.staff).post(reverse("dashboards:alert-rule-delete", args=[rule.pk])).status_code
        == 403
    )
    assert (
        login(world.outsider)
        .post(reverse("dashboards:alert-rule-delete", args=[rule.pk]))
        .status_code
        == 404
    )
    client = login(world.hr_admin)
    response = client.post(reverse("dashboards:alert-rule-create"), rule_data(world, threshold="x"))
    assert response.status_code == 400
    assert not AuditLog.objects.exists()
