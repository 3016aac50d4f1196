"""Races with real database connections (PostgreSQL), and submissions with the broker down."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from config.celery import app as celery_app
from responses import services
from responses.models import Answer, Channel, Response
from responses.services import response_submit
from surveys.models import Invitation
from tests.responses.conftest import make_invitation

needs_postgres = pytest.mark.skipif(
    not settings.IS_POSTGRES, reason="row locks between two connections need PostgreSQL"
)


def _race(submissions: list, monkeypatch) -> list:
    """Run each submission in its own thread and connection, started together.

    Every transaction pauses after its first write, so the second one reaches the invitation row
    lock / the unique index while the first is still open."""
    real_rows = services._answer_rows

    def slow_rows(*args, **kwargs):
        time.sleep(0.3)
        return real_rows(*args, **kwargs)

    monkeypatch.setattr(services, "_answer_rows", slow_rows)
    barrier = threading.Barrier(len(submissions))
    outcomes: list = [None] * len(submissions)

    def run(index, submission):
        try:
            barrier.wait()
            outcomes[index] = submission()
        except Exception as error:  # noqa: BLE001 - collected for the assertions
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(submissions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _invitation_submission(survey, invitation, key=None):
    def submission():
        # Each request loads the invitation itself: both see it unused.
        fresh = Invitation.objects.select_related("survey", "cycle").get(pk=invitation.pk)
        return response_submit(
            survey=survey,
            answers=[{"question": survey.q["nps"].id, "value": 9}],
            team=fresh.team,
            invitation=fresh,
            channel=Channel.INVITATION,
            submission_key=key,
        )

    return submission


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_with_one_token_store_one_response(survey, monkeypatch):
    submission = _invitation_submission(survey, make_invitation(survey))
    outcomes = _race([submission, submission], monkeypatch)
    stored = [o for o in outcomes if isinstance(o, Response)]
    rejected = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(stored) == 1
    assert len(rejected) == 1
    assert rejected[0].message_dict == {"invitation": [services.ALREADY_ANSWERED]}
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_double_click_with_one_submission_key_returns_the_first_response(survey, monkeypatch):
    answers = [{"question": survey.q["nps"].id, "value": 9}]

    def submission():
        return response_submit(
            survey=survey,
            answers=answers,
            team=survey.organization.teams.first(),
            channel=Channel.LINK,
            submission_key="same-key",
        )

    outcomes = _race([submission, submission], monkeypatch)
    assert all(isinstance(o, Response) for o in outcomes), outcomes
    assert outcomes[0].pk == outcomes[1].pk
    assert Response.objects.count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_double_click_on_an_invitation_shows_thanks_not_an_error(survey, monkeypatch):
    submission = _invitation_submission(survey, make_invitation(survey), key="one-page-load")
    outcomes = _race([submission, submission], monkeypatch)
    assert all(isinstance(o, Response) for o in outcomes), outcomes
    assert Response.objects.count() == 1


@pytest.fixture
def dead_broker():
    """Celery publishing for real, to a port where nothing listens."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager = False
    conf.broker_url = "redis://127.0.0.1:6399/0"
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    conf.task_always_eager, conf.broker_url = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db
def test_submission_is_stored_quickly_when_the_broker_is_down(
    survey, dead_broker, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = response_submit(
            survey=survey,
            answers=[{"question": survey.q["nps"].id, "value": 9}],
            team=survey.organization.teams.first(),
            channel=Channel.LINK,
        )
    elapsed = time.monotonic() - started
    assert Response.objects.filter(pk=response.pk, scored_at__isnull=True).exists()
    assert "reconcile task will score it" in caplog.text
    assert elapsed < 1.5, f"submission took {elapsed:.1f}s with the broker down"
