"""Every successful API write is in the audit log with who and when; audit_record for the rest."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.audit import AuditAction, audit_record
from surveys.models import AuditLog, Team

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.audit_urls")]


@pytest.fixture
def api(world):
    client = APIClient()
    token = Token.objects.create(user=world.cx_manager.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_token_authenticated_create_is_logged_with_who_and_what(world, api):
    response = api.post("/api/v1/teams/", {"name": "Drive-through"}, format="json")
    assert response.status_code == 201
    entry = AuditLog.objects.get()
    assert entry.user == world.cx_manager.user
    assert entry.actor == world.cx_manager.user.username
    assert entry.organization == world.org
    assert entry.action == AuditAction.API_POST
    assert (entry.object_type, entry.object_id) == ("surveys.team", str(response.json()["id"]))
    assert entry.detail == {"path": "/api/v1/teams/", "view": "api-team-list", "status": 201}
    assert entry.ip == "127.0.0.1"
    assert entry.created_at is not None


def test_updates_and_deletes_are_logged_against_the_object(world, api):
    api.patch(f"/api/v1/teams/{world.team.pk}/", {"name": "Front office"}, format="json")
    api.put(f"/api/v1/teams/{world.team.pk}/", {"name": "Front room"}, format="json")
    assert api.delete(f"/api/v1/teams/{world.other_team.pk}/").status_code == 204
    entries = list(AuditLog.objects.order_by("id").values_list("action", "object_id"))
    assert entries == [
        ("api.patch", str(world.team.pk)),
        ("api.put", str(world.team.pk)),
        ("api.delete", str(world.other_team.pk)),
    ]


def test_session_authenticated_writes_are_logged_too(world, login):
    client = login(world.hr_admin)
    response = client.post("/api/v1/teams/", {"name": "Kitchen"}, content_type="application/json")
    assert response.status_code == 201
    assert AuditLog.objects.get().user == world.hr_admin.user


def test_reads_failures_and_refusals_are_not_logged(world, api, client):
    api.get("/api/v1/teams/")
    assert api.post("/api/v1/teams/", {"name": ""}, format="json").status_code == 400
    assert api.delete("/api/v1/teams/999999/").status_code == 404
    assert client.post("/api/v1/teams/", {"name": "Anon"}).status_code in (401, 403)
    assert not AuditLog.objects.exists()
    assert not Team.objects.filter(name="Anon").exists()


def test_writes_outside_the_api_are_not_logged_by_the_middleware(world, api):
    assert api.post("/elsewhere/teams/", {"name": "Back office"}, format="json").status_code == 201
    assert not AuditLog.objects.exists()


def test_a_failing_audit_write_never_turns_a_saved_write_into_an_error(world, api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr("config.audit._write", broken)
    assert api.post("/api/v1/teams/", {"name": "Patio"}, format="json").status_code == 201
    assert Team.objects.filter(name="Patio").exists()


def test_audit_record_names_the_object_and_the_callers_ip(world):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    entry = audit_record(
        organization=world.org,
        user=world.hr_admin.user,
        action=AuditAction.EXPORT_DOWNLOAD,
        obj=world.team,
        detail={"format": "csv"},
        request=request,
    )
    entry.refresh_from_db()
    assert (entry.object_type, entry.object_id, entry.ip) == (
        "surveys.team",
        str(world.team.pk),
        "203.0.113.9",
    )
    assert entry.detail == {"format": "csv"}
