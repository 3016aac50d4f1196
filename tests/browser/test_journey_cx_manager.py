"""Journey 3: a CX manager on the demo organisation's dashboards.

The demo (seed_demo --small: fourteen teams, six months of answers) gives the EX→CX link view
enough teams to draw points. The manager adds a detractor rule on the CSAT survey; three customers
answer a team's link over HTTP; the real worker scores them and raises an alert for the
detractor; the manager sees the count go up, filters by team, opens the alert and resolves it.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from dashboards.models import Alert, AlertStatus
from responses.models import Response
from surveys.demo import PASSWORD, USERS, demo_seed
from surveys.distribution import customer_link_signed
from surveys.models import CustomerLink, Role, Survey
from tests.browser.conftest import assert_accessible, reload_until, sign_in
from tests.processes import form_post, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSAT_SURVEY = "CSAT after an interaction"
TEAM = "Seattle Front Desk"
RULE = "Front desk CSAT detractors"  # the demo has a detractor rule too: ours is told apart
CX_MANAGER = next(user.email for user in USERS if user.role == Role.CX_MANAGER)


@pytest.fixture
def demo(worker):
    demo_seed(small=True, log=lambda line: None)
    survey = Survey.objects.get(title=CSAT_SURVEY)
    link = CustomerLink.objects.filter(survey=survey, team__name=TEAM).first()
    return survey, link


def _csat_respondents(page) -> int | None:
    """The `n = …` on the overview's CSAT card (None while it shows no figure)."""
    card = page.locator("article.card-metric", has=page.locator("#card-csat"))
    found = re.search(r"n = ([\d,]+)", card.inner_text())
    return int(found.group(1).replace(",", "")) if found else None


def _answer(url: str, survey: Survey, *, csat: int, comment: str = "") -> None:
    questions = {q.order: f"question_{q.pk}" for q in survey.questions.all()}
    fields = {questions[1]: str(csat), questions[3]: comment}
    response = form_post(url, fields)
    assert response.status == 302 and "/r/thanks/" in response.location, response.body[:500]


def _table_rows(page, table_id: str) -> list[list[str]]:
    """The cells of a figures table (it may sit in a closed <details>, so read the DOM)."""
    return page.evaluate(
        """id => Array.from(document.querySelectorAll(`#${id} tbody tr`)).map(
            row => Array.from(row.cells).map(cell => cell.textContent.trim()))""",
        table_id,
    )


def test_cx_manager_sees_new_responses_filters_and_resolves_an_alert(
    page, live_server, demo, worker
):
    survey, link = demo
    sign_in(page, live_server, CX_MANAGER, PASSWORD)

    # A rule: every detractor answer on the CSAT survey raises an alert for the manager.
    page.goto(f"{live_server.url}{reverse('dashboards:alert-rules')}")
    assert_accessible(page, "journey3-01-alert-rules")
    page.get_by_role("link", name="New rule").first.click()
    page.get_by_label("Name").fill(RULE)
    page.get_by_label("Survey").select_option(label=CSAT_SURVEY)
    page.get_by_label("Metric").select_option("detractor")
    page.get_by_label("Scope").select_option("team")
    page.get_by_label("Team", exact=True).select_option(label=TEAM)
    assert_accessible(page, "journey3-02-rule-form")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("status")).to_contain_text(f"Rule “{RULE}” saved.")

    # Whole range, not this month: on the 1st of a month the month alone may be too small to show.
    page.goto(f"{live_server.url}{reverse('dashboards:overview')}?period=all")
    before = _csat_respondents(page)
    assert before and before > 5
    assert_accessible(page, "journey3-03-overview-before")

    # Three customers of the front desk answer over HTTP, one of them a detractor.
    url = live_server.url + reverse("responses:link", args=[customer_link_signed(link)])
    _answer(url, survey, csat=5)
    _answer(url, survey, csat=4)
    _answer(url, survey, csat=1, comment="Nobody called me back about the broken heating.")
    assert Response.objects.filter(survey=survey, team=link.team).count() >= 3

    # The counts come from rollups the worker updates: reload until they include the three.
    reload_until(
        page,
        lambda p: _csat_respondents(p) == before + 3,
        what=f"the CSAT card to count {before + 3} respondents",
    )
    assert_accessible(page, "journey3-04-overview-after")

    page.get_by_role("link", name="Customer", exact=True).click()
    page.get_by_label("Survey").select_option(label=CSAT_SURVEY)
    page.locator("select[name=team]").select_option(label=TEAM)
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]team=\d+"))
    # The team, beside the organisation's row (docs/dashboards.md, "Compared with the
    # organisation").
    assert {row[0] for row in _table_rows(page, "table-teams")} == {"Organisation", TEAM}
    follow_ups = page.locator("#table-follow-ups")
    expect(follow_ups.get_by_role("row").nth(1)).to_contain_text(TEAM)
    assert_accessible(page, "journey3-05-cx-by-team")

    # The worker raised the alert: the inbox lists it; the manager opens and resolves it.
    alert = wait_for(
        lambda: Alert.objects.filter(rule__name=RULE, survey=survey).first(),
        what="the detractor alert",
        log=worker.log,
    )
    page.get_by_role("link", name="Alerts", exact=True).click()
    assert_accessible(page, "journey3-06-alert-inbox")
    page.locator(f"a[href$='/alerts/{alert.pk}/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(RULE)
    expect(page.get_by_text("Nobody called me back about the broken heating.")).to_be_visible()
    assert_accessible(page, "journey3-07-alert")
    page.get_by_label("Closing note (optional)").fill("Called the guest; engineer sent.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("status")).to_contain_text("Alert resolved.")
    assert_accessible(page, "journey3-08-alert-resolved")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None
    # The rule's owner was emailed about the alert, by the worker.
    owner = get_user_model().objects.get(username=CX_MANAGER)
    wait_for(
        lambda: any(owner.email in m["To"] and RULE in m["Subject"] for m in worker.emails()),
        what="the alert email",
        log=worker.log,
    )

    # The EX→CX link: a drawn scatter chart and the table of points behind it.
    page.get_by_role("link", name="EX→CX link").click()
    canvas = page.locator("canvas[data-chart=chart-points]")
    expect(canvas).to_be_visible()
    drawn = canvas.evaluate(
        """c => { const chart = Chart.getChart(c);
                  return chart && [c.width, c.height, chart.data.datasets[0].data.length]; }"""
    )
    assert drawn and drawn[0] > 0 and drawn[1] > 0 and drawn[2] >= 4, drawn
    points = _table_rows(page, "table-points")
    assert len(points) == drawn[2] and int(page.locator("#link-n").inner_text()) == len(points)
    assert_accessible(page, "journey3-09-link")
