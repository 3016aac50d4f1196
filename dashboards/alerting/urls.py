"""Included by dashboards/urls.py under alerts/ (names live in the "dashboards" namespace)."""

from __future__ import annotations

from django.urls import path

from dashboards.alerting import api, views

urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("<int:pk>/", views.alert_detail, name="alert-detail"),
    path("<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("<int:pk>/assign/", views.alert_assign, name="alert-assign"),
    path("<int:pk>/notes/", views.alert_note, name="alert-note"),
    path("<int:pk>/resolve/", views.alert_resolve, name="alert-resolve"),
    path("follow-ups/<int:response_pk>/", views.follow_up_open, name="alert-follow-up-open"),
    path("rules/", views.rule_list, name="alert-rules"),
    path("rules/new/", views.rule_create, name="alert-rule-create"),
    path("rules/<int:pk>/", views.rule_edit, name="alert-rule-edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="alert-rule-delete"),
    path("webhooks/", views.webhook_list, name="alert-webhooks"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="alert-webhook-delete"),
    path("deliveries/", views.delivery_list, name="alert-deliveries"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="alert-delivery-resend"),
]

# Mounted under /api/v1/ (through dashboards.urls.api_urlpatterns).
api_urlpatterns = [
    path("alerts/", api.AlertListView.as_view(), name="api-alerts"),
    path("alerts/<int:pk>/resolve/", api.AlertResolveView.as_view(), name="api-alert-resolve"),
]
