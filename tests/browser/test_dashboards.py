"""The three dashboards in a real browser on the demo data: charts drawn by static/js/charts.js
under the strict CSP (no console errors), figures tables present, axe-core clean, screenshots
(artifacts/screenshots/dashboard-*.png, linked from the README)."""

from __future__ import annotations

import pytest

from surveys.demo import PASSWORD, USERS, demo_seed
from surveys.models import Role
from tests.browser.conftest import axe_violations, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    Role.HR_ADMIN: [
        ("overview", "/dashboards/"),
        ("ex", "/dashboards/ex/"),
        ("link", "/dashboards/link/"),
    ],
    Role.CX_MANAGER: [("cx", "/dashboards/cx/")],
    # Their team beside the organisation (docs/dashboards.md, "Compared with the organisation").
    Role.TEAM_LEAD: [("team-overview", "/dashboards/"), ("team-cx", "/dashboards/cx/")],
}


def _comparisons_drawn(page) -> dict:
    """How Chart.js drew the organisation beside the team: the trend's datasets (label, dash)
    and the team breakdown's bar colours."""
    return page.evaluate(
        """() => {
          const chart = (id) => window.Chart.getChart(
            document.querySelector(`canvas[data-chart='${id}']`));
          return {
            trends: chart("chart-trends").data.datasets.map(d => [d.label, d.borderDash || null]),
            teams: chart("chart-teams").data.datasets[0].backgroundColor,
          };
        }"""
    )


def _spark_ranges(page) -> list[tuple]:
    """Each drawn sparkline's y range and its values."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('canvas.sparkline')).map(c => {
          const chart = window.Chart.getChart(c);
          return [chart.scales.y.min, chart.scales.y.max,
                  chart.data.datasets[0].data.filter(v => typeof v === 'number')];
        })"""
    )


def _charts_drawn(page) -> list[bool]:
    """For each chart canvas: did Chart.js take it (and draw something)?"""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".map(c => !!window.Chart.getChart(c) && c.width > 0)"
    )


# One test for both roles: seeding the demo is the slow part (about 10 s on a busy machine).
def test_dashboards_draw_their_charts_on_the_demo(browser, live_server):
    demo_seed(small=True, log=lambda line: None)
    errors: list[str] = []
    for role, pages in PAGES.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        try:
            page = context.new_page()
            page.on(
                "console", lambda message: message.type == "error" and errors.append(message.text)
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            user = next(u for u in USERS if u.role == role)
            sign_in(page, live_server, user.email, PASSWORD)
            for name, url in pages:
                page.goto(f"{live_server.url}{url}")
                page.wait_for_load_state("networkidle")
                drawn = _charts_drawn(page)
                assert drawn and all(drawn), f"{name}: charts not drawn {drawn}"
                assert page.locator("table caption").count() > 0
                if name == "overview":
                    # Each sparkline over its own range (not Chart.js's -100..100 for eNPS).
                    for low, high, values in _spark_ranges(page):
                        assert low <= min(values) and max(values) <= high
                        assert high - low <= max(max(values) - min(values), 10) * 1.2
                if name == "team-cx":
                    drawn = _comparisons_drawn(page)
                    dashed = [label for label, dash in drawn["trends"] if dash == [6, 4]]
                    assert dashed and all(label.endswith("(organisation)") for label in dashed)
                    assert drawn["teams"][0] == "#8c959dcc"  # the organisation's bar, grey
                    assert drawn["teams"][1] != drawn["teams"][0]
                screenshot(page, f"dashboard-{name}")
                assert axe_violations(page) == [], name
        finally:
            context.close()
    assert errors == []
