from __future__ import annotations

from django.shortcuts import render

from surveys.models import Role
from surveys.permissions import membership_required

_RESULTS = (Role.HR_ADMIN, Role.CX_MANAGER, Role.TEAM_LEAD)


@membership_required(*_RESULTS)
def overview(request):
    return render(request, "placeholder.html", {"title": "Overview"})


@membership_required(Role.HR_ADMIN, Role.TEAM_LEAD)
def ex(request):
    return render(request, "placeholder.html", {"title": "Employee experience"})


@membership_required(Role.CX_MANAGER, Role.TEAM_LEAD)
def cx(request):
    return render(request, "placeholder.html", {"title": "Customer experience"})


@membership_required(Role.HR_ADMIN, Role.CX_MANAGER)
def link(request):
    return render(request, "placeholder.html", {"title": "EX→CX link"})
