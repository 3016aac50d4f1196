"""The responses API's fast path (responses.api._fast_post): the usual integration call is
answered without REST framework, with the same 201 as the DRF view; anything else, every error
included, is answered by the DRF view, and the throttle counts each call once."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.audit import AuditAction
from responses import api as responses_api
from responses.api import ApiTokenThrottle
from responses.models import Response
from surveys.models import AuditLog
from tests.factories import OrganizationFactory, SurveyFactory
from tests.responses.test_api import body

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(world):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=world.cx_manager.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def drf_calls(monkeypatch):
    """The calls the DRF view answered (the fast path answered the others)."""
    calls = []
    drf = responses_api._survey_responses_drf

    def counted(request, **kwargs):
        calls.append(request.path)
        return drf(request, **kwargs)

    monkeypatch.setattr(responses_api, "_survey_responses_drf", counted)
    return calls


def _post(client, survey, data, **extra):
    return client.post(f"/api/v1/surveys/{survey.pk}/responses/", data, format="json", **extra)


def test_the_usual_call_is_answered_by_the_fast_path_as_the_drf_view_answers_it(
    client, world, cx_survey, drf_calls, monkeypatch
):
    fast = _post(client, cx_survey, body(cx_survey, world.team, submission_key="a-1"))
    assert drf_calls == []
    monkeypatch.setattr(responses_api, "_fast_post", lambda request, pk: None)
    slow = _post(client, cx_survey, body(cx_survey, world.team, submission_key="a-2"))
    assert len(drf_calls) == 1
    assert (fast.status_code, slow.status_code) == (201, 201)
    assert fast.json() == {"id": Response.objects.get(submission_key="a-1").pk}
    assert slow.json() == {"id": Response.objects.get(submission_key="a-2").pk}
    assert fast.content == b'{"id":%d}' % fast.json()["id"]  # as DRF renders it
    assert slow.content == b'{"id":%d}' % slow.json()["id"]
    assert {**fast.headers, "Content-Length": ""} == {**slow.headers, "Content-Length": ""}
    # Same rows: answers, channel, team, and the audit entry stored with the response.
    one, two = Response.objects.filter(submission_key__in=["a-1", "a-2"]).order_by("pk")
    assert (one.channel, one.team_id, one.location_id) == (
        two.channel,
        two.team_id,
        two.location_id,
    )
    assert one.answers.count() == two.answers.count() == 3
    entries = AuditLog.objects.filter(action=AuditAction.API_POST).order_by("pk")
    assert [(e.user_id, e.object_id, e.detail["status"]) for e in entries] == [
        (world.cx_manager.user_id, str(cx_survey.pk), 201),
        (world.cx_manager.user_id, str(cx_survey.pk), 201),
    ]


def test_a_replayed_submission_key_gives_the_first_response(client, world, cx_survey, drf_calls):
    first = _post(client, cx_survey, body(cx_survey, world.team, submission_key="k"))
    again = _post(client, cx_survey, body(cx_survey, world.team, submission_key="k"))
    assert first.json() == again.json()
    assert Response.objects.count() == 1
    assert drf_calls == []


@pytest.mark.parametrize(
    "case",
    [
        "unknown team",
        "bad answer",
        "date",
        "query string",
        "html accepted",
        "form body",
        "nan",
        "other organisation",
        "wrong kind",
    ],
)
def test_anything_else_is_answered_by_the_drf_view(
    client, world, cx_survey, survey, drf_calls, case
):
    data, extra, target = body(cx_survey, world.team), {}, cx_survey
    path = f"/api/v1/surveys/{cx_survey.pk}/responses/"
    if case == "unknown team":
        data["team"] = 999_999
    elif case == "bad answer":
        data["answers"][0]["value"] = 11
    elif case == "date":
        data["submitted_at"] = "2025-11-03"
    elif case == "query string":
        path += "?format=json"
    elif case == "html accepted":
        extra["HTTP_ACCEPT"] = "text/html"
    elif case == "other organisation":
        target = SurveyFactory(organization=OrganizationFactory())
        path = f"/api/v1/surveys/{target.pk}/responses/"
    elif case == "wrong kind":
        target = survey  # an EX survey: the CX manager does not author it
        path = f"/api/v1/surveys/{target.pk}/responses/"
    if case == "form body":
        reply = client.post(path, {"team": world.team.pk}, **extra)
    elif case == "nan":
        reply = client.post(path, b'{"team": NaN, "answers": []}', content_type="application/json")
    else:
        reply = client.post(path, data, format="json", **extra)
    assert drf_calls == [path.split("?")[0]]
    expected = {
        "unknown team": 400,
        "bad answer": 400,
        "date": 201,
        "query string": 201,
        "html accepted": 201,
        "form body": 400,
        "nan": 400,
        "other organisation": 404,
        "wrong kind": 403,
    }[case]
    assert reply.status_code == expected, reply.content
    if case != "html accepted":  # else DRF's browsable page
        assert reply["Content-Type"] == "application/json"  # DRF's, errors included
    assert Response.objects.count() == (1 if expected == 201 else 0)


def test_a_call_the_drf_view_answers_after_all_is_throttled_once(
    client, world, cx_survey, drf_calls, monkeypatch
):
    monkeypatch.setattr(ApiTokenThrottle, "rate", "2/hour", raising=False)
    bad = body(cx_survey, world.team)
    bad["answers"][0]["value"] = 11
    assert _post(client, cx_survey, bad).status_code == 400  # counted once: 1 of 2
    assert _post(client, cx_survey, body(cx_survey, world.team)).status_code == 201  # 2 of 2
    blocked = _post(client, cx_survey, body(cx_survey, world.team))
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 3600
    assert Response.objects.count() == 1
    assert len(drf_calls) == 2  # the bad body and the throttled call


def test_a_bad_token_is_answered_by_the_drf_view(world, cx_survey, drf_calls):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    reply = _post(client, cx_survey, body(cx_survey, world.team))
    assert reply.status_code == 401
    assert reply.json() == {"detail": "Invalid token."}
    assert len(drf_calls) == 1
