"""API v1, fourth part: GET /api/v1/linkage/ — each team's EX score against its CX score.

Query: ex_survey, cx_survey (ids, required), ex_metric=enps|engagement, cx_metric=csat|nps|ces,
lag=0|1, period=all|month|quarter (optional start, end). The same form as the page validates it:
bad values are a 400 with a message per field, another organisation's survey is a 404.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error
from dashboards.forms import LinkFilterForm
from dashboards.selectors.common import surveys_outside_org
from dashboards.selectors.linkage import linkage
from surveys.permissions import can_view_link
from surveys.selectors import membership_for_user


class LinkageView(APIView):
    """Pairs (team, period, EX, CX) with Pearson, Spearman and Fisher's 95% interval."""

    def get(self, request):
        membership = membership_for_user(user=request.user)
        if not can_view_link(membership):
            raise PermissionDenied("The EX→CX link is for HR admins and CX managers.")
        params = request.query_params
        if surveys_outside_org(
            params, ("ex_survey", "cx_survey"), organization_id=membership.organization_id
        ):
            raise Http404("No such survey.")
        form = LinkFilterForm(params, organization=membership.organization)
        if not form.is_valid():
            fields = {
                name: [str(message) for message in messages]
                for name, messages in form.errors.items()
            }
            return error("Invalid parameters.", **fields)
        data = form.cleaned_data
        return Response(
            linkage(
                ex_survey=data["ex_survey"],
                cx_survey=data["cx_survey"],
                ex_metric=data["ex_metric"],
                cx_metric=data["cx_metric"],
                period=data["period"],
                lag=data["lag"],
                start=data["start"],
                end=data["end"],
            )
        )
