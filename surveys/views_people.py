"""HR admin pages for the organisation chart: the people list (search, import) and one person."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from surveys import services
from surveys.forms import PeopleFilterForm, PeopleImportForm, PersonForm, add_service_errors
from surveys.models import Role
from surveys.permissions import membership_required
from surveys.selectors import people_search, person_of_organization

PEOPLE_PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@membership_required(Role.HR_ADMIN)
def people(request):
    organization = request.membership.organization
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    report, previewed = None, ""
    if request.method == "POST" and form.is_valid():
        raw = form.csv_bytes()
        report = services.people_import_csv(
            organization=organization,
            file=io.BytesIO(raw),
            user=request.user,
            request=request,
            preview=request.POST.get("action") == "preview",
        )
        if report.ok and report.preview:
            # Confirming imports this text: the file is not uploaded twice.
            previewed = raw.decode("utf-8-sig")
        elif report.ok:
            messages.success(request, report.headline)
            for change in report.changes:
                messages.warning(request, change)
            return redirect("surveys:people")
    context = {"form": form, "report": report, "previewed": previewed}
    return render(request, "surveys/people.html", {**context, **_people_listed(request)})


def _people_listed(request) -> dict:
    """The page of people the search asks for, its counts, and the query for page links."""
    search = PeopleFilterForm(request.GET or None, organization=request.membership.organization)
    found = {}
    if search.is_valid():
        found = {"search": search.cleaned_data["q"].strip(), "team": search.cleaned_data["team"]}
    people = people_search(organization=request.membership.organization, **found)
    counts = people.aggregate(people=Count("pk"), teams=Count("team", distinct=True))
    page = Paginator(people, PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"search": search, "page": page, "counts": counts, "query": query.urlencode()}


@require_http_methods(["GET", "POST"])
@membership_required(Role.HR_ADMIN)
def person_edit(request, pk: int):
    person = person_of_organization(membership=request.membership, pk=pk)
    initial = {"name": person.name, "email": person.email, "team": person.team}
    form = PersonForm(
        request.POST or None, initial=initial, organization=request.membership.organization
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                person=person, **form.cleaned_data, user=request.user, request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{person.name}’s details saved.")
            return redirect("surveys:person", pk=person.pk)
    context = {"person": person, "form": form}
    return render(request, "surveys/person.html", context, status=400 if form.errors else 200)


@require_POST
@membership_required(Role.HR_ADMIN)
def person_active(request, pk: int, active: bool):
    """Mark the person as left, or back (urls: `active` per path)."""
    person = person_of_organization(membership=request.membership, pk=pk)
    services.person_active_set(person=person, active=active, user=request.user, request=request)
    if active:
        done = "is back: the next survey sent to their team invites them"
    else:
        done = "is marked as left: surveys no longer invite or remind them"
    messages.success(request, f"{person.name} {done}.")
    return redirect("surveys:person", pk=person.pk)
