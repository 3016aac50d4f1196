"""Issue 3's API contract, byte for byte, and the gaps the audit found (notes/audit.md).

- `POST /api/v1/surveys/{id}/responses/` answers 201 with exactly `{"id": <response id>}`;
- `POST /api/v1/surveys/{id}/invitations/`: a team id past what a database can hold is a 400 on
  `teams` (it was a 500 on SQLite) that invites nobody.
"""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from responses.models import Response
from surveys.models import Invitation, SurveyKind
from tests.factories import PersonFactory
from tests.responses.conftest import make_survey

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999


def _api(membership) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=membership.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_created_response_body_is_exactly_its_id(world, cx_survey):
    reply = _api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/",
        {"team": world.team.pk, "answers": [{"question": cx_survey.q["nps"].id, "value": 7}]},
        format="json",
    )
    assert reply.status_code == 201
    assert reply.json() == {"id": Response.objects.get().pk}


@pytest.mark.parametrize("team", [HUGE, -HUGE, 0])
def test_invitations_to_an_impossible_team_id_are_a_field_error(world, team):
    survey = make_survey(world.org, kind=SurveyKind.EX, anonymous=True)
    PersonFactory(organization=world.org, team=world.team)
    reply = _api(world.hr_admin).post(
        f"/api/v1/surveys/{survey.pk}/invitations/",
        {"teams": [world.team.pk, team]},
        format="json",
    )
    assert reply.status_code == 400
    assert list(reply.json()) == ["teams"]
    assert not Invitation.objects.exists()


def test_malformed_answers_are_reported_in_a_list_parallel_to_the_input(world, cx_survey):
    """The same shape as the questions of POST /surveys/ (was {"answers": {"1": {...}}})."""
    nps = cx_survey.q["nps"].id
    reply = _api(world.cx_manager).post(
        f"/api/v1/surveys/{cx_survey.pk}/responses/",
        {"team": world.team.pk, "answers": [{"question": nps, "value": 7}, {"value": 3}, "x"]},
        format="json",
    )
    assert reply.status_code == 400
    assert reply.json() == {
        "answers": [
            {},
            {"question": ["This field is required."]},
            {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]},
        ]
    }
    assert not Response.objects.exists()
