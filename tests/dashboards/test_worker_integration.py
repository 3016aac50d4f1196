"""A real `celery -A config worker` process scores responses submitted over HTTP.

Runs only with PostgreSQL and Redis (DATABASE_URL and REDIS_URL set). The broker is a private
`redis-server` started on a spare port (or, when that binary is missing, REDIS_URL's server with
database TANDEM_TEST_WORKER_REDIS_DB, default 15), so no other test run or user of the shared
Redis meets this worker. The worker uses the test database; the web side is this process behind
pytest-django's live server, publishing for real instead of eagerly.
"""

from __future__ import annotations

import os
import re
import shutil
import urllib.parse

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dashboards import tasks
from dashboards.models import Alert, ResponseRollup
from responses.models import Answer, Response
from surveys.distribution import customer_link_signed
from surveys.models import CustomerLink, SurveyKind
from tests.factories import AlertRuleFactory, QuestionFactory, SurveyFactory
from tests.processes import (
    celery_worker,
    form_post,
    free_port,
    json_post,
    publishing_to,
    redirect_publisher,
    redis_server,
    shared_cache,
    wait_for,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (os.environ.get("REDIS_URL") and settings.IS_POSTGRES),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def broker():
    """The broker URL for this test: a private redis-server, stopped at the end."""
    if shutil.which("redis-server") is None:
        parts = urllib.parse.urlsplit(os.environ["REDIS_URL"])
        yield f"redis://{parts.netloc}/{int(os.environ.get('TANDEM_TEST_WORKER_REDIS_DB', '15'))}"
        return
    with redis_server() as redis:
        yield redis.url()


@pytest.fixture
def web_publishes(broker):
    """This process publishes for real (not eagerly) to `broker`; restored after."""
    with publishing_to(broker):
        yield broker


@pytest.fixture
def worker(broker, web_publishes):
    """A worker process on the test database; killed (whole process group) at the end."""
    with celery_worker(broker_url=broker) as worker:
        yield worker


# --- Submitting over HTTP -------------------------------------------------------------------------


@pytest.fixture
def cx_survey(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1)
    survey.csat = QuestionFactory(survey=survey, type="csat", order=2)
    survey.comment = QuestionFactory(survey=survey, type="text", order=3, required=False)
    survey.link = CustomerLink.objects.create(survey=survey, team=world.team, label="Front desk")
    return survey


def _submit(base_url: str, survey, world, answers: dict) -> int:
    """POST one response over HTTP: the responses API when it exists, else the customer link form.

    Returns the HTTP status (201 from the API, 302 to the thank-you page from the form).
    """
    api_path = f"/api/v1/surveys/{survey.id}/responses/"
    try:
        resolve(api_path)
    except Resolver404:
        url = base_url + reverse("responses:link", args=[customer_link_signed(survey.link)])
        return form_post(url, {f"question_{q.id}": v for q, v in answers.items()}).status
    token, _ = Token.objects.get_or_create(user=world.cx_manager.user)
    body = {
        "team": world.team.id,
        "answers": [{"question": q.id, "value": v} for q, v in answers.items()],
    }
    return json_post(base_url + api_path, body, token=token.key).status


# --- The tests -------------------------------------------------------------------------------------


def test_worker_scores_responses_submitted_over_http(world, cx_survey, worker, live_server, login):
    AlertRuleFactory(
        organization=world.org,
        kind="cx",
        metric="detractor",
        threshold=None,
        owners=[world.cx_manager.user],
    )
    # NPS 10, 9, 9 promoters; 8 passive; 3, 0 detractors: (3 - 2) / 6 = 16.7.
    # CSAT 5, 5, 4, 4 of 6 are 4-5 = 66.7; mean (5 + 5 + 4 + 4 + 2 + 1) / 6 = 3.5.
    values = [(10, 5), (9, 5), (9, 4), (8, 4), (3, 2), (0, 1)]
    for nps, csat in values:
        answers = {cx_survey.nps: nps, cx_survey.csat: csat}
        if nps == 0:
            answers[cx_survey.comment] = "Rude staff and an awful, slow service."
        assert _submit(live_server.url, cx_survey, world, answers) in (201, 302)
    assert Response.objects.filter(survey=cx_survey).count() == 6

    wait_for(
        lambda: not Response.objects.filter(survey=cx_survey, scored_at__isnull=True).exists(),
        what="responses scored",
        log=worker.log,
    )
    wait_for(
        lambda: Alert.objects.filter(survey=cx_survey).count() == 2, what="alerts", log=worker.log
    )

    body = login(world.cx_manager).get(reverse("api-survey-scores", args=[cx_survey.id])).json()
    (result,) = body["results"]
    assert result["respondents"] == 6
    nps, csat = result["questions"]
    assert (nps["score"], nps["promoters"], nps["passives"], nps["detractors"]) == (16.7, 3, 1, 2)
    assert (csat["score"], csat["mean"]) == (66.7, 3.5)
    comment = Answer.objects.get(question=cx_survey.comment)
    assert comment.sentiment_label == "negative"
    assert {
        a.response.answers.get(question=cx_survey.nps).value_int for a in Alert.objects.all()
    } == {3, 0}


def test_reconcile_scores_responses_stored_while_the_broker_was_down(
    world, cx_survey, worker, web_publishes, live_server
):
    redirect_publisher(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    for nps in (10, 7, 2):
        answers = {cx_survey.nps: nps, cx_survey.csat: 4}
        assert _submit(live_server.url, cx_survey, world, answers) in (201, 302)
    # All stored, none scored: their tasks never reached a broker.
    assert Response.objects.filter(survey=cx_survey, scored_at__isnull=True).count() == 3
    assert not ResponseRollup.objects.filter(survey=cx_survey).exists()

    redirect_publisher(web_publishes)  # the broker is back: the beat's reconcile runs
    started = timezone.now()
    tasks.scores_reconcile.delay(older_than_seconds=0)

    wait_for(
        lambda: not Response.objects.filter(survey=cx_survey, scored_at__isnull=True).exists(),
        what="reconcile",
        log=worker.log,
    )
    assert Response.objects.filter(survey=cx_survey, scored_at__gte=started).count() == 3
    assert (
        sum(ResponseRollup.objects.filter(survey=cx_survey).values_list("responses", flat=True))
        == 3
    )


def _other_backends() -> set[tuple]:
    """(pid, started) of the test database's other client connections."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return set(cursor.fetchall())


def test_worker_keeps_its_database_connection_between_tasks(world, cx_survey, worker):
    """Celery's Django fixup would close it after every task (a new connection per scoring
    task); CELERY_DB_REUSE_MAX and config.celery keep it, health-checked, as for web requests."""
    seen = []
    for nps in (10, 7, 2):
        response = Response.objects.create(
            survey=cx_survey, team=world.team, channel="api", submitted_at=timezone.now()
        )
        Answer.objects.create(response=response, question=cx_survey.nps, value_int=nps)
        tasks.scores_reconcile.delay(older_than_seconds=0)
        wait_for(
            lambda response=response: Response.objects.filter(
                pk=response.pk, scored_at__isnull=False
            ).exists(),
            what="reconcile",
            log=worker.log,
        )
        seen.append(_other_backends())
    assert seen[0], "the worker's connection closed after its task"
    assert seen[0] == seen[1] == seen[2]  # the same backend, started once


@pytest.fixture
def cache_with_worker(broker):
    """This process and the worker share one Redis cache (the broker's server, database 1), as
    web processes and workers do in production."""
    with shared_cache(broker.rsplit("/", 1)[0] + "/1", prefix="ahead") as env:
        yield env


def test_the_worker_computes_viewed_pages_ahead(
    world,
    cx_survey,
    cache_with_worker,
    web_publishes,
    live_server,
    login,
    django_assert_max_num_queries,
):
    """The CX manager views the CX page; customers answer over HTTP; the worker scores them and
    computes the page again (dashboards.refresh): the manager's next view is kept, with the new
    count, in the few queries of a kept page."""
    client = login(world.cx_manager)
    params = {"survey": cx_survey.id}
    count = re.compile(r'<th scope="row">Front desk</th><td>(\d+)</td>')
    assert count.findall(client.get("/dashboards/cx/", params).content.decode()) == []
    # Stored before the worker starts, so that it scores them in one batch and then refreshes.
    for nps in (10, 9, 3):
        answers = {cx_survey.nps: nps, cx_survey.csat: 5}
        assert _submit(live_server.url, cx_survey, world, answers) in (201, 302)
    with celery_worker(broker_url=web_publishes, env=cache_with_worker) as worker:
        wait_for(
            lambda: "results_refresh: organisation" in worker.log_text(),
            what="the page computed ahead",
            log=worker.log,
        )
        assert "{'computed': 1, 'kept': 0, 'skipped': 0}" in worker.log_text()
    assert not Response.objects.filter(survey=cx_survey, scored_at__isnull=True).exists()
    with django_assert_max_num_queries(6):  # session, user, membership, survey id's organisation
        html = client.get("/dashboards/cx/", params).content.decode()
    assert count.findall(html) == ["3"]
