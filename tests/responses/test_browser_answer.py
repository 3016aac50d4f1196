"""The answer page in a real Chromium on a 360 px wide phone: layout, display logic, axe."""

from __future__ import annotations

import pytest

from responses.models import Response
from surveys.distribution import customer_link_signed
from surveys.library import TEMPLATES
from surveys.services import survey_create_from_template, survey_publish
from tests.browser.conftest import axe_violations, screenshot
from tests.factories import CustomerLinkFactory, QuestionFactory
from tests.responses.conftest import make_invitation, make_survey

TOKEN = "browser-test-token-0123456789abcdef"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def link_url(world, live_server):
    survey = make_survey(world.org, kind="cx", anonymous=True, title="How did we do?")
    QuestionFactory(
        survey=survey,
        order=8,
        type="text",
        text="What went wrong?",
        required=True,
        condition_question=survey.q["csat"],
        condition_op="lte",
        condition_value=2,
    )
    link = CustomerLinkFactory(survey=survey, team=world.team)
    return f"{live_server.url}/r/c/{customer_link_signed(link)}/"


def test_answer_page_fits_a_phone_and_passes_axe(phone_page, link_url):
    page = phone_page
    page.goto(link_url)
    # Nothing wider than the screen: no sideways scrolling on a 360 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # NPS buttons are big enough to tap: 44 px tall (the usual guidance), and at least 28 px wide
    # with all 11 in one row.
    sizes = page.eval_on_selector_all(
        ".scale-nps label",
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
    )
    assert len(sizes) == 11
    assert min(w for w, _ in sizes) >= 28 and min(h for _, h in sizes) >= 44
    screenshot(page, "answer-phone")
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [320, 375])
def test_nps_buttons_are_one_row_on_a_phone(browser, link_url, width):
    """0 to 10 in one row at 320 and 375 px, tappable, with the end labels under the row's ends
    (not 0-5 over 6-10, which left "10 · Extremely likely" under empty space)."""
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(link_url)
        labels = page.locator(".scale-nps label")
        assert labels.count() == 11
        first, last = labels.first.bounding_box(), labels.last.bounding_box()
        assert first["y"] == last["y"]
        boxes = [labels.nth(i).bounding_box() for i in range(11)]
        assert len({round(box["y"]) for box in boxes}) == 1
        assert min(box["width"] for box in boxes) >= 28
        assert min(box["height"] for box in boxes) >= 44
        # The end labels start under 0 and end under 10.
        ends = page.locator(".scale-ends span")
        low, high = ends.first.bounding_box(), ends.last.bounding_box()
        assert abs(low["x"] - first["x"]) < 1
        assert abs((high["x"] + high["width"]) - (last["x"] + last["width"])) < 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"answer-nps-{width}")
    finally:
        context.close()


def test_follow_up_appears_live_and_the_answer_is_stored(phone_page, link_url):
    page = phone_page
    page.goto(link_url)
    followup = page.locator("fieldset.question").nth(7)
    assert followup.is_hidden()
    page.locator(".scale-nps label", has_text="9").first.click()
    page.locator(".scale-labelled label", has_text="Very dissatisfied").first.click()
    assert followup.is_visible()
    assert page.locator("#answer-progress-text").inner_text() == "2 of 8 answered"
    followup.locator("textarea").fill("Slow")
    assert "4 of 5,000" in followup.locator(".char-counter").inner_text()  # lang="en"
    page.click("button[type=submit]")
    page.wait_for_url("**/r/thanks/**")
    assert "Thank you" in page.content()
    assert Response.objects.get().answers.count() == 3


def test_every_library_survey_reads_well_on_a_phone(phone_page, world, live_server):
    """Each template of the library, in English and French, as a respondent opens it on a
    360 px phone: nothing wider than the screen, no serious accessibility finding."""
    for number, key in enumerate(sorted(TEMPLATES)):
        survey = survey_publish(
            survey=survey_create_from_template(organization=world.org, user=None, key=key)
        )
        token = f"{TOKEN}-{number}"
        make_invitation(survey, token=token)
        for language in ("en", "fr"):
            phone_page.goto(f"{live_server.url}/r/i/{token}/?lang={language}")
            assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360, key
            screenshot(phone_page, f"answer-{key}-{language}")
            assert axe_violations(phone_page) == [], (key, language)
