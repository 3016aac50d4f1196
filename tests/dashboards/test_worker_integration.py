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
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from config import celery_app
from dashboards import tasks
from dashboards.models import Alert, ResponseRollup
from responses.models import Answer, Response
from surveys.distribution import customer_link_signed
from surveys.models import CustomerLink, SurveyKind
from tests.factories import AlertRuleFactory, QuestionFactory, SurveyFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (os.environ.get("REDIS_URL") and settings.IS_POSTGRES),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker():
    """The broker URL for this test: a private redis-server, stopped at the end."""
    if shutil.which("redis-server") is None:
        parts = urllib.parse.urlsplit(os.environ["REDIS_URL"])
        yield f"redis://{parts.netloc}/{int(os.environ.get('TANDEM_TEST_WORKER_REDIS_DB', '15'))}"
        return
    port = _free_port()
    command = [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(lambda: _listening(port), what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def web_publishes(broker, monkeypatch):
    """This process publishes for real (not eagerly) to `broker`; restored after."""
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL"):  # would win over conf
        monkeypatch.delenv(name, raising=False)
    conf = celery_app.conf
    saved = {"task_always_eager": conf.task_always_eager, "broker_url": conf.get("broker_url")}
    _reset_publisher()
    conf.update(task_always_eager=False, broker_url=broker)
    yield conf
    _reset_publisher()
    conf.update(saved)


def _reset_publisher() -> None:
    """Forget the cached broker connections so the next publish uses conf.broker_url again."""
    celery_app.close()
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker(broker, web_publishes):
    """A worker process on the test database; killed (whole process group) at the end."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_URL": "locmem://",
    }
    log = tempfile.NamedTemporaryFile(prefix="tandem-worker-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _wait_for(
            lambda: " ready." in Path(log.name).read_text(), what="worker ready", log=log.name
        )
        yield log.name
    finally:
        _stop(process)
        Path(log.name).unlink(missing_ok=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_for(predicate, *, what: str, log: str | None = None, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    tail = Path(log).read_text()[-3000:] if log else ""
    pytest.fail(f"Timed out waiting for {what}.\n{tail}")


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
        return _submit_form(base_url, survey, answers)
    import json

    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=world.cx_manager.user)
    body = {
        "team": world.team.id,
        "answers": [{"question": q.id, "value": v} for q, v in answers.items()],
    }
    request = urllib.request.Request(
        base_url + api_path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _submit_form(base_url: str, survey, answers: dict) -> int:
    url = base_url + reverse("responses:link", args=[customer_link_signed(survey.link)])
    with urllib.request.urlopen(url, timeout=30) as response:
        page = response.read().decode()
        cookies = " ".join(response.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    fields = {"csrfmiddlewaretoken": token} | {
        f"question_{q.id}": str(v) for q, v in answers.items()
    }
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(fields).encode(), method="POST"
    )
    # The CSRF cookie is marked Secure (sent over HTTPS only), so hand it back ourselves.
    request.add_header("Cookie", "csrftoken=" + re.search(r"csrftoken=([^;]+)", cookies).group(1))
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:  # the 302 to the thank-you page, not followed
        return error.code


def _dead_broker() -> str:
    return f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there


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

    _wait_for(
        lambda: not Response.objects.filter(survey=cx_survey, scored_at__isnull=True).exists(),
        what="responses scored",
        log=worker,
    )
    _wait_for(
        lambda: Alert.objects.filter(survey=cx_survey).count() == 2, what="alerts", log=worker
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
    live_broker = web_publishes.broker_url
    _reset_publisher()
    web_publishes.broker_url = _dead_broker()
    for nps in (10, 7, 2):
        answers = {cx_survey.nps: nps, cx_survey.csat: 4}
        assert _submit(live_server.url, cx_survey, world, answers) in (201, 302)
    # All stored, none scored: their tasks never reached a broker.
    assert Response.objects.filter(survey=cx_survey, scored_at__isnull=True).count() == 3
    assert not ResponseRollup.objects.filter(survey=cx_survey).exists()

    _reset_publisher()
    web_publishes.broker_url = live_broker  # the broker is back: the beat's reconcile runs
    started = timezone.now()
    tasks.scores_reconcile.delay(older_than_seconds=0)

    _wait_for(
        lambda: not Response.objects.filter(survey=cx_survey, scored_at__isnull=True).exists(),
        what="reconcile",
        log=worker,
    )
    assert Response.objects.filter(survey=cx_survey, scored_at__gte=started).count() == 3
    assert (
        sum(ResponseRollup.objects.filter(survey=cx_survey).values_list("responses", flat=True))
        == 3
    )
