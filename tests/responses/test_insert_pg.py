"""PostgreSQL's one-statement insert of a response and its answers (responses.services): every
column as the ORM would write it, and replays and failures outside any transaction."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from responses.models import Answer, Channel, Response
from responses.services import response_submit
from tests.responses.conftest import make_survey

pytestmark = pytest.mark.skipif(not settings.IS_POSTGRES, reason="PostgreSQL's path")


def _answers(survey):
    q = survey.q
    return [
        {"question": q["nps"].id, "value": 9},
        {"question": q["single"].id, "value": "No"},
        {"question": q["multi"].id, "value": ["Staff", "Price"]},
        {"question": q["text"].id, "value": "Quick, thank you"},
    ]


def _columns(response_id):
    fields = [f.attname for f in Answer._meta.concrete_fields if f.attname not in ("id",)]
    return sorted(
        Answer.objects.filter(response_id=response_id).values_list(*fields), key=lambda r: r[1]
    )


@pytest.mark.django_db
def test_every_column_is_what_the_orm_writes(world):
    survey = make_survey(world.org)
    q = survey.q
    response = response_submit(
        survey=survey,
        answers=_answers(survey),
        team=world.team,
        channel=Channel.API,
        language="fr",
        submission_key="k-1",
    )
    assert _columns(response.pk) == sorted(
        [
            (response.pk, q["nps"].id, 9, "", None, None, ""),
            (response.pk, q["single"].id, None, "", ["No"], None, ""),
            (response.pk, q["multi"].id, None, "", ["Price", "Staff"], None, ""),
            (response.pk, q["text"].id, None, "Quick, thank you", None, None, ""),
        ],
        key=lambda r: r[1],
    )
    stored = Response.objects.get(pk=response.pk)
    assert (stored.team, stored.location, stored.channel, stored.language) == (
        world.team,
        world.team.location,
        Channel.API,
        "fr",
    )
    assert (stored.submission_key, stored.scored_at, stored.cycle) == ("k-1", None, None)
    assert stored.submitted_at == response.submitted_at
    assert response._state.adding is False


@pytest.mark.django_db
def test_a_response_without_answers_is_stored_alone(world):
    survey = make_survey(world.org)
    survey.q["nps"].required = False
    survey.q["nps"].save()
    response = response_submit(survey=survey, answers=[], team=None, channel=Channel.API)
    assert Response.objects.filter(pk=response.pk, team=None, location=None).exists()
    assert not Answer.objects.filter(response_id=response.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_replayed_key_returns_the_first_and_stores_nothing(world):
    survey = make_survey(world.org)
    assert not connection.in_atomic_block  # autocommit: the one-statement path proper

    def send():
        return response_submit(
            survey=survey,
            answers=_answers(survey),
            team=world.team,
            channel=Channel.LINK,
            submission_key="double-click",
        )

    first = send()
    again = send()
    assert again.pk == first.pk
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 4
    assert not connection.in_atomic_block
