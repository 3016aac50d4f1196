from __future__ import annotations

from django.shortcuts import render

from surveys.permissions import membership_required


@membership_required()
def mine(request):
    return render(request, "placeholder.html", {"title": "My surveys"})
