"""API errors are JSON: an unknown path under /api/v1/ and a body over the upload limit (audit:
both answered Django's HTML pages, the second with an ERROR and a traceback in the log)."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from responses.models import Response
from surveys.models import Survey, SurveyKind
from tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/v1/surveys/abc/", "/api/v1/nonexistent/", "/api/v1/nonexistent", "/api/v1/"]
)
def test_unknown_api_path_is_a_json_404(world, login, settings, debug, path):
    settings.DEBUG = debug
    client = login(world.hr_admin)

    for response in (client.get(path), client.post(path, {}), client.delete(path)):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == NOT_FOUND


def test_unknown_api_path_is_json_for_a_browser_and_an_anonymous_caller(client):
    response = client.get("/api/v1/nonexistent/", HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_known_endpoint_without_its_slash_is_still_redirected(world, login):
    response = login(world.hr_admin).get("/api/v1/surveys?x=1")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/surveys/?x=1"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_an_endpoint_without_its_slash_is_a_404_naming_it(world, login, method):
    response = getattr(login(world.hr_admin), method)("/api/v1/surveys", {})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Not found. The endpoint is /api/v1/surveys/ (API paths end with a slash)."
    }


def test_other_unknown_pages_keep_the_html_404(world, login):
    response = login(world.hr_admin).get("/nonexistent/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


# --- A body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) ----------------------------------------

TOO_LARGE = {"detail": "The request body is too large (at most 2.5 MB)."}
BIG = "x" * (3 * 2**20)


def big_json() -> str:
    return json.dumps({"team": 1, "answers": [{"question": 1, "value": BIG}]})


def assert_logged_as_one_warning(caplog, path: str) -> None:
    logged = [(r.levelname, r.name, r.getMessage(), r.exc_info) for r in caplog.records]
    assert logged == [("WARNING", "django.request", f"Request Entity Too Large: {path}", None)]


@pytest.mark.parametrize(
    "path", ["/api/v1/surveys/{id}/responses/", "/api/v1/surveys/", "/api/v1/teams/"]
)
def test_a_body_over_the_limit_is_a_json_413_logged_as_a_warning(world, caplog, path):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    token = Token.objects.create(user=world.cx_manager.user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    path = path.format(id=survey.pk)

    with caplog.at_level(logging.INFO):
        response = client.post(path, big_json(), content_type="application/json")

    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert_logged_as_one_warning(caplog, path)
    assert not Response.objects.exists() and Survey.objects.count() == 1


@pytest.mark.parametrize("content_type", ["form", "multipart"])
def test_a_form_body_over_the_limit_from_a_browser_session_is_a_413(world, content_type):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.cx_manager.user)
    client.get("/accounts/profile/")  # the CSRF cookie: the CSRF check then reads the form
    path = f"/api/v1/surveys/{survey.pk}/responses/"

    if content_type == "multipart":
        response = client.post(path, {"team": 1, "note": BIG})
    else:
        response = client.post(
            path, urlencode({"team": 1, "note": BIG}), "application/x-www-form-urlencoded"
        )

    assert response.status_code == 413
    assert response.json() == TOO_LARGE


def test_the_413_names_the_configured_limit(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 2**20
    token = Token.objects.create(user=world.cx_manager.user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    body = json.dumps({"title": "x" * (11 * 2**20)})
    response = client.post("/api/v1/surveys/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large (at most 10 MB)."}


def test_a_form_of_too_many_fields_is_a_json_400_logged_as_a_warning(world, caplog, settings):
    """DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000): Django's HTML 400 and a security ERROR with its
    traceback before; the API's JSON 400 and one WARNING line now."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    token = Token.objects.create(user=world.cx_manager.user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = urlencode({f"f{n}": "1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)})
    path = f"/api/v1/surveys/{survey.pk}/responses/"

    with caplog.at_level(logging.INFO):
        response = client.post(path, body, "application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "number of GET/POST parameters exceeded" in response.json()["detail"]
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert all(r.exc_info is None for r in caplog.records)
    assert not Response.objects.exists()
