from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from responses.api import ApiTokenThrottle
from responses.models import Channel, Response
from surveys.models import Invitation, SurveyStatus
from tests.factories import CycleFactory, InvitationFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    """api(membership) -> an APIClient authenticated with that user's token."""

    def _api(membership):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=membership.user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _api


def body(survey, team, **extra):
    return {
        "team": team.pk,
        "answers": [
            {"question": survey.q["nps"].id, "value": 10},
            {"question": survey.q["multi"].id, "value": ["Speed"]},
            {"question": survey.q["text"].id, "value": "Quick and kind"},
        ],
        **extra,
    }


# --- POST responses ---------------------------------------------------------------------------------


def test_integration_posts_a_response(api, world, cx_survey):
    reply = api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/", body(cx_survey, world.team), format="json"
    )
    assert reply.status_code == 201
    stored = Response.objects.get(pk=reply.json()["id"])
    assert (stored.team, stored.location, stored.channel) == (
        world.team,
        world.team.location,
        Channel.API,
    )
    assert sorted(a.display_value for a in stored.answers.all()) == [
        "10",
        "Quick and kind",
        "Speed",
    ]


def test_import_with_a_date_keeps_it(api, world, cx_survey):
    reply = api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/",
        body(cx_survey, world.team, submitted_at="2025-11-03"),
        format="json",
    )
    assert reply.status_code == 201
    stored = Response.objects.get()
    assert stored.submitted_at == dt.datetime(2025, 11, 3, tzinfo=dt.UTC)
    assert stored.channel == Channel.IMPORT


def test_retry_with_the_same_submission_key_stores_one_response(api, world, cx_survey):
    client = api(world.cx_manager)
    path = f"/api/v1/surveys/{cx_survey.pk}/responses/"
    first = client.post(path, body(cx_survey, world.team, submission_key="pos-1234"), format="json")
    again = client.post(path, body(cx_survey, world.team, submission_key="pos-1234"), format="json")
    assert first.json() == again.json()
    assert Response.objects.count() == 1


def test_each_post_has_one_audit_entry_stored_with_the_response(api, world, cx_survey):
    """The entry the middleware writes for every API write, here written in the response's own
    insert; a replayed submission key stores no response, and the middleware logs that call."""
    from surveys.models import AuditLog

    client = api(world.cx_manager)
    path = f"/api/v1/surveys/{cx_survey.pk}/responses/"
    for _ in range(2):
        reply = client.post(path, body(cx_survey, world.team, submission_key="k-1"), format="json")
        assert reply.status_code == 201
    failed = client.post(path, {**body(cx_survey, world.team), "team": 999_999}, format="json")
    assert failed.status_code == 400
    entries = list(AuditLog.objects.order_by("id"))
    assert len(entries) == 2  # the failed call is not a write
    for entry in entries:
        assert (entry.user, entry.actor, entry.organization) == (
            world.cx_manager.user,
            world.cx_manager.user.username,
            world.org,
        )
        assert (entry.action, entry.object_type, entry.object_id) == (
            "api.post",
            "",
            str(cx_survey.pk),
        )
        assert entry.detail == {"path": path, "view": "api-survey-responses", "status": 201}
        assert entry.ip == "127.0.0.1"
        assert entry.created_at is not None


def test_bad_answers_get_field_level_400(api, world, cx_survey):
    nps, single = cx_survey.q["nps"].id, cx_survey.q["single"].id
    reply = api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/",
        {
            "team": world.team.pk,
            "answers": [{"question": nps, "value": 11}, {"question": single, "value": "Maybe"}],
        },
        format="json",
    )
    assert reply.status_code == 400
    assert reply.json() == {
        f"question_{nps}": ["Choose a whole number from 0 to 10."],
        f"question_{single}": ["Choose from: Yes, No."],
    }
    assert Response.objects.count() == 0


def test_a_question_answered_twice_is_refused_as_the_answer_form_refuses_it(api, world, cx_survey):
    nps = cx_survey.q["nps"].id
    reply = api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/",
        {
            "team": world.team.pk,
            "answers": [{"question": nps, "value": 3}, {"question": nps, "value": 10}],
        },
        format="json",
    )
    assert reply.status_code == 400
    assert reply.json() == {"answers": [f"Question {nps} is answered more than once."]}
    assert Response.objects.count() == 0


def test_a_too_long_answer_is_refused_in_english_whatever_the_callers_language(
    api, world, cx_survey
):
    nps, text = cx_survey.q["nps"].id, cx_survey.q["text"].id
    reply = api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/",
        {
            "team": world.team.pk,
            "answers": [{"question": nps, "value": 9}, {"question": text, "value": "x" * 5001}],
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert reply.status_code == 400
    assert reply.json() == {f"question_{text}": ["Keep the answer to 5,000 characters or fewer."]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b, w: b.pop("answers"), "answers"),
        (lambda b, w: b.pop("team"), "team"),
        (lambda b, w: b.update(team=TeamFactory().pk), "team"),
        (lambda b, w: b.update(location=999999), "location"),
        (lambda b, w: b.update(submitted_at="last tuesday"), "submitted_at"),
        (lambda b, w: b.update(submitted_at="2999-01-01"), "submitted_at"),
        (lambda b, w: b.update(answers=[{"value": 3}]), "answers"),
    ],
)
def test_bad_bodies_get_400_on_the_field(api, world, cx_survey, change, field):
    payload = body(cx_survey, world.team)
    change(payload, world)
    reply = api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/", payload, format="json"
    )
    assert reply.status_code == 400
    assert field in reply.json()
    assert Response.objects.count() == 0


def test_a_location_other_than_the_teams_is_refused(api, world, cx_survey):
    """A team is at one location: another would count its feedback for a site it does not
    serve (as customer links refuse it). The team's own, or a team without one, is fine."""
    from tests.factories import LocationFactory

    elsewhere = LocationFactory(organization=world.org)
    url = f"/api/v1/surveys/{cx_survey.pk}/responses/"
    client = api(world.cx_manager)
    assert world.team.location_id is not None
    reply = client.post(url, body(cx_survey, world.team, location=elsewhere.pk), format="json")
    assert reply.status_code == 400
    assert reply.json() == {
        "location": [
            f"Team {world.team.pk} is at location {world.team.location_id}, not {elsewhere.pk}: "
            "leave the location out to use the team's."
        ]
    }
    assert Response.objects.count() == 0
    own = world.team.location_id
    assert (
        client.post(url, body(cx_survey, world.team, location=own), format="json").status_code
        == 201
    )
    roaming = TeamFactory(organization=world.org, location=None)
    reply = client.post(url, body(cx_survey, roaming, location=elsewhere.pk), format="json")
    assert reply.status_code == 201
    assert Response.objects.get(pk=reply.json()["id"]).location == elsewhere


def test_an_integration_names_the_agent_who_served(api, world, cx_survey, survey):
    """A helpdesk or a post-call IVR knows who served: `agent` (optional) counts the response
    for them, as a customer link made for an agent does. An unknown person, one of another
    organisation, or an agent on an employee survey is a 400 on the field; nothing is stored."""
    from tests.factories import OrganizationFactory

    agent = PersonFactory(organization=world.org, team=world.team)
    url = f"/api/v1/surveys/{cx_survey.pk}/responses/"
    client = api(world.cx_manager)
    reply = client.post(url, body(cx_survey, world.team, agent=agent.pk), format="json")
    assert reply.status_code == 201
    assert Response.objects.get(pk=reply.json()["id"]).agent == agent
    reply = client.post(url, body(cx_survey, world.team, agent=None), format="json")
    assert reply.status_code == 201 and Response.objects.get(pk=reply.json()["id"]).agent is None
    stranger = PersonFactory(organization=OrganizationFactory())
    for pk in (stranger.pk, 10**9):
        reply = client.post(url, body(cx_survey, world.team, agent=pk), format="json")
        assert (reply.status_code, reply.json()) == (400, {"agent": [f"Unknown agent: {pk}."]})
    reply = client.post(url, body(cx_survey, world.team, agent="x"), format="json")
    assert reply.status_code == 400 and list(reply.json()) == ["agent"]
    employee = api(world.hr_admin).post(
        f"/api/v1/surveys/{survey.pk}/responses/",
        {"team": world.team.pk, "agent": agent.pk, "answers": []},
        format="json",
    )
    assert employee.status_code == 400
    assert employee.json() == {"agent": ["An agent is named on customer surveys only."]}
    assert Response.objects.count() == 2


def test_closed_survey_refuses_responses(api, world, cx_survey):
    cx_survey.status = SurveyStatus.CLOSED
    cx_survey.save()
    reply = api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/", body(cx_survey, world.team), format="json"
    )
    assert reply.status_code == 400
    assert reply.json() == {"survey": ["This survey is closed."]}


def test_only_the_surveys_author_role_may_post(api, world, survey, cx_survey):
    path = "/api/v1/surveys/{}/responses/"
    assert (
        api(world.hr_admin)
        .post(path.format(cx_survey.pk), body(cx_survey, world.team), format="json")
        .status_code
        == 403
    )
    assert (
        api(world.cx_manager)
        .post(path.format(survey.pk), body(survey, world.team), format="json")
        .status_code
        == 403
    )
    assert (
        api(world.hr_admin)
        .post(path.format(survey.pk), body(survey, world.team), format="json")
        .status_code
        == 201
    )
    for role in ("staff", "team_lead"):
        reply = api(world.member(role)).post(
            path.format(cx_survey.pk), body(cx_survey, world.team), format="json"
        )
        assert reply.status_code == 403


def test_another_organisations_survey_is_404(api, world, cx_survey):
    reply = api(world.outsider).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/", body(cx_survey, world.team), format="json"
    )
    assert reply.status_code == 404


def test_a_survey_is_404_or_403_before_any_complaint_about_the_body(api, world, survey, cx_survey):
    """Bad JSON, a bad body or an unknown team: another organisation's survey is still a 404 and
    a survey of a kind the caller does not author a 403; their own survey answers 400."""
    for bad in ("{not json", '{"team": "x", "answers": 3}', '{"team": 999999, "answers": []}'):
        for caller, target, expected in (
            (world.outsider, cx_survey, 404),
            (world.cx_manager, survey, 403),  # an EX survey
            (world.cx_manager, cx_survey, 400),
        ):
            reply = api(caller).post(
                f"/api/v1/surveys/{target.pk}/responses/", bad, content_type="application/json"
            )
            assert reply.status_code == expected, (bad, caller, reply.content)
    assert Response.objects.count() == 0


def test_unauthenticated_and_wrong_method(world, api, cx_survey):
    path = f"/api/v1/surveys/{cx_survey.pk}/responses/"
    anonymous = APIClient().post(path, body(cx_survey, world.team), format="json")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert api(world.cx_manager).get(path).status_code == 405


def test_throttle_is_generous_by_default():
    count, _, period = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_token"].partition("/")
    assert period.startswith("min") and int(count) >= 1000


def test_past_the_throttle_the_api_answers_429_with_retry_after(api, world, cx_survey, monkeypatch):
    # Per hour: a fixed window, and the test must not straddle its end (a minute's would, now and
    # then).
    monkeypatch.setattr(ApiTokenThrottle, "rate", "2/hour", raising=False)
    client = api(world.cx_manager)
    path = f"/api/v1/surveys/{cx_survey.pk}/responses/"
    for _ in range(2):
        assert client.post(path, body(cx_survey, world.team), format="json").status_code == 201
    blocked = client.post(path, body(cx_survey, world.team), format="json")
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 3600
    assert Response.objects.count() == 2
    # The limit is per caller: another token is unaffected.
    other = api(world.hr_admin)
    assert other.get(f"/api/v1/surveys/{cx_survey.pk}/participation/").status_code == 403


# --- Invitations and participation ------------------------------------------------------------------


def test_posting_invitations_to_teams(api, world, survey, django_capture_on_commit_callbacks):
    for team in (world.team, world.team, world.other_team):
        PersonFactory(organization=world.org, team=team)
    client = api(world.hr_admin)
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(
            f"/api/v1/surveys/{survey.pk}/invitations/", {"teams": [world.team.pk]}, format="json"
        )
    assert reply.status_code == 200
    assert reply.json() == {"sent": 2}
    assert len(mail.outbox) == 2
    # An empty list means the whole organisation: only Night shift is left to invite.
    reply = client.post(f"/api/v1/surveys/{survey.pk}/invitations/", {"teams": []}, format="json")
    assert reply.json() == {"sent": 1}


def test_invitations_to_unknown_teams_or_cx_surveys_are_400(api, world, survey, cx_survey):
    reply = api(world.hr_admin).post(
        f"/api/v1/surveys/{survey.pk}/invitations/", {"teams": [999999]}, format="json"
    )
    assert reply.status_code == 400
    assert reply.json() == {"teams": ["Unknown team: 999999."]}
    reply = api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/invitations/", {"teams": []}, format="json"
    )
    assert reply.status_code == 400
    assert "survey" in reply.json()
    assert Invitation.objects.count() == 0


def test_participation_per_team_with_the_threshold(api, world, survey):
    cycle = CycleFactory(survey=survey, number=1)
    for n in range(6):
        InvitationFactory(
            survey=survey,
            cycle=cycle,
            person=PersonFactory(organization=world.org, team=world.team),
            team=world.team,
            used_at=timezone.now() if n < 5 else None,
        )
    reply = api(world.hr_admin).get(f"/api/v1/surveys/{survey.pk}/participation/")
    assert reply.status_code == 200
    assert reply.json() == {
        "survey": survey.pk,
        "cycle": 1,
        "threshold": 5,
        "teams": [
            {
                "team": {"id": world.team.pk, "name": "Front desk"},
                "invited": 6,
                "answered": 5,
                "rate": 83.3,
                "suppressed": False,
            }
        ],
        "total": {"invited": 6, "answered": 5, "rate": 83.3, "suppressed": False},
    }
    assert api(world.outsider).get(f"/api/v1/surveys/{survey.pk}/participation/").status_code == 404
    missing = api(world.hr_admin).get(f"/api/v1/surveys/{survey.pk}/participation/?cycle=x")
    assert missing.status_code == 400


def test_the_throttle_counts_in_redis_per_caller_and_window(
    api, world, cx_survey, monkeypatch, settings
):
    """The same limit with the production cache: a fixed-window counter in Redis."""
    from tests.processes import redis_server, require_binary

    require_binary("redis-server")
    monkeypatch.setattr(ApiTokenThrottle, "rate", "3/hour", raising=False)
    with redis_server() as server:
        settings.CACHES = {
            "default": {
                "BACKEND": "config.cache.RedisCache",
                "LOCATION": server.url(1),
            }
        }
        client = api(world.cx_manager)
        path = f"/api/v1/surveys/{cx_survey.pk}/responses/"
        codes = [
            client.post(path, body(cx_survey, world.team), format="json").status_code
            for _ in range(4)
        ]
        assert codes == [201, 201, 201, 429]
        assert Response.objects.count() == 3
