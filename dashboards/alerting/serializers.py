"""An alert as JSON: one shape for the API and for the `alert.created` webhook."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dashboards.models import Alert, AlertRule
from surveys.models import Survey


def alert_url(alert: Alert) -> str:
    return settings.TANDEM_BASE_URL.rstrip("/") + reverse(
        "dashboards:alert-detail", args=[alert.id]
    )


class AlertRuleRef(serializers.ModelSerializer):
    class Meta:
        model = AlertRule
        fields = ["id", "name"]


class AlertSurveyRef(serializers.ModelSerializer):
    class Meta:
        model = Survey
        fields = ["id", "title", "kind"]


class AlertScopeRef(serializers.Serializer):
    key = serializers.CharField(source="scope_key", help_text='"org", "team:3", "location:4", …')
    label = serializers.CharField(source="scope_label")


class AlertPeriodRef(serializers.Serializer):
    key = serializers.CharField(source="period_key", help_text='"2026-02", "2026-W07", "cycle-3"')
    label = serializers.CharField(source="period_label")


class AlertSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    rule = AlertRuleRef(read_only=True, allow_null=True)
    survey = AlertSurveyRef(read_only=True)
    scope = AlertScopeRef(source="*", read_only=True)
    period = AlertPeriodRef(source="*", read_only=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the member it is assigned to; null when unassigned",
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "url",
            "rule",
            "metric",
            "survey",
            "scope",
            "period",
            "value",
            "previous_value",
            "message",
            "response",
            "status",
            "assignee",
            "created_at",
            "first_response_at",
            "acknowledged_at",
            "resolved_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, alert: Alert) -> str:
        return alert_url(alert)

    def to_representation(self, alert: Alert) -> dict:
        data = super().to_representation(alert)
        if alert.withholds_response:
            # Stored before per-response alerts stopped on anonymous surveys: never the
            # response, its value or the message that quotes it.
            data.update(response=None, value=None, message=alert.shown_message)
        return data


def alert_payload(alert: Alert) -> dict:
    return dict(AlertSerializer(alert).data)
