"""Authoring pages for HR admins (EX surveys) and CX managers (CX surveys)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from responses.models import Response
from responses.views import answer_preview
from surveys import services
from surveys.forms import (
    CLOSED_HELP,
    FROZEN_HELP,
    QuestionForm,
    SurveyCreateForm,
    SurveySettingsForm,
    add_service_errors,
    condition_text,
    language_name,
)
from surveys.languages import has_ui_words, ui_language_names
from surveys.library import template_get, templates_for_kinds
from surveys.models import Membership, Question, Role, Survey, SurveyStatus
from surveys.permissions import authorable_kinds, can_author, membership_required
from surveys.selectors import (
    survey_close_reach,
    survey_missing_translations,
    survey_of_organization,
)
from surveys.validation import CLOSED_MESSAGE, anonymity_mentions

AUTHORS = (Role.HR_ADMIN, Role.CX_MANAGER)
# Collection (another module) may add a panel to the survey page by providing this template.
DISTRIBUTION_PANEL = "surveys/distribution/_panel.html"


def survey_for_author(*, membership: Membership, pk: int) -> Survey:
    """The survey, if it is in the member's organisation (else 404) and of a kind they author
    (else 403). Every survey page and API endpoint goes through here."""
    survey = survey_of_organization(membership=membership, pk=pk)
    author_check(membership=membership, survey=survey)
    return survey


def author_check(*, membership: Membership, survey: Survey) -> None:
    """403 unless the member authors this kind of survey (its organisation checked already)."""
    if not can_author(membership, survey.kind):
        raise PermissionDenied("Your role does not author this kind of survey.")


def _survey_for_user(request, pk: int) -> Survey:
    return survey_for_author(membership=request.membership, pk=pk)


def _question_for_survey(survey: Survey, question_pk: int) -> Question:
    return get_object_or_404(Question, pk=question_pk, survey=survey)


def _distribution_panel() -> str | None:
    try:
        get_template(DISTRIBUTION_PANEL)
    except TemplateDoesNotExist:
        return None
    return DISTRIBUTION_PANEL


def _count_per_survey(model) -> Subquery:
    """Rows of `model` per survey. Two Count() joins would multiply questions by responses."""
    rows = model.objects.filter(survey=OuterRef("pk")).order_by().values("survey")
    return Coalesce(Subquery(rows.annotate(n=Count("*")).values("n")), 0)


# --- Surveys -----------------------------------------------------------------------------------


@require_GET
@membership_required(*AUTHORS)
def survey_list(request):
    surveys = (
        Survey.objects.filter(
            organization=request.membership.organization,
            kind__in=authorable_kinds(request.membership),
        )
        .annotate(
            question_count=_count_per_survey(Question), response_count=_count_per_survey(Response)
        )
        .order_by("-created_at", "-id")
    )
    return render(request, "surveys/survey_list.html", {"surveys": surveys})


@require_http_methods(["GET", "POST"])
@membership_required(*AUTHORS)
def survey_create(request):
    kinds = authorable_kinds(request.membership)
    form = SurveyCreateForm(request.POST or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(
                organization=request.membership.organization,
                user=request.user,
                questions=[],
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Survey created. Now add its questions.")
            return redirect("surveys:detail", pk=survey.pk)
    return render(request, "surveys/survey_form.html", {"form": form, "creating": True})


@require_GET
@membership_required(*AUTHORS)
def template_gallery(request):
    templates = templates_for_kinds(authorable_kinds(request.membership))
    return render(request, "surveys/template_gallery.html", {"templates": templates})


@require_POST
@membership_required(*AUTHORS)
def survey_create_from_template(request, key: str):
    template = template_get(key)
    if template is None:
        raise Http404("No such template.")
    if not can_author(request.membership, template.kind):
        raise PermissionDenied("Your role does not author this kind of survey.")
    survey = services.survey_create_from_template(
        organization=request.membership.organization, user=request.user, key=key
    )
    messages.success(
        request, f"“{survey.title}” created from the template. Review it, then publish."
    )
    return redirect("surveys:detail", pk=survey.pk)


@require_GET
@membership_required(*AUTHORS)
def survey_detail(request, pk: int):
    survey = _survey_for_user(request, pk)
    questions = list(survey.questions.select_related("condition_question"))
    for question in questions:
        question.condition_text = condition_text(question.condition_value)
    context = {
        "survey": survey,
        "questions": questions,
        "response_count": survey.responses.count(),
        "distribution_panel": _distribution_panel(),
        # Shown beside the Publish button: what respondents in another language would read
        # untranslated. Publishing is still allowed (a translation may follow while it runs).
        "missing_translations": (
            _missing_translations(survey) if survey.status == SurveyStatus.DRAFT else []
        ),
        "language_name": language_name(survey.language),
        # Languages whose respondents get the survey's texts but Tandem's buttons and labels
        # in English: there is no catalogue of them (responses/locale) to read.
        "english_ui_languages": [
            language_name(code) for code in survey.languages if not has_ui_words(code)
        ],
        "ui_languages": ui_language_names(),
    }
    return render(request, "surveys/survey_detail.html", context)


def _missing_translations(survey: Survey) -> list[tuple[str, list[str]]]:
    return [
        (language_name(language), gaps)
        for language, gaps in survey_missing_translations(survey=survey)
    ]


@require_http_methods(["GET", "POST"])
@membership_required(*AUTHORS)
def survey_edit(request, pk: int):
    survey = _survey_for_user(request, pk)
    form = SurveySettingsForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(
                survey=survey, user=request.user, request=request, **form.service_kwargs()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Survey settings saved.")
            for warning in _anonymity_warnings(survey):
                messages.warning(request, warning)
            return redirect("surveys:detail", pk=survey.pk)
    return render(request, "surveys/survey_form.html", {"form": form, "survey": survey})


def _lifecycle_action(request, pk: int, action, success: str, warnings=None):
    """Calls `action` on the survey and says how it went; `warnings(survey)` lists what to
    point out after a success."""
    survey = _survey_for_user(request, pk)
    try:
        survey = action(survey=survey, user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
        for warning in warnings(survey) if warnings else []:
            messages.warning(request, warning)
    return redirect("surveys:detail", pk=survey.pk)


def _anonymity_warnings(survey: Survey) -> list[str]:
    """A named survey whose own texts speak of anonymity would mislead its respondents."""
    places = [] if survey.anonymous else anonymity_mentions(survey=survey)
    if not places:
        return []
    return [
        f"This survey is not anonymous: respondents are told their name is recorded with "
        f"their answers, but its {', '.join(places)} mention anonymity. Reword them in "
        "the settings so nobody is misled."
    ]


@require_POST
@membership_required(*AUTHORS)
def survey_publish(request, pk: int):
    return _lifecycle_action(
        request,
        pk,
        services.survey_publish,
        "The survey is live.",
        warnings=lambda survey: [*_untranslated(survey), *_anonymity_warnings(survey)],
    )


def _untranslated(survey: Survey) -> list[str]:
    return [
        f"Respondents reading {language} see these untranslated: {', '.join(gaps)}."
        for language, gaps in _missing_translations(survey)
    ]


@require_http_methods(["GET", "POST"])
@membership_required(*AUTHORS)
def survey_close(request, pk: int):
    """GET asks to confirm (closing cannot be undone and stops printed QR codes); POST closes."""
    if request.method == "POST":
        return _lifecycle_action(
            request, pk, services.survey_close, "The survey is closed; no more answers are taken."
        )
    survey = _survey_for_user(request, pk)
    if survey.status == SurveyStatus.DRAFT:
        messages.error(request, "Only a live survey can be closed; this one was never published.")
        return redirect("surveys:detail", pk=survey.pk)
    if survey.status == SurveyStatus.CLOSED:
        messages.info(request, "This survey is already closed.")
        return redirect("surveys:detail", pk=survey.pk)
    context = {"survey": survey, **survey_close_reach(survey=survey)}
    return render(request, "surveys/survey_close.html", context)


@require_http_methods(["GET", "POST"])
@membership_required(*AUTHORS)
def survey_delete(request, pk: int):
    """GET asks to confirm; POST deletes the draft. A published survey is refused."""
    survey = _survey_for_user(request, pk)
    if survey.status != SurveyStatus.DRAFT:
        messages.error(request, "Only a draft can be deleted: close a published survey instead.")
        return redirect("surveys:detail", pk=survey.pk)
    if request.method == "GET":
        return render(request, "surveys/survey_delete.html", {"survey": survey})
    try:
        services.survey_delete(survey=survey, user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("surveys:detail", pk=survey.pk)
    messages.success(request, f"Draft “{survey.title}” deleted.")
    return redirect("surveys:list")


@require_POST
@membership_required(*AUTHORS)
def survey_duplicate(request, pk: int):
    survey = _survey_for_user(request, pk)
    copy = services.survey_duplicate(survey=survey, user=request.user)
    messages.success(request, "This is a draft copy. Edit it freely, then publish.")
    return redirect("surveys:detail", pk=copy.pk)


@require_GET
@membership_required(*AUTHORS)
def survey_preview(request, pk: int):
    """The respondent's page itself (same form and template), with sending switched off."""
    return answer_preview(request, survey=_survey_for_user(request, pk))


# --- Questions ---------------------------------------------------------------------------------


def _question_form_page(request, survey: Survey, question: Question | None):
    closed = survey.status == SurveyStatus.CLOSED
    if closed and question is None:
        messages.error(request, CLOSED_MESSAGE.format(what="no question can be added"))
        return redirect("surveys:detail", pk=survey.pk)
    # Why the type and choices are fixed: "closed", "responses", or "" (they are not).
    frozen = "closed" if closed else "responses" if question and survey.responses.exists() else ""
    form = QuestionForm(
        request.POST or None,
        survey=survey,
        question=question,
        frozen=bool(frozen),
        frozen_help=CLOSED_HELP if closed else FROZEN_HELP,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if question is None:
                services.question_add(survey=survey, **form.service_kwargs())
            else:
                services.question_update(question=question, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Question saved.")
            return redirect("surveys:detail", pk=survey.pk)
    context = {"form": form, "survey": survey, "question": question, "frozen": frozen}
    return render(request, "surveys/question_form.html", context)


@require_http_methods(["GET", "POST"])
@membership_required(*AUTHORS)
def question_add(request, pk: int):
    return _question_form_page(request, _survey_for_user(request, pk), None)


@require_http_methods(["GET", "POST"])
@membership_required(*AUTHORS)
def question_edit(request, pk: int, question_pk: int):
    survey = _survey_for_user(request, pk)
    return _question_form_page(request, survey, _question_for_survey(survey, question_pk))


@require_POST
@membership_required(*AUTHORS)
def question_move(request, pk: int, question_pk: int):
    survey = _survey_for_user(request, pk)
    question = _question_for_survey(survey, question_pk)
    try:
        services.question_move(question=question, direction=request.POST.get("direction", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"{reverse('surveys:detail', args=[survey.pk])}#question-{question.pk}")


@require_http_methods(["GET", "POST"])
@membership_required(*AUTHORS)
def question_remove(request, pk: int, question_pk: int):
    """GET asks to confirm (the builder's Remove button leads here); POST removes."""
    survey = _survey_for_user(request, pk)
    question = _question_for_survey(survey, question_pk)
    if request.method == "GET":
        context = {"survey": survey, "question": question}
        return render(request, "surveys/question_remove.html", context)
    try:
        services.question_remove(question=question)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Question removed.")
    return redirect("surveys:detail", pk=survey.pk)
