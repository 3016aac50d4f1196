import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import translation
from django.views.defaults import permission_denied

pytestmark = pytest.mark.django_db


def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_healthz_is_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database(client):
    body = client.get("/readyz").json()
    assert body["database"] is True


def test_home_redirects_anonymous_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_sends_staff_to_their_surveys(world, login):
    response = login(world.staff).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/r/mine/"


def test_home_sends_team_leads_to_the_overview(world, login):
    response = login(world.team_lead).get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboards/"


def test_403_page_says_why_and_keeps_the_navigation(world, login):
    response = login(world.staff).get("/dashboards/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to this page" in html
    assert "Your role does not give access to this page." in html
    assert 'aria-label="Main"' in html and 'href="/r/mine/"' in html


def test_403_page_without_a_reason_shows_only_its_heading(rf):
    html = permission_denied(rf.get("/"), PermissionDenied()).content.decode()
    assert "You do not have access to this page" in html and "<p></p>" not in html


def test_404_page_keeps_the_navigation(world, login):
    response = login(world.staff).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "do not have access" not in html
    assert 'aria-label="Main"' in html and 'href="/r/mine/"' in html


def test_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "Something went wrong" in html and "Page not found" not in html


def test_error_pages_speak_the_respondents_language(client):
    """A French browser reads the error pages in French (a respondent's broken link has its
    own page, in the survey's languages: responses)."""
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page non trouvée" in html and "Retour à Tandem" in html
    with translation.override("fr"):
        assert "Une erreur s'est produite" in render_to_string("500.html")
        too_much = render_to_string("413.html", {"limit": "1 Mo"})
    assert "dépasse 1 Mo" in too_much and "rien n'a été enregistré" in too_much


def test_login_is_rate_limited_per_account(client, world, settings):
    settings.LOGIN_RATE_LIMIT = 3
    username = world.staff.user.username
    for _ in range(3):
        assert (
            client.post("/accounts/login/", {"username": username, "password": "x"}).status_code
            == 200
        )
    blocked = client.post(
        "/accounts/login/", {"username": username, "password": "correct-horse-battery"}
    )
    assert blocked.status_code == 429
    assert b"Too many failed sign-in attempts" in blocked.content


def test_user_can_create_and_revoke_api_token(world, login):
    client = login(world.hr_admin)
    client.post("/accounts/token/")
    from rest_framework.authtoken.models import Token

    assert Token.objects.filter(user=world.hr_admin.user).count() == 1
    client.post("/accounts/token/revoke/")
    assert not Token.objects.filter(user=world.hr_admin.user).exists()


def test_pages_send_a_csp_without_inline_script(client):
    response = client.get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_api_docs_are_served_from_our_own_static_files_under_the_csp(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert b"cdn.jsdelivr" not in page.content
    assert "script-src 'self'" in page["Content-Security-Policy"]
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
