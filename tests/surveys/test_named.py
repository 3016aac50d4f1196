"""A named survey: its invitation says the name is recorded, and its author is warned when its
texts still speak of anonymity (as the templates' texts do)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from surveys.distribution import invitations_send
from surveys.models import SurveyKind, SurveyStatus
from surveys.services import survey_create_from_template
from surveys.validation import anonymity_mentions
from tests.factories import PersonFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db

WARNING = "This survey is not anonymous"


def _settings(survey, **changes) -> dict:
    data = {
        "title": survey.title,
        "intro": survey.intro,
        "thank_you": survey.thank_you,
        "language": survey.language,
        "other_languages": ", ".join(survey.languages[1:]),
        **{
            f"{name}__{language}": text
            for language, texts in survey.translations.items()
            for name, text in texts.items()
        },
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_anonymity_mentions_name_each_text_and_translation():
    survey = SurveyFactory.build(
        title="Pulse",
        intro="Your answers are anonymous.",
        thank_you="Thank you.",
        translations={"fr": {"intro": "Trois minutes, anonyme."}, "de": {"title": "Puls"}},
    )
    assert anonymity_mentions(survey=survey) == ["introduction", "introduction (fr)"]
    survey.intro, survey.thank_you = "Nothing about it.", "Answered anonymously, thanks."
    assert anonymity_mentions(survey=survey) == ["thank-you message", "introduction (fr)"]
    survey.translations = {}
    survey.thank_you = "Thanks."
    assert anonymity_mentions(survey=survey) == []


def test_turning_anonymity_off_on_the_enps_template_warns_the_author(world, login):
    survey = survey_create_from_template(organization=world.org, user=None, key="enps_pulse")
    client = login(world.hr_admin)
    page = client.post(
        reverse("surveys:edit", args=[survey.pk]), _settings(survey, anonymous=None), follow=True
    ).content.decode()
    survey.refresh_from_db()
    assert survey.anonymous is False
    assert WARNING in page and "introduction, introduction (fr)" in page


def test_publishing_a_named_survey_that_promises_anonymity_warns(world, login):
    survey = SurveyFactory(
        organization=world.org,
        status=SurveyStatus.DRAFT,
        anonymous=False,
        intro="Completely anonymous!",
    )
    QuestionFactory(survey=survey)
    page = (
        login(world.hr_admin)
        .post(reverse("surveys:publish", args=[survey.pk]), follow=True)
        .content.decode()
    )
    assert "The survey is live." in page and WARNING in page and "introduction" in page


@pytest.mark.parametrize("anonymous", [True, False])
def test_no_warning_when_the_texts_fit_the_setting(world, login, anonymous):
    intro = "Your answers are anonymous." if anonymous else "Your manager reads these."
    survey = SurveyFactory(
        organization=world.org, status=SurveyStatus.DRAFT, anonymous=anonymous, intro=intro
    )
    QuestionFactory(survey=survey)
    client = login(world.hr_admin)
    settings = _settings(survey, anonymous="on" if anonymous else None)
    saved = client.post(reverse("surveys:edit", args=[survey.pk]), settings, follow=True)
    published = client.post(reverse("surveys:publish", args=[survey.pk]), follow=True)
    assert WARNING not in saved.content.decode() + published.content.decode()


@pytest.mark.parametrize(
    ("anonymous", "said"),
    [
        (True, "Your answers are anonymous"),
        (False, "This survey is not anonymous: your name is recorded with your answers."),
    ],
)
def test_invitation_email_says_how_answers_are_kept(
    world, django_capture_on_commit_callbacks, anonymous, said
):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=anonymous)
    QuestionFactory(survey=survey, type="nps")
    PersonFactory(organization=world.org, team=world.team)
    with django_capture_on_commit_callbacks(execute=True):
        invitations_send(survey=survey)
    (email,) = mail.outbox
    assert said in email.body
    assert ("anonymous" in email.body.replace("not anonymous", "")) is anonymous
