"""A tiny API used only by tests/config/test_audit.py to drive the audit middleware."""

from __future__ import annotations

from django.urls import path
from rest_framework import generics, serializers

from surveys.models import Team
from surveys.selectors import membership_for_user


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class OrgTeams:
    serializer_class = TeamSerializer
    queryset = Team.objects.all()

    def get_queryset(self):
        return Team.objects.filter(
            organization=membership_for_user(user=self.request.user).organization
        )


class TeamList(OrgTeams, generics.ListCreateAPIView):
    def perform_create(self, serializer):
        serializer.save(organization=membership_for_user(user=self.request.user).organization)


class TeamDetail(OrgTeams, generics.RetrieveUpdateDestroyAPIView):
    pass


urlpatterns = [
    path("api/v1/teams/", TeamList.as_view(), name="api-team-list"),
    path("api/v1/teams/<int:pk>/", TeamDetail.as_view(), name="api-team-detail"),
    path("elsewhere/teams/", TeamList.as_view(), name="not-api"),
]
