"""At phone width (390 x 844) no page of the demo is wider than the screen: wide tables scroll
inside their own box and long text (e-mail addresses) wraps, so the page never scrolls sideways.

The pages audited were the overview ("Teams that moved most"), people (long e-mails), the alert
rules and the delivery log (a visually-hidden header inside a scroll box widened the page)."""

from __future__ import annotations

import pytest

from surveys.demo import PASSWORD, USERS, demo_seed
from surveys.models import Role
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PAGES = {
    Role.HR_ADMIN: [
        ("overview", "/dashboards/"),
        ("ex", "/dashboards/ex/"),
        ("people", "/surveys/people/"),
        ("alert-rules", "/dashboards/alerts/rules/"),
        ("alert-deliveries", "/dashboards/alerts/deliveries/"),
    ],
    Role.CX_MANAGER: [
        ("cx", "/dashboards/cx/"),
        ("cx-alert-rules", "/dashboards/alerts/rules/"),
        ("cx-alert-deliveries", "/dashboards/alerts/deliveries/"),
    ],
}


def _widths(page) -> dict:
    return page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, screen: window.innerWidth})"
    )


# One test for both roles: seeding the demo is the slow part.
def test_no_page_is_wider_than_a_phone(browser, live_server):
    demo_seed(small=True, log=lambda line: None)
    too_wide = {}
    for role, pages in PAGES.items():
        # Not is_mobile: a mobile viewport zooms out to fit a too-wide page, and innerWidth
        # grows with it, so the comparison could never fail.
        context = browser.new_context(viewport=PHONE)
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            user = next(u for u in USERS if u.role == role)
            sign_in(page, live_server, user.email, PASSWORD)
            for name, url in pages:
                response = page.goto(f"{live_server.url}{url}")
                page.wait_for_load_state("networkidle")
                assert response.status == 200, name
                assert page.locator("table, ul.list-group").count() > 0, f"{name}: no list shown"
                widths = _widths(page)
                if widths["page"] > widths["screen"]:
                    too_wide[name] = widths
                    screenshot(page, f"phone-too-wide-{name}")
        finally:
            context.close()
    assert too_wide == {}
