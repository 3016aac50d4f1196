"""The production stack on 127.0.0.1 for the HTTP benchmarks, and what they submit to.

    with Stack(port=...) as stack:   # gunicorn (gunicorn.conf.py, 2 workers) + a Celery worker
    with Stack(web_workers=None) as stack:  # gunicorn.conf.py's own worker count
        ...

gunicorn runs `config.wsgi` with the repository's gunicorn.conf.py, DEBUG off and persistent
database connections (CONN_MAX_AGE, as in production); the worker is `celery -A config worker`
as in the Procfile. Both get the benchmark URLconf (benchmarks/bench_urls.py) and limits raised
for one client address: the per-IP limit on public links (30 per 10 minutes) and the per-token
API throttle would otherwise refuse a load test from one machine after a few requests.

Processes are started in their own session and stopped by their process group id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

from benchmarks.common import BENCH_ENV, ROOT

SERVER_ENV = {
    **BENCH_ENV,
    "ROOT_URLCONF": "benchmarks.bench_urls",
    "TANDEM_PUBLIC_RATE_LIMIT": str(10**9),
    "TANDEM_API_THROTTLE": f"{10**9}/min",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "CACHE_KEY_PREFIX": "tandem-bench",
    "LOG_LEVEL": "WARNING",
}
INGEST_ORG = "Benchmark Co ingest"
INGEST_TITLE = "Ingest benchmark"
BARE_TITLE = "Ingest baseline (bare INSERT)"
# Five answers a submission: the shape both the peer and Tandem get.
QUESTIONS = [
    {"type": "csat", "text": "How satisfied are you with your visit?", "required": True},
    {"type": "nps", "text": "How likely are you to recommend us?", "required": True},
    {"type": "ces", "text": "How easy was it to get what you needed?", "required": True},
    {"type": "likert", "text": "Staff were friendly.", "required": True},
    {"type": "text", "text": "Anything else to tell us?", "required": False},
]
ANSWERS = [4, 9, 6, 5, "Quick and friendly service, thank you"]
LINK_TEAMS = 50  # customer links, one per team: submissions spread over 50 scoring buckets


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, redis_url: str) -> dict:
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # each program's own default (config.settings)
    env.pop("CACHE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


@dataclass
class Stack:
    """gunicorn + a Celery worker, started on enter and stopped on exit."""

    database_url: str
    redis_url: str
    port: int = 0
    worker: bool = True
    worker_concurrency: int = 2
    # gunicorn workers: 2, as issue 8 measures ingestion; None: gunicorn.conf.py's production
    # default (2 x cores + 1), as the load test runs it.
    web_workers: int | None = 2
    env: dict[str, str] = field(default_factory=dict)  # more settings for gunicorn and the worker
    worker_log: str | None = None  # the worker's INFO log goes to this file (else: nowhere)

    def __enter__(self) -> Stack:
        self.port = self.port or free_port()
        env = {
            **server_env(self.database_url, self.redis_url),
            **self.env,
            "GUNICORN_BIND": self.address,
        }
        if self.web_workers is not None:
            env["WEB_CONCURRENCY"] = str(self.web_workers)
        self.processes: list[subprocess.Popen] = []
        self._start(["gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"], env)
        if self.worker:
            level = "INFO" if self.worker_log else "WARNING"
            self._start(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--loglevel",
                    level,
                    "--concurrency",
                    str(self.worker_concurrency),
                    "--without-gossip",
                    "--without-mingle",
                ],
                {**env, "LOG_LEVEL": level},
                output=self.worker_log,
            )
        self._wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def _start(self, command: list[str], env: dict, *, output: str | None = None) -> None:
        with open(output or os.devnull, "ab") as sink:
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, stopped as one
                )
            )

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                raise RuntimeError("A benchmark server process exited at start-up.")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {timeout} s")


# --- What the benchmarks submit to --------------------------------------------------------


def _survey(organization, title: str, user):
    from surveys.models import Survey, SurveyStatus
    from surveys.services import survey_create, survey_publish

    survey = Survey.objects.filter(
        organization=organization, title=title, status=SurveyStatus.LIVE
    ).first()
    if survey is None:
        survey = survey_create(
            organization=organization, user=user, title=title, kind="cx", questions=QUESTIONS
        )
        survey = survey_publish(survey=survey)
    return survey


def load_surveys_empty(survey_ids: list[int]) -> None:
    """Delete earlier runs' responses (answers, rollups) of the surveys the load goes to, so
    every run starts from the same state. Otherwise today's rollup rows and responses grow with
    every run of the day (and, when scoring recomputed buckets, each task read its bucket
    whole): a benchmark run on the tenth run of a day measured a different thing from the first.
    Then the churned tables are vacuumed, as autovacuum would have between two runs (benchmark
    machines may run without it, and a run's submissions and scoring updates leave ~150,000
    dead rows behind)."""

    from benchmarks.common import rollups_empty, tables_vacuum

    rollups_empty(survey_ids)
    responses_delete(survey_ids)
    tables_vacuum()


def responses_delete(survey_ids: list[int], *, after_id: int = 0) -> int:
    """Delete the surveys' responses (those after `after_id`) with their answers, in SQL (a
    Django cascade would load them all); alerts keep their row without the response. Returns
    how many responses."""
    from django.db import connection

    held = "SELECT id FROM responses_response WHERE survey_id = ANY(%s) AND id > %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE dashboards_alert SET response_id = NULL WHERE response_id IN ({held})",
            [survey_ids, after_id],
        )
        cursor.execute(
            f"DELETE FROM responses_answer WHERE response_id IN ({held})", [survey_ids, after_id]
        )
        cursor.execute(
            "DELETE FROM responses_response WHERE survey_id = ANY(%s) AND id > %s",
            [survey_ids, after_id],
        )
        return cursor.rowcount


def ingest_fixture() -> dict:
    """The 5-question CX survey the load goes to (with customer links for LINK_TEAMS teams),
    its twin for the bare-INSERT baseline, and a CX manager's API token.

    They live in their own organisation (INGEST_ORG): load-test responses must not change the
    benchmark organisation's answer count, nor become its most recently answered survey (the
    survey its dashboards open on). The tables are shared, so inserts still go into tables
    holding the million answers when those are loaded.
    """
    from django.urls import reverse
    from rest_framework.authtoken.models import Token

    from benchmarks.common import bench_people, data_ensure
    from surveys.distribution import customer_link_create, customer_link_signed
    from surveys.models import CustomerLink, Team

    organization = data_ensure(
        answers=1_000,
        teams=LINK_TEAMS,
        months=1,
        org_name=INGEST_ORG,
        out=lambda _: None,
        any_size=True,
    )
    manager = bench_people(organization)["cx_manager"]
    survey = _survey(organization, INGEST_TITLE, manager)
    bare = _survey(organization, BARE_TITLE, manager)
    teams = list(Team.objects.filter(organization=organization).order_by("id")[:LINK_TEAMS])
    links = []
    for team in teams:
        link = CustomerLink.objects.filter(survey=survey, team=team, active=True).first()
        link = link or customer_link_create(survey=survey, team=team, label="", user=manager)
        links.append(reverse("responses:link", args=[customer_link_signed(link)]))
    load_surveys_empty([survey.pk, bare.pk])
    token, _ = Token.objects.get_or_create(user=manager)
    question_ids = list(survey.questions.order_by("order", "id").values_list("id", flat=True))
    bare_ids = list(bare.questions.order_by("order", "id").values_list("id", flat=True))
    return {
        "survey": survey.pk,
        "bare_survey": bare.pk,
        "questions": question_ids,
        "bare_questions": bare_ids,
        "teams": [team.pk for team in teams],
        "links": links,
        "token": token.key,
        "form_fields": form_fields(question_ids),
    }


def api_body(questions: list[int], team: int, *, key: str | None = None) -> dict:
    body: dict = {
        "team": team,
        "answers": [{"question": q, "value": v} for q, v in zip(questions, ANSWERS, strict=True)],
    }
    if key:
        body["submission_key"] = key
    return body


def form_fields(questions: list[int]) -> dict[str, str]:
    """The answer form's fields for the five answers (names from responses.services)."""
    from responses.services import answer_field

    return {answer_field(q): str(v) for q, v in zip(questions, ANSWERS, strict=True)}
