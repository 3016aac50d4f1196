"""Journey 1: an HR admin builds an eNPS pulse from a template, edits a question, publishes it and
sends it to two teams; the real worker emails one personal link to each person invited."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveys.models import Invitation, Survey, SurveyStatus
from tests.browser.conftest import assert_accessible, invitation_links, sign_in
from tests.factories import PASSWORD, PersonFactory, TeamFactory
from tests.processes import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EDITED = "When I do good work, my manager notices."


@pytest.fixture
def people(world):
    """Three people on the front desk, two on the night shift, one in a team nobody sends to."""
    front = [PersonFactory(organization=world.org, team=world.team) for _ in range(3)]
    night = [PersonFactory(organization=world.org, team=world.other_team) for _ in range(2)]
    elsewhere = TeamFactory(organization=world.org, name="Warehouse")
    PersonFactory(organization=world.org, team=elsewhere)
    return front + night


def test_hr_admin_creates_an_enps_pulse_and_sends_it_to_two_teams(
    page, live_server, world, people, worker
):
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page, "journey1-00-login")
    sign_in(page, live_server, world.hr_admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/surveys/")
    assert_accessible(page, "journey1-01-survey-list")

    page.get_by_role("link", name="Start from a template").click()
    expect(page.get_by_role("heading", name="Start from a template")).to_be_visible()
    assert_accessible(page, "journey1-02-templates")
    page.locator("section", has_text="eNPS pulse").get_by_role(
        "button", name="Use this template"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("eNPS pulse")
    assert_accessible(page, "journey1-03-draft")
    survey = Survey.objects.get(organization=world.org, template_key="enps_pulse")
    assert survey.status == SurveyStatus.DRAFT and survey.questions.count() == 4

    # Edit the second question's wording.
    page.get_by_role("link", name="Edit question 2").click()
    text = page.locator("input[name=text]")
    expect(text).to_have_value("When I do good work, someone notices.")
    assert_accessible(page, "journey1-04-question-editor")
    text.fill(EDITED)
    page.get_by_role("button", name="Save question").click()
    expect(page.locator("#questions-heading")).to_be_visible()
    expect(page.get_by_text(EDITED)).to_be_visible()
    assert survey.questions.get(order=2).text == EDITED

    # The preview shows the change and a way back to the survey.
    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_text(EDITED)).to_be_visible()
    assert_accessible(page, "journey1-05-preview")
    page.get_by_role("link", name="Back to the survey").click()

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("button", name="Close survey")).to_be_visible()
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.LIVE

    page.get_by_role("link", name="Send and follow participation").click()
    expect(page.get_by_role("heading", name="Send invitations")).to_be_visible()
    assert_accessible(page, "journey1-06-distribution")
    page.get_by_label("Front desk").check()
    page.get_by_label("Night shift").check()
    page.get_by_role("button", name="Review and send").click()
    # Nothing goes before the review says what will happen.
    expect(page.get_by_role("heading", name="Review before sending")).to_be_visible()
    assert not Invitation.objects.filter(survey=survey).exists()
    assert_accessible(page, "journey1-06b-send-review")
    page.get_by_role("button", name="Send to 5 people").click()
    expect(page.get_by_role("status")).to_contain_text("5 invitations sent.")
    participation = page.locator("section", has=page.locator("#participation-heading"))
    expect(participation.get_by_role("row", name="Front desk")).to_contain_text("3")
    expect(participation.get_by_role("row", name="Night shift")).to_contain_text("2")
    assert_accessible(page, "journey1-07-sent")

    # The worker emails each person their own link, once; the warehouse is not invited.
    emails = worker.wait_for_emails(5)
    assert sorted(m["To"] for m in emails) == sorted(p.email for p in people)
    links = [invitation_links(m) for m in emails]
    assert all(len(found) == 1 and found[0].startswith(live_server.url) for found in links)
    assert len({found[0] for found in links}) == 5
    wait_for(
        lambda: not Invitation.objects.filter(survey=survey, sent_at__isnull=True).exists(),
        what="every invitation marked sent",
        log=worker.log,
    )
    assert Invitation.objects.filter(survey=survey).count() == 5
