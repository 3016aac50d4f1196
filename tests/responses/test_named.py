"""A named (not anonymous) survey says so wherever a respondent meets it."""

from __future__ import annotations

import pytest

from tests.factories import PersonFactory
from tests.responses.conftest import make_invitation, make_survey

pytestmark = pytest.mark.django_db

TOKEN = "named-token-0123456789abcdefghij"
NAMED = "This survey is not anonymous: your name is recorded with your answers."


@pytest.fixture
def named(world):
    return make_survey(world.org, anonymous=False, intro="Tell us how the week went.")


@pytest.fixture
def staff_person(world):
    return PersonFactory(organization=world.org, team=world.team, user=world.staff.user)


def test_invitation_page_of_a_named_survey_says_the_name_is_recorded(client, named):
    make_invitation(named, token=TOKEN)
    assert NAMED in client.get(f"/r/i/{TOKEN}/").content.decode()


def test_invitation_page_of_an_anonymous_survey_does_not(client, survey):
    make_invitation(survey, token=TOKEN)
    assert "your name is recorded" not in client.get(f"/r/i/{TOKEN}/").content.decode()


def test_named_notice_is_in_the_respondents_language(client, named):
    named.translations = {"fr": {"title": "Pouls"}}
    named.save()
    make_invitation(named, token=TOKEN)
    page = client.get(f"/r/i/{TOKEN}/?lang=fr").content.decode()
    assert "votre nom est enregistré avec vos réponses" in page


def test_my_surveys_and_its_answer_page_say_the_name_is_recorded(login, world, named, staff_person):
    invitation = make_invitation(named, person=staff_person)
    client = login(world.staff)
    listing = client.get("/r/mine/").content.decode()
    assert "Named" in listing and "your name is recorded with your answers" in listing
    assert NAMED in client.get(f"/r/mine/{invitation.pk}/").content.decode()


def test_my_surveys_marks_an_anonymous_survey_as_such(login, world, survey, staff_person):
    make_invitation(survey, person=staff_person)
    listing = login(world.staff).get("/r/mine/").content.decode()
    assert "Anonymous" in listing and "your name is recorded" not in listing


def test_a_customer_link_to_a_named_survey_does_not_say_a_name_is_recorded(client, world, named):
    """A customer's link records no name: the notice is for invited people only, on the first
    visit's page and on a page re-rendered with errors."""
    from responses.models import Response
    from surveys.distribution import customer_link_signed
    from tests.factories import CustomerLinkFactory

    url = f"/r/c/{customer_link_signed(CustomerLinkFactory(survey=named, team=world.team))}/"
    assert "your name is recorded" not in client.get(url).content.decode()
    page = client.post(url, {"submission_key": "k" * 24})
    assert page.status_code == 200 and "your name is recorded" not in page.content.decode()
    assert not Response.objects.exists()


def test_the_authors_preview_of_a_named_survey_shows_the_notice(login, world, named):
    page = login(world.hr_admin).get(f"/surveys/{named.pk}/preview/").content.decode()
    assert NAMED in page
