"""Security promises: deploy checks, secrets, sessions, passwords, sign-in limits, escaping,
hashed invitation tokens."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from config.audit import audit_record
from surveys.models import Invitation, SurveyKind, token_hash
from tests.factories import (
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    UserFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

ROOT = settings.BASE_DIR
# What tests/settings.py sets for the suite; a "production" subprocess must not inherit it.
TEST_ONLY_ENV = {
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "CELERY_TASK_ALWAYS_EAGER",
    "SECURE_SSL_REDIRECT",
    "TANDEM_PLAIN_STATIC",
    "CACHE_URL",
    "EMAIL_BACKEND",
    "TANDEM_ALLOW_INSECURE_KEY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests' live server
}
PRODUCTION_KEY = "q8Zr2vK7wPm4Xt9LcB1nHs6Yd3Fg0JeUa5RiTo8VkWl2QxNb7MzCp4"


def run_production(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Deployment settings --------------------------------------------------------------------


def check_deploy() -> tuple[subprocess.CompletedProcess, list[str]]:
    result = run_production(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="example.com",
    )
    issues = re.findall(r"^\S*: \(([\w.]+)\) ", result.stdout + result.stderr, re.M)
    return result, issues


def test_check_deploy_is_clean_with_production_settings():
    result, issues = check_deploy()
    # Schema warnings are checked on their own below; everything else must be clean.
    assert [i for i in issues if not i.startswith("drf_spectacular.")] == [], result.stderr
    if not issues:
        assert result.returncode == 0 and "no issues" in result.stdout, result.stderr


def test_check_deploy_has_no_api_schema_warnings():
    result, issues = check_deploy()
    assert issues == [] and result.returncode == 0, result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_production("manage.py", "check", ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_defaults_are_the_secure_ones():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_PROXY_SSL_HEADER, s.X_FRAME_OPTIONS, "
        "s.SESSION_COOKIE_HTTPONLY, s.DEBUG)"
    )
    result = run_production("-c", code, SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="example.com")
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "DENY",
        "True",
        "False",
    ], result.stderr


def test_pages_carry_a_strict_csp_and_frame_denial(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script_or_style_attributes():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=\"", text):
            offenders.append(str(path.relative_to(ROOT)))
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{path.relative_to(ROOT)} (event handler attribute)")
    assert offenders == []


# --- Sessions and passwords -----------------------------------------------------------------


def test_sessions_expire_after_the_configured_age(world, client, password):
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        assert (
            client.post(
                "/accounts/login/", {"username": world.staff.user.username, "password": password}
            ).status_code
            == 302
        )
        assert client.get("/accounts/profile/").status_code == 200
    later = start + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    with time_machine.travel(later, tick=False):
        response = client.get("/accounts/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("weak", ["12345678", "password", "short1", "analima1990", "qwertyuiop"])
def test_password_validators_reject_weak_passwords(weak):
    user = UserFactory.build(username="analima1990@example.com", email="analima1990@example.com")
    with pytest.raises(ValidationError):
        validate_password(weak, user=user)


def test_password_validators_accept_a_strong_password():
    validate_password("correct-horse-battery-staple-42")


# --- Sign-in rate limit ---------------------------------------------------------------------


def sign_in(client, username: str, password: str, ip: str):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_sign_in_is_limited_per_account_across_addresses(world, client, settings, password):
    settings.LOGIN_RATE_LIMIT = 3
    username = world.staff.user.username
    for i in range(3):
        assert sign_in(client, username, "wrong", f"198.51.100.{i}").status_code == 200
    blocked = sign_in(client, username, password, "198.51.100.99")
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from a fresh address is unaffected.
    assert sign_in(client, world.hr_admin.user.username, password, "203.0.113.5").status_code == 302


def test_sign_in_is_limited_per_address_across_accounts(world, client, settings, password):
    settings.LOGIN_RATE_LIMIT = 3
    for i in range(3):
        assert sign_in(client, f"nobody{i}@example.com", "wrong", "192.0.2.7").status_code == 200
    blocked = sign_in(client, world.cx_manager.user.username, password, "192.0.2.7")
    assert blocked.status_code == 429
    assert b"Too many failed sign-in attempts" in blocked.content
    assert sign_in(client, world.cx_manager.user.username, password, "192.0.2.8").status_code == 302


def test_sign_in_limit_ignores_username_case(world, client, settings):
    settings.LOGIN_RATE_LIMIT = 2
    username = world.staff.user.username
    sign_in(client, username.upper(), "wrong", "192.0.2.1")
    sign_in(client, username, "wrong", "192.0.2.2")
    assert sign_in(client, username.title(), "wrong", "192.0.2.3").status_code == 429


# --- Free text is escaped -------------------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", '" onmouseover="x', "javascript:alert(1)"]
TOKEN = "escaping-test-token-0123456789abcdef"


@pytest.fixture
def hostile(world, request):
    """An organisation whose every free-text field holds the payload."""
    payload = request.param
    world.org.name = f"Org {payload}"
    world.org.save()
    world.team.name = f"Team {payload}"
    world.team.save()
    surveys = {}
    for kind in (SurveyKind.EX, SurveyKind.CX):
        survey = SurveyFactory(
            organization=world.org, kind=kind, title=f"{kind} {payload}", intro=payload
        )
        QuestionFactory(survey=survey, type="nps", text=f"Q {payload}", help_text=payload)
        comment = QuestionFactory(survey=survey, type="text", text=f"Why {payload}", required=False)
        response_with_answers(survey=survey, team=world.team, answers={comment: payload})
        surveys[kind] = survey
    person = PersonFactory(organization=world.org, team=world.team, name=f"P {payload}")
    Invitation.objects.create(
        survey=surveys[SurveyKind.EX], person=person, team=world.team, token_hash=token_hash(TOKEN)
    )
    audit_record(
        organization=world.org, user=world.hr_admin.user, action="x.y", detail={"p": payload}
    )
    return {
        "payload": payload,
        "ex": surveys[SurveyKind.EX],
        "cx": surveys[SurveyKind.CX],
        "person": person,
    }


# (role, URL name, args from the hostile fixture). Pages added later are covered by the
# URL-walking test; names missing from this checkout are skipped.
PAGES = [
    ("staff", "profile", None),
    ("team_lead", "profile", None),
    ("staff", "responses:mine", None),
    (None, "responses:invitation", lambda h: [TOKEN]),
    ("hr_admin", "surveys:list", None),
    ("hr_admin", "surveys:people", None),
    ("hr_admin", "surveys:detail", lambda h: [h["ex"].pk]),
    ("hr_admin", "surveys:edit", lambda h: [h["ex"].pk]),
    ("hr_admin", "surveys:preview", lambda h: [h["ex"].pk]),
    ("cx_manager", "surveys:detail", lambda h: [h["cx"].pk]),
    ("hr_admin", "surveys:audit", None),
    ("hr_admin", "surveys:person-erase", lambda h: [h["person"].pk]),
    ("hr_admin", "dashboards:overview", None),
    ("hr_admin", "dashboards:ex", None),
    ("cx_manager", "dashboards:cx", None),
    ("team_lead", "dashboards:overview", None),
    ("superuser", "admin:surveys_survey_changelist", None),
    ("superuser", "admin:surveys_team_changelist", None),
    ("superuser", "admin:surveys_question_changelist", None),
    ("superuser", "admin:surveys_person_changelist", None),
    ("superuser", "admin:responses_answer_changelist", None),
]


def assert_escaped(html: str, payload: str) -> None:
    assert "<script>alert(1)</script>" not in html
    assert '" onmouseover="x' not in html
    assert not re.search(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", html, re.I)


@pytest.mark.parametrize("hostile", PAYLOADS, indirect=True)
@pytest.mark.parametrize(("role", "name", "args"), PAGES)
def test_free_text_is_escaped_on_every_page(world, client, hostile, role, name, args):
    try:
        url = reverse(name, args=args(hostile) if args else None)
    except NoReverseMatch:
        pytest.skip(f"{name} does not exist in this checkout")
    if role == "superuser":
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    elif role:
        client.force_login(world.member(role).user)
    response = client.get(url)
    assert response.status_code == 200, (name, response.status_code)
    assert_escaped(response.content.decode(), hostile["payload"])


@pytest.mark.parametrize("hostile", [PAYLOADS[0]], indirect=True)
def test_escaped_payload_is_still_shown_as_text(world, client, hostile):
    client.force_login(world.team_lead.user)
    html = client.get(reverse("profile")).content.decode()
    assert "Team &lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Invitation tokens ----------------------------------------------------------------------


def test_invitation_tokens_are_stored_only_as_hashes(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    from surveys.distribution import invitations_send

    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    QuestionFactory(survey=survey)
    people = [PersonFactory(organization=world.org, team=world.team) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations_send(survey=survey, teams=[world.team]) == 3
    assert len(mailoutbox) == 3
    tokens = [re.search(r"/r/i/([A-Za-z0-9_-]+)/", m.body).group(1) for m in mailoutbox]
    assert all(len(token) >= 22 for token in tokens)  # >= 128 bits of token_urlsafe
    stored = list(Invitation.objects.filter(person__in=people).values())
    dump = repr(stored)
    for token in tokens:
        assert token not in dump
    assert {row["token_hash"] for row in stored} == {token_hash(token) for token in tokens}


def test_a_guessed_or_altered_token_opens_nothing(world, client):
    survey = SurveyFactory(organization=world.org)
    QuestionFactory(survey=survey)
    person = PersonFactory(organization=world.org, team=world.team)
    Invitation.objects.create(
        survey=survey, person=person, team=world.team, token_hash=token_hash(TOKEN)
    )
    assert client.get(reverse("responses:invitation", args=[TOKEN])).status_code == 200
    for guess in (TOKEN[:-1] + "x", TOKEN.upper(), token_hash(TOKEN)):
        assert client.get(reverse("responses:invitation", args=[guess])).status_code == 404


def test_the_migrations_leave_no_model_change_behind():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
