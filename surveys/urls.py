from __future__ import annotations

from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("people/", views.people, name="people"),
]

# Mounted under /api/v1/ by config/urls.py (names are prefixed with "api-").
api_urlpatterns: list = []
