"""API v1, fourth part: GET /api/v1/linkage/ — each team's EX score against its CX score.

Query: ex_survey, cx_survey (ids, required), ex_metric=enps|engagement, cx_metric=csat|nps|ces,
lag=0|1, period=all|month|quarter (optional start, end). The same form as the page validates it:
bad values are a 400 with a message per field, another organisation's survey is a 404.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error
from dashboards.forms import (
    CX_METRIC_CHOICES,
    EX_METRIC_CHOICES,
    LAG_CHOICES,
    LINK_PERIOD_CHOICES,
    LinkFilterForm,
)
from dashboards.selectors.common import surveys_outside_org
from dashboards.selectors.linkage import linkage
from surveys.permissions import can_view_link
from surveys.selectors import membership_for_user


def _choice(name: str, choices: list[tuple[str, str]], description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, str, enum=[value for value, _ in choices], description=description
    )


# The schema of the contract in issue 5 (the view returns the selector's dict as it is).
LINKAGE_SCHEMA = extend_schema(
    parameters=[
        OpenApiParameter("ex_survey", int, required=True, description="Employee survey id"),
        OpenApiParameter("cx_survey", int, required=True, description="Customer survey id"),
        _choice("ex_metric", EX_METRIC_CHOICES, "Default: enps"),
        _choice("cx_metric", CX_METRIC_CHOICES, "Default: csat"),
        _choice("lag", LAG_CHOICES, "1: customers one period later (month or quarter)"),
        _choice("period", LINK_PERIOD_CHOICES, "Default: all"),
        OpenApiParameter("start", OpenApiTypes.DATE, description="First day (1900-2999)"),
        OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (1900-2999)"),
    ],
    responses=inline_serializer(
        "Linkage",
        {
            "pairs": inline_serializer(
                "LinkagePair",
                {
                    "team": inline_serializer(
                        "LinkageTeam",
                        {"id": serializers.IntegerField(), "name": serializers.CharField()},
                    ),
                    "period": serializers.CharField(),
                    "ex": serializers.FloatField(),
                    "ex_n": serializers.IntegerField(),
                    "cx": serializers.FloatField(),
                    "cx_n": serializers.IntegerField(),
                },
                many=True,
            ),
            "n": serializers.IntegerField(),
            "pearson": serializers.FloatField(allow_null=True),
            "spearman": serializers.FloatField(allow_null=True),
            "ci95": serializers.ListField(
                child=serializers.FloatField(), allow_null=True, min_length=2, max_length=2
            ),
            "excluded_teams": serializers.IntegerField(),
        },
    ),
)


class LinkageView(APIView):
    """Pairs (team, period, EX, CX) with Pearson, Spearman and Fisher's 95% interval."""

    @LINKAGE_SCHEMA
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
