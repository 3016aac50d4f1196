"""Distribution pages for survey authors.

EX surveys (HR admins): send to teams or everyone, remind, participation per team, pulse schedule.
CX surveys (CX managers): customer links per team / location / agent, with QR codes.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys import distribution, distribution_selectors
from surveys.distribution_forms import CustomerLinkForm, PulseScheduleForm, SendForm
from surveys.distribution_selectors import customer_links_for_survey, participation_by_team
from surveys.forms import add_service_errors
from surveys.models import CustomerLink, PulseSchedule, Role, Survey, SurveyKind
from surveys.permissions import membership_required
from surveys.views import survey_for_author

AUTHORS = (Role.HR_ADMIN, Role.CX_MANAGER)
QR_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def _survey_for_user(request, pk: int, *, kind: str | None = None) -> Survey:
    """The author's survey (404 other organisation, 403 other kind); 404 if the page is for the
    other kind of survey (invitations are EX only, links CX only)."""
    survey = survey_for_author(membership=request.membership, pk=pk)
    if kind is not None and survey.kind != kind:
        raise Http404("This page is for the other kind of survey.")
    return survey


def _page(request, survey: Survey, **forms_):
    org = survey.organization
    context = {"survey": survey, **forms_}
    if survey.kind == SurveyKind.EX:
        # Back from the review page: the choices come back in the query string.
        initial = {
            "whole_org": bool(request.GET.get("whole_org")),
            "teams": request.GET.getlist("teams"),
        }
        context.setdefault("send_form", SendForm(organization=org, initial=initial))
        context["teams"] = distribution_selectors.teams_with_people(organization=org)
        context["participation"] = participation_by_team(survey=survey)
        context["schedule"] = PulseSchedule.objects.filter(survey=survey).first()
        context["current_round"] = distribution.cycle_current(survey=survey)
    else:
        context.setdefault("link_form", CustomerLinkForm(organization=org))
        context["links"] = [
            (link, distribution.customer_link_url(link))
            for link in customer_links_for_survey(survey=survey)
        ]
    status = 400 if any(f.errors for f in forms_.values()) else 200
    return render(request, "surveys/distribution/overview.html", context, status=status)


@require_GET
@membership_required(*AUTHORS)
def overview(request, pk: int):
    return _page(request, _survey_for_user(request, pk))


@require_POST
@membership_required(*AUTHORS)
def send(request, pk: int):
    """Without `confirm`, the review page says what sending would do; with it, invitations go."""
    survey = _survey_for_user(request, pk, kind=SurveyKind.EX)
    form = SendForm(request.POST, organization=survey.organization)
    if form.is_valid():
        teams = form.chosen_teams()
        try:
            if not form.cleaned_data["confirm"]:
                distribution.invitations_check(survey=survey, teams=teams)
                return _send_review(request, survey, teams)
            sent = distribution.invitations_send(
                survey=survey, teams=teams, user=request.user, request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if sent:
                text = ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
                messages.success(request, text % {"count": sent})
            else:
                messages.info(request, "Everyone chosen already has an invitation to this round.")
            return redirect("surveys:distribution", pk=survey.pk)
    return _page(request, survey, send_form=form)


def _send_review(request, survey: Survey, teams) -> HttpResponse:
    """The review page posts back exactly the teams it lists (departments resolved to theirs)."""
    choice = {"whole_org": "on"} if teams is None else {"teams": [team.pk for team in teams]}
    context = {
        "survey": survey,
        "preview": distribution_selectors.send_preview(survey=survey, teams=teams),
        "choice": choice,
        "back_query": urlencode(choice, doseq=True),
    }
    return render(request, "surveys/distribution/send_review.html", context)


@require_POST
@membership_required(*AUTHORS)
def remind(request, pk: int):
    survey = _survey_for_user(request, pk, kind=SurveyKind.EX)
    try:
        count = distribution.invitations_remind(survey=survey, user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _remind_message(survey, count))
    return redirect("surveys:distribution", pk=survey.pk)


def _remind_message(survey, count: int) -> str:
    hours = int(distribution.REMIND_GAP.total_seconds() // 3600)
    if count:
        text = ngettext(
            "Reminder sent to %(count)d person who has not answered yet (nobody invited or "
            "reminded in the last %(hours)d hours is reminded). Every link they were sent keeps "
            "working.",
            "Reminder sent to %(count)d people who have not answered yet (nobody invited or "
            "reminded in the last %(hours)d hours is reminded). Every link they were sent keeps "
            "working.",
            count,
        )
        return text % {"count": count, "hours": hours}
    if not distribution_selectors.round_has_invitations(survey=survey):
        return "Nobody has been invited yet, so there is nobody to remind. Send the survey first."
    return (
        f"Nobody to remind: everyone invited has answered, or was invited or reminded in the "
        f"last {hours} hours."
    )


@require_http_methods(["GET", "POST"])
@membership_required(*AUTHORS)
def schedule(request, pk: int):
    survey = _survey_for_user(request, pk, kind=SurveyKind.EX)
    current = PulseSchedule.objects.filter(survey=survey).first()
    data = request.POST if request.method == "POST" else None
    form = PulseScheduleForm(data, organization=survey.organization, schedule=current)
    if data is not None and form.is_valid():
        try:
            saved = distribution.pulse_schedule_save(
                survey=survey, user=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Pulse saved. Next round: {saved.next_run_at:%A %d %B %Y, %H:%M} UTC."
            )
            return redirect("surveys:distribution", pk=survey.pk)
    context = {
        "survey": survey,
        "form": form,
        "schedule": current,
        "teams": distribution_selectors.teams_with_people(organization=survey.organization),
    }
    return render(
        request,
        "surveys/distribution/schedule.html",
        context,
        status=400 if form.errors else 200,
    )


@require_POST
@membership_required(*AUTHORS)
def link_create(request, pk: int):
    survey = _survey_for_user(request, pk, kind=SurveyKind.CX)
    form = CustomerLinkForm(request.POST, organization=survey.organization)
    if form.is_valid():
        try:
            link = distribution.customer_link_create(
                survey=survey, user=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Link “{link.label}” created.")
            return redirect("surveys:distribution", pk=survey.pk)
    return _page(request, survey, link_form=form)


def _link_for_survey(survey: Survey, link_pk: int) -> CustomerLink:
    return get_object_or_404(CustomerLink, pk=link_pk, survey=survey)


@require_POST
@membership_required(*AUTHORS)
def link_switch(request, pk: int, link_pk: int, on: bool):
    """Switch a link off (it shows "closed") or back on (urls: `on` per path)."""
    survey = _survey_for_user(request, pk, kind=SurveyKind.CX)
    link = _link_for_survey(survey, link_pk)
    distribution.customer_link_switch(link=link, active=on, user=request.user, request=request)
    if on:
        done = "switched on; its URL and QR codes take answers again"
    else:
        done = "switched off; it now shows “closed”"
    messages.success(request, f"Link “{link.label}” {done}.")
    return redirect("surveys:distribution", pk=survey.pk)


@require_GET
@membership_required(*AUTHORS)
def link_qr(request, pk: int, link_pk: int, fmt: str):
    survey = _survey_for_user(request, pk, kind=SurveyKind.CX)
    link = _link_for_survey(survey, link_pk)
    if fmt not in QR_TYPES:
        raise Http404("QR codes come as png or svg.")
    response = HttpResponse(distribution.customer_link_qr(link=link, kind=fmt))
    response["Content-Type"] = QR_TYPES[fmt]
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="tandem-link-{link.pk}.{fmt}"'
    return response
