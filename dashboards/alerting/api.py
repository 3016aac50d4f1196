"""API v1, alerts: GET /api/v1/alerts/ (?status=) and POST /api/v1/alerts/{id}/resolve/.

Same visibility as the inbox: owners see their kind's alerts, a team lead their team's (read
only here: resolving is for owners); another organisation's alert is a 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from config.audit import AuditAction, audit_record
from dashboards.alerting import actions, selectors
from dashboards.alerting.forms import NOTE_MAX_LENGTH
from dashboards.alerting.serializers import AlertSerializer, alert_payload
from dashboards.models import Alert, AlertMetric, AlertStatus
from surveys.models import Role
from surveys.selectors import membership_for_user

INBOX_ROLES = (Role.HR_ADMIN, Role.CX_MANAGER, Role.TEAM_LEAD)


class AlertListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AlertStatus.values, required=False, default=None)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, default="", allow_blank=True
    )


class AlertPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500


def _member(request):
    membership = membership_for_user(user=request.user)
    if membership is None or membership.role not in INBOX_ROLES:
        raise PermissionDenied("Your role does not give access to alerts.")
    return membership


def _alert_for_owner(request, pk: int) -> Alert:
    """404 outside the organisation; 403 unless the user owns the alert's kind."""
    membership = _member(request)
    alert = get_object_or_404(
        Alert.objects.select_related("rule", "survey", "assignee"),
        pk=pk,
        organization_id=membership.organization_id,
    )
    if alert.survey.kind not in selectors.owned_kinds(membership):
        raise PermissionDenied("Only the owners of this kind of alert can resolve it.")
    return alert


def _audit_quoted_comments(request, membership, alerts: list[Alert]) -> None:
    """A negative-comment alert's message quotes the comment (outside anonymous surveys):
    reading a page holding such messages is a comments view, logged as the inbox's detail is."""
    quoting = [
        alert.id
        for alert in alerts
        if alert.metric == AlertMetric.NEGATIVE_COMMENT and not selectors.is_protected(alert.survey)
    ]
    if quoting:
        audit_record(
            organization=membership.organization,
            user=request.user,
            action=AuditAction.COMMENTS_VIEW,
            detail={"alerts": quoting, "via": "api"},
            request=request,
        )


class AlertListView(APIView):
    """Alerts the user may see, newest first, with their status; ?status= filters."""

    @extend_schema(
        parameters=[
            AlertListQuerySerializer,
            OpenApiParameter(
                "limit",
                int,
                description=f"Alerts per page (default {AlertPagination.default_limit}, "
                f"at most {AlertPagination.max_limit})",
            ),
            OpenApiParameter("offset", int, description="Alerts to skip (default 0)"),
        ],
        responses=inline_serializer(
            "AlertPage",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": AlertSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        membership = _member(request)
        query = AlertListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        alerts = selectors.alert_list(membership=membership, status=query.validated_data["status"])
        paginator = AlertPagination()
        page = paginator.paginate_queryset(alerts, request, view=self)
        _audit_quoted_comments(request, membership, page)
        return paginator.get_paginated_response([alert_payload(alert) for alert in page])


class AlertResolveView(APIView):
    """Resolve an alert, with an optional closing note. Resolving twice is harmless."""

    @extend_schema(request=ResolveSerializer, responses=AlertSerializer)
    def post(self, request, pk: int):
        alert = _alert_for_owner(request, pk)
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.alert_resolve(alert=alert, user=request.user, note=body.validated_data["note"])
        return Response(alert_payload(alert))
