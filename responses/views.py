"""Answer pages (invitation and customer link), the pages around them, and "My surveys"."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config import ratelimit
from responses.forms import AnswerForm, respondent_language, translated
from responses.models import Channel
from responses.selectors import (
    SurveyRevisionCache,
    customer_link_for_signed,
    invitation_for_token,
    invitation_for_user,
)
from responses.services import ALREADY_ANSWERED, ROUND_CLOSED, SURVEY_NOT_OPEN, response_submit
from surveys.distribution_selectors import invitations_pending_for_user
from surveys.models import Invitation, Survey, SurveyStatus
from surveys.permissions import membership_required

PUBLIC_WINDOW = 10 * 60
THANKS_SALT = "tandem.thanks"

PAGES = {
    "unknown": (
        404,
        _("This link is not valid"),
        _(
            "We could not find this survey link. If you received reminders, use the link in "
            "the newest email."
        ),
    ),
    "invalid": (
        404,
        _("This link is not valid"),
        _("The link may have been cut short or changed. Ask whoever shared it for a new one."),
    ),
    "used": (
        410,
        _("You have already answered"),
        _("Thank you, your answers are in. Each personal link can be used once."),
    ),
    "used_mine": (
        410,
        _("You have already answered this survey"),
        _("Thank you, your answers are in."),
    ),
    "closed": (
        410,
        _("This survey is closed"),
        _("It no longer accepts answers. Thank you for your time."),
    ),
    "not_open": (
        404,
        _("This survey is not open yet"),
        _("Please come back once it has started."),
    ),
    "rate_limited": (
        429,
        _("Too many answers from this connection"),
        _("To protect this survey we limit how often it can be answered. Try again later."),
    ),
}


def _render(request, template: str, context: dict, *, language: str, status: int = 200):
    """Render in the respondent's language (the page's words and the html lang attribute)."""
    language = language or _asked_language(request)
    with translation.override(language):
        context = {**context, "language": language, "LANGUAGE_CODE": language}
        return render(request, template, context, status=status)


def _asked_language(request) -> str:
    """The language of a page with no survey to ask (an unknown link): ?lang= when the site has
    it (answer pages' language links add it, so a link may carry it), else the browser's, as
    LocaleMiddleware chose it."""
    wanted = request.GET.get("lang", "")
    return wanted if wanted in dict(settings.LANGUAGES) else translation.get_language()


def _page(
    request, key: str, *, survey: Survey | None = None, language: str = "", mine: bool = False
):
    """A page for the respondent; `mine` when they came from My surveys (no link was used)."""
    if mine and key == "used":
        key = "used_mine"
    status, heading, text = PAGES[key]
    context = {"heading": heading, "text": text, "back_to_mine": mine}
    if survey is not None:
        language = language or survey.language
        context["survey_title"] = translated(survey, language, "title")
    return _render(request, "responses/message.html", context, language=language, status=status)


def _survey_blocked(survey: Survey) -> str:
    if survey.status == SurveyStatus.DRAFT:
        return "not_open"
    return "" if survey.status == SurveyStatus.LIVE else "closed"


def _page_for_error(error: ValidationError) -> str:
    """Submission errors that end the visit get their own page; the rest go on the form."""
    messages = error.message_dict
    if ALREADY_ANSWERED in messages.get("invitation", []):
        return "used"
    if ROUND_CLOSED in messages.get("invitation", []):
        return "closed"
    if "survey" in messages:
        return "not_open" if SURVEY_NOT_OPEN in messages["survey"] else "closed"
    return ""


def _answer(request, *, survey: Survey, submit: dict, mine: bool = False):
    """Show the form; on a valid POST store the response and go to the thank-you page. `mine`:
    answered from My surveys, whose page links back there."""
    language = respondent_language(survey=survey, request=request)
    # "Your name is recorded" is said to an invited person only: a customer's link records no
    # name, whether or not the survey is anonymous.
    named = not survey.anonymous and submit.get("respondent") is not None
    with translation.override(language):  # messages added to the form are translated too
        return _answer_in(
            request, survey=survey, submit=submit, language=language, mine=mine, named=named
        )


def _answer_in(request, *, survey: Survey, submit: dict, language: str, mine: bool, named: bool):
    data = request.POST if request.method == "POST" else None
    if data is None and not len(messages.get_messages(request)):
        return _first_visit(request, survey=survey, language=language, mine=mine, named=named)
    form = AnswerForm(data, survey=survey, language=language)
    if data is not None and form.is_valid():
        try:
            response_submit(
                survey=survey,
                answers=form.answers(),
                language=form.language,
                submission_key=form.cleaned_data["submission_key"],
                questions=form.questions,
                **submit,
            )
        except ValidationError as error:
            if key := _page_for_error(error):
                return _page(request, key, survey=survey, language=form.language, mine=mine)
            form.add_submit_errors(error)
        else:
            signed = signing.dumps({"s": survey.pk, "lang": form.language}, salt=THANKS_SALT)
            return redirect("responses:thanks", signed=signed)
    context = {"survey": survey, "form": form, "preview": False, "mine_link": mine, "named": named}
    return _render(request, "responses/answer.html", context, language=form.language)


def answer_preview(request, *, survey: Survey) -> HttpResponse:
    """The authoring preview: the answer page exactly as a respondent in the asked language gets
    it (the same form, template and language), with sending switched off."""
    language = respondent_language(survey=survey, request=request)
    with translation.override(language):
        form = AnswerForm(survey=survey, language=language)
        context = {"survey": survey, "form": form, "preview": True, "named": not survey.anonymous}
        return _render(request, "responses/answer.html", context, language=form.language)


# --- A first visit's page, rendered once ------------------------------------------------------

# A first visit's page, per survey revision and language: 128 pages of ~30-60 KB at most.
_first_pages = SurveyRevisionCache(size=128)
# Random per process, so no survey text can contain a mark.
_CSRF_MARK = f"csrf-mark-{secrets.token_hex(12)}"
_KEY_MARK = f"submission-key-mark-{secrets.token_hex(12)}"
_MARKS = re.compile(f"({_CSRF_MARK}|{_KEY_MARK})")


def first_pages_clear() -> None:
    _first_pages.clear()


def _first_visit(
    request, *, survey: Survey, language: str, mine: bool, named: bool
) -> HttpResponse:
    """The answer page of a first visit: an empty form, no errors, no messages.

    It is the same page for every visitor of one survey revision in one language but for two
    values: the CSRF token and the submission key, new for each request. So it is rendered once
    per process with a mark in place of each, and each visit fills in its own (rendering was
    most of an answer page's time under load). Nothing else of the request is in the page: it
    has no user and no link-specific text (a test holds two links' pages equal but for those
    values); the one navigation, My surveys' link back, is the same for everyone who has it
    and is in the key. The survey's own texts are in the key as well as its revision, as
    editing a title (or anonymity, in a draft) does not change the revision.
    """
    texts = (
        survey.anonymous,
        survey.title,
        survey.intro,
        tuple(survey.languages),
        (survey.translations or {}).get(language),
        mine,
        named,
    )
    parts = _first_pages.get(
        survey,
        lambda: _first_visit_parts(request, survey, language, mine, named),
        language,
        repr(texts),
    )
    fill = {_CSRF_MARK: get_token, _KEY_MARK: lambda request: secrets.token_urlsafe(24)}
    page = "".join(fill[part](request) if part in fill else part for part in parts)
    return HttpResponse(page)


def _first_visit_parts(
    request, survey: Survey, language: str, mine: bool, named: bool
) -> tuple[str, ...]:
    form = AnswerForm(survey=survey, language=language)
    form.initial["submission_key"] = _KEY_MARK
    context = {"survey": survey, "form": form, "preview": False, "csrf_token": _CSRF_MARK}
    context["mine_link"] = mine
    context["named"] = named
    page = _render(request, "responses/answer.html", context, language=form.language)
    return tuple(_MARKS.split(page.content.decode()))


def _over_limit(request, scope: str, *, count: bool) -> bool:
    """Per-IP limit on public pages: `count` records this request, otherwise only checks."""
    key = f"public:{scope}:{ratelimit.client_ip(request)}"
    seen = ratelimit.hit(key, window=PUBLIC_WINDOW) if count else ratelimit.count(key) + 1
    return seen > settings.TANDEM_PUBLIC_RATE_LIMIT


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_answer(request, token: str):
    invitation = invitation_for_token(token=token)
    if invitation is None:
        # Guessing a 192-bit token is hopeless, but there is no reason to let anyone try fast.
        if _over_limit(request, "unknown-token", count=True):
            return _page(request, "rate_limited")
        return _page(request, "unknown")
    return _invitation_answer(request, invitation)


def _invitation_answer(request, invitation: Invitation, *, mine: bool = False):
    """Answer one invitation, reached by its e-mailed token or from My surveys (`mine`)."""
    survey = invitation.survey
    if request.method == "GET":
        blocked = _survey_blocked(survey)
        if invitation.used_at is not None:
            blocked = "used"
        elif invitation.cycle is not None and invitation.cycle.closed:
            blocked = "closed"
        if blocked:
            language = respondent_language(survey=survey, request=request)
            return _page(request, blocked, survey=survey, language=language, mine=mine)
    team = invitation.team
    submit = {
        "team": team,
        "location": team.location if team else None,
        "cycle": invitation.cycle,
        "respondent": invitation.person,
        "channel": Channel.INVITATION,
        "invitation": invitation,
    }
    return _answer(request, survey=survey, submit=submit, mine=mine)


@never_cache
@require_http_methods(["GET", "POST"])
def link_answer(request, signed: str):
    link = customer_link_for_signed(signed=signed)
    if link is None:
        return _page(request, "invalid")
    survey = link.survey
    language = respondent_language(survey=survey, request=request)
    blocked = _survey_blocked(survey) if link.active else "closed"
    if blocked:
        return _page(request, blocked, survey=survey, language=language)
    if _over_limit(request, "link", count=request.method == "POST"):
        return _page(request, "rate_limited", survey=survey, language=language)
    submit = {
        "team": link.team,
        "location": link.location,
        "agent": link.agent,
        "channel": Channel.LINK,
    }
    return _answer(request, survey=survey, submit=submit)


@require_GET
def thanks(request, signed: str):
    try:
        data = signing.loads(signed, salt=THANKS_SALT)
        survey = Survey.objects.get(pk=data["s"])
    except (signing.BadSignature, Survey.DoesNotExist, KeyError, TypeError):
        return _page(request, "invalid")
    language = data.get("lang") if data.get("lang") in survey.languages else survey.language
    context = {
        "heading": _("Thank you"),
        "text": translated(survey, language, "thank_you"),
        "survey_title": translated(survey, language, "title"),
        # Staff who answered signed in (from My surveys) may have more waiting there.
        "back_to_mine": request.user.is_authenticated,
    }
    return _render(request, "responses/message.html", context, language=language)


@require_GET
@membership_required()
def mine(request):
    invitations = invitations_pending_for_user(user=request.user)
    return render(request, "responses/mine.html", {"invitations": invitations})


@never_cache
@require_http_methods(["GET", "POST"])
@membership_required()
def mine_answer(request, pk: int):
    """A signed-in member answers their own invitation from My surveys: the e-mailed token is
    stored hashed, so this page finds the invitation by id, only among the user's own."""
    invitation = invitation_for_user(user=request.user, invitation_id=pk)
    if invitation is None:
        raise Http404("No such invitation of yours.")
    return _invitation_answer(request, invitation, mine=True)
