"""One scoring task queued per survey (dashboards.queueing), against a real redis-server, and the
one-query check that lets a coalesced task skip alert lookups."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import redis

from dashboards import queueing, scoring
from dashboards.alerting.services import survey_has_listeners
from responses.models import Channel
from responses.services import response_submit
from surveys.models import SurveyKind
from tests.factories import (
    AlertRuleFactory,
    QuestionFactory,
    SurveyFactory,
    WebhookEndpointFactory,
)
from tests.processes import publishing_to, redis_server, require_binary

DAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def broker():
    """A private redis-server that this process publishes to (not eagerly)."""
    require_binary("redis-server")
    with redis_server() as server, publishing_to(server.url()):
        yield redis.Redis.from_url(server.url())


def test_a_survey_is_claimed_once_until_its_task_releases_it(broker):
    assert queueing.claim(1) is True
    assert queueing.claim(1) is False
    assert queueing.claim(2) is True  # another survey
    assert 0 < broker.ttl(queueing.key(1)) <= queueing.PENDING_SECONDS  # never stuck
    queueing.release(1)
    assert queueing.claim(1) is True


def test_eager_tasks_and_an_unreachable_redis_always_publish():
    from config import celery_app
    from tests.processes import free_port

    assert celery_app.conf.task_always_eager  # the test settings' default
    assert queueing.claim(1) is queueing.claim(1) is True
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        assert queueing.claim(1) is queueing.claim(1) is True
        queueing.release(1)  # logs, never raises


@pytest.mark.django_db(transaction=True)
def test_submissions_to_one_survey_queue_one_task_and_its_run_reopens_the_survey(world, broker):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, status="live")
    nps = QuestionFactory(survey=survey, type="nps", order=1)

    def submit(team, at=DAY):
        return response_submit(
            survey=survey,
            answers=[{"question": nps.id, "value": 9}],
            team=team,
            channel=Channel.API,
            submitted_at=at,
        )

    first = submit(world.team)
    for _ in range(3):
        submit(world.team)
    submit(world.other_team)
    submit(world.team, at=DAY + dt.timedelta(days=1))
    assert broker.llen("celery") == 1  # whatever their team or day

    # The queued task (run here) scores the six of its survey and releases the survey ...
    done = scoring.response_score(response_id=first.id)
    assert (done["newly_scored"], done["responses_marked"]) == (True, 6)
    # ... so the next response of that survey queues a task of its own.
    seventh = submit(world.other_team)
    assert broker.llen("celery") == 2
    # Any task of the survey releases it, even one whose own response was already counted (a
    # re-delivery), and scores what arrived meanwhile: no response is left waiting on a flag.
    again = scoring.response_score(response_id=first.id)
    assert (again["newly_scored"], again["responses_marked"]) == (False, 1)
    seventh.refresh_from_db()
    assert seventh.scored_at is not None
    submit(world.team)
    assert broker.llen("celery") == 3


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_response_was_erased_still_releases_the_survey(world, broker):
    """The flag was taken for a response erased before its task ran: the task (it carries the
    survey) still releases the flag and scores what arrived meanwhile, else those responses
    would wait for the flag to expire or for the reconcile."""
    from dashboards.tasks import response_score

    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, status="live")
    nps = QuestionFactory(survey=survey, type="nps", order=1)

    def submit():
        return response_submit(
            survey=survey, answers=[{"question": nps.id, "value": 9}], team=world.team,
            channel=Channel.API, submitted_at=DAY,
        )  # fmt: skip

    erased, meanwhile = submit(), submit()
    assert broker.llen("celery") == 1  # the erased response's task; the second queued none
    body = json.loads(base64.b64decode(json.loads(broker.lpop("celery"))["body"]))
    assert body[0] == [erased.id, survey.id]
    erased.delete()
    response_score.run(*body[0])
    meanwhile.refresh_from_db()
    assert meanwhile.scored_at is not None
    assert queueing.claim(survey.id) is True  # released: the next response queues its task


@pytest.fixture
def cx_live(world):
    """A live CX survey with one NPS question, and `submit(**fields)` posting a 9 to it."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, status="live")
    nps = QuestionFactory(survey=survey, type="nps", order=1)

    def submit(**fields):
        fields = {"team": world.team, "channel": Channel.API, **fields}
        return response_submit(survey=survey, answers=[{"question": nps.id, "value": 9}], **fields)

    survey.submit = submit
    return survey


@pytest.mark.django_db(transaction=True)
def test_a_full_batch_queues_the_next_one(cx_live, broker, monkeypatch):
    """More waiting than one task marks (the worker fell behind): the task queues the rest
    itself, as their own submissions found the flag held and queued nothing."""
    from dashboards.tasks import response_score

    monkeypatch.setattr(scoring, "COALESCE_LIMIT", 2)
    stored = [cx_live.submit(submitted_at=DAY) for _ in range(5)]
    assert broker.llen("celery") == 1
    broker.delete("celery")
    response_score.run(stored[0].id)  # marks 2 of 5, then queues the next batch
    assert broker.llen("celery") == 1
    assert cx_live.responses.filter(scored_at__isnull=True).count() == 3
    queued = json.loads(broker.lpop("celery"))
    assert json.loads(base64.b64decode(queued["body"]))[0] == [stored[2].id, cx_live.id]
    response_score.run(stored[2].id)
    response_score.run(stored[4].id)  # the last batch is not full: nothing more to queue
    assert cx_live.responses.filter(scored_at__isnull=True).count() == 0
    assert broker.llen("celery") == 1  # the second run's, which finds nothing left


@pytest.mark.django_db(transaction=True)
def test_a_process_skips_the_flag_while_its_own_task_has_yet_to_list(cx_live, broker, monkeypatch):
    """Submissions committed before the task this process published lists its backlog need no
    Redis round trip; past that moment (minus the margin) they claim as before."""
    from django.conf import settings

    first = cx_live.submit()
    # The clock held just after it was stored: the window is 50 ms, which a loaded machine
    # can spend between two statements of this test.
    monkeypatch.setattr(queueing.time, "time", lambda: first.submitted_at.timestamp() + 0.001)
    assert broker.llen("celery") == 1
    assert queueing.covered(cx_live.id)
    broker.delete(queueing.key(cx_live.id))  # as if its task had released the flag already
    cx_live.submit()
    assert broker.llen("celery") == 1  # covered: no claim, no second task
    assert not broker.exists(queueing.key(cx_live.id))
    window = (settings.TANDEM_SCORING_GATHER_MS - queueing.WINDOW_MARGIN_MS) / 1000
    later = first.submitted_at.timestamp() + window
    monkeypatch.setattr(queueing.time, "time", lambda: later)
    assert not queueing.covered(cx_live.id)
    cx_live.submit()
    assert broker.llen("celery") == 2  # claimed and published again


@pytest.mark.django_db(transaction=True)
def test_a_backdated_import_covers_nothing(cx_live, broker):
    cx_live.submit(channel=Channel.IMPORT, submitted_at=DAY)
    assert broker.llen("celery") == 1
    assert not queueing.covered(cx_live.id)  # its task lists at once


@pytest.mark.django_db(transaction=True)
def test_a_failed_publish_covers_nothing(cx_live):
    from tests.processes import free_port

    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        cx_live.submit()
        assert not queueing.covered(cx_live.id)


def test_eager_tasks_cover_nothing():
    from django.utils import timezone

    queueing.published(7, submitted_at=timezone.now())
    assert not queueing.covered(7)


@pytest.mark.django_db
def test_a_task_waits_for_its_response_to_be_gather_old_even_when_scored(cx_live, monkeypatch):
    """The web process that published it counts on no listing before then."""
    response = cx_live.submit()
    scoring.response_score(response_id=response.id)  # scored by another task, say
    waits = []
    monkeypatch.setattr(scoring.time, "sleep", waits.append)
    scoring.response_score(response_id=response.id, gather=5.0)
    assert len(waits) == 1 and 4.0 < waits[0] <= 5.0


@pytest.mark.django_db
def test_listeners_are_active_rules_of_the_kind_or_new_response_webhooks(world):
    cx = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    anonymous_cx = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=True)
    ex = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    named_ex = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=False)
    assert not survey_has_listeners(survey_id=cx.id)
    assert not survey_has_listeners(survey_id=999_999)

    AlertRuleFactory(organization=world.org, kind=SurveyKind.EX, active=False)
    AlertRuleFactory(organization=world.org, kind=SurveyKind.EX, survey=named_ex)
    assert not survey_has_listeners(survey_id=ex.id)  # inactive, or for another survey
    assert survey_has_listeners(survey_id=named_ex.id)
    assert not survey_has_listeners(survey_id=cx.id)  # EX rules only

    WebhookEndpointFactory(organization=world.org, kind=SurveyKind.CX, on_response=False)
    assert not survey_has_listeners(survey_id=cx.id)  # alerts only, not each response
    WebhookEndpointFactory(organization=world.org, kind=SurveyKind.EX, on_response=True)
    assert not survey_has_listeners(survey_id=ex.id)  # never per response on anonymous EX
    WebhookEndpointFactory(organization=world.org, kind=SurveyKind.CX, on_response=True)
    assert survey_has_listeners(survey_id=cx.id)
    assert not survey_has_listeners(survey_id=anonymous_cx.id)  # nor on anonymous CX
    AlertRuleFactory(organization=world.org, kind=SurveyKind.EX, survey=None)
    assert survey_has_listeners(survey_id=ex.id)  # an org-wide EX rule


@pytest.mark.django_db(transaction=True)
def test_a_process_that_finds_the_flag_held_skips_it_until_that_task_lists(
    cx_live, broker, monkeypatch
):
    """The flag holds the moment its task lists: another process (here: this one, its own
    window forgotten) learns it from its failed claim and asks Redis no more until then."""
    from django.conf import settings

    first = cx_live.submit()
    # The clock held just after it was stored (the window is 50 ms; see above).
    monkeypatch.setattr(queueing.time, "time", lambda: first.submitted_at.timestamp() + 0.001)
    assert broker.llen("celery") == 1
    listing = first.submitted_at.timestamp() + settings.TANDEM_SCORING_GATHER_MS / 1000
    assert float(broker.get(queueing.key(cx_live.id))) == pytest.approx(listing)
    queueing.covered_clear()  # another web process: it published nothing
    assert not queueing.covered(cx_live.id)
    cx_live.submit()  # its claim finds the flag held, and learns when that task lists
    assert broker.llen("celery") == 1
    assert queueing.covered(cx_live.id)
    calls = []
    real_set = redis.Redis.set
    monkeypatch.setattr(redis.Redis, "set", lambda *a, **k: calls.append(a) or real_set(*a, **k))
    cx_live.submit()
    assert calls == [] and broker.llen("celery") == 1  # covered: no round trip
    later = listing - queueing.WINDOW_MARGIN_MS / 1000
    monkeypatch.setattr(queueing.time, "time", lambda: later)
    assert not queueing.covered(cx_live.id)
    broker.delete(queueing.key(cx_live.id))  # that task has released the flag
    cx_live.submit()
    assert len(calls) == 1 and broker.llen("celery") == 2  # claimed and published again


def test_a_flag_without_a_moment_covers_nothing(broker):
    broker.set(queueing.key(5), 1)  # as an earlier version set it
    assert queueing.claim(5) is False
    assert not queueing.covered(5)


def test_redis_before_7_claims_without_learning_the_moment(broker, monkeypatch):
    """SET with both NX and GET is Redis 7+; older servers refuse it and the claim falls back to
    a plain SET NX (one round trip a submission, as before)."""
    real_set = redis.Redis.set

    def old_server_set(self, *args, **kwargs):
        if kwargs.get("get"):
            raise redis.exceptions.ResponseError("ERR syntax error")
        return real_set(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "set", old_server_set)
    assert queueing.claim(9) is True
    assert queueing.claim(9) is False
    assert not queueing.covered(9)
