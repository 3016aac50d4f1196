from __future__ import annotations

from django.urls import path

from responses import api, views

app_name = "responses"

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.mine_answer, name="mine-answer"),
    path("i/<str:token>/", views.invitation_answer, name="invitation"),
    path("c/<str:signed>/", views.link_answer, name="link"),
    path("thanks/<str:signed>/", views.thanks, name="thanks"),
]

# Mounted under /api/v1/ by config/urls.py (names are prefixed with "api-").
api_urlpatterns: list = [
    path(
        "surveys/<int:pk>/responses/",
        api.survey_responses,
        name="api-survey-responses",
    ),
    path(
        "surveys/<int:pk>/invitations/",
        api.SurveyInvitationsView.as_view(),
        name="api-survey-invitations",
    ),
    path(
        "surveys/<int:pk>/participation/",
        api.SurveyParticipationView.as_view(),
        name="api-survey-participation",
    ),
]
