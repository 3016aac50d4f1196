"""Webhook endpoints added and removed are in the audit log: the URL's host only, never its path
or the signing secret."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dashboards.alerting import actions
from dashboards.models import WebhookEndpoint
from surveys.models import AuditLog
from tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

HOOK = "https://helpdesk.example.com:8443/hooks/tandem?token=receiver-token"


def assert_entry(entry: AuditLog, *, membership, action: str, endpoint_id: int) -> None:
    assert (entry.user, entry.actor) == (membership.user, membership.user.username)
    assert (entry.organization, entry.action) == (membership.organization, action)
    assert (entry.object_type, entry.object_id) == ("dashboards.webhookendpoint", str(endpoint_id))


def test_a_new_endpoint_is_recorded_by_host_without_its_secret(world):
    user = world.cx_manager.user
    endpoint = actions.webhook_endpoint_create(
        organization_id=world.org.pk,
        kind="cx",
        url=HOOK,
        on_alert=False,
        on_response=True,
        user=user,
    )
    [entry] = AuditLog.objects.all()
    assert_entry(
        entry, membership=world.cx_manager, action="webhook.create", endpoint_id=endpoint.pk
    )
    assert entry.detail == {
        "host": "helpdesk.example.com",
        "kind": "cx",
        "on_alert": False,
        "on_response": True,
    }
    assert endpoint.secret not in str(entry.detail)


def test_the_webhook_page_records_adding_and_removing_by_host(world, login):
    client = login(world.hr_admin)
    client.post(reverse("dashboards:alert-webhooks"), {"url": HOOK, "on_alert": "on"})
    endpoint = WebhookEndpoint.objects.get()
    client.post(reverse("dashboards:alert-webhook-delete", args=[endpoint.pk]))
    added, removed = AuditLog.objects.order_by("id")
    assert_entry(added, membership=world.hr_admin, action="webhook.create", endpoint_id=endpoint.pk)
    assert_entry(
        removed, membership=world.hr_admin, action="webhook.delete", endpoint_id=endpoint.pk
    )
    assert removed.detail == {"host": "helpdesk.example.com", "kind": "ex"}
    assert added.ip == "127.0.0.1"
    assert "/hooks/tandem" not in str(added.detail)
    assert not WebhookEndpoint.objects.exists()


def test_refused_webhook_writes_leave_no_entry(world, login):
    endpoint = WebhookEndpointFactory(organization=world.org, kind="ex", url=HOOK)
    delete = reverse("dashboards:alert-webhook-delete", args=[endpoint.pk])
    assert login(world.cx_manager).post(delete).status_code == 403  # the other kind's owner
    assert login(world.outsider).post(delete).status_code == 404
    assert login(world.hr_admin).get(delete).status_code == 405
    refused = login(world.hr_admin).post(
        reverse("dashboards:alert-webhooks"), {"url": "ftp://example.com/hook", "on_alert": "on"}
    )
    assert refused.status_code == 400
    assert not AuditLog.objects.exists()
