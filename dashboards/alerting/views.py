"""Alert inbox, alert detail and its actions, rules, webhook endpoints and the delivery log.

Who: HR admins own EX rules and alerts, CX managers own CX ones; a team lead sees the alerts of
their own team (read, acknowledge, add notes); staff get 403; another organisation's objects 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.audit import AuditAction, audit_record
from dashboards.alerting import actions, selectors, services
from dashboards.alerting.forms import (
    AlertRuleForm,
    AssignForm,
    NoteForm,
    ResolveForm,
    WebhookEndpointForm,
)
from dashboards.alerting.outbox import outbox_message_resend
from dashboards.models import (
    Alert,
    AlertMetric,
    AlertRule,
    AlertStatus,
    OutboxMessage,
    OutboxStatus,
    WebhookEndpoint,
)
from responses.models import Answer, Response
from surveys.models import Role, SurveyKind
from surveys.permissions import membership_required

INBOX_ROLES = (Role.HR_ADMIN, Role.CX_MANAGER, Role.TEAM_LEAD)
OWNER_ROLES = (Role.HR_ADMIN, Role.CX_MANAGER)
PAGE_SIZE = 50
ACTIVE = "active"  # the inbox's default filter: open and acknowledged


# --- Scoping helpers: tenancy (404) and permission (403) in one place each ------------------------


def _alert_for_user(request, pk: int) -> Alert:
    membership = request.membership
    alert = get_object_or_404(
        Alert.objects.select_related("rule", "survey", "assignee", "response", "team"),
        pk=pk,
        organization_id=membership.organization_id,
    )
    if not selectors.alerts_for_member(membership=membership).filter(pk=pk).exists():
        raise PermissionDenied("This alert belongs to another team or kind of survey.")
    return alert


def _owns(membership, kind: str) -> bool:
    return kind in selectors.owned_kinds(membership)


def _alert_for_owner(request, pk: int) -> Alert:
    """Assigning and resolving are for the owners of the alert's kind (not team leads)."""
    alert = _alert_for_user(request, pk)
    if not _owns(request.membership, alert.survey.kind):
        raise PermissionDenied("Only the owners of this kind of alert can do that.")
    return alert


def _rule_for_user(request, pk: int) -> AlertRule:
    rule = get_object_or_404(AlertRule, pk=pk, organization_id=request.membership.organization_id)
    if not _owns(request.membership, rule.kind):
        raise PermissionDenied("This rule belongs to the other kind of survey.")
    return rule


def _owned_kind(membership) -> str:
    return selectors.owned_kinds(membership)[0]


def _assignable_users(alert: Alert):
    """The kind's owners, and the lead of the alert's team."""
    who = Q(memberships__role=selectors.OWNER_ROLE[alert.survey.kind])
    if alert.team_id:
        who |= Q(memberships__role=Role.TEAM_LEAD, memberships__team_id=alert.team_id)
    return (
        get_user_model()
        .objects.filter(who, memberships__organization_id=alert.organization_id)
        .distinct()
        .order_by("username")
    )


# --- Inbox and alert ------------------------------------------------------------------------------


@require_GET
@membership_required(*INBOX_ROLES)
def alert_list(request):
    status = request.GET.get("status") or ACTIVE
    filters = [(ACTIVE, "Active"), *AlertStatus.choices, ("all", "All")]
    alerts = selectors.alert_list(membership=request.membership)
    times = {
        name: _duration_text(value)
        for name, value in selectors.alert_response_times(alerts=alerts).items()
    }
    context = {"status": status, "filters": filters, "times": times, **_nav(request)}
    if status not in dict(filters):
        # Said, not silently read as "Active": a mistyped link would list other alerts.
        context["refusal"] = _unknown_status(status, filters)
        return render(request, "dashboards/alerts/list.html", context, status=400)
    if status == ACTIVE:
        alerts = alerts.exclude(status=AlertStatus.RESOLVED)
    elif status != "all":
        alerts = alerts.filter(status=status)
    context["page"] = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dashboards/alerts/list.html", context)


def _unknown_status(status: str, filters: list[tuple[str, str]]) -> str:
    labels = [label for _, label in filters]
    return (
        f"There is no status “{Truncator(status).chars(40)}” to filter alerts by. Choose "
        f"{', '.join(labels[:-1])} or {labels[-1]}."
    )


def _detail_context(request, alert: Alert, **forms) -> dict:
    owner = _owns(request.membership, alert.survey.kind)
    context = {
        "alert": alert,
        "notes": alert.notes.select_related("author"),
        "owner": owner,
        "note_form": forms.get("note_form") or NoteForm(),
        "answers": _customer_answers(request, alert),
        "served": _served(alert),
        "value_text": _value_text(alert),
        **_nav(request),
    }
    if owner:
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            users=_assignable_users(alert), initial={"assignee": alert.assignee_id}
        )
        context["resolve_form"] = forms.get("resolve_form") or ResolveForm()
        context["deliveries"] = alert.messages.prefetch_related("deliveries")
    return context


def _served(alert: Alert) -> Response | None:
    """Who served the customer of a per-response CX alert (team, location, agent) and when they
    answered: what a follow-up starts from, whatever the rule's scope. Never on an anonymous
    survey: with the exact time and channel they single out one customer's answers."""
    if alert.response_id is None or alert.survey.kind != SurveyKind.CX or alert.withholds_response:
        return None
    return (
        Response.objects.filter(pk=alert.response_id)
        .select_related("team", "location", "agent")
        .only("submitted_at", "channel", "team__name", "location__name", "agent__name")
        .first()
    )


def _value_text(alert: Alert) -> str:
    """An alert's value as a manager reads it, where the number alone says little: a detractor
    answer with its question ('NPS 2 (“How likely…”)'), a group's count of negative comments
    ("3 negative comments"), one negative comment's sentiment on its scale (it showed
    "-0.9493"). "" for figures (shown as they are), and when the response is gone or withheld;
    the API keeps the number."""
    if alert.value is None or alert.withholds_response:
        return ""
    if alert.metric == AlertMetric.NEGATIVE_COMMENT:
        if not alert.response_key:
            count = round(alert.value)
            return f"{count} negative comment{pluralize(count)}"
        sentiment = f"{alert.value:.2f}"
        return f"Negative comment (sentiment {sentiment}, on a scale from -1, most negative, to +1)"
    if alert.metric != AlertMetric.DETRACTOR or not alert.response_id:
        return ""
    answers = selectors.detractor_answers(response_id=alert.response_id)
    return selectors.answer_label(answers[0]) if answers else ""


def _customer_answers(request, alert: Alert) -> list[Answer]:
    """A CX response's answers, so someone can follow up; never for an anonymous survey."""
    survey = alert.survey
    if alert.response_id is None or survey.kind != SurveyKind.CX or survey.anonymous:
        return []
    answers = list(
        Answer.objects.filter(response_id=alert.response_id)
        .select_related("question")
        .order_by("question__order", "question_id")
    )
    _audit_view(request, alert, AuditAction.RESPONSES_VIEW, alert.response)
    return answers


def _audit_view(request, alert: Alert, action: str, obj) -> None:
    audit_record(
        organization=alert.organization,
        user=request.user,
        action=action,
        obj=obj,
        detail={"alert": alert.id},
        request=request,
    )


@require_GET
@membership_required(*INBOX_ROLES)
def alert_detail(request, pk: int):
    alert = _alert_for_user(request, pk)
    if alert.metric == AlertMetric.NEGATIVE_COMMENT and not selectors.is_protected(alert.survey):
        # The message quotes the comment (anonymous surveys' alerts give a count only).
        _audit_view(request, alert, AuditAction.COMMENTS_VIEW, alert.survey)
    return render(request, "dashboards/alerts/detail.html", _detail_context(request, alert))


@require_POST
@membership_required(*INBOX_ROLES)
def alert_acknowledge(request, pk: int):
    alert = _alert_for_user(request, pk)
    if actions.alert_acknowledge(alert=alert, user=request.user):
        messages.success(request, "Alert acknowledged.")
    else:
        messages.info(request, _unchanged(alert))
    return redirect("dashboards:alert-detail", pk=alert.pk)


def _unchanged(alert: Alert, note: str = "") -> str:
    """Why an action on an alert changed nothing (a second click, or a colleague was first)."""
    text = f"This alert was already {alert.get_status_display().lower()}: nothing changed."
    return text + (" Your closing note was not saved; add it as a note." if note else "")


@require_POST
@membership_required(*INBOX_ROLES)
def alert_note(request, pk: int):
    alert = _alert_for_user(request, pk)
    return _alert_form_post(
        request,
        alert,
        NoteForm(request.POST),
        slot="note_form",
        act=lambda data: actions.alert_note_add(
            alert=alert, author=request.user, body=data["body"]
        ),
        done="Note added.",
    )


@require_POST
@membership_required(*OWNER_ROLES)
def alert_assign(request, pk: int):
    alert = _alert_for_owner(request, pk)
    return _alert_form_post(
        request,
        alert,
        AssignForm(request.POST, users=_assignable_users(alert)),
        slot="assign_form",
        act=lambda data: actions.alert_assign(
            alert=alert, assignee=data["assignee"], user=request.user
        ),
        done="Assignment saved.",
    )


@require_POST
@membership_required(*OWNER_ROLES)
def alert_resolve(request, pk: int):
    alert = _alert_for_owner(request, pk)
    return _alert_form_post(
        request,
        alert,
        ResolveForm(request.POST),
        slot="resolve_form",
        act=lambda data: actions.alert_resolve(alert=alert, user=request.user, note=data["note"]),
        done="Alert resolved.",
        unchanged=lambda data: _unchanged(alert, data["note"]),
    )


def _alert_form_post(request, alert: Alert, form, *, slot: str, act, done: str, unchanged=None):
    """Bad input re-renders the alert with the form's errors (400); else act and go back. An
    action that changed nothing (`act` returns False) says why, with `unchanged(data)`."""
    if not form.is_valid():
        context = _detail_context(request, alert, **{slot: form})
        return render(request, "dashboards/alerts/detail.html", context, status=400)
    if act(form.cleaned_data) is not False:
        messages.success(request, done)
    elif unchanged is not None:
        messages.info(request, unchanged(form.cleaned_data))
    return redirect("dashboards:alert-detail", pk=alert.pk)


def _response_to_follow_up(request, pk: int) -> Response:
    """A response of the member's organisation (else 404) whose customer a CX manager may
    follow up: of a customer survey (the only kind CX managers own) that is not anonymous
    (else 403)."""
    response = get_object_or_404(
        Response.objects.select_related("survey"),
        pk=pk,
        survey__organization_id=request.membership.organization_id,
    )
    if not _owns(request.membership, response.survey.kind):
        raise PermissionDenied("Only the owners of this kind of survey follow up its responses.")
    if selectors.is_protected(response.survey):
        raise PermissionDenied("Responses to an anonymous survey are never followed up one by one.")
    return response


@require_POST
@membership_required(Role.CX_MANAGER)
def follow_up_open(request, response_pk: int):
    """The CX page's "Open follow-up" on a detractor's row without one: the alert a detractor
    rule raises, assigned to the member (services.follow_up_open); a second click finds it."""
    response = _response_to_follow_up(request, response_pk)
    alert, created = services.follow_up_open(response_id=response.pk, user=request.user)
    if alert is None:
        return HttpResponseBadRequest(
            "This response has no detractor answer (0–6 on NPS, 1–2 on CSAT): there is no "
            "follow-up to open.",
            content_type="text/plain; charset=utf-8",
        )
    if created:
        messages.success(request, "Follow-up opened and assigned to you.")
    else:
        messages.info(request, "This response already has a follow-up: here it is.")
    return redirect("dashboards:alert-detail", pk=alert.pk)


# --- Rules ----------------------------------------------------------------------------------------


@require_GET
@membership_required(*OWNER_ROLES)
def rule_list(request):
    rules = selectors.rules_for_member(membership=request.membership)
    return render(request, "dashboards/alerts/rules.html", {"rules": rules, **_nav(request)})


@require_http_methods(["GET", "POST"])
@membership_required(*OWNER_ROLES)
def rule_create(request):
    membership = request.membership
    rule = AlertRule(
        organization=membership.organization, kind=_owned_kind(membership), created_by=request.user
    )
    return _rule_form(request, rule, initial={"owners": [request.user.pk]})


@require_http_methods(["GET", "POST"])
@membership_required(*OWNER_ROLES)
def rule_edit(request, pk: int):
    return _rule_form(request, _rule_for_user(request, pk))


def _rule_form(request, rule: AlertRule, initial: dict | None = None):
    organization = request.membership.organization
    form = AlertRuleForm(
        request.POST or None,
        instance=rule,
        organization=organization,
        kind=rule.kind,
        initial=initial,
    )
    if request.method == "POST":
        if form.is_valid():
            actions.alert_rule_save(
                rule=form.save(commit=False),
                owners=form.cleaned_data["owners"],
                user=request.user,
                request=request,
            )
            messages.success(request, f"Rule “{rule.name}” saved.")
            return redirect("dashboards:alert-rules")
        status = 400
    else:
        status = 200
    context = {"form": form, "rule": rule, **_nav(request)}
    return render(request, "dashboards/alerts/rule_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@membership_required(*OWNER_ROLES)
def rule_delete(request, pk: int):
    rule = _rule_for_user(request, pk)
    if request.method == "POST":
        actions.alert_rule_delete(rule=rule, user=request.user, request=request)
        messages.success(request, f"Rule “{rule.name}” deleted; its alerts stay in the inbox.")
        return redirect("dashboards:alert-rules")
    context = {"rule": rule, "alert_count": rule.alerts.count(), **_nav(request)}
    return render(request, "dashboards/alerts/rule_delete.html", context)


# --- Webhook endpoints and deliveries ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@membership_required(*OWNER_ROLES)
def webhook_list(request):
    membership = request.membership
    form = WebhookEndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            actions.webhook_endpoint_create(
                organization_id=membership.organization_id,
                kind=_owned_kind(membership),
                user=request.user,
                request=request,
                **form.cleaned_data,
            )
            messages.success(request, "Webhook endpoint added. Use its secret to check signatures.")
            return redirect("dashboards:alert-webhooks")
        status = 400
    endpoints = selectors.webhooks_for_member(membership=membership)
    context = {"form": form, "endpoints": endpoints, **_nav(request)}
    return render(request, "dashboards/alerts/webhooks.html", context, status=status)


@require_POST
@membership_required(*OWNER_ROLES)
def webhook_delete(request, pk: int):
    membership = request.membership
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, organization_id=membership.organization_id)
    if not _owns(membership, endpoint.kind):
        raise PermissionDenied("This endpoint belongs to the other kind of survey.")
    actions.webhook_endpoint_delete(endpoint=endpoint, user=request.user, request=request)
    messages.success(request, "Webhook endpoint removed.")
    return redirect("dashboards:alert-webhooks")


@require_GET
@membership_required(*OWNER_ROLES)
def delivery_list(request):
    status = request.GET.get("status", "")
    if status not in OutboxStatus.values:
        status = ""
    deliveries = selectors.deliveries_for_member(membership=request.membership, status=status)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": OutboxStatus.choices, **_nav(request)}
    return render(request, "dashboards/alerts/deliveries.html", context)


@require_POST
@membership_required(*OWNER_ROLES)
def delivery_resend(request, pk: int):
    membership = request.membership
    message = get_object_or_404(
        OutboxMessage.objects.select_related("endpoint"),
        pk=pk,
        organization_id=membership.organization_id,
    )
    if not _owns(membership, message.survey_kind):
        raise PermissionDenied("This delivery belongs to the other kind of survey.")
    if outbox_message_resend(message=message):
        messages.success(request, "Queued to be sent again.")
    else:
        messages.info(request, "This delivery is already waiting to be sent.")
    return redirect("dashboards:alert-deliveries")


def _duration_text(value) -> str | None:
    """A mean duration as people say it: "2 d 3 h", "3 h 20 min", "12 min"."""
    if value is None:
        return None
    minutes = int(value.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _nav(request) -> dict:
    return {"is_owner": request.membership.role in OWNER_ROLES}
