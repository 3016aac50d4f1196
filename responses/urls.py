from __future__ import annotations

from django.urls import path

from responses import views

app_name = "responses"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
]

# Mounted under /api/v1/ by config/urls.py (names are prefixed with "api-").
api_urlpatterns: list = []
