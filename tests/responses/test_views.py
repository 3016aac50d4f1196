from __future__ import annotations

import html
import logging
import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core import signing
from django.test import RequestFactory
from django.utils import timezone

from responses.models import Channel, Response
from surveys.distribution import LINK_SALT, customer_link_signed
from surveys.models import SurveyStatus
from tests.factories import CustomerLinkFactory, CycleFactory, PersonFactory
from tests.responses.conftest import make_invitation, make_survey

pytestmark = pytest.mark.django_db

TOKEN = "t0ken-for-tests-0123456789abcdef"


def key_of(page) -> str:
    return re.search(rb'name="submission_key" value="([^"]+)"', page.content).group(1).decode()


def post_answers(client, url, survey, extra=None, key=None):
    key = key or key_of(client.get(url))
    data = {"submission_key": key, f"question_{survey.q['nps'].id}": "9", **(extra or {})}
    return client.post(url, data)


# --- Invitation pages ------------------------------------------------------------------------------


def test_invitation_page_shows_the_survey(client, survey):
    make_invitation(survey, token=TOKEN)
    page = client.get(f"/r/i/{TOKEN}/")
    assert page.status_code == 200
    assert survey.title.encode() in page.content
    assert page["Cache-Control"].startswith("max-age=0")
    assert b'name="robots" content="noindex' in page.content


def test_invitation_answer_is_stored_with_its_team_and_round(client, survey):
    invitation = make_invitation(survey, token=TOKEN)
    response = post_answers(client, f"/r/i/{TOKEN}/", survey)
    assert response.status_code == 302
    assert response["Location"].startswith("/r/thanks/")
    stored = Response.objects.get()
    assert stored.channel == Channel.INVITATION
    assert stored.team == invitation.team
    assert stored.cycle == invitation.cycle
    assert stored.respondent is None  # anonymous survey
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert survey.thank_you.encode() in thanks.content


def test_double_click_stores_one_response_and_thanks_twice(client, survey):
    make_invitation(survey, token=TOKEN)
    key = key_of(client.get(f"/r/i/{TOKEN}/"))
    first = post_answers(client, f"/r/i/{TOKEN}/", survey, key=key)
    second = post_answers(client, f"/r/i/{TOKEN}/", survey, key=key)
    assert first.status_code == second.status_code == 302
    assert Response.objects.count() == 1


def test_missing_answer_keeps_what_was_typed(client, survey):
    make_invitation(survey, token=TOKEN)
    url = f"/r/i/{TOKEN}/"
    page = client.post(
        url,
        {"submission_key": key_of(client.get(url)), f"question_{survey.q['text'].id}": "Café <ok>"},
    )
    assert page.status_code == 200
    assert b"This question needs an answer." in page.content
    assert b"Caf\xc3\xa9 &lt;ok&gt;</textarea>" in page.content
    assert b'id="error-summary"' in page.content
    assert Response.objects.count() == 0


def test_out_of_scale_value_is_shown_as_an_error(client, survey):
    make_invitation(survey, token=TOKEN)
    page = post_answers(client, f"/r/i/{TOKEN}/", survey, {f"question_{survey.q['ces'].id}": "9"})
    assert page.status_code == 200
    assert b"Select a valid choice" in page.content
    assert Response.objects.count() == 0


def test_a_question_answered_twice_is_refused_and_nothing_is_stored(client, survey):
    """A tampered POST with two values for one question: last value no longer wins."""
    make_invitation(survey, token=TOKEN)
    url = f"/r/i/{TOKEN}/"
    nps = f"question_{survey.q['nps'].id}"
    page = client.post(url, {"submission_key": key_of(client.get(url)), nps: ["3", "10"]})
    assert page.status_code == 200
    assert b"This question is answered more than once: give one answer." in page.content
    assert b'id="error-summary"' in page.content
    assert Response.objects.count() == 0


def test_a_question_answered_twice_is_refused_in_the_respondents_language(client, survey):
    survey.translations = {"fr": {"title": "Votre avis compte"}}
    survey.save()
    make_invitation(survey, token=TOKEN)
    url = f"/r/i/{TOKEN}/?lang=fr"
    text = f"question_{survey.q['text'].id}"
    page = post_answers(client, url, survey, {text: ["Bien", "Mal"]})
    assert "Cette question a reçu plusieurs réponses : n'en donnez qu'une." in html.unescape(
        page.content.decode()
    )
    assert Response.objects.count() == 0


def test_unknown_token_gets_a_clear_404_page(client, survey):
    page = client.get("/r/i/not-a-real-token/")
    assert page.status_code == 404
    assert b"This link is not valid" in page.content


@pytest.mark.parametrize("url", ["/r/i/xyz/", "/r/c/garbage/", "/r/thanks/forged:value/"])
def test_invalid_link_page_follows_lang_in_the_url(client, url):
    french = client.get(f"{url}?lang=fr")
    assert french.status_code == 404
    page = html.unescape(french.content.decode())
    assert "Ce lien n'est pas valide" in page
    assert '<html lang="fr">' in page
    english = client.get(f"{url}?lang=xx").content.decode()  # not a language of the site
    assert "This link is not valid" in english
    assert '<html lang="en">' in english


def test_unknown_token_page_speaks_the_browsers_language(client):
    page = client.get("/r/i/xyz/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "Ce lien n'est pas valide" in html.unescape(page)


def test_used_token_gets_the_already_answered_page(client, survey):
    make_invitation(survey, token=TOKEN, used_at=timezone.now())
    page = client.get(f"/r/i/{TOKEN}/")
    assert page.status_code == 410
    assert b"You have already answered" in page.content


def test_second_visit_after_answering_is_refused(client, survey):
    make_invitation(survey, token=TOKEN)
    post_answers(client, f"/r/i/{TOKEN}/", survey)
    # A new page load (new submission key) with the same token is refused.
    assert client.get(f"/r/i/{TOKEN}/").status_code == 410
    page = post_answers(client, f"/r/i/{TOKEN}/", survey, key="another-key")
    assert page.status_code == 410
    assert Response.objects.count() == 1


def test_closed_survey_gets_the_closed_page(client, survey):
    make_invitation(survey, token=TOKEN)
    survey.status = SurveyStatus.CLOSED
    survey.save()
    page = client.get(f"/r/i/{TOKEN}/")
    assert page.status_code == 410
    assert b"This survey is closed" in page.content


def test_invitation_of_a_closed_round_gets_the_closed_page(client, survey):
    make_invitation(survey, token=TOKEN, cycle=CycleFactory(survey=survey, closed=True))
    assert client.get(f"/r/i/{TOKEN}/").status_code == 410


def test_answer_pages_refuse_other_methods(client, survey):
    make_invitation(survey, token=TOKEN)
    assert client.put(f"/r/i/{TOKEN}/").status_code == 405
    assert client.delete(f"/r/i/{TOKEN}/").status_code == 405


def test_page_speaks_the_browsers_language(client, survey):
    survey.translations = {"fr": {"title": "Votre avis compte"}}
    survey.save()
    make_invitation(survey, token=TOKEN)
    page = client.get(f"/r/i/{TOKEN}/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert b"Votre avis compte" in page.content
    assert b'lang="fr"' in page.content
    response = post_answers(client, f"/r/i/{TOKEN}/?lang=fr", survey)
    assert Response.objects.get().language == "fr"
    assert client.get(response["Location"]).status_code == 200


def test_display_logic_is_enforced_on_the_server(client, survey, followup):
    make_invitation(survey, token=TOKEN)
    page = post_answers(client, f"/r/i/{TOKEN}/", survey, {f"question_{survey.q['csat'].id}": "1"})
    assert page.status_code == 200
    # Shown now (no `hidden` on its fieldset) and reported as missing.
    assert re.search(rf'<fieldset[^>]*id="q-{followup.id}"(?![^>]*hidden)', page.content.decode())
    assert b"This question needs an answer." in page.content


# --- Customer links ----------------------------------------------------------------------------


@pytest.fixture
def link(cx_survey, world):
    return CustomerLinkFactory(
        survey=cx_survey, team=world.team, agent=PersonFactory(organization=world.org)
    )


def test_customer_link_answer_is_stored_with_the_links_scope(client, cx_survey, link):
    url = f"/r/c/{customer_link_signed(link)}/"
    assert client.get(url).status_code == 200
    response = post_answers(client, url, cx_survey)
    assert response.status_code == 302
    stored = Response.objects.get()
    assert (stored.team, stored.location, stored.agent) == (link.team, link.location, link.agent)
    assert stored.channel == Channel.LINK


def test_a_link_printed_in_the_timestamped_format_still_takes_answers(client, cx_survey, link):
    url = f"/r/c/{signing.dumps({'l': link.pk}, salt=LINK_SALT)}/"  # QR codes printed before
    assert client.get(url).status_code == 200
    assert post_answers(client, url, cx_survey).status_code == 302
    stored = Response.objects.get()
    assert (stored.team, stored.agent, stored.channel) == (link.team, link.agent, Channel.LINK)


def test_customer_may_answer_again_with_a_new_page_load(client, cx_survey, link):
    url = f"/r/c/{customer_link_signed(link)}/"
    post_answers(client, url, cx_survey)
    post_answers(client, url, cx_survey)
    assert Response.objects.count() == 2


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # signature changed
        lambda s: "eyJsIjo5OTl9" + s[s.index(":") :],  # payload swapped for {"l":999}
        lambda s: "garbage",
    ],
)
def test_tampered_link_is_not_valid(client, link, tamper):
    page = client.get(f"/r/c/{tamper(customer_link_signed(link))}/")
    assert page.status_code == 404
    assert b"This link is not valid" in page.content


def test_deactivated_link_is_closed(client, link):
    link.active = False
    link.save()
    assert client.get(f"/r/c/{customer_link_signed(link)}/").status_code == 410


def test_public_link_is_rate_limited_per_ip(client, cx_survey, link, settings):
    settings.TANDEM_PUBLIC_RATE_LIMIT = 2
    url = f"/r/c/{customer_link_signed(link)}/"
    assert post_answers(client, url, cx_survey).status_code == 302
    assert post_answers(client, url, cx_survey).status_code == 302
    # Once the limit is reached even the page says so, and a post is refused.
    assert client.get(url).status_code == 429
    blocked = post_answers(client, url, cx_survey, key="third")
    assert blocked.status_code == 429
    assert b"Too many answers from this connection" in blocked.content
    assert Response.objects.count() == 2
    # Another address is not affected.
    assert client.get(url, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_thanks_page_without_sign_in_has_no_way_into_the_app(client, survey):
    make_invitation(survey, token=TOKEN)
    response = post_answers(client, f"/r/i/{TOKEN}/", survey)
    assert "My surveys" not in client.get(response["Location"]).content.decode()


def test_thanks_page_with_a_forged_value_is_not_valid(client):
    assert client.get("/r/thanks/forged:value/").status_code == 404


# --- My surveys ----------------------------------------------------------------------------------


def test_my_surveys_lists_pending_invitations_of_the_signed_in_person(login, world, survey):
    person = PersonFactory(organization=world.org, user=world.staff.user)
    invitation = make_invitation(survey, person=person)
    page = login(world.staff).get("/r/mine/")
    assert page.status_code == 200
    assert survey.title.encode() in page.content
    assert f'href="/r/mine/{invitation.pk}/"'.encode() in page.content
    assert b"Answer now" in page.content


def test_my_surveys_leaves_out_answered_ones(login, world, survey):
    person = PersonFactory(organization=world.org, user=world.staff.user)
    make_invitation(survey, person=person, used_at=timezone.now())
    page = login(world.staff).get("/r/mine/")
    assert survey.title.encode() not in page.content


def test_my_surveys_leaves_out_closed_rounds_and_surveys(login, world, survey):
    person = PersonFactory(organization=world.org, user=world.staff.user)
    make_invitation(survey, person=person, cycle=CycleFactory(survey=survey, closed=True))
    other = make_survey(world.org, status=SurveyStatus.CLOSED, title="Last year's pulse")
    make_invitation(other, person=person, token="another-token")
    page = login(world.staff).get("/r/mine/")
    assert survey.title.encode() not in page.content
    assert b"Last year" not in page.content


def test_my_surveys_shows_a_colleagues_invitations_to_nobody_else(login, world, survey):
    make_invitation(survey)  # someone else's
    assert survey.title.encode() not in login(world.team_lead).get("/r/mine/").content
    assert survey.title.encode() not in login(world.outsider).get("/r/mine/").content


def test_my_surveys_needs_sign_in_and_get(client, login, world):
    assert client.get("/r/mine/").status_code == 302
    assert login(world.staff).post("/r/mine/").status_code == 405


# --- Answering from My surveys ---------------------------------------------------------------------


@pytest.fixture
def staff_person(world):
    return PersonFactory(organization=world.org, team=world.team, user=world.staff.user)


def test_staff_member_answers_their_pulse_from_my_surveys(login, world, survey, staff_person):
    invitation = make_invitation(survey, person=staff_person)
    client = login(world.staff)
    url = f"/r/mine/{invitation.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert survey.title.encode() in page.content
    assert page["Cache-Control"].startswith("max-age=0")
    response = post_answers(client, url, survey)
    assert response.status_code == 302
    assert response["Location"].startswith("/r/thanks/")
    thanks = client.get(response["Location"]).content.decode()
    assert 'href="/r/mine/">Back to My surveys</a>' in thanks  # more may be waiting there
    stored = Response.objects.get()
    assert (stored.channel, stored.team, stored.cycle) == (
        Channel.INVITATION,
        world.team,
        invitation.cycle,
    )
    assert stored.respondent is None  # the survey is anonymous: no link to the person
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    assert survey.title.encode() not in client.get("/r/mine/").content
    again = client.get(url)
    assert again.status_code == 410
    assert b"You have already answered" in again.content


def test_named_survey_answered_from_my_surveys_keeps_the_respondent(
    login, world, survey, staff_person
):
    survey.anonymous = False
    survey.save()
    invitation = make_invitation(survey, person=staff_person)
    post_answers(login(world.staff), f"/r/mine/{invitation.pk}/", survey)
    assert Response.objects.get().respondent == staff_person


def test_answer_from_my_surveys_and_then_the_emailed_link_is_refused(
    login, world, survey, staff_person
):
    invitation = make_invitation(survey, person=staff_person, token=TOKEN)
    client = login(world.staff)
    post_answers(client, f"/r/mine/{invitation.pk}/", survey)
    assert client.get(f"/r/i/{TOKEN}/").status_code == 410
    assert post_answers(client, f"/r/i/{TOKEN}/", survey, key="other").status_code == 410
    assert Response.objects.count() == 1


def test_used_invitation_from_my_surveys_gets_the_already_answered_page(
    login, world, survey, staff_person
):
    invitation = make_invitation(survey, person=staff_person, used_at=timezone.now())
    page = login(world.staff).get(f"/r/mine/{invitation.pk}/")
    assert page.status_code == 410
    assert b"You have already answered" in page.content


def test_closed_round_from_my_surveys_gets_the_closed_page(login, world, survey, staff_person):
    closed = CycleFactory(survey=survey, closed=True)
    invitation = make_invitation(survey, person=staff_person, cycle=closed)
    page = login(world.staff).get(f"/r/mine/{invitation.pk}/")
    assert page.status_code == 410
    assert b"This survey is closed" in page.content


@pytest.mark.parametrize("role", ["staff", "team_lead", "hr_admin", "outsider"])
def test_someone_elses_invitation_is_not_found(login, world, survey, role):
    invitation = make_invitation(survey)  # a colleague's, without a login of their own
    client = login(world.member(role))
    assert client.get(f"/r/mine/{invitation.pk}/").status_code == 404
    assert post_answers(client, f"/r/mine/{invitation.pk}/", survey, key="k").status_code == 404
    assert client.get("/r/mine/99999999999999999999/").status_code == 404
    assert not Response.objects.exists()


def test_answer_from_my_surveys_needs_sign_in_and_get_or_post(
    client, login, world, survey, staff_person
):
    invitation = make_invitation(survey, person=staff_person)
    url = f"/r/mine/{invitation.pk}/"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    assert login(world.staff).put(url).status_code == 405


def test_french_respondent_reads_the_page_in_french(client, survey):
    survey.translations = {"fr": {"title": "Votre avis compte", "thank_you": "Merci beaucoup !"}}
    survey.save()
    make_invitation(survey, token=TOKEN)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    url = f"/r/i/{TOKEN}/"
    page = client.get(url).content.decode()
    for words in ("Pas du tout probable", "Très satisfait", "Envoyer mes réponses"):
        assert words in page
    missing = client.post(url, {"submission_key": "k1"}).content.decode()
    assert "Merci de répondre à cette question." in missing
    done = post_answers(client, url, survey)
    assert "Merci beaucoup !" in client.get(done["Location"]).content.decode()
    assert "Vous avez déjà répondu" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("language", "words", "required", "thanks"),
    [
        (
            "de",
            ("Überhaupt nicht wahrscheinlich", "Sehr zufrieden", "Antworten absenden"),
            "Bitte beantworten Sie diese Frage.",
            "Vielen Dank",
        ),
        (
            "es",
            ("Nada probable", "Muy satisfecho", "Enviar mis respuestas"),
            "Responda a esta pregunta, por favor.",
            "Gracias",
        ),
    ],
)
def test_german_and_spanish_respondents_get_buttons_and_labels_in_their_language(
    client, survey, language, words, required, thanks
):
    survey.translations = {language: {"title": "Puls"}}
    survey.save()
    make_invitation(survey, token=TOKEN)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = f"{language},en;q=0.5"
    url = f"/r/i/{TOKEN}/"
    page = html.unescape(client.get(url).content.decode())
    assert f'<html lang="{language}">' in page
    for text in words:
        assert text in page
    missing = html.unescape(client.post(url, {"submission_key": "k1"}).content.decode())
    assert required in missing
    done = post_answers(client, url, survey)
    assert f"<title>{thanks}" in client.get(done["Location"]).content.decode()


def test_character_limit_is_written_as_the_language_writes_numbers(client, survey):
    survey.translations = {"fr": {"title": "Votre avis compte"}}
    survey.save()
    make_invitation(survey, token=TOKEN)
    french = html.unescape(client.get(f"/r/i/{TOKEN}/?lang=fr").content.decode())
    assert "Jusqu'à 5\u00a0000 caractères" in french  # a no-break space groups thousands
    assert "5,000" not in french
    assert "Up to 5,000 characters" in client.get(f"/r/i/{TOKEN}/").content.decode()


def test_skip_link_is_in_the_pages_language(client, login, world, survey):
    survey.translations = {"fr": {"title": "Votre avis compte"}}
    survey.save()
    make_invitation(survey, token=TOKEN)
    french = client.get(f"/r/i/{TOKEN}/?lang=fr").content.decode()
    assert '<html lang="fr">' in french
    assert 'href="#main">Aller au contenu</a>' in french
    assert 'href="#main">Skip to content</a>' in client.get(f"/r/i/{TOKEN}/").content.decode()
    # The staff pages are in English (lang="en"), whatever the browser asks for.
    staff = login(world.staff).get("/r/mine/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="en">' in staff
    assert 'href="#main">Skip to content</a>' in staff


def _with_a_message(client, text: str):
    """The client carries a message waiting to be shown (as after a redirect that added one)."""
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.INFO, text)])
    return client


def test_message_close_button_is_in_the_pages_language(client, login, world, survey):
    survey.translations = {"fr": {"title": "Votre avis compte"}}
    survey.save()
    make_invitation(survey, token=TOKEN)
    french = _with_a_message(client, "Bonjour").get(f"/r/i/{TOKEN}/?lang=fr").content.decode()
    assert "Bonjour" in french
    assert 'data-bs-dismiss="alert" aria-label="Fermer"' in french
    english = _with_a_message(client, "Hello").get(f"/r/i/{TOKEN}/").content.decode()
    assert 'data-bs-dismiss="alert" aria-label="Close"' in english
    # The staff pages are in English (lang="en"), whatever the browser asks for.
    staff = _with_a_message(login(world.staff), "Saved").get("/r/mine/", HTTP_ACCEPT_LANGUAGE="fr")
    assert 'data-bs-dismiss="alert" aria-label="Close"' in staff.content.decode()


# --- A first visit's page, rendered once per survey revision and language ---------------------


def _marks_removed(page) -> str:
    html = page.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return re.sub(r'name="submission_key" value="[^"]+"', "KEY", html)


def test_first_visits_differ_only_in_csrf_token_and_submission_key(client, cx_survey, world):
    first = CustomerLinkFactory(survey=cx_survey, team=world.team)
    second = CustomerLinkFactory(survey=cx_survey, team=world.other_team)
    a = client.get(f"/r/c/{customer_link_signed(first)}/")
    b = client.get(f"/r/c/{customer_link_signed(second)}/")
    assert a.status_code == b.status_code == 200
    assert _marks_removed(a) == _marks_removed(b)
    assert "mark-" not in a.content.decode()
    assert key_of(a) != key_of(b)
    assert a["Cache-Control"].startswith("max-age=0")


def test_first_visit_page_is_the_page_rendered_afresh(client, cx_survey, link, settings):
    """The page served from the per-process copy is the page the template renders."""
    from responses.views import first_pages_clear

    url = f"/r/c/{customer_link_signed(link)}/"
    cached = client.get(url)
    cached_again = client.get(url)
    first_pages_clear()
    fresh = client.get(url)
    assert _marks_removed(cached) == _marks_removed(cached_again) == _marks_removed(fresh)


def test_first_visit_token_and_key_store_a_response(cx_survey, link):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    url = f"/r/c/{customer_link_signed(link)}/"
    page = client.get(url)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    data = {
        "csrfmiddlewaretoken": token.decode(),
        "submission_key": key_of(page),
        f"question_{cx_survey.q['nps'].id}": "9",
    }
    assert client.post(url, data).status_code == 302
    assert Response.objects.filter(submission_key=key_of(page)).count() == 1


def test_first_visit_page_follows_edits_of_texts_and_questions(client, cx_survey, link):
    url = f"/r/c/{customer_link_signed(link)}/"
    client.get(url)
    cx_survey.title = "A brand new title"
    cx_survey.save()
    assert b"A brand new title" in client.get(url).content
    question = cx_survey.q["text"]
    question.text = "What could we do better?"
    question.save()
    assert b"What could we do better?" in client.get(url).content
    cx_survey.translations = {"fr": {"title": "Un tout nouveau titre"}}
    cx_survey.save()
    french = client.get(url + "?lang=fr")
    assert b"Un tout nouveau titre" in french.content
    assert b'lang="fr"' in french.content
    assert b"A brand new title" in client.get(url + "?lang=en").content


def test_first_visit_with_a_pending_message_shows_it(client, cx_survey, link, world):
    """A visitor with a message waiting (signed in, say) gets the page rendered for them."""
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    url = f"/r/c/{customer_link_signed(link)}/"
    client.get(url)  # the page is kept for first visits
    storage = CookieStorage(RequestFactory().get("/"))
    encoded = storage._encode([Message(constants.INFO, "Your password was changed")])
    client.cookies[storage.cookie_name] = encoded
    page = client.get(url)
    assert b"Your password was changed" in page.content
    assert b"Your password was changed" not in client.get(url).content  # shown once


# --- An answer over the upload limit ----------------------------------------------------------


def test_an_answer_over_the_upload_limit_gets_a_413_page_and_stores_nothing(
    cx_survey, link, caplog
):
    """A form of more than DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) from the browser: Django's bare
    'Bad Request (400)' page and an ERROR with a traceback (audit); now a page that says why."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # the CSRF check is what reads the form first
    url = f"/r/c/{customer_link_signed(link)}/"
    page = client.get(url)
    data = {
        "submission_key": key_of(page),
        f"question_{cx_survey.q['nps'].id}": "9",
        f"question_{cx_survey.q['text'].id}": "x" * (3 * 2**20),
    }

    with caplog.at_level(logging.INFO):
        response = client.post(url, data)

    assert response.status_code == 413
    assert b"larger than 2.5 MB, the most Tandem accepts" in response.content
    assert not Response.objects.exists()
    logged = [(r.levelname, r.name, r.exc_info) for r in caplog.records]
    assert logged == [("WARNING", "django.security.RequestDataTooBig", None)]


# --- The way back to My surveys -------------------------------------------------------------------


def test_answer_page_from_my_surveys_links_back_there(login, world, survey, staff_person):
    invitation = make_invitation(survey, person=staff_person, token=TOKEN)
    client = login(world.staff)
    for _ in range(2):  # the first visit's page is rendered once and then reused
        page = client.get(f"/r/mine/{invitation.pk}/").content.decode()
        assert page.count('href="/r/mine/"') == 1 and "Back to My surveys" in page
    # The e-mailed link's page, even for the same signed-in person, and a stranger's, do not.
    assert 'href="/r/mine/"' not in client.get(f"/r/i/{TOKEN}/").content.decode()
    client.logout()
    assert 'href="/r/mine/"' not in client.get(f"/r/i/{TOKEN}/").content.decode()


def test_answered_survey_reopened_from_my_surveys_says_so_without_links(
    login, world, survey, staff_person
):
    invitation = make_invitation(survey, person=staff_person, used_at=timezone.now(), token=TOKEN)
    client = login(world.staff)
    page = client.get(f"/r/mine/{invitation.pk}/")
    assert page.status_code == 410
    body = page.content.decode()
    assert "You have already answered this survey" in body
    assert "personal link" not in body
    assert 'href="/r/mine/">Back to My surveys</a>' in body
    emailed = client.get(f"/r/i/{TOKEN}/").content.decode()  # the e-mailed link says as before
    assert "Each personal link can be used once." in emailed


def test_already_answered_from_my_surveys_in_french(login, world, survey, staff_person):
    survey.translations = {"fr": {"title": "Pouls"}}
    survey.save()
    invitation = make_invitation(survey, person=staff_person, used_at=timezone.now())
    page = login(world.staff).get(f"/r/mine/{invitation.pk}/?lang=fr").content.decode()
    assert "Vous avez déjà répondu à cette enquête" in page
