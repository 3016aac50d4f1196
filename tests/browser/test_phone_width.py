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
    for name, page, response in _visited(browser, live_server, PAGES, viewport=PHONE):
        assert response.status == 200, name
        assert page.locator("table, ul.list-group").count() > 0, f"{name}: no list shown"
        widths = _widths(page)
        if widths["page"] > widths["screen"]:
            too_wide[name] = widths
            screenshot(page, f"phone-too-wide-{name}")
    assert too_wide == {}


def _visited(browser, live_server, pages_by_role: dict, *, viewport: dict):
    """(name, page, response) of each role's pages in turn, signed in as that role, at
    `viewport`. Not is_mobile: a mobile viewport zooms out to fit a too-wide page, and
    innerWidth grows with it, so no width comparison could fail."""
    for role, pages in pages_by_role.items():
        context = browser.new_context(viewport=viewport)
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            user = next(u for u in USERS if u.role == role)
            sign_in(page, live_server, user.email, PASSWORD)
            for name, url in pages:
                response = page.goto(f"{live_server.url}{url}")
                page.wait_for_load_state("networkidle")
                yield name, page, response
        finally:
            context.close()


# The pages with tables, at 375 px: every column of every table can be reached, by scrolling
# its own box where it is wider than the screen.
TABLE_PAGES = {
    Role.HR_ADMIN: [
        ("surveys", "/surveys/"),
        ("overview", "/dashboards/"),
        ("ex", "/dashboards/ex/"),
        ("alerts", "/dashboards/alerts/"),
        ("alert-rules", "/dashboards/alerts/rules/"),
        ("alert-deliveries", "/dashboards/alerts/deliveries/"),
    ],
    Role.CX_MANAGER: [("cx", "/dashboards/cx/"), ("link", "/dashboards/link/")],
}

# For each table shown: the box that clips it (the nearest ancestor that does not let it overflow)
# and, scrolled to its end, whether the table's right edge is inside it; whether a box with more
# to show says so (faded edge, keyboard stop).
TABLES_JS = """() => [...document.querySelectorAll('table')].filter(t => t.offsetParent).map(t => {
  let clip = t.parentElement;
  while (clip && getComputedStyle(clip).overflowX === 'visible') clip = clip.parentElement;
  const scrolls = !!clip && clip.classList.contains('table-responsive');
  const wider = scrolls && clip.scrollWidth > clip.clientWidth + 1;
  const hint = wider && clip.classList.contains('scroll-more-end') && clip.tabIndex === 0;
  if (scrolls) clip.scrollLeft = clip.scrollWidth;
  const right = t.getBoundingClientRect().right;
  const edge = clip ? clip.getBoundingClientRect().right : window.innerWidth;
  const name = (t.caption ? t.caption.textContent : t.id).trim().slice(0, 40);
  return {name, scrolls, wider, hint, reached: right <= edge + 1,
          endHintGone: !scrolls || !clip.classList.contains('scroll-more-end')};
})"""


def test_every_column_of_every_table_can_be_reached_at_375_px(browser, live_server):
    demo_seed(small=True, log=lambda line: None)
    problems = []
    viewport = {"width": 375, "height": 800}
    for name, page, _ in _visited(browser, live_server, TABLE_PAGES, viewport=viewport):
        tables = page.evaluate(TABLES_JS)
        assert tables, f"{name}: no table shown"
        page.wait_for_timeout(100)  # the scroll events of TABLES_JS
        ends = page.evaluate(TABLES_JS)
        for table, after in zip(tables, ends, strict=True):
            if not table["scrolls"] or not table["reached"]:
                problems.append((name, table["name"], "cut off"))
            elif table["wider"] and not table["hint"]:
                problems.append((name, table["name"], "scrolls with no hint"))
            elif not after["endHintGone"]:
                problems.append((name, table["name"], "still hints at its end"))
        if name == "overview":
            # "Teams that moved most" fits a 375 px phone: no scrolling for it.
            movers = page.locator("section[aria-labelledby=movers-heading] table")
            box = movers.locator("xpath=..")
            assert box.evaluate("b => b.scrollWidth <= b.clientWidth")
        if name == "surveys":
            # Status shows beside the title without scrolling.
            status = page.locator("table th", has_text="Status").bounding_box()
            assert status["x"] + status["width"] <= 375
        screenshot(page, f"phone-375-{name}")
    assert problems == []
