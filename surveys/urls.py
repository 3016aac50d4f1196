from __future__ import annotations

from django.urls import path

from surveys import api, views, views_distribution, views_people, views_privacy

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("templates/", views.template_gallery, name="templates"),
    path("templates/<slug:key>/", views.survey_create_from_template, name="from-template"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/edit/", views.survey_edit, name="edit"),
    path("<int:pk>/preview/", views.survey_preview, name="preview"),
    path("<int:pk>/publish/", views.survey_publish, name="publish"),
    path("<int:pk>/close/", views.survey_close, name="close"),
    path("<int:pk>/duplicate/", views.survey_duplicate, name="duplicate"),
    path("<int:pk>/delete/", views.survey_delete, name="delete"),
    path("<int:pk>/questions/add/", views.question_add, name="question-add"),
    path("<int:pk>/questions/<int:question_pk>/", views.question_edit, name="question-edit"),
    path("<int:pk>/questions/<int:question_pk>/move/", views.question_move, name="question-move"),
    path(
        "<int:pk>/questions/<int:question_pk>/remove/",
        views.question_remove,
        name="question-remove",
    ),
]

# People: the organisation chart, one person's details, marking someone who left.
urlpatterns += [
    path("people/", views_people.people, name="people"),
    path("people/<int:pk>/", views_people.person_edit, name="person"),
    path(
        "people/<int:pk>/left/", views_people.person_active, {"active": False}, name="person-left"
    ),
    path("people/<int:pk>/back/", views_people.person_active, {"active": True}, name="person-back"),
]

# Privacy: HR admins' audit log, retention, and one person's export and erasure.
urlpatterns += [
    path("audit/", views_privacy.audit_log, name="audit"),
    path("privacy/", views_privacy.privacy_home, name="privacy"),
    path("people/<int:pk>/export/", views_privacy.person_export, name="person-export"),
    path("people/<int:pk>/erase/", views_privacy.person_erase, name="person-erase"),
]

# Distribution: invitations, reminders, participation and pulses (EX), customer links (CX).
urlpatterns += [
    path("<int:pk>/distribution/", views_distribution.overview, name="distribution"),
    path("<int:pk>/distribution/send/", views_distribution.send, name="distribution-send"),
    path("<int:pk>/distribution/remind/", views_distribution.remind, name="distribution-remind"),
    path(
        "<int:pk>/distribution/schedule/",
        views_distribution.schedule,
        name="distribution-schedule",
    ),
    path("<int:pk>/distribution/links/", views_distribution.link_create, name="link-create"),
    path(
        "<int:pk>/distribution/links/<int:link_pk>/deactivate/",
        views_distribution.link_switch,
        {"on": False},
        name="link-deactivate",
    ),
    path(
        "<int:pk>/distribution/links/<int:link_pk>/activate/",
        views_distribution.link_switch,
        {"on": True},
        name="link-activate",
    ),
    path(
        "<int:pk>/distribution/links/<int:link_pk>/qr.<str:fmt>",
        views_distribution.link_qr,
        name="link-qr",
    ),
]

# Mounted under /api/v1/ by config/urls.py (names are prefixed with "api-").
api_urlpatterns: list = [
    path("surveys/", api.SurveyListView.as_view(), name="api-surveys"),
    path("surveys/<int:pk>/", api.SurveyDetailView.as_view(), name="api-survey-detail"),
    path("surveys/<int:pk>/publish/", api.SurveyPublishView.as_view(), name="api-survey-publish"),
    path("surveys/<int:pk>/close/", api.SurveyCloseView.as_view(), name="api-survey-close"),
    path("teams/", api.TeamListView.as_view(), name="api-teams"),
]
