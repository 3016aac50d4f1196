from __future__ import annotations

from django.urls import include, path

from dashboards import api, api_linkage, views
from dashboards.alerting.urls import api_urlpatterns as alerting_api

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("ex/", views.ex, name="ex"),
    path("cx/", views.cx, name="cx"),
    path("link/", views.link, name="link"),
    path("export/<slug:dashboard>.<slug:fmt>", views.export, name="export"),
    path("surveys/<int:pk>/responses.<slug:fmt>", views.raw_export, name="raw-export"),
    path("alerts/", include("dashboards.alerting.urls")),
]

# Mounted under /api/v1/ by config/urls.py (names are prefixed with "api-").
api_urlpatterns: list = [
    path("surveys/<int:pk>/scores/", api.SurveyScoresView.as_view(), name="api-survey-scores"),
    path("linkage/", api_linkage.LinkageView.as_view(), name="api-linkage"),
    *alerting_api,
]
