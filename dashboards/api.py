"""API v1, scores: GET /api/v1/surveys/{id}/scores/ (the alerts and linkage APIs live elsewhere)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.selectors.scores import GROUP_BY, PERIODS, survey_scores
from surveys.models import Survey
from surveys.permissions import can_view_results, team_scope
from surveys.selectors import membership_for_user, survey_of_organization


class ScoresQuerySerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=list(GROUP_BY), default="none")
    period = serializers.ChoiceField(choices=list(PERIODS), default="all")
    start = serializers.DateField(required=False, default=None)
    end = serializers.DateField(required=False, default=None)

    def validate(self, attrs):
        if attrs["start"] and attrs["end"] and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": ["End must be on or after start."]})
        return attrs


def _survey_for_user(request, pk: int) -> tuple[Survey, int | None]:
    """The survey (404 outside the user's organisation, 403 without the right role) and the
    only team the user may see (team leads), else None."""
    membership = membership_for_user(user=request.user)
    if membership is None:
        raise PermissionDenied("You are not a member of an organisation.")
    survey = survey_of_organization(
        membership=membership, pk=pk, queryset=Survey.objects.select_related("organization")
    )
    if not can_view_results(membership, survey.kind):
        raise PermissionDenied("Your role does not give access to this survey's results.")
    return survey, team_scope(membership)


class SurveyScoresView(APIView):
    """Figures per group and period, with groups under the anonymity threshold suppressed."""

    @extend_schema(parameters=[ScoresQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        survey, team_id = _survey_for_user(request, pk)
        query = ScoresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        team_ids = [team_id] if team_id is not None else None
        return Response(survey_scores(survey=survey, team_ids=team_ids, **query.validated_data))
