from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.models import (
    AuditLog,
    Department,
    Person,
    Question,
    Survey,
    SurveyKind,
    SurveyStatus,
)
from surveys.services import survey_create_from_template, survey_update
from tests.factories import (
    CustomerLinkFactory,
    CycleFactory,
    InvitationFactory,
    PersonFactory,
    QuestionFactory,
    ResponseFactory,
    SurveyFactory,
)
from tests.responses.conftest import make_invitation

pytestmark = pytest.mark.django_db
PREVIEW_TOKEN = "preview-token-0123456789abcdefghij"


def _draft(org, kind=SurveyKind.EX, **kwargs):
    return SurveyFactory(
        organization=org, kind=kind, status=SurveyStatus.DRAFT, published_at=None, **kwargs
    )


# --- permissions -----------------------------------------------------------------------------

SURVEY_PAGES = [
    ("surveys:detail", "get"),
    ("surveys:edit", "get"),
    ("surveys:preview", "get"),
    ("surveys:question-add", "get"),
    ("surveys:publish", "post"),
    ("surveys:close", "get"),
    ("surveys:close", "post"),
    ("surveys:duplicate", "post"),
]


@pytest.mark.parametrize(("name", "method"), SURVEY_PAGES)
def test_hr_admin_reaches_own_ex_survey_pages(world, login, name, method):
    survey = _draft(world.org)
    QuestionFactory(survey=survey)
    response = getattr(login(world.hr_admin), method)(reverse(name, args=[survey.pk]))
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(("name", "method"), SURVEY_PAGES)
@pytest.mark.parametrize("role", ["staff", "team_lead"])
def test_staff_and_team_leads_cannot_author(world, login, name, method, role):
    survey = _draft(world.org)
    response = getattr(login(world.member(role)), method)(reverse(name, args=[survey.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "method"), SURVEY_PAGES)
def test_hr_admin_cannot_author_cx_and_cx_manager_cannot_author_ex(world, login, name, method):
    cx, ex = _draft(world.org, kind=SurveyKind.CX), _draft(world.org)
    assert getattr(login(world.hr_admin), method)(reverse(name, args=[cx.pk])).status_code == 403
    assert getattr(login(world.cx_manager), method)(reverse(name, args=[ex.pk])).status_code == 403


@pytest.mark.parametrize(("name", "method"), SURVEY_PAGES)
def test_another_organisations_survey_is_not_found(world, login, name, method):
    survey = _draft(world.org)
    response = getattr(login(world.outsider), method)(reverse(name, args=[survey.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("surveys:publish", "get"),
        ("surveys:close", "put"),
        ("surveys:duplicate", "get"),
        ("surveys:detail", "post"),
        ("surveys:preview", "post"),
    ],
)
def test_wrong_method_is_405(world, login, name, wrong):
    survey = _draft(world.org)
    response = getattr(login(world.hr_admin), wrong)(reverse(name, args=[survey.pk]))
    assert response.status_code == 405


def test_anonymous_visitor_is_sent_to_login(client, world):
    survey = _draft(world.org)
    response = client.get(reverse("surveys:detail", args=[survey.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- list, create, templates -----------------------------------------------------------------


def test_list_shows_only_own_org_and_own_kind(world, login):
    _draft(world.org, title="Our EX")
    _draft(world.org, kind=SurveyKind.CX, title="Our CX")
    _draft(world.outsider.organization, title="Their EX")
    body = login(world.hr_admin).get(reverse("surveys:list")).content.decode()
    assert "Our EX" in body and "Our CX" not in body and "Their EX" not in body


def test_list_is_forbidden_to_staff_and_rejects_post(world, login):
    assert login(world.staff).get(reverse("surveys:list")).status_code == 403
    assert login(world.hr_admin).post(reverse("surveys:list")).status_code == 405


def test_create_from_scratch(world, login):
    response = login(world.cx_manager).post(
        reverse("surveys:create"),
        {
            "title": "Store visit",
            "kind": "cx",
            "intro": "",
            "thank_you": "Thanks",
            "anonymous": "on",
            "language": "EN",
        },
    )
    survey = Survey.objects.get(title="Store visit")
    assert response.status_code == 302 and response["Location"] == reverse(
        "surveys:detail", args=[survey.pk]
    )
    assert (survey.organization, survey.kind, survey.language) == (world.org, "cx", "en")
    assert survey.created_by == world.cx_manager.user


def test_create_and_settings_refuse_an_introduction_over_2000_characters(world, login):
    client = login(world.hr_admin)
    data = {"title": "Pulse", "kind": "ex", "intro": "x" * 200_000, "language": "en"}
    page = client.post(reverse("surveys:create"), data)
    assert page.status_code == 200
    assert "Keep the introduction under 2,000 characters." in page.content.decode()
    assert not Survey.objects.exists()
    survey = _draft(world.org, title="Pulse", intro="Short.")
    data = {"title": "Pulse", "intro": "x" * 2001, "thank_you": "", "language": "en"}
    page = client.post(reverse("surveys:edit", args=[survey.pk]), data)
    assert 'maxlength="2000"' in page.content.decode()
    assert "Keep the introduction under 2,000 characters." in page.content.decode()
    survey.refresh_from_db()
    assert survey.intro == "Short."
    fr = {**data, "intro": "Short.", "other_languages": "fr"}
    client.post(reverse("surveys:edit", args=[survey.pk]), fr)  # the French fields appear
    page = client.post(reverse("surveys:edit", args=[survey.pk]), {**fr, "intro__fr": "x" * 2001})
    assert "Keep the fr introduction under 2,000 characters." in page.content.decode()
    survey.refresh_from_db()
    assert survey.translations == {"fr": {}}


def test_create_refuses_a_kind_the_role_cannot_author(world, login):
    response = login(world.cx_manager).post(
        reverse("surveys:create"), {"title": "Sneaky", "kind": "ex", "language": "en"}
    )
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert not Survey.objects.filter(title="Sneaky").exists()


def test_gallery_lists_templates_for_the_role(world, login):
    body = login(world.hr_admin).get(reverse("surveys:templates")).content.decode()
    assert "Engagement survey" in body and "NPS relationship survey" not in body


def test_create_from_template(world, login):
    response = login(world.hr_admin).post(reverse("surveys:from-template", args=["engagement"]))
    survey = Survey.objects.get(organization=world.org, template_key="engagement")
    assert response["Location"] == reverse("surveys:detail", args=[survey.pk])
    assert survey.questions.count() == 16


def test_create_from_template_of_the_other_kind_is_forbidden(world, login):
    client = login(world.hr_admin)
    assert client.post(reverse("surveys:from-template", args=["ces_support"])).status_code == 403
    assert client.post(reverse("surveys:from-template", args=["nope"])).status_code == 404
    assert client.get(reverse("surveys:from-template", args=["engagement"])).status_code == 405
    assert not Survey.objects.exists()


# --- detail and lifecycle --------------------------------------------------------------------


def test_detail_describes_display_logic(world, login):
    survey = survey_create_from_template(
        organization=world.org, user=None, key="csat_post_interaction"
    )
    body = login(world.cx_manager).get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "Shown only when question 1" in body and "is at most 2" in body


def test_publish_close_and_duplicate(world, login):
    survey = _draft(world.org)
    QuestionFactory(survey=survey)
    client = login(world.hr_admin)
    client.post(reverse("surveys:publish", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.LIVE
    client.post(reverse("surveys:close", args=[survey.pk]))
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED
    response = client.post(reverse("surveys:duplicate", args=[survey.pk]))
    copy = Survey.objects.exclude(pk=survey.pk).get()
    assert response["Location"] == reverse("surveys:detail", args=[copy.pk])
    assert copy.status == SurveyStatus.DRAFT and copy.questions.count() == 1


def test_close_button_asks_to_confirm_before_closing(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    CustomerLinkFactory(survey=survey)
    CustomerLinkFactory(survey=survey)
    CustomerLinkFactory(survey=survey, active=False)
    client = login(world.cx_manager)
    detail = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    close_url = reverse("surveys:close", args=[survey.pk])
    # The detail page's button only opens the confirmation (a GET form): nothing is closed yet.
    assert f'<form method="get" action="{close_url}">' in detail
    response = client.get(close_url)
    survey.refresh_from_db()
    assert response.status_code == 200 and survey.status == SurveyStatus.LIVE
    body = response.content.decode()
    assert "cannot be reopened" in body
    assert "stop accepting answers (2 active links)" in body
    assert "QR codes printed from them" in body
    assert f'<form method="post" action="{close_url}">' in body
    response = client.post(close_url, follow=True)
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.CLOSED
    assert "The survey is closed" in response.content.decode()


def test_a_draft_can_be_deleted_after_confirming(world, login):
    """QA: stray drafts ("Double click test") could not be removed. The detail page links to a
    confirmation; only its POST deletes, and the audit log says who deleted what."""
    draft = _draft(world.org, title="Double click test")
    QuestionFactory(survey=draft, type="nps")
    client = login(world.hr_admin)
    delete_url = reverse("surveys:delete", args=[draft.pk])
    assert (
        f'href="{delete_url}"'
        in client.get(reverse("surveys:detail", args=[draft.pk])).content.decode()
    )
    page = client.get(delete_url)
    assert page.status_code == 200 and Survey.objects.filter(pk=draft.pk).exists()
    assert "its 1 question are deleted for good" in page.content.decode()
    response = client.post(delete_url, follow=True)
    assert not Survey.objects.filter(pk=draft.pk).exists()
    assert "Draft “Double click test” deleted." in response.content.decode()
    entry = AuditLog.objects.get(action="survey.delete")
    assert entry.detail == {"survey": draft.pk, "title": "Double click test"}
    assert client.post(delete_url).status_code == 404  # gone: a second click finds nothing


def test_a_published_survey_cannot_be_deleted(world, login):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    client = login(world.hr_admin)
    detail = reverse("surveys:detail", args=[survey.pk])
    assert "Delete draft" not in client.get(detail).content.decode()
    for method in (client.get, client.post):
        response = method(reverse("surveys:delete", args=[survey.pk]), follow=True)
        assert response.redirect_chain[-1][0] == detail
        assert "Only a draft can be deleted" in response.content.decode()
    assert Survey.objects.filter(pk=survey.pk).exists()


def test_close_confirmation_of_an_ex_survey_counts_unanswered_invitations(world, login):
    survey = SurveyFactory(organization=world.org)
    InvitationFactory(survey=survey)
    InvitationFactory(survey=survey, used_at=survey.published_at)
    InvitationFactory(survey=survey, cycle=CycleFactory(survey=survey, closed=True))
    body = login(world.hr_admin).get(reverse("surveys:close", args=[survey.pk])).content.decode()
    assert "invitation links stop accepting answers (1 not answered yet)" in body


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (SurveyStatus.DRAFT, "Only a live survey can be closed"),
        (SurveyStatus.CLOSED, "This survey is already closed."),
    ],
)
def test_close_confirmation_of_a_survey_that_is_not_live_goes_back(world, login, status, message):
    survey = SurveyFactory(organization=world.org, status=status)
    response = login(world.hr_admin).get(reverse("surveys:close", args=[survey.pk]), follow=True)
    assert response.redirect_chain == [(reverse("surveys:detail", args=[survey.pk]), 302)]
    assert message in response.content.decode()
    survey.refresh_from_db()
    assert survey.status == status


def test_closed_survey_page_offers_no_structural_edit(world, login):
    survey = SurveyFactory(organization=world.org, status=SurveyStatus.CLOSED)
    question = QuestionFactory(survey=survey)
    body = login(world.hr_admin).get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "This survey is closed: it takes no more answers" in body
    assert reverse("surveys:question-add", args=[survey.pk]) not in body
    assert reverse("surveys:question-move", args=[survey.pk, question.pk]) not in body
    assert reverse("surveys:question-remove", args=[survey.pk, question.pk]) not in body
    assert reverse("surveys:question-edit", args=[survey.pk, question.pk]) in body


def test_adding_a_question_to_a_closed_survey_is_refused(world, login):
    survey = SurveyFactory(organization=world.org, status=SurveyStatus.CLOSED)
    client = login(world.hr_admin)
    add = reverse("surveys:question-add", args=[survey.pk])
    message = "This survey is closed, so no question can be added. Duplicate it to run it again."
    for response in (client.get(add, follow=True), client.post(add, QUESTION, follow=True)):
        assert response.redirect_chain == [(reverse("surveys:detail", args=[survey.pk]), 302)]
        assert message in response.content.decode()
    assert not survey.questions.exists()


def test_closed_survey_question_keeps_type_and_choices_and_takes_new_wording(world, login):
    survey = SurveyFactory(organization=world.org, status=SurveyStatus.CLOSED)
    question = QuestionFactory(survey=survey, type="single", choices=["Day", "Night"])
    client = login(world.hr_admin)
    edit = reverse("surveys:question-edit", args=[survey.pk, question.pk])
    page = client.get(edit)
    assert page.context["form"].fields["type"].disabled
    assert "This survey is closed: the type and choices are fixed." in page.content.decode()
    response = client.post(edit, {**QUESTION, "type": "multi", "text": "Which shift, then?"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.type, question.choices, question.text) == (
        "single",
        ["Day", "Night"],
        "Which shift, then?",
    )


def test_moving_or_removing_a_question_of_a_closed_survey_says_why(world, login):
    survey = SurveyFactory(organization=world.org, status=SurveyStatus.CLOSED)
    first, second = QuestionFactory(survey=survey, order=1), QuestionFactory(survey=survey, order=2)
    client = login(world.hr_admin)
    move = reverse("surveys:question-move", args=[survey.pk, first.pk])
    body = client.post(move, {"direction": "down"}, follow=True).content.decode()
    assert "its questions cannot be reordered" in body
    remove = reverse("surveys:question-remove", args=[survey.pk, second.pk])
    body = client.post(remove, follow=True).content.decode()
    assert "its questions cannot be removed" in body
    assert list(survey.questions.values_list("pk", flat=True)) == [first.pk, second.pk]


def test_publish_step_warns_of_missing_translations_and_still_publishes(world, login):
    survey = _draft(world.org, title="Pulse", intro="", translations={"fr": {"title": "Pouls"}})
    QuestionFactory(survey=survey, text="Recommend us?", translations={})
    QuestionFactory(survey=survey, text="Why?", translations={"fr": {"text": "Pourquoi ?"}})
    client = login(world.hr_admin)
    detail = reverse("surveys:detail", args=[survey.pk])
    body = client.get(detail).content.decode()
    assert "Before you publish: some texts have no translation" in body
    assert "read them in English (en)" in body
    assert "<li>French (fr): thank-you message, question 1</li>" in body
    response = client.post(reverse("surveys:publish", args=[survey.pk]), follow=True)
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.LIVE
    body = response.content.decode()
    assert "The survey is live." in body
    assert (
        "Respondents reading French (fr) see these untranslated: thank-you message, question 1."
        in body
    )
    assert "Before you publish" not in body


def test_detail_says_which_languages_get_buttons_and_labels_in_english(world, login):
    survey = _draft(
        world.org, title="Pulse", translations={"pt-br": {"title": "Pulso"}, "de": {}, "es": {}}
    )
    body = login(world.hr_admin).get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert (
        "Tandem’s own buttons and labels (the send button, scale labels, messages) exist in "
        "English, French, German, Spanish."
    ) in body
    assert "Respondents reading Brazilian Portuguese (pt-br) will see them in English" in body
    # Not promised: the missing translations note no longer says "in their own language".
    assert "Before you publish: some texts have no translation" in body
    assert "buttons and labels in their own language" not in body


def test_detail_of_a_survey_in_site_languages_promises_their_own_buttons(world, login):
    survey = _draft(world.org, title="Pulse", translations={"de": {}, "fr-ca": {}})
    body = login(world.hr_admin).get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert 'id="english-ui-languages"' not in body
    assert "beside buttons and labels in their own language" in body


def test_publish_step_of_a_fully_translated_survey_warns_of_nothing(world, login):
    survey = _draft(
        world.org,
        title="Pulse",
        intro="",
        thank_you="Thanks",
        translations={"fr": {"title": "Pouls", "thank_you": "Merci"}},
    )
    QuestionFactory(survey=survey, translations={"fr": {"text": "Pourquoi ?"}})
    client = login(world.hr_admin)
    body = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "Before you publish" not in body and "Pulse" in body
    response = client.post(reverse("surveys:publish", args=[survey.pk]), follow=True)
    assert "untranslated" not in response.content.decode()


def test_publishing_an_empty_survey_shows_the_reason(world, login):
    survey = _draft(world.org)
    response = login(world.hr_admin).post(reverse("surveys:publish", args=[survey.pk]), follow=True)
    assert "Add at least one question" in response.content.decode()
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT


@pytest.mark.parametrize(
    ("language", "others", "field", "message"),
    [
        ("xx", "", "language", "Use a language code such as en, fr or pt-br."),
        ("en", "fr, xx, en-zz", "other_languages", "Not language codes: xx, en-zz."),
    ],
)
def test_settings_refuse_codes_that_are_not_languages(
    world, login, language, others, field, message
):
    survey = _draft(world.org, title="Pulse")
    data = {"title": "Pulse", "thank_you": "", "language": language, "other_languages": others}
    page = login(world.hr_admin).post(reverse("surveys:edit", args=[survey.pk]), data)
    assert page.status_code == 200
    assert message in page.context["form"].errors[field][0]
    survey.refresh_from_db()
    assert survey.languages == ["en"]


def test_settings_take_real_codes_as_typed(world, login):
    survey = _draft(world.org, title="Pulse")
    data = {"title": "Pulse", "thank_you": "", "language": "en", "other_languages": "pt-BR, es"}
    response = login(world.hr_admin).post(reverse("surveys:edit", args=[survey.pk]), data)
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.languages == ["en", "es", "pt-br"]


def test_create_refuses_an_invented_language(world, login):
    data = {"title": "Pulse", "kind": "ex", "language": "xx"}
    page = login(world.hr_admin).post(reverse("surveys:create"), data)
    assert "Use a language code such as en, fr or pt-br." in page.content.decode()
    assert not Survey.objects.exists()


def test_settings_add_a_french_translation(world, login):
    survey = _draft(world.org, title="Pulse")
    client = login(world.hr_admin)
    url = reverse("surveys:edit", args=[survey.pk])
    data = {
        "title": "Pulse",
        "intro": "",
        "thank_you": "Thanks",
        "anonymous": "on",
        "language": "en",
        "other_languages": "fr",
    }
    client.post(url, data)
    survey.refresh_from_db()
    assert survey.languages == ["en", "fr"]
    client.post(url, {**data, "title__fr": "Pouls", "thank_you__fr": "Merci"})
    survey.refresh_from_db()
    assert survey.translations == {"fr": {"title": "Pouls", "thank_you": "Merci"}}


def test_removing_a_language_keeps_its_texts_for_when_it_is_added_back(world, login):
    survey = _draft(
        world.org,
        title="Pulse",
        translations={
            "fr": {"title": "Pouls", "intro": "Trois minutes."},
            "de": {"title": "Puls"},
        },
    )
    question = QuestionFactory(survey=survey, translations={"fr": {"text": "Question ?"}})
    client = login(world.hr_admin)
    url = reverse("surveys:edit", args=[survey.pk])
    data = {"title": "Pulse", "thank_you": "Thanks", "anonymous": "on", "language": "en"}
    client.post(url, {**data, "other_languages": "de", "title__de": "Puls"})
    survey.refresh_from_db()
    assert survey.languages == ["en", "de"]  # French is no longer offered...
    page = client.get(reverse("surveys:preview", args=[survey.pk]) + "?lang=fr")
    assert "Pouls" not in page.content.decode()
    client.post(url, {**data, "other_languages": "de, fr", "title__de": "Puls"})
    survey.refresh_from_db()
    # ...and adding it back brings its texts back, as its questions kept theirs.
    assert survey.translations == {
        "fr": {"title": "Pouls", "intro": "Trois minutes."},
        "de": {"title": "Puls"},
    }
    assert survey.translations_removed == {}
    question.refresh_from_db()
    assert question.translations == {"fr": {"text": "Question ?"}}
    assert 'value="Pouls"' in client.get(url).content.decode()


def test_a_language_added_back_with_new_texts_takes_the_new_ones(world):
    survey = _draft(world.org, translations={"fr": {"title": "Pouls", "intro": "Ancien."}})
    survey_update(survey=survey, translations={})
    assert survey.translations_removed == {"fr": {"title": "Pouls", "intro": "Ancien."}}
    survey_update(survey=survey, translations={"fr": {"title": "Nouveau"}})
    survey.refresh_from_db()
    assert survey.translations == {"fr": {"title": "Nouveau"}}
    assert survey.translations_removed == {}


def test_settings_cannot_flip_anonymity_once_live(world, login):
    survey = SurveyFactory(organization=world.org, anonymous=True)
    login(world.hr_admin).post(
        reverse("surveys:edit", args=[survey.pk]),
        {"title": "T", "language": "en", "other_languages": ""},  # anonymous unticked
    )
    survey.refresh_from_db()
    assert survey.anonymous is True and survey.title == "T"


# --- questions -------------------------------------------------------------------------------

QUESTION = {
    "type": "single",
    "text": "Which shift?",
    "choices": "Day\nNight\n",
    "driver": "",
    "condition_op": "",
    "condition_value": "",
}


def test_add_question_with_choices_and_display_logic(world, login):
    survey = _draft(world.org)
    csat = QuestionFactory(survey=survey, type="csat", order=1)
    client = login(world.hr_admin)
    url = reverse("surveys:question-add", args=[survey.pk])
    assert client.post(url, QUESTION).status_code == 302
    response = client.post(
        url,
        {
            **QUESTION,
            "type": "text",
            "text": "What went wrong?",
            "choices": "",
            "condition_question": csat.pk,
            "condition_op": "lte",
            "condition_value": "2",
        },
    )
    assert response.status_code == 302
    shift, wrong = survey.questions.exclude(pk=csat.pk)
    assert shift.choices == ["Day", "Night"] and shift.order == 2
    assert (wrong.condition_question, wrong.condition_op, wrong.condition_value) == (csat, "lte", 2)


def test_add_question_shows_service_errors_on_fields(world, login):
    survey = _draft(world.org)
    response = login(world.hr_admin).post(
        reverse("surveys:question-add", args=[survey.pk]), {**QUESTION, "choices": "Only one"}
    )
    assert response.status_code == 200
    assert "at least two choices" in response.context["form"].errors["choices"][0]
    assert not survey.questions.exists()


def test_a_form_error_on_the_question_page_is_shown_once_in_plain_words(world, login):
    survey = _draft(world.org)
    shift = QuestionFactory(survey=survey, order=1, type="single", choices=["Day", "Night"])
    QuestionFactory(
        survey=survey,
        order=2,
        type="text",
        text="Why nights?",
        condition_question=shift,
        condition_op="eq",
        condition_value="Night",
    )
    url = reverse("surveys:question-edit", args=[survey.pk, shift.pk])
    response = login(world.hr_admin).post(
        url, {**QUESTION, "text": shift.text, "choices": "Day\nEvening\n"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    message = (
        "“Why nights?” is shown depending on this question, and its condition would no longer "
        "make sense after this change. Pick the value among the choices: Day, Evening. Change "
        "or remove that condition first."
    )
    assert body.count(message) == 1
    assert body.count("is shown depending on this question") == 1
    shift.refresh_from_db()
    assert shift.choices == ["Day", "Night"]


def test_edit_question_with_translation(world, login):
    survey = _draft(world.org, translations={"fr": {"title": "Pouls"}})
    question = QuestionFactory(survey=survey, type="likert", text="Old")
    client = login(world.hr_admin)
    url = reverse("surveys:question-edit", args=[survey.pk, question.pk])
    assert 'name="text__fr"' in client.get(url).content.decode()
    client.post(
        url,
        {
            "type": "likert",
            "text": "New",
            "driver": "growth",
            "required": "on",
            "text__fr": "Nouveau",
            "choices": "",
            "condition_op": "",
            "condition_value": "",
        },
    )
    question.refresh_from_db()
    assert (question.text, question.driver, question.required) == ("New", "growth", True)
    assert question.translations == {"fr": {"text": "Nouveau"}}


def test_a_translation_repeating_a_choice_is_refused_as_the_main_language_is(world, login):
    survey = _draft(world.org, translations={"fr": {"title": "Pouls"}})
    question = QuestionFactory(
        survey=survey, type="single", text="Shift?", choices=["Morning", "Evening", "Night"]
    )
    url = reverse("surveys:question-edit", args=[survey.pk, question.pk])
    fields = {
        "type": "single",
        "text": "Shift?",
        "choices": "Morning\nEvening\nNight",
        "text__fr": "Horaire ?",
        "choices__fr": "Matin\nMatin\nNuit",
        "condition_op": "",
        "condition_value": "",
    }
    response = login(world.hr_admin).post(url, fields)
    assert response.status_code == 200
    assert "Each fr choice must be different." in response.content.decode()
    question.refresh_from_db()
    assert question.translations == {}
    main = login(world.hr_admin).post(url, {**fields, "choices": "Morning\nmorning\nNight"})
    assert "Each choice must be different." in main.content.decode()


def test_frozen_question_keeps_type_even_if_the_browser_sends_another(world, login):
    survey = SurveyFactory(organization=world.org)
    question = QuestionFactory(survey=survey, type="nps", text="Old")
    ResponseFactory(survey=survey)
    client = login(world.hr_admin)
    url = reverse("surveys:question-edit", args=[survey.pk, question.pk])
    assert "duplicate the survey" in client.get(url).content.decode()
    client.post(
        url, {"type": "text", "text": "Reworded", "condition_op": "", "condition_value": ""}
    )
    question.refresh_from_db()
    assert (question.type, question.text) == ("nps", "Reworded")


def test_frozen_question_cannot_be_removed(world, login):
    survey = SurveyFactory(organization=world.org)
    question = QuestionFactory(survey=survey)
    ResponseFactory(survey=survey)
    response = login(world.hr_admin).post(
        reverse("surveys:question-remove", args=[survey.pk, question.pk]), follow=True
    )
    assert "cannot be removed" in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()


def test_move_and_remove_questions(world, login):
    survey = _draft(world.org)
    a = QuestionFactory(survey=survey, order=1, text="A")
    b = QuestionFactory(survey=survey, order=2, text="B")
    client = login(world.hr_admin)
    response = client.post(
        reverse("surveys:question-move", args=[survey.pk, b.pk]), {"direction": "up"}
    )
    assert response["Location"].endswith(f"#question-{b.pk}")
    assert list(survey.questions.values_list("text", flat=True)) == ["B", "A"]
    client.post(reverse("surveys:question-remove", args=[survey.pk, a.pk]))
    assert list(survey.questions.values_list("text", flat=True)) == ["B"]


def test_question_of_another_survey_is_not_found(world, login):
    survey = _draft(world.org)
    foreign = QuestionFactory(survey=_draft(world.org))
    client = login(world.hr_admin)
    assert (
        client.get(reverse("surveys:question-edit", args=[survey.pk, foreign.pk])).status_code
        == 404
    )
    url = reverse("surveys:question-remove", args=[survey.pk, foreign.pk])
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 404
    assert client.put(url).status_code == 405
    assert Question.objects.filter(pk=foreign.pk).exists()


def test_remove_button_asks_to_confirm_before_removing(world, login):
    survey = _draft(world.org)
    question = QuestionFactory(survey=survey, order=1, text="How was your week?")
    client = login(world.hr_admin)
    remove = reverse("surveys:question-remove", args=[survey.pk, question.pk])
    detail = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert f'href="{remove}"' in detail  # a link to the confirm page, not a form that removes
    page = client.get(remove)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Remove question 1?" in body
    assert "How was your week?" in body
    assert f'action="{remove}"' in body
    assert Question.objects.filter(pk=question.pk).exists()
    client.post(remove)
    assert not Question.objects.filter(pk=question.pk).exists()


@pytest.mark.parametrize("role", ["cx_manager", "team_lead", "staff"])
def test_remove_confirm_page_is_for_authors_of_the_organisation(world, login, role):
    survey = _draft(world.org)
    question = QuestionFactory(survey=survey, order=1)
    remove = reverse("surveys:question-remove", args=[survey.pk, question.pk])
    assert login(world.member(role)).get(remove).status_code == 403
    assert login(world.outsider).get(remove).status_code == 404
    assert Question.objects.filter(pk=question.pk).exists()


def test_question_pages_forbid_staff_and_hide_other_orgs(world, login):
    survey = _draft(world.org)
    question = QuestionFactory(survey=survey)
    url = reverse("surveys:question-move", args=[survey.pk, question.pk])
    assert login(world.staff).post(url, {"direction": "up"}).status_code == 403
    assert login(world.outsider).post(url, {"direction": "up"}).status_code == 404


# --- preview ---------------------------------------------------------------------------------


def test_preview_renders_the_respondent_page_in_the_chosen_language(world, login):
    survey = survey_create_from_template(organization=world.org, user=None, key="engagement")
    client = login(world.hr_admin)
    response = client.get(reverse("surveys:preview", args=[survey.pk]))
    assert response.status_code == 200
    assert response.context["preview"] is True
    assert "responses/answer.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert "I am proud to tell people where I work." in body
    french = client.get(reverse("surveys:preview", args=[survey.pk]) + "?lang=fr").content.decode()
    assert "Je suis fier ou fière de dire où je travaille." in french


def test_preview_in_french_is_the_live_french_page_with_sending_off(world, login, client):
    survey = survey_create_from_template(organization=world.org, user=None, key="engagement")
    survey.status = SurveyStatus.LIVE
    survey.save()
    make_invitation(survey, token=PREVIEW_TOKEN)
    live = client.get(f"/r/i/{PREVIEW_TOKEN}/?lang=fr").content.decode()
    url = reverse("surveys:preview", args=[survey.pk]) + "?lang=fr"
    preview = login(world.hr_admin).get(url).content.decode()
    total = survey.questions.count()
    french = (f"0 sur {total} répondues", "Envoyer mes réponses", "obligatoire", "Tout à fait")
    for page in (live, preview):
        assert '<html lang="fr"' in page
        assert all(text in page for text in french)
        assert " answered<" not in page and "Send my answers" not in page
        assert "required<" not in page and "Strongly agree" not in page
    assert "Aperçu : voici ce que voient les répondants." in preview


# --- people ----------------------------------------------------------------------------------


def test_people_page_lists_people_by_team(world, login):
    Person.objects.create(organization=world.org, team=world.team, name="Ana", email="a@x.io")
    Person.objects.create(organization=world.outsider.organization, name="Zed", email="z@x.io")
    body = login(world.hr_admin).get(reverse("surveys:people")).content.decode()
    assert "Front desk" in body and "Ana" in body and "Zed" not in body


@pytest.mark.parametrize("role", ["cx_manager", "team_lead", "staff"])
def test_people_page_is_for_hr_admins_only(world, login, role):
    assert login(world.member(role)).get(reverse("surveys:people")).status_code == 403


def test_people_import_success_redirects(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "people.csv", b"name,email,team\nAna,ana@example.com,Checkout\n", "text/csv"
    )
    response = login(world.hr_admin).post(reverse("surveys:people"), {"file": upload})
    assert response.status_code == 302
    assert Person.objects.get(email="ana@example.com").team.name == "Checkout"


def test_people_import_shows_the_teams_it_moved_and_what_it_created(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    world.team.department = Department.objects.create(organization=world.org, name="Rooms")
    world.team.save()
    upload = SimpleUploadedFile(
        "people.csv",
        b"name,email,team,department\nAna,ana@example.com,Front desk,Houskeeping\n",
        "text/csv",
    )
    client = login(world.hr_admin)
    response = client.post(reverse("surveys:people"), {"file": upload}, follow=True)
    body = response.content.decode()
    assert "Imported: 1 person added, 0 updated, 0 new teams." in body
    assert "1 team moved to another department: Front desk → Houskeeping (was Rooms)." in body
    assert "1 new department created: Houskeeping." in body
    assert "move the whole team there, with everyone in it" in body


def test_people_import_preview_then_confirm(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = "name,email,team\nAna,ana@example.com,Checkout\n"
    upload = SimpleUploadedFile("people.csv", text.encode("utf-8-sig"), "text/csv")
    client = login(world.hr_admin)
    page = client.post(reverse("surveys:people"), {"file": upload, "action": "preview"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nothing is imported yet. Importing this file would give: 1 person added" in body
    assert 'name="previewed" value="name,email,team\nAna,ana@example.com,Checkout\n"' in body
    assert not Person.objects.filter(email="ana@example.com").exists()
    assert not AuditLog.objects.filter(action="people.import").exists()

    done = client.post(
        reverse("surveys:people"), {"previewed": text, "action": "import"}, follow=True
    )
    assert "Imported: 1 person added, 0 updated, 1 new team." in done.content.decode()
    assert Person.objects.get(email="ana@example.com").team.name == "Checkout"
    assert AuditLog.objects.filter(action="people.import").count() == 1


def test_people_import_without_a_file_asks_for_one(world, login):
    page = login(world.hr_admin).post(reverse("surveys:people"), {"action": "preview"})
    assert page.status_code == 200
    assert "Choose a CSV file." in page.content.decode()


def test_people_import_is_recorded_in_the_audit_log(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    PersonFactory(organization=world.org, email="ben@example.com", team=world.team)
    upload = SimpleUploadedFile(
        "people.csv",
        b"name,email,team\nAna,ana@example.com,Checkout\nBen,ben@example.com,Front desk\n",
        "text/csv",
    )
    login(world.hr_admin).post(reverse("surveys:people"), {"file": upload})
    entry = AuditLog.objects.get(action="people.import")
    assert (entry.organization, entry.user, entry.actor) == (
        world.org,
        world.hr_admin.user,
        world.hr_admin.user.username,
    )
    assert entry.detail == {
        "created": 1,
        "updated": 1,
        "teams_created": 1,
        "teams_moved": 0,
        "people_moved": 0,
    }


def test_people_import_that_fails_is_not_recorded(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("people.csv", b"name,email,team\nAna,bad,Checkout\n")
    login(world.hr_admin).post(reverse("surveys:people"), {"file": upload})
    assert not AuditLog.objects.exists()


def test_people_import_of_an_unreadable_csv_shows_the_reason_not_an_error_page(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = b"name,email,team\n" + b"x" * 200_000 + b",ana@example.com,Ops\n"
    upload = SimpleUploadedFile("people.csv", content, "text/csv")
    response = login(world.hr_admin).post(reverse("surveys:people"), {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was imported" in body and "longer than 131,072 characters" in body
    assert not Person.objects.filter(organization=world.org).exists()


def test_people_import_errors_are_shown_by_row(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "people.csv",
        b"name,email,team,lead\nAna,ana@example.com,Checkout,yes\nBen,bad,Checkout,perhaps\n",
    )
    response = login(world.hr_admin).post(reverse("surveys:people"), {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was imported" in body
    assert "<td>3</td>" in body and "perhaps" in body and "“bad” is not a valid email" in body
    assert not Person.objects.filter(organization=world.org).exists()


def test_people_preview_of_a_file_with_errors_says_a_preview_changes_nothing(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("people.csv", b"name,email,team\nBen,bad,Checkout\n")
    response = login(world.hr_admin).post(
        reverse("surveys:people"), {"file": upload, "action": "preview"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was imported" not in body
    assert (
        "This file cannot be imported as it is. The preview changed nothing; fix these rows "
        "and preview the file again:"
    ) in body
    assert "“bad” is not a valid email" in body
    assert not Person.objects.filter(organization=world.org).exists()


def test_people_import_rejects_a_non_csv_file(world, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("people.xlsx", b"PK\x03\x04")
    response = login(world.hr_admin).post(reverse("surveys:people"), {"file": upload})
    assert "file" in response.context["form"].errors
    assert login(world.hr_admin).put(reverse("surveys:people")).status_code == 405


def test_list_counts_questions_and_responses_separately(world, login):
    survey = _draft(world.org, title="Counted")
    for order in (1, 2, 3):
        QuestionFactory(survey=survey, order=order)
    for _ in range(2):
        ResponseFactory(survey=survey)
    response = login(world.hr_admin).get(reverse("surveys:list"))
    [listed] = response.context["surveys"]
    assert (listed.question_count, listed.response_count) == (3, 2)  # not 6 and 6
