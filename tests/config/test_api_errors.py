"""API errors are JSON: an unknown path under /api/v1/ and a body over the upload limit (audit:
both answered Django's HTML pages, the second with an ERROR and a traceback in the log)."""

from __future__ import annotations

import pytest

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


def test_other_unknown_pages_keep_the_html_404(world, login):
    response = login(world.hr_admin).get("/nonexistent/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content
