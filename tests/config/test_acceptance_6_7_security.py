"""Acceptance audit of issue 6 (security): free text escaped on the pages the first escaping test
does not reach, with the payload shown (so the check is not vacuous); formula injection in raw
exports; API tokens' whole life on the real API; every real API write endpoint audited."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core import signing
from django.urls import get_resolver, resolve, reverse
from django.utils.html import escape
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dashboards.scoring import scores_rebuild
from responses.views import THANKS_SALT
from surveys.distribution import customer_link_signed
from surveys.models import AuditLog, Invitation, SurveyKind, SurveyStatus, token_hash
from tests.config.test_security import PAYLOADS, assert_escaped
from tests.factories import (
    AlertFactory,
    AlertRuleFactory,
    CustomerLinkFactory,
    CycleFactory,
    OutboxMessageFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    UserFactory,
    WebhookEndpointFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

TOKEN = "acceptance-escape-token-0123456789abcdef"


@pytest.fixture
def evil(world, request):
    """Every free-text field of an organisation holds the payload, and enough people answered
    (threshold 3, four responses a survey) that dashboards show the team and its comments."""
    payload = request.param
    world.org.anonymity_threshold = 3
    world.org.save()
    world.team.name = f"Team {payload}"
    world.team.save()
    objects = {"payload": payload}
    for kind in (SurveyKind.EX, SurveyKind.CX):
        survey = SurveyFactory(
            organization=world.org, kind=kind, title=f"{kind} {payload}", anonymous=False
        )
        score = QuestionFactory(survey=survey, type="nps", text=f"Q {payload}", order=1)
        comment = QuestionFactory(
            survey=survey, type="text", text=f"Why {payload}", required=False, order=2
        )
        responses = [
            response_with_answers(
                survey=survey, team=world.team, answers={score: 2, comment: f"{payload} {i}"}
            )
            for i in range(4)
        ]
        scores_rebuild(survey_id=survey.pk)
        objects[kind] = survey
        objects[f"{kind}_question"] = score
        objects[f"{kind}_response"] = responses[0]
    cx = objects[SurveyKind.CX]
    staff_person = PersonFactory(
        organization=world.org, team=world.team, name=f"P {payload}", user=world.staff.user
    )
    Invitation.objects.create(
        survey=objects[SurveyKind.EX],
        person=staff_person,
        team=world.team,
        cycle=CycleFactory(survey=objects[SurveyKind.EX]),
        token_hash=token_hash(TOKEN),
    )
    objects["link"] = CustomerLinkFactory(survey=cx, team=world.team, label=f"Desk {payload}")
    rule = AlertRuleFactory(
        organization=world.org, kind=SurveyKind.CX, name=f"Rule {payload}", survey=cx
    )
    objects["rule"] = rule
    objects["alert"] = AlertFactory(
        organization=world.org,
        survey=cx,
        rule=rule,
        response=objects[f"{SurveyKind.CX}_response"],
        scope_label=f"Team {payload}",
        message=f"Negative comment: “{payload}”",
    )
    OutboxMessageFactory(
        organization=world.org,
        survey_kind=SurveyKind.CX,
        alert=objects["alert"],
        payload={"subject": f"Alert {payload}", "body": payload},
        last_error=f"Refused {payload}",
    )
    WebhookEndpointFactory(
        organization=world.org, kind=SurveyKind.CX, url=f"https://hooks.example.com/{payload}"
    )
    return objects


def _thanks(evil) -> list:
    return [signing.dumps({"s": evil[SurveyKind.CX].pk, "lang": "en"}, salt=THANKS_SALT)]


# (role, URL name, args, query, must the payload be on the page?)
PAGES = [
    ("hr_admin", "dashboards:ex", None, {}, True),
    ("cx_manager", "dashboards:cx", None, {}, True),
    ("team_lead", "dashboards:ex", None, {}, True),
    ("hr_admin", "dashboards:link", None, {}, False),
    ("hr_admin", "surveys:distribution", lambda e: [e[SurveyKind.EX].pk], {}, True),
    ("cx_manager", "surveys:distribution", lambda e: [e[SurveyKind.CX].pk], {}, True),
    (
        "hr_admin",
        "surveys:question-edit",
        lambda e: [e[SurveyKind.EX].pk, e[f"{SurveyKind.EX}_question"].pk],
        {},
        True,
    ),
    ("hr_admin", "surveys:privacy", None, {"q": "P "}, True),
    ("staff", "responses:mine", None, {}, True),
    ("cx_manager", "dashboards:alerts", None, {}, True),
    ("cx_manager", "dashboards:alert-detail", lambda e: [e["alert"].pk], {}, True),
    ("cx_manager", "dashboards:alert-rules", None, {}, True),
    ("cx_manager", "dashboards:alert-rule-edit", lambda e: [e["rule"].pk], {}, True),
    ("cx_manager", "dashboards:alert-deliveries", None, {}, True),
    ("cx_manager", "dashboards:alert-webhooks", None, {}, True),
    (None, "responses:invitation", lambda e: [TOKEN], {}, True),
    (None, "responses:link", lambda e: [customer_link_signed(e["link"])], {}, True),
    (None, "responses:thanks", _thanks, {}, True),
]


@pytest.mark.parametrize("evil", PAYLOADS, indirect=True)
@pytest.mark.parametrize(("role", "name", "args", "query", "shown"), PAGES)
def test_payloads_render_as_text_on_more_pages(world, client, evil, role, name, args, query, shown):
    if role:
        client.force_login(world.member(role).user)
    response = client.get(reverse(name, args=args(evil) if args else None), query)
    assert response.status_code == 200, (name, response.status_code)
    html = response.content.decode()
    assert_escaped(html, evil["payload"])
    if shown:
        assert escape(evil["payload"]) in html, f"{name} did not show the payload at all"


@pytest.mark.parametrize("evil", PAYLOADS, indirect=True)
def test_browsable_api_escapes_free_text(world, client, evil):
    client.force_login(world.cx_manager.user)
    html = client.get("/api/v1/surveys/", HTTP_ACCEPT="text/html").content.decode()
    assert "<html" in html.lower()
    assert_escaped(html, evil["payload"])


# --- Formula injection in the raw export -------------------------------------------------------


def _raw_rows(client, survey, fmt: str) -> list[list]:
    response = client.get(f"/dashboards/surveys/{survey.pk}/responses.{fmt}")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8").lstrip("\ufeff"))))
    return [
        list(row) for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_raw_export_neutralises_every_text_that_could_start_a_formula(world, login, fmt):
    """Question texts, the team, the respondent's name and e-mail, the agent and the comment:
    each starts with one of = + - @ and comes out as text with a leading quote."""
    team = world.team
    team.name = "@SUM(A1:A9)"
    team.save()
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    score = QuestionFactory(survey=survey, type="csat", text="=1+1", order=1)
    comment = QuestionFactory(survey=survey, type="text", text="+cmd", required=False, order=2)
    respondent = PersonFactory(
        organization=world.org, team=team, name="-2+3", email="=evil@example.com"
    )
    agent = PersonFactory(organization=world.org, team=team, name='=HYPERLINK("http://x")')
    response_with_answers(
        survey=survey,
        team=team,
        answers={score: 4, comment: '=HYPERLINK("http://evil","click")'},
        respondent=respondent,
        agent=agent,
    )
    rows = _raw_rows(login(world.cx_manager), survey, fmt)
    header, [row] = rows[1], rows[2:]
    assert header[-2:] == ["'=1+1", "'+cmd"]
    cells = dict(zip(header, row, strict=True))
    assert cells["Team"] == "'@SUM(A1:A9)"
    assert cells["Respondent"] == "'-2+3"
    assert cells["Respondent email"] == "'=evil@example.com"
    assert cells["Agent"] == '\'=HYPERLINK("http://x")'
    assert cells["'+cmd"] == '\'=HYPERLINK("http://evil","click")'
    assert str(cells["'=1+1"]) == "4"  # numbers stay numbers


# --- API tokens -------------------------------------------------------------------------------


def _api_status(key: str | None) -> int:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/surveys/").status_code


def test_token_lifecycle_on_the_real_api(world, login):
    client = login(world.cx_manager)
    other = Token.objects.create(user=world.hr_admin.user)
    assert _api_status(None) == 401

    assert client.post(reverse("token-create")).status_code == 302
    first = Token.objects.get(user=world.cx_manager.user).key
    assert _api_status(first) == 200
    assert client.get(reverse("profile")).content.decode().count(first) == 1

    client.post(reverse("token-create"))  # a new token replaces the old one
    second = Token.objects.get(user=world.cx_manager.user).key
    assert second != first and _api_status(first) == 401 and _api_status(second) == 200

    client.post(reverse("token-revoke"))
    assert _api_status(second) == 401
    assert _api_status(other.key) == 200  # only the owner's own token goes
    assert client.get(reverse("token-revoke")).status_code == 405
    assert client.get(reverse("token-create")).status_code == 405


def test_only_a_signed_in_owner_creates_or_revokes(world, client):
    Token.objects.create(user=world.hr_admin.user)
    for name in ("token-create", "token-revoke"):
        response = client.post(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Token.objects.filter(user=world.hr_admin.user).count() == 1


def test_tokens_are_long_random_and_unguessable(world):
    key = Token.objects.create(user=world.hr_admin.user).key
    assert re.fullmatch(r"[0-9a-f]{40}", key)  # 160 bits from os.urandom
    assert _api_status(key[:-1] + ("0" if key[-1] != "0" else "1")) == 401
    assert _api_status(key.upper()) == 401


# --- Every real API write is audited ------------------------------------------------------------


@pytest.fixture
def api_world(world):
    world.org.anonymity_threshold = 3
    world.org.save()
    ex = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    QuestionFactory(survey=ex, type="nps")
    PersonFactory(organization=world.org, team=world.team)
    cx = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    csat = QuestionFactory(survey=cx, type="csat")
    draft = SurveyFactory(organization=world.org, kind=SurveyKind.CX, status=SurveyStatus.DRAFT)
    QuestionFactory(survey=draft, type="csat")
    alert = AlertFactory(organization=world.org, survey=cx)
    return {"ex": ex, "cx": cx, "csat": csat, "draft": draft, "alert": alert}


def _writes(w, world) -> list[tuple[str, str, dict, str, str]]:
    """(role, path, body, audited object type, action) for every POST endpoint of API v1: the
    generic api.post, or the action the service recorded under its own name."""
    return [
        (
            "cx_manager",
            "/api/v1/surveys/",
            {"title": "T", "kind": "cx", "questions": [{"type": "csat", "text": "Q"}]},
            "surveys.survey",
            "api.post",
        ),
        (
            "cx_manager",
            f"/api/v1/surveys/{w['draft'].pk}/publish/",
            {},
            "surveys.survey",
            "survey.publish",
        ),
        ("hr_admin", "/api/v1/teams/", {"name": "Patio"}, "surveys.team", "api.post"),
        (
            "cx_manager",
            f"/api/v1/surveys/{w['cx'].pk}/responses/",
            {"team": world.team.pk, "answers": [{"question": w["csat"].pk, "value": 5}]},
            "",
            "api.post",
        ),
        (
            "hr_admin",
            f"/api/v1/surveys/{w['ex'].pk}/invitations/",
            {"teams": [world.team.pk]},
            "surveys.survey",
            "invitations.send",
        ),
        (
            "cx_manager",
            f"/api/v1/alerts/{w['alert'].pk}/resolve/",
            {"note": "done"},
            "",
            "api.post",
        ),
        (
            "cx_manager",
            f"/api/v1/surveys/{w['cx'].pk}/close/",
            {},
            "surveys.survey",
            "survey.close",
        ),
    ]


def _api_post_routes() -> set[str]:
    """Names of the API v1 routes whose view takes POST (a new one must join `_writes`)."""
    names = set()
    pending = [("", pattern) for pattern in get_resolver().url_patterns]
    while pending:
        prefix, pattern = pending.pop()
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            pending += [(route, child) for child in pattern.url_patterns]
            continue
        view = getattr(pattern.callback, "cls", None)
        if route.startswith("api/v1/") and view is not None and hasattr(view, "post"):
            names.add(pattern.name)
    return names


def test_every_api_write_endpoint_is_audited_with_who_and_when(world, api_world):
    writes = _writes(api_world, world)
    assert {resolve(path).url_name for _, path, *_ in writes} == _api_post_routes()
    for role, path, body, *_ in writes:
        client = APIClient()
        token = Token.objects.get_or_create(user=world.member(role).user)[0]
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = client.post(path, body, format="json")
        assert response.status_code in (200, 201), (path, response.status_code, response.data)
    entries = list(AuditLog.objects.order_by("id"))
    # One entry per call: the service's own, saying it came through the API, or the generic one.
    assert [e.action for e in entries] == [action for *_, action in writes]
    for entry, (role, path, _, object_type, action) in zip(entries, writes, strict=True):
        assert entry.user == world.member(role).user
        assert entry.actor == world.member(role).user.username
        assert entry.organization == world.org
        assert entry.created_at is not None
        if action == "api.post":
            assert entry.detail["path"] == path
        else:
            assert entry.detail["via"] == "api"
        if object_type:
            assert entry.object_type == object_type and entry.object_id


# --- The Content-Security-Policy covers the admin ----------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/responses/answer/",
        "/admin/surveys/survey/add/",
        "/admin/auth/user/",
        "/api/v1/docs/",
    ],
)
def test_admin_and_api_docs_pages_carry_the_strict_policy(client, path):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp


def test_only_the_celery_beat_admin_goes_without_the_policy(client):
    """Its periodic-task form runs an inline script (checked in Chromium: blocked otherwise)."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/django_celery_beat/periodictask/add/")
    assert response.status_code == 200 and "Content-Security-Policy" not in response
