"""Shared fixtures: an organisation with one user per role, and an outsider organisation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from surveys.models import Membership, Organization, Role, Team
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
)


@pytest.fixture(autouse=True)
def _clear_cache():
    """The cache, and the per-process caches of survey questions and of their rendered markup:
    each test starts with all empty."""
    from dashboards.queueing import covered_clear
    from responses.forms import fragments_clear
    from responses.selectors import survey_cache_clear
    from responses.views import first_pages_clear

    cache.clear()
    survey_cache_clear()
    fragments_clear()
    first_pages_clear()
    covered_clear()
    yield
    cache.clear()
    survey_cache_clear()
    fragments_clear()
    first_pages_clear()
    covered_clear()


@pytest.fixture(autouse=True)
def _default_language():
    """LocaleMiddleware leaves a request's language active in the thread: a test that sends
    Accept-Language: fr must not make the next test French."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@dataclass
class OrgWorld:
    org: Organization
    team: Team
    other_team: Team
    hr_admin: Membership
    cx_manager: Membership
    team_lead: Membership
    staff: Membership
    outsider: Membership  # an HR admin of another organisation

    def member(self, role: str) -> Membership:
        return getattr(self, role)


@pytest.fixture
def world(db) -> OrgWorld:
    org = OrganizationFactory(name="Acme Retail")
    team = TeamFactory(organization=org, name="Front desk")
    other_team = TeamFactory(organization=org, name="Night shift")
    return OrgWorld(
        org=org,
        team=team,
        other_team=other_team,
        hr_admin=MembershipFactory(organization=org, role=Role.HR_ADMIN),
        cx_manager=MembershipFactory(organization=org, role=Role.CX_MANAGER),
        team_lead=MembershipFactory(organization=org, role=Role.TEAM_LEAD, team=team),
        staff=MembershipFactory(organization=org, role=Role.STAFF, team=team),
        outsider=MembershipFactory(
            organization=OrganizationFactory(name="Other Co"), role=Role.HR_ADMIN
        ),
    )


@pytest.fixture
def login(client):
    """login(membership) signs the test client in as that membership's user."""

    def _login(membership: Membership):
        client.force_login(membership.user)
        return client

    return _login


@pytest.fixture
def api_login():
    """api_login(membership): an API client calling with that membership's user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def _login(membership: Membership) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=membership.user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _login


@pytest.fixture
def password() -> str:
    return PASSWORD
