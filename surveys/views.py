from __future__ import annotations

from django.shortcuts import render

from surveys.models import Role
from surveys.permissions import membership_required


@membership_required(Role.HR_ADMIN, Role.CX_MANAGER)
def survey_list(request):
    return render(request, "placeholder.html", {"title": "Surveys"})


@membership_required(Role.HR_ADMIN)
def people(request):
    return render(request, "placeholder.html", {"title": "People"})
