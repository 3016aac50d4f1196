"""Twenty people (or one impatient person) submitting one invitation at the same moment, over
HTTP to the threaded live server, each request on its own database connection: one response,
and everyone else gets a proper page, never an error.

The guarantee is the compare-and-set on the invitation row (`used_at IS NULL`) inside the
response's transaction, plus the unique submission key; not a check in Python.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from responses.models import Answer, Response
from surveys.models import Invitation, SurveyKind, token_hash
from tests.factories import CycleFactory, InvitationFactory, QuestionFactory, SurveyFactory
from tests.processes import form_page, form_post

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RACERS = 20
TOKEN = "one-token-for-twenty-0123456789abcdef"


@pytest.fixture
def invited(world, live_server, on_postgres):
    """(answer page URL, survey) of one invitation."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1)
    InvitationFactory(
        survey=survey,
        cycle=CycleFactory(survey=survey, number=1),
        team=world.team,
        token_hash=token_hash(TOKEN),
    )
    return f"{live_server.url}/r/i/{TOKEN}/", survey


def _race(url: str, survey, *, page_loads: list[dict]) -> list:
    """Each racer POSTs (answer 0..19) from its page load once all of them are ready to."""
    start = threading.Barrier(RACERS)

    def submit(i: int):
        fields = {f"question_{survey.nps.id}": i % 11}
        start.wait(timeout=60)
        return form_post(url, fields, state=page_loads[i])

    with ThreadPoolExecutor(max_workers=RACERS) as racers:
        return list(racers.map(submit, range(RACERS)))


def test_twenty_concurrent_submissions_of_one_token_store_one_response(invited):
    url, survey = invited
    page_loads = [form_page(url)[1] for _ in range(RACERS)]  # twenty open tabs or devices
    assert len({state["fields"]["submission_key"] for state in page_loads}) == RACERS

    results = _race(url, survey, page_loads=page_loads)

    statuses = sorted(r.status for r in results)
    assert statuses == [302] + [410] * (RACERS - 1), statuses
    (winner,) = [r for r in results if r.status == 302]
    assert "/r/thanks/" in winner.location
    assert all("You have already answered" in r.body for r in results if r.status == 410)
    assert Response.objects.filter(survey=survey).count() == 1
    assert Answer.objects.count() == 1
    assert Invitation.objects.get().used_at is not None


def test_twenty_concurrent_posts_of_one_page_load_store_one_response(invited):
    """A double (or twenty-fold) click: the same submission key every time, all thanked."""
    url, survey = invited
    _, state = form_page(url)

    results = _race(url, survey, page_loads=[state] * RACERS)

    assert [r.status for r in results] == [302] * RACERS, [r.status for r in results]
    assert Response.objects.filter(survey=survey).count() == 1
    assert Answer.objects.count() == 1
