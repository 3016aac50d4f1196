"""A Celery worker killed with SIGKILL in the middle of scoring: nothing lost, nothing twice.

Tasks are acknowledged late (CELERY_TASK_ACKS_LATE) and rejected back to the queue when their pool
process dies (CELERY_TASK_REJECT_ON_WORKER_LOST), and scoring recomputes whole buckets from the
stored rows, so a re-run gives the same figures; alerts are unique per rule, scope, period and
response, and their notifications are written once, with the alert.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
from django.db import connection

from dashboards import scoring
from dashboards.models import (
    HISTOGRAM_FIELDS,
    Alert,
    DeliveryAttempt,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    QuestionRollup,
)
from responses.models import Channel, Response
from responses.services import response_submit
from surveys.models import SurveyKind
from tests.dashboards.test_scoring import rollup_rows
from tests.factories import (
    AlertRuleFactory,
    QuestionFactory,
    SurveyFactory,
    WebhookEndpointFactory,
)
from tests.faults import worker_hooks
from tests.faults.worker_hooks import HOLD_AFTER_SCORING
from tests.processes import celery_worker, publishing_to, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# NPS 10 and 9 promoters, 7 passive, 0 and 3 detractors: (2 - 2) / 5 = 0.
NPS_VALUES = [0, 10, 9, 7, 3]
COMMENT = "The queue was awful and nobody helped."


@pytest.fixture
def cx_survey(world, webhook_receiver):
    """A CX survey whose detractor rule emails the CX manager and calls a webhook."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1)
    survey.comment = QuestionFactory(survey=survey, type="text", order=2, required=False)
    AlertRuleFactory(
        organization=world.org,
        kind=SurveyKind.CX,
        metric="detractor",
        threshold=None,
        owners=[world.cx_manager.user],
    )
    WebhookEndpointFactory(organization=world.org, kind=SurveyKind.CX, url=webhook_receiver.url)
    return survey


def _submit_all(survey, team) -> list[Response]:
    return [
        response_submit(
            survey=survey,
            answers=[
                {"question": survey.nps.id, "value": value},
                {"question": survey.comment.id, "value": COMMENT},
            ],
            team=team,
            channel=Channel.API,
        )
        for value in NPS_VALUES
    ]


class _TableLock:
    """An ACCESS EXCLUSIVE lock on a model's table, held from a second connection until
    release(): a scoring task that reaches the table waits there, inside its transaction, with
    its sentiment writes done and its rollup rows not yet replaced."""

    def __init__(self, model):
        self.holder = connection.copy()
        with self.holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"LOCK TABLE {model._meta.db_table} IN ACCESS EXCLUSIVE MODE")

    def release(self) -> None:
        if self.holder.connection is not None:
            with self.holder.cursor() as cursor:
                cursor.execute("ROLLBACK")
        self.holder.close()


def _waiting_on(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = %s AND NOT l.granted",
            [model._meta.db_table],
        )
        return cursor.fetchone()[0]


def _all_done(survey, receiver, *, alerts: int) -> bool:
    """Every response scored, every alert raised and every notification delivered."""
    return (
        not Response.objects.filter(survey=survey, scored_at__isnull=True).exists()
        and Alert.objects.filter(survey=survey).count() == alerts
        and not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()
        and len(receiver.deliveries()) >= alerts
    )


def _assert_exact(survey, receiver) -> None:
    """Figures worked out by hand; rebuild gives the same rows; each alert notified once."""
    (nps_row,) = QuestionRollup.objects.filter(question=survey.nps)
    assert nps_row.n == 5
    histogram = [getattr(nps_row, field) for field in HISTOGRAM_FIELDS]
    assert histogram == [1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1]  # one each of 0, 3, 7, 9 and 10
    assert nps_row.total == 10 + 9 + 7 + 3 + 0
    (comment_row,) = QuestionRollup.objects.filter(question=survey.comment)
    assert (comment_row.n, comment_row.neg) == (5, 5)
    incremental = rollup_rows(survey.id)
    scoring.scores_rebuild(survey_id=survey.id)
    assert rollup_rows(survey.id) == incremental

    alerts = Alert.objects.filter(survey=survey)
    assert sorted(a.value for a in alerts) == [0, 3]
    messages = OutboxMessage.objects.filter(alert__in=alerts)
    assert sorted(messages.values_list("kind", flat=True)) == sorted(
        [OutboxKind.EMAIL, OutboxKind.WEBHOOK] * 2
    )
    assert DeliveryAttempt.objects.count() == messages.count() == 4
    assert DeliveryAttempt.objects.filter(ok=True).count() == 4
    webhook_ids = sorted(str(m.id) for m in messages if m.kind == OutboxKind.WEBHOOK)
    assert sorted(receiver.deliveries()) == webhook_ids  # one POST per alert, none repeated


def _receipts(log: str, task_id: str) -> int:
    return log.count(f"[{task_id}] received")


def _task_ids(log: str) -> list[str]:
    return re.findall(r"response_score\[([0-9a-f-]+)\] received", log)


def test_pool_process_killed_mid_scoring_task_is_redelivered(
    world, cx_survey, own_redis, webhook_receiver
):
    """The pool process dies inside the scoring transaction; the worker puts the message back."""
    with publishing_to(own_redis.url()):
        _submit_all(cx_survey, world.team)
    assert Response.objects.filter(survey=cx_survey, scored_at__isnull=True).count() == 5

    lock = _TableLock(QuestionRollup)
    try:
        with celery_worker(broker_url=own_redis.url(), pool="prefork", concurrency=1) as worker:
            wait_for(lambda: _waiting_on(QuestionRollup), what="a task blocked mid-scoring")
            (killed_task,) = _task_ids(worker.log_text())
            (pool_process,) = worker.children()
            os.kill(pool_process, signal.SIGKILL)
            wait_for(lambda: "WorkerLostError" in worker.log_text(), what="the worker to notice")
            lock.release()
            wait_for(
                lambda: (
                    _all_done(cx_survey, webhook_receiver, alerts=2) and _queue_empty(own_redis)
                ),
                what="every task to finish",
                log=worker.log,
            )
            log = worker.log_text()
    finally:
        lock.release()
    assert _receipts(log, killed_task) == 2, "the killed task was not delivered again"
    assert f"[{killed_task}] succeeded" in log
    _assert_exact(cx_survey, webhook_receiver)


def test_worker_killed_after_raising_an_alert_sends_it_once(
    world, cx_survey, own_redis, webhook_receiver
):
    """The whole worker dies after the first task committed its scores (its whole bucket, as
    scoring coalesces), the alerts and their outbox rows, before acknowledging the message.
    Another worker takes the message up once it is older than the visibility timeout, runs the
    task again, and the other four tasks run: nothing is counted or sent twice.
    """
    with publishing_to(own_redis.url()):
        first, *_ = _submit_all(cx_survey, world.team)  # NPS 0 first: it raises an alert
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [HOLD_AFTER_SCORING])
    try:
        with celery_worker(broker_url=own_redis.url(), include=(worker_hooks.__name__,)) as worker:
            wait_for(_held_after_scoring, what="the first task to finish its work", log=worker.log)
            # The first task scored its whole bucket (all five were stored before the worker
            # started), so it raised both detractor alerts, each with its e-mail and webhook.
            assert Response.objects.filter(survey=cx_survey, scored_at__isnull=True).count() == 0
            assert Alert.objects.filter(survey=cx_survey).count() == 2
            assert OutboxMessage.objects.filter(alert__survey=cx_survey).count() == 4
            (killed_task,) = _task_ids(worker.log_text())
            worker.service.kill(signal.SIGKILL)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [HOLD_AFTER_SCORING])
    assert Response.objects.get(id=first.id).scored_at is not None
    # Unacknowledged, so still the broker's: it goes back to the queue once older than the
    # visibility timeout (kombu's Redis transport checks when a worker starts, then every
    # unacked_restore_interval x unacked_restore_throttle seconds).
    timeout = 1
    wait_for(lambda: _unacked_older_than(own_redis, timeout), what="the visibility timeout")

    with celery_worker(
        broker_url=own_redis.url(), env={"CELERY_BROKER_VISIBILITY_TIMEOUT": str(timeout)}
    ) as worker:
        wait_for(
            lambda: _all_done(cx_survey, webhook_receiver, alerts=2) and _queue_empty(own_redis),
            what="every task to finish",
            log=worker.log,
        )
        log = worker.log_text()
    assert _receipts(log, killed_task) == 1, "the killed task was not delivered again"
    assert f"response {first.id} scored: {{'survey'" in log
    assert "'newly_scored': False" in log  # the re-run found it scored and changed nothing
    _assert_exact(cx_survey, webhook_receiver)


def _held_after_scoring() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND objid = %s",
            [HOLD_AFTER_SCORING],
        )
        return cursor.fetchone()[0] > 0


def _redis(server):
    import redis

    return redis.Redis.from_url(server.url())


def _unacked_older_than(server, seconds: float) -> bool:
    client = _redis(server)
    try:
        delivered = client.zrange("unacked_index", 0, -1, withscores=True)
        return bool(delivered) and all(at < time.time() - seconds for _, at in delivered)
    finally:
        client.close()


def _queue_empty(server) -> bool:
    """Nothing waiting in the default queue and nothing delivered but unacknowledged."""
    client = _redis(server)
    try:
        return client.llen("celery") == 0 and client.hlen("unacked") == 0
    finally:
        client.close()
