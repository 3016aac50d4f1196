"""The navigation carries the shared filters (dates, period, team, department, location) from
one dashboard page to the others; survey ids stay behind. It is drawn for each request, outside
the kept content."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict

from dashboards.views import nav_queries
from surveys.models import Role
from tests.dashboards.dashdata import ex_cx, main_of, signed_in
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

LABELS = {"overview": "Overview", "ex": "Employee", "cx": "Customer", "link": "EX→CX link"}


def _nav(response) -> dict[str, str]:
    """{page: href} of the dashboard links in the main navigation."""
    html = response.content.decode()
    nav = html[html.index('aria-label="Main"') : html.index("</nav>")]
    found = {}
    for page, label in LABELS.items():
        match = re.search(rf'href="([^"]*)">{label}</a>', nav)
        if match:
            found[page] = match.group(1).replace("&amp;", "&")
    return found


@pytest.fixture
def data(world):
    return ex_cx(world)


def test_cx_manager_switching_pages_keeps_location_and_dates(data, login):
    location = data.world.team.location
    query = (
        f"survey={data.cx.id}&start=2026-09-01&end=2026-10-31&period=month&location={location.id}"
    )
    response = login(data.world.cx_manager).get(f"/dashboards/cx/?{query}")
    assert response.status_code == 200
    shared = f"start=2026-09-01&end=2026-10-31&period=month&location={location.id}"
    assert _nav(response) == {
        "overview": f"/dashboards/?{shared}",
        "cx": f"/dashboards/cx/?{query}",  # the page itself: its whole query, survey included
        "link": "/dashboards/link/?start=2026-09-01&end=2026-10-31&period=month",
    }


def test_hr_admin_team_and_department_go_to_the_overview_not_the_survey(data, login):
    team = data.world.team
    params = {"survey": data.ex.id, "department": team.department_id, "team": team.id}
    response = login(data.world.hr_admin).get("/dashboards/ex/", params)
    assert response.status_code == 200
    nav = _nav(response)
    assert nav["overview"] == f"/dashboards/?department={team.department_id}&team={team.id}"
    assert nav["link"] == "/dashboards/link/"  # the link page takes no team or department
    assert "cx" not in nav


def test_team_lead_team_carries_to_employee_and_customer(data, login):
    team = data.world.team
    response = login(data.world.team_lead).get("/dashboards/", {"team": team.id, "period": "all"})
    assert response.status_code == 200
    carried = f"period=all&team={team.id}"
    assert _nav(response) == {
        "overview": f"/dashboards/?team={team.id}&period=all",
        "ex": f"/dashboards/ex/?{carried}",
        "cx": f"/dashboards/cx/?{carried}",
    }


def test_link_page_gives_its_dates_and_period_to_the_other_pages(data, login):
    params = {
        "ex_survey": data.ex.id,
        "cx_survey": data.cx.id,
        "period": "quarter",
        "start": "2026-01-01",
    }
    response = login(data.world.hr_admin).get("/dashboards/link/", params)
    assert response.status_code == 200
    nav = _nav(response)
    assert nav["overview"] == "/dashboards/?start=2026-01-01&period=quarter"
    assert nav["ex"] == "/dashboards/ex/?start=2026-01-01&period=quarter"


def test_bare_page_has_bare_links(data, login):
    response = login(data.world.hr_admin).get("/dashboards/ex/")
    assert _nav(response) == {
        "overview": "/dashboards/",
        "ex": "/dashboards/ex/",
        "link": "/dashboards/link/",
    }


def test_kept_page_gets_each_requests_navigation_and_holds_none(
    data, django_assert_max_num_queries
):
    """A second CX manager asks for the same view: the kept content is served (in a few
    queries), and the navigation, drawn for the request, still carries the filters."""
    query = {"start": "2026-03-01", "end": "2026-03-31", "team": data.world.team.id}
    first = signed_in(data.world.cx_manager).get("/dashboards/cx/", query)
    colleague = signed_in(MembershipFactory(organization=data.world.org, role=Role.CX_MANAGER))
    # session, user, membership, the detractor form's CSRF; no figure is computed again
    with django_assert_max_num_queries(6):
        second = colleague.get("/dashboards/cx/", query)
    assert main_of(second) == main_of(first)
    assert 'aria-label="Main"' not in main_of(second)
    expected = f"/dashboards/?start=2026-03-01&end=2026-03-31&team={data.world.team.id}"
    assert _nav(first)["overview"] == _nav(second)["overview"] == expected


@pytest.mark.parametrize(
    ("query", "current", "expected"),
    [
        # a weekly period stays behind: the link page has no weeks, and the overview and an
        # anonymous survey's page refuse them
        (
            "period=week&start=2026-03-02",
            "cx",
            {
                "link": "?start=2026-03-02",
                "overview": "?start=2026-03-02",
                "ex": "?start=2026-03-02",
            },
        ),
        # blank values are not carried; the last of a repeated one is, as the forms read it
        ("team=&team=7&location=", "overview", {"cx": "?team=7", "link": ""}),
        # the link page's own fields stay behind
        ("ex_survey=1&lag=1&period=month", "link", {"ex": "?period=month"}),
    ],
)
def test_nav_queries(query, current, expected):
    found = nav_queries(QueryDict(query), current=current)
    assert found[current] == f"?{query}"
    assert {page: found[page] for page in expected} == expected
