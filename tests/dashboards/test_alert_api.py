"""GET /api/v1/alerts/ and POST /api/v1/alerts/{id}/resolve/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dashboards.models import AlertNote
from tests.factories import AlertFactory, SurveyFactory, response_with_answers

pytestmark = pytest.mark.django_db

LIST = reverse("api-alerts")
RAISED = dt.datetime(2026, 2, 10, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def api():
    def _api(membership=None) -> APIClient:
        client = APIClient()
        if membership is not None:
            client.force_authenticate(membership.user)
        return client

    return _api


@pytest.fixture
def ex_alert(world):
    survey = SurveyFactory(organization=world.org, kind="ex", title="Pulse")
    return AlertFactory(
        organization=world.org,
        survey=survey,
        rule__name="eNPS under zero",
        scope_key=f"team:{world.team.id}",
        scope_label="Front desk",
        team=world.team,
        period_key="2026-02",
        period_label="2026-02",
        value=-20.0,
        message="eNPS for Front desk in 2026-02 is -20 (5 people), below 0.",
        created_at=RAISED,
    )


@pytest.fixture
def cx_alert(world):
    survey = SurveyFactory(organization=world.org, kind="cx", title="After visit")
    return AlertFactory(
        organization=world.org, survey=survey, rule__metric="nps", team=world.other_team
    )


def resolve_url(alert) -> str:
    return reverse("api-alert-resolve", args=[alert.pk])


def test_list_gives_each_alert_with_its_status(world, api, ex_alert, cx_alert):
    response = api(world.hr_admin).get(LIST)

    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": ex_alert.id,
                "url": f"http://127.0.0.1:8000/dashboards/alerts/{ex_alert.id}/",
                "rule": {"id": ex_alert.rule_id, "name": "eNPS under zero"},
                "metric": "enps",
                "survey": {"id": ex_alert.survey_id, "title": "Pulse", "kind": "ex"},
                "scope": {"key": f"team:{world.team.id}", "label": "Front desk"},
                "period": {"key": "2026-02", "label": "2026-02"},
                "value": -20.0,
                "previous_value": None,
                "message": "eNPS for Front desk in 2026-02 is -20 (5 people), below 0.",
                "response": None,
                "status": "open",
                "assignee": None,
                "created_at": "2026-02-10T09:30:00Z",
                "first_response_at": None,
                "acknowledged_at": None,
                "resolved_at": None,
            }
        ],
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [("cx_manager", ["cx"]), ("team_lead", ["ex"]), ("outsider", [])],
)
def test_list_is_scoped_to_the_member(world, api, ex_alert, cx_alert, role, expected):
    response = api(world.member(role)).get(LIST)

    assert [row["survey"]["kind"] for row in response.json()["results"]] == expected


def test_list_filters_by_status(world, api, ex_alert):
    resolved = AlertFactory(organization=world.org, survey=ex_alert.survey, status="resolved")
    client = api(world.hr_admin)

    assert [row["id"] for row in client.get(LIST, {"status": "resolved"}).json()["results"]] == [
        resolved.id
    ]
    assert [row["id"] for row in client.get(LIST, {"status": "open"}).json()["results"]] == [
        ex_alert.id
    ]


def test_a_stored_alert_on_one_anonymous_response_gives_no_response_value_or_message(world, api):
    """Raised before per-response alerts stopped on anonymous surveys: listed (to be resolved),
    its response, value and message withheld."""
    survey = SurveyFactory(organization=world.org, kind="cx", anonymous=True)
    response = response_with_answers(survey=survey, team=world.team, answers={})
    alert = AlertFactory(
        organization=world.org,
        survey=survey,
        rule__metric="detractor",
        response=response,
        response_key=str(response.id),
        value=2.0,
        message="Detractor response in Acme Retail: “Recommend us?” 2.",
    )

    [row] = api(world.cx_manager).get(LIST).json()["results"]

    assert (row["id"], row["response"], row["value"]) == (alert.id, None, None)
    assert row["message"].startswith("This alert was raised on one response of an anonymous")


def test_list_rejects_an_unknown_status_with_a_field_error(world, api):
    response = api(world.hr_admin).get(LIST, {"status": "closed"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_list_refuses_staff_anonymous_and_post(world, api):
    assert api(world.staff).get(LIST).status_code == 403
    anonymous = api().get(LIST)  # token authentication first: 401 and how to authenticate
    assert (anonymous.status_code, anonymous["WWW-Authenticate"]) == (401, "Token")
    response = api(world.hr_admin).post(LIST, {})
    assert response.status_code == 405
    assert "detail" in response.json()


def test_list_accepts_a_token(world, ex_alert):
    token = Token.objects.create(user=world.hr_admin.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.get(LIST).json()["count"] == 1


def test_owner_resolves_with_a_note_and_resolving_again_changes_nothing(world, api, ex_alert):
    client = api(world.hr_admin)

    first = client.post(resolve_url(ex_alert), {"note": "Fixed the rota."}, format="json")
    again = client.post(resolve_url(ex_alert), {"note": "Twice?"}, format="json")

    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["status"] == "resolved"
    assert first.json()["resolved_at"] == again.json()["resolved_at"]
    ex_alert.refresh_from_db()
    assert ex_alert.first_response_at == ex_alert.resolved_at
    assert list(AlertNote.objects.values_list("body", flat=True)) == ["Fixed the rota."]


def test_resolve_without_a_body(world, api, cx_alert):
    response = api(world.cx_manager).post(resolve_url(cx_alert))

    assert (response.status_code, response.json()["status"]) == (200, "resolved")
    assert not AlertNote.objects.exists()


def test_resolve_rejects_a_too_long_note(world, api, ex_alert):
    response = api(world.hr_admin).post(resolve_url(ex_alert), {"note": "x" * 5001}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["note"]
    ex_alert.refresh_from_db()
    assert ex_alert.status == "open"


@pytest.mark.parametrize(
    ("role", "status"),
    [("team_lead", 403), ("cx_manager", 403), ("staff", 403), ("outsider", 404)],
)
def test_resolve_refuses_non_owners(world, api, ex_alert, role, status):
    response = api(world.member(role)).post(resolve_url(ex_alert))

    assert response.status_code == status
    if status == 404:
        assert response.json() == {"detail": "Not found."}
    ex_alert.refresh_from_db()
    assert ex_alert.status == "open"


def test_resolve_refuses_get(world, api, ex_alert):
    assert api(world.hr_admin).get(resolve_url(ex_alert)).status_code == 405


def test_a_page_quoting_comments_is_logged_as_a_comments_view(world, api):
    """Negative-comment alerts quote the comment outside anonymous surveys: listing them is
    audited like opening one in the inbox; a page without quotes writes nothing."""
    from surveys.models import AuditLog

    named_cx = SurveyFactory(organization=world.org, kind="cx", anonymous=False)
    anonymous_ex = SurveyFactory(organization=world.org, kind="ex", anonymous=True)
    quoting = AlertFactory(
        organization=world.org,
        survey=named_cx,
        rule__metric="negative_comment",
        message="Negative comment in Front desk: “Nobody helped.”",
    )
    AlertFactory(organization=world.org, survey=anonymous_ex, rule__metric="negative_comment")
    assert api(world.hr_admin).get(LIST).status_code == 200  # EX only: no quote on its page
    assert not AuditLog.objects.exists()

    assert api(world.cx_manager).get(LIST).status_code == 200
    entry = AuditLog.objects.get()
    assert (entry.action, entry.user, entry.organization) == (
        "comments.view",
        world.cx_manager.user,
        world.org,
    )
    assert entry.detail == {"alerts": [quoting.id], "via": "api"}
