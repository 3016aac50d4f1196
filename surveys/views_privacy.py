"""HR admin pages for privacy: the audit log, retention, and one person's export and erasure."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from config.audit import action_label
from surveys import privacy
from surveys.models import AuditLog, Person, Role
from surveys.permissions import membership_required
from surveys.selectors import person_of_organization

AUDIT_PAGE_SIZE = 50
PEOPLE_SEARCH_LIMIT = 20


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    user = forms.ChoiceField(required=False, label="Who")

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        actions = entries.order_by("action").values_list("action", flat=True).distinct()
        self.fields["action"].choices = [
            ("", "Any action"),
            *sorted(((a, action_label(a)) for a in actions), key=lambda choice: choice[1]),
        ]
        actors = (
            entries.exclude(user=None).order_by("actor").values_list("user_id", "actor").distinct()
        )
        self.fields["user"].choices = [("", "Anyone"), *((str(u), a) for u, a in actors)]


@require_GET
@membership_required(Role.HR_ADMIN)
def audit_log(request):
    entries = AuditLog.objects.filter(organization=request.membership.organization)
    form = AuditFilterForm(request.GET or None, entries=entries)
    if form.is_valid():
        if form.cleaned_data["action"]:
            entries = entries.filter(action=form.cleaned_data["action"])
        if form.cleaned_data["user"]:
            entries = entries.filter(user_id=form.cleaned_data["user"])
    page = Paginator(entries.order_by("-created_at", "-id"), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/privacy/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


class RetentionForm(forms.Form):
    retention_months = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=120,
        label="Keep responses for (months)",
        help_text="Leave empty to keep them forever. Figures on dashboards are never affected.",
    )


@require_http_methods(["GET", "POST"])
@membership_required(Role.HR_ADMIN)
def privacy_home(request):
    organization = request.membership.organization
    form = RetentionForm(
        request.POST or None, initial={"retention_months": organization.retention_months}
    )
    if request.method == "POST" and form.is_valid():
        privacy.retention_set(
            organization=organization,
            months=form.cleaned_data["retention_months"],
            user=request.user,
            request=request,
        )
        messages.success(request, "Retention period saved.")
        return redirect("surveys:privacy")
    cutoff = privacy.retention_cutoff(organization=organization)
    due = privacy.purge_candidates(organization=organization, cutoff=cutoff) if cutoff else None
    search = (request.GET.get("q") or "").strip()
    people = []
    if search:
        people = Person.objects.filter(
            Q(name__icontains=search) | Q(email__icontains=search), organization=organization
        ).select_related("team")[:PEOPLE_SEARCH_LIMIT]
    return render(
        request,
        "surveys/privacy/privacy.html",
        {
            "form": form,
            "organization": organization,
            "cutoff": cutoff,
            "due": due.count() if due is not None else None,
            "search": search,
            "people": people,
        },
        status=400 if form.errors else 200,
    )


@require_GET
@membership_required(Role.HR_ADMIN)
def person_export(request, pk: int):
    person = person_of_organization(membership=request.membership, pk=pk)
    data = privacy.person_export(person=person, user=request.user, request=request)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.json"'
    return response


class ErasureForm(forms.Form):
    email = forms.EmailField(label="Type the person's email to confirm")

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email.strip().lower() != self.person.email.lower():
            raise ValidationError("This is not the person's email address.")
        return email


def _erased_message(summary: dict) -> str:
    responses, invitations = summary["responses"], summary["invitations"]
    return "The person's data was erased: {} and {} deleted.".format(
        ngettext("%(count)d response", "%(count)d responses", responses) % {"count": responses},
        ngettext("%(count)d invitation", "%(count)d invitations", invitations)
        % {"count": invitations},
    )


@require_http_methods(["GET", "POST"])
@membership_required(Role.HR_ADMIN)
def person_erase(request, pk: int):
    person = person_of_organization(membership=request.membership, pk=pk)
    refusal = privacy.person_erase_refusal(person=person, user=request.user)
    if refusal:  # said before any confirmation is asked for; a POST changes nothing either
        context = {"person": person, "refusal": refusal}
        status = 400 if request.method == "POST" else 200
        return render(request, "surveys/privacy/person_erase.html", context, status=status)
    form = ErasureForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            summary = privacy.person_erase(person=person, user=request.user, request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _erased_message(summary))
            return redirect("surveys:privacy")
    return render(
        request,
        "surveys/privacy/person_erase.html",
        {"person": person, "form": form, "owned": person.responses.count()},
        status=400 if form.errors else 200,
    )
