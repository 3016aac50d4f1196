"""Journey 2: answering on a 360×740 phone, with the keyboard and by tapping.

A staff member follows the personal link the real worker emailed them; a customer follows a
team's customer link. Both skip a required question, get an inline error that keeps what they
answered, correct it and reach the thank-you page; the worker scores what they sent.

A staff member who signs in answers their pulse from My surveys on a 390×844 phone instead (no
worker needed: the invitation's token is never used).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from responses.models import Answer, Response
from surveys.distribution import customer_link_create, customer_link_signed, invitations_send
from surveys.models import Invitation
from surveys.services import survey_create_from_template, survey_publish
from tests.browser.conftest import assert_accessible, invitation_links, sign_in
from tests.factories import PASSWORD, PersonFactory
from tests.processes import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEEDS_AN_ANSWER = "This question needs an answer."
PHONE = {"width": 390, "height": 844}


def _published(world, key: str):
    author = world.hr_admin if key == "enps_pulse" else world.cx_manager
    survey = survey_create_from_template(organization=world.org, user=author.user, key=key)
    return survey_publish(survey=survey)


def _tab_to(page, selector: str, *, presses: int = 20) -> None:
    """Press Tab until the focused element matches `selector` (as a keyboard user would)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")


def _pick_on_nps_row(page, field: str, value: int) -> None:
    """Keyboard only: Tab into the 0-10 radio row, Space to pick 0, then arrow right."""
    _tab_to(page, f"input[name={field}]")
    page.keyboard.press("Space")
    for _ in range(value):
        page.keyboard.press("ArrowRight")
    expect(page.locator(f"input[name={field}]:checked")).to_have_value(str(value))


def _wait_scored(response: Response, worker) -> None:
    wait_for(
        lambda: Response.objects.filter(pk=response.pk, scored_at__isnull=False).exists(),
        what="the worker to score the response",
        log=worker.log,
    )


def test_staff_member_answers_their_invitation_on_a_phone(phone_page, world, worker):
    page = phone_page
    survey = _published(world, "enps_pulse")
    staff = PersonFactory(
        organization=world.org, team=world.team, user=world.staff.user, email="sam@example.com"
    )
    invitations_send(survey=survey, teams=[world.team])
    (message,) = worker.wait_for_emails(1)
    assert message["To"] == staff.email
    (link,) = invitation_links(message)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("eNPS pulse")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    assert_accessible(page, "journey2-01-invitation-phone")
    questions = page.locator("fieldset.question")
    nps, recognition, tools, idea = (questions.nth(i) for i in range(4))
    nps_field = nps.get_attribute("data-field")

    _pick_on_nps_row(page, nps_field, 9)
    recognition.get_by_text("Agree", exact=True).tap()
    expect(page.locator("#answer-progress-text")).to_have_text("2 of 4 answered")
    # Question 3 is required and left out.
    page.get_by_role("button", name="Send my answers").tap()

    expect(tools.locator(".invalid-feedback")).to_have_text(NEEDS_AN_ANSWER)
    expect(page.get_by_role("alert")).to_contain_text("Please check your answers")
    expect(page.locator(f"input[name={nps_field}]:checked")).to_have_value("9")
    expect(recognition.locator("input:checked")).to_have_value("4")
    assert not Response.objects.exists()
    assert_accessible(page, "journey2-02-invitation-error")

    tools.get_by_text("Strongly agree", exact=True).tap()
    idea.locator("textarea").tap()
    page.keyboard.type("Fewer split shifts")
    expect(idea.locator(".char-counter")).to_contain_text("18 of 5,000")
    page.get_by_role("button", name="Send my answers").tap()

    page.wait_for_url("**/r/thanks/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert_accessible(page, "journey2-03-thanks")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("You have already answered")
    assert_accessible(page, "journey2-04-already-answered")

    response = Response.objects.get(survey=survey)
    assert response.team == world.team and response.respondent is None  # anonymous survey
    assert Invitation.objects.get(survey=survey).used_at is not None
    values = dict(
        Answer.objects.filter(response=response).values_list("question__order", "value_int")
    )
    assert values == {1: 9, 2: 4, 3: 5, 4: None}
    _wait_scored(response, worker)


def test_staff_member_answers_their_pulse_from_my_surveys_on_a_phone(browser, live_server, world):
    survey = _published(world, "enps_pulse")
    PersonFactory(organization=world.org, team=world.team, user=world.staff.user)
    invitations_send(survey=survey, teams=[world.team])
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, world.staff.user.username, PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("My surveys")
        answer_now = page.get_by_role("link", name=re.compile(r"^Answer now \(eNPS pulse\)$"))
        assert answer_now.bounding_box()["height"] >= 44  # a thumb's tap target
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_accessible(page, "journey2-07-my-surveys-phone")

        answer_now.tap()
        expect(page.get_by_role("heading", level=1)).to_have_text("eNPS pulse")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        questions = page.locator("fieldset.question")
        questions.nth(0).locator("label", has_text="8").first.tap()
        questions.nth(1).get_by_text("Agree", exact=True).tap()
        questions.nth(2).get_by_text("Strongly agree", exact=True).tap()
        page.get_by_role("button", name="Send my answers").tap()
        page.wait_for_url("**/r/thanks/**")
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")

        page.goto(f"{live_server.url}/r/mine/")
        expect(page.get_by_text("Nothing is waiting for you right now.")).to_be_visible()
        expect(page.get_by_role("link", name="Answer now")).to_have_count(0)
    finally:
        context.close()

    response = Response.objects.get(survey=survey)
    assert (response.team, response.channel) == (world.team, "invitation")
    assert response.respondent is None  # anonymous survey
    assert Invitation.objects.get(survey=survey).used_at is not None
    values = dict(
        Answer.objects.filter(response=response).values_list("question__order", "value_int")
    )
    assert values == {1: 8, 2: 4, 3: 5}  # the idea box was left empty


def test_customer_answers_a_team_link_on_a_phone(phone_page, live_server, world, worker):
    page = phone_page
    survey = _published(world, "nps_relationship")
    link = customer_link_create(
        survey=survey, team=world.team, label="Front desk counter", user=world.cx_manager.user
    )
    url = live_server.url + reverse("responses:link", args=[customer_link_signed(link)])

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("NPS relationship survey")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page, "journey2-05-customer-link-phone")
    questions = page.locator("fieldset.question")
    nps, reason, values = (questions.nth(i) for i in range(3))
    nps_field = nps.get_attribute("data-field")

    # Taps two of the things that matter, skips the required score.
    values.get_by_text("Speed of service").tap()
    values.get_by_text("Friendly staff").tap()
    page.get_by_role("button", name="Send my answers").tap()
    expect(nps.locator(".invalid-feedback")).to_have_text(NEEDS_AN_ANSWER)
    expect(values.locator("input:checked")).to_have_count(2)
    assert_accessible(page, "journey2-06-customer-error")

    _pick_on_nps_row(page, nps_field, 3)
    reason.locator("textarea").tap()
    page.keyboard.type("Waited twenty minutes at the desk.")
    page.get_by_role("button", name="Send my answers").tap()
    page.wait_for_url("**/r/thanks/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()

    response = Response.objects.get(survey=survey)
    assert (response.team, response.channel) == (world.team, "link")
    answers = Answer.objects.filter(response=response).order_by("question__order")
    assert [a.value_int for a in answers][0] == 3
    assert answers[1].value_text == "Waited twenty minutes at the desk."
    assert sorted(answers[2].value_choices) == ["Friendly staff", "Speed of service"]
    _wait_scored(response, worker)
