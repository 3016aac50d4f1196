"""Bad filters in a dashboard's query string: the page (400) lists each bad parameter with why,
and links to the same page without them; the export answers 400 in plain text naming them, never
an HTML page saved as a CSV."""

from __future__ import annotations

import pytest

from tests.dashboards.dashdata import MARCH_FILTER, ex_cx

pytestmark = pytest.mark.django_db

LONG_SEARCH = "x" * 5000


@pytest.fixture
def data(world):
    return ex_cx(world)


def _errors(response) -> dict[str, str]:
    return {error["name"]: error["message"] for error in response.context["filter_errors"]}


@pytest.mark.parametrize(
    ("url", "role", "params", "name", "message"),
    [
        ("/dashboards/ex/", "hr_admin", {"page": "abc"}, "page", "Enter a whole number."),
        ("/dashboards/ex/", "hr_admin", {"q": LONG_SEARCH}, "q", "at most 100 characters"),
        ("/dashboards/cx/", "cx_manager", {"sentiment": "bogus"}, "sentiment", "bogus is not"),
        ("/dashboards/cx/", "team_lead", {"page": "0"}, "page", "greater than or equal to 1"),
        ("/dashboards/", "hr_admin", {"period": "decade"}, "period", "decade is not"),
        ("/dashboards/link/", "cx_manager", {"period": "all", "lag": "1"}, "lag", "needs periods"),
    ],
)
def test_page_lists_the_bad_parameter_and_why(data, login, url, role, params, name, message):
    response = login(getattr(data.world, role)).get(url, params)
    assert response.status_code == 400
    assert message in _errors(response)[name]
    html = response.content.decode()
    assert 'id="filter-errors"' in html
    assert f'(<span class="font-monospace">{name}</span>)' in html
    assert LONG_SEARCH not in html.split('id="filter-errors"')[1].split("</div>")[0]


def test_page_links_to_itself_without_the_bad_parameters(data, login):
    response = login(data.world.hr_admin).get(
        "/dashboards/ex/", {**MARCH_FILTER, "page": "abc", "sentiment": "bogus"}
    )
    assert set(_errors(response)) == {"page", "sentiment"}
    assert response.context["valid_query"] == "start=2026-03-01&end=2026-03-31&period=month"
    assert 'href="?start=2026-03-01&amp;end=2026-03-31&amp;period=month"' in (
        response.content.decode()
    )


def test_valid_filters_list_no_error(data, login):
    response = login(data.world.hr_admin).get("/dashboards/ex/", MARCH_FILTER)
    assert response.status_code == 200
    assert "filter_errors" not in response.context
    assert 'id="filter-errors"' not in response.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("dashboard", "role", "params", "named"),
    [
        ("ex", "hr_admin", {"page": "abc"}, "- page: Enter a whole number."),
        ("ex", "hr_admin", {"q": LONG_SEARCH}, "- q: Ensure this value has at most 100"),
        ("cx", "cx_manager", {"sentiment": "bogus"}, "- sentiment: Select a valid choice."),
        ("overview", "team_lead", {"start": "someday"}, "- start: Enter a valid date."),
    ],
)
def test_export_with_bad_filters_is_a_plain_text_400(
    data, login, fmt, dashboard, role, params, named
):
    response = login(getattr(data.world, role)).get(f"/dashboards/export/{dashboard}.{fmt}", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert not response.has_header("Content-Disposition")  # not offered as a file to save
    body = response.content.decode()
    assert body.startswith("Some filters are not valid, so nothing was exported:\n")
    assert named in body
    assert "<html" not in body and LONG_SEARCH not in body


def test_export_with_bad_filters_checks_the_role_first(data, login):
    # A colleague without access to the EX dashboard is refused whatever the filters say.
    client = login(data.world.cx_manager)
    assert client.get("/dashboards/export/ex.csv", {"page": "abc"}).status_code == 403


def test_outsider_export_with_bad_filters_names_them_too(data, login):
    response = login(data.world.outsider).get("/dashboards/export/ex.csv", {"page": "abc"})
    assert response.status_code == 400 and "- page:" in response.content.decode()


def test_export_with_bad_filters_is_read_only(data, login):
    assert login(data.world.hr_admin).post("/dashboards/export/ex.csv?page=abc").status_code == 405
