"""Against a peer: django-survey-and-report 1.5.0 (PyPI) and Tandem, same machine, same run.

    python -m benchmarks.peer                  # 20 s of submissions each, 100,000-answer results
    python -m benchmarks.peer --duration 6 --results-timeout 120

1. The peer is installed into a throwaway virtualenv (/tmp/peer-venv; never a dependency of this
   project), and the example project from its sdist is copied to /tmp/peer-run with a settings
   module pointing it at its own PostgreSQL database (tandem_peer, recreated each run), DEBUG
   off and persistent connections, like Tandem's.
2. Both run under gunicorn with the same settings (2 workers, each with gunicorn.conf.py's
   threads; the peer gets the CLI equivalents of gunicorn.conf.py, with a longer timeout so its
   results request can finish).
   Tandem also runs its Celery worker.
3. Submissions: the same 5 answers (4 scored, 1 comment) POSTed through each product's own
   answer form by wrk on loopback, CSRF cookie and token from one GET of the page; the two
   servers take turns in `--rounds` slices. Rate = rows stored per second.
4. Results: 100,000 answers (20,000 responses x 5) bulk-loaded into a survey of each; then the
   peer's results request (GET /survey/csv/<id>/: it builds the CSV of all responses) once,
   bounded by `--results-timeout`, and Tandem's (the scores API for that survey by team, read
   from rollups) `--repeat` times, p50, computed each time (TANDEM_RESULTS_CACHE_SECONDS=0: the
   peer builds its CSV on every request, so Tandem is not measured serving a kept answer).
Targets (issue 8): Tandem >= 3x the peer's submission rate and >= 100x faster on results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

from benchmarks.common import ROOT, django_setup, percentile, table, verdict

PEER = "django-survey-and-report==1.5.0"
VENV = Path("/tmp/peer-venv")
SRC = Path("/tmp/peer-src")
RUN = Path("/tmp/peer-run")
PEER_DB = "tandem_peer"
TARGET_SUBMIT, TARGET_RESULTS = 3.0, 100.0
RESPONSES = 20_000  # x 5 answers = 100,000
RESULTS_TITLE = "Peer results (100,000 answers)"

PEER_SETTINGS = """
# Written by benchmarks/peer.py: the example project on PostgreSQL, DEBUG off, persistent
# connections (as Tandem's settings).
from pathlib import Path

from example_project.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.postgresql", "NAME": {name!r}, "USER": {user!r},
    "PASSWORD": {password!r}, "HOST": {host!r}, "PORT": {port!r},
    "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
}}}}
CSV_DIRECTORY = str(Path(__file__).resolve().parent / "csv")
LOGGING = {{"version": 1, "disable_existing_loggers": False,
           "root": {{"handlers": [], "level": "WARNING"}}}}
"""

# Run by the peer's own interpreter (manage.py shell -c): its models, not ours.
PEER_SURVEY = """
import json
from datetime import date
from survey.models import Question, Survey
survey = Survey.objects.create(name="Peer benchmark", description="5 questions",
    is_published=True, need_logged_user=False, editable_answers=True,
    display_method=Survey.ALL_IN_ONE_PAGE, expire_date=date(2099, 1, 1))
texts = {texts!r}
ids = []
for order, (text, kind, required) in enumerate(texts):
    ids.append(Question.objects.create(survey=survey, text=text, order=order, type=kind,
        required=required).pk)
print(json.dumps({{"survey": survey.pk, "questions": ids}}))
"""

PEER_LOAD = """
import uuid
from survey.models import Answer, Question, Response, Survey
survey = Survey.objects.get(pk={survey})
questions = list(Question.objects.filter(survey=survey).order_by("order"))
values = {values!r}
for start in range(0, {responses}, 2000):
    rows = Response.objects.bulk_create(
        [Response(survey=survey, interview_uuid=uuid.uuid4().hex) for _ in range(2000)])
    Answer.objects.bulk_create([Answer(question=q, response=r, body=str(v))
        for r in rows for q, v in zip(questions, values)])
print(Answer.objects.filter(question__survey=survey).count())
"""


# --- The peer's installation --------------------------------------------------------------


def _run(command: list, **kwargs) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout


def peer_install(out=print) -> Path:
    """The virtualenv with the peer (and psycopg2, gunicorn), and its example project copied to
    RUN/example_project. Returns that directory."""
    if not (VENV / "bin" / "gunicorn").exists():
        out(f"Peer: python -m venv {VENV}; pip install {PEER} psycopg2-binary gunicorn")
        _run([sys.executable, "-m", "venv", str(VENV)])
        _run([str(VENV / "bin" / "pip"), "install", "-q", PEER, "psycopg2-binary", "gunicorn"])
    sdist = next(SRC.glob("django_survey_and_report-1.5.0.tar.gz"), None)
    if sdist is None:
        SRC.mkdir(parents=True, exist_ok=True)
        out(f"Peer: pip download --no-binary :all: {PEER} (for its example project)")
        _run(
            [str(VENV / "bin" / "pip"), "download", "-q", "--no-deps", "--no-binary", ":all:"]
            + [PEER, "-d", str(SRC)]
        )
        sdist = next(SRC.glob("django_survey_and_report-1.5.0.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = [m for m in archive.getmembers() if "/example_project/" in m.name]
        archive.extractall(SRC, members=names, filter="data")
    project = RUN / "example_project"
    shutil.rmtree(RUN, ignore_errors=True)
    shutil.copytree(SRC / "django_survey_and_report-1.5.0" / "example_project", project)
    (project / "csv").mkdir()
    return project


def peer_database(project: Path) -> None:
    """Recreate the peer's database on Tandem's PostgreSQL server and migrate it."""
    from django.db import connection

    settings = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {PEER_DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {PEER_DB}")
    (project / "peer_settings.py").write_text(
        PEER_SETTINGS.format(
            name=PEER_DB,
            user=settings.get("USER") or "postgres",
            password=settings.get("PASSWORD") or "",
            host=settings.get("HOST") or "127.0.0.1",
            port=str(settings.get("PORT") or 5432),
        )
    )
    peer_manage(project, "migrate", "--noinput")


def peer_manage(project: Path, *args: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peer_settings"}
    for name in ("DATABASE_URL", "REDIS_URL", "PYTHONPATH"):
        env.pop(name, None)
    return _run([str(VENV / "bin" / "python"), "manage.py", *args], cwd=project, env=env)


def peer_survey(project: Path) -> dict:
    from benchmarks.server import QUESTIONS

    kinds = [("text" if q["type"] == "text" else "integer", q["required"]) for q in QUESTIONS]
    texts = [(q["text"], *kind) for q, kind in zip(QUESTIONS, kinds, strict=True)]
    output = peer_manage(project, "shell", "-c", PEER_SURVEY.format(texts=texts))
    return json.loads(output.strip().splitlines()[-1])


def gunicorn_threads() -> int:
    """The threads per worker Tandem's gunicorn.conf.py gives (GUNICORN_THREADS, default 4)."""
    import runpy

    return int(runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"])


class PeerServer:
    """The peer under gunicorn: the CLI equivalents of gunicorn.conf.py (2 workers with as many
    threads as Tandem's, max requests, the app preloaded, heartbeat in /dev/shm), except a
    timeout long enough for its results."""

    def __init__(self, project: Path, *, timeout: int) -> None:
        from benchmarks.server import free_port

        self.project, self.timeout, self.port = project, timeout, free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> PeerServer:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peer_settings"}
        for name in ("DATABASE_URL", "REDIS_URL", "PYTHONPATH", "ROOT_URLCONF"):
            env.pop(name, None)
        command = [str(VENV / "bin" / "gunicorn"), "example_project.wsgi", "--workers", "2"]
        command += ["--threads", str(gunicorn_threads())]
        command += ["--bind", f"127.0.0.1:{self.port}", "--timeout", str(self.timeout)]
        command += ["--max-requests", "2000", "--max-requests-jitter", "200", "--preload"]
        command += ["--access-logfile", "-", "--worker-tmp-dir", "/dev/shm"]
        self.process = subprocess.Popen(
            command,
            cwd=self.project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/survey/", timeout=2).read()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("The peer's gunicorn exited at start-up.") from None
                time.sleep(0.3)
        raise RuntimeError("The peer's gunicorn did not answer.")

    def __exit__(self, *exc) -> None:
        import signal

        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


# --- Submissions ------------------------------------------------------------------------------


def peer_target(server: PeerServer, peer: dict) -> dict:
    from urllib.parse import urlencode

    from benchmarks.ingest import form_session
    from benchmarks.server import ANSWERS

    path = f"/survey/{peer['survey']}/"
    cookie, token = form_session(server.url + path)
    fields = {f"question_{q}": str(v) for q, v in zip(peer["questions"], ANSWERS, strict=True)}
    return {
        "paths": [path],
        "bodies": [urlencode({**fields, "csrfmiddlewaretoken": token})],
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
        },
        "keyed": False,
    }


def peer_rows(project: Path, survey: int) -> int:
    code = (
        "from survey.models import Response; "
        f"print(Response.objects.filter(survey_id={survey}).count())"
    )
    return int(peer_manage(project, "shell", "-c", code).strip().splitlines()[-1])


def peer_slice(server, target, project, survey, *, seconds: float) -> dict:
    from benchmarks.ingest import lua_script, wrk

    before = peer_rows(project, survey)
    run = wrk(server.url, lua_script("peer form", **target), seconds=seconds)
    rows = peer_rows(project, survey) - before
    return {"rows": rows, "seconds": run["seconds"], "p50": run["p50"]}


# --- Results ----------------------------------------------------------------------------------


def tandem_results_survey(responses: int) -> dict:
    """A survey with the 5 questions and `responses` x 5 answers over 50 teams and 12 months,
    bulk-loaded (datagen's COPY writer) and scored (rebuild)."""
    import datetime as dt
    import random

    from django.utils import timezone

    from benchmarks.server import ANSWERS, LINK_TEAMS, ingest_fixture
    from dashboards.datagen.load import rows_writer
    from dashboards.datagen.model import ResponseRow
    from dashboards.scoring import scores_rebuild
    from responses.models import Channel
    from surveys.models import Survey, Team

    fixture = ingest_fixture()
    organization_id = Survey.objects.get(pk=fixture["survey"]).organization_id
    survey = Survey.objects.filter(organization_id=organization_id, title=RESULTS_TITLE).first()
    survey = survey or _survey_create(organization_id)
    questions = list(survey.questions.order_by("order", "id").values_list("id", flat=True))
    held = survey.responses.count()
    if held != responses:
        survey.responses.all().delete()
        teams = list(Team.objects.filter(organization_id=organization_id)[:LINK_TEAMS])
        rng, now, writer, batch = random.Random(1), timezone.now(), rows_writer(), []
        for n in range(responses):
            team = teams[n % len(teams)]
            batch.append(
                ResponseRow(
                    survey_id=survey.pk,
                    team_id=team.pk,
                    location_id=team.location_id,
                    cycle_id=None,
                    respondent_id=None,
                    agent_id=None,
                    channel=Channel.LINK,
                    language="en",
                    submitted_at=now - dt.timedelta(seconds=rng.random() * 365 * 86400),
                    answers=[
                        (q, v if isinstance(v, int) else None, v if isinstance(v, str) else "")
                        + (None, None, "")
                        for q, v in zip(questions, ANSWERS, strict=True)
                    ],
                )
            )
            if len(batch) == 5000:
                writer.write(batch)
                batch = []
        if batch:
            writer.write(batch)
        scores_rebuild(survey_id=survey.pk)
    return {"survey": survey.pk, "token": fixture["token"]}


def _survey_create(organization_id: int):
    from benchmarks.server import QUESTIONS
    from surveys.models import Organization
    from surveys.services import survey_create, survey_publish

    survey = survey_create(
        organization=Organization.objects.get(pk=organization_id),
        user=None,
        title=RESULTS_TITLE,
        kind="cx",
        questions=QUESTIONS,
    )
    return survey_publish(survey=survey)


def timed_get(url: str, *, headers=None, timeout: float) -> float | None:
    """Seconds for one GET (None: no answer within `timeout`)."""
    started = time.perf_counter()
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {url}: {response.status}")
    except TimeoutError:
        return None
    return time.perf_counter() - started


# --- Run --------------------------------------------------------------------------------------


def run(*, seconds: float, rounds: int, results_timeout: int, repeat: int, out=print) -> dict:
    from benchmarks.ingest import _combined, database_url, measure, targets
    from benchmarks.server import Stack, ingest_fixture

    project = peer_install(out=out)
    peer_database(project)
    peer = peer_survey(project)
    fixture = ingest_fixture()
    results_survey = tandem_results_survey(RESPONSES)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
    tandem_slices, peer_slices = [], []
    with (
        Stack(
            database_url=database_url(),
            redis_url=redis_url,
            env={"TANDEM_RESULTS_CACHE_SECONDS": "0"},  # results computed on every request
        ) as stack,
        PeerServer(project, timeout=results_timeout + 30) as server,
    ):
        tandem_form = targets(fixture, url=stack.url)["form"]
        peer_form = peer_target(server, peer)
        for number in range(rounds):
            out(f"Submissions: round {number + 1}/{rounds}, {seconds / rounds:g} s each")
            tandem_slices.append(
                measure("form", tandem_form, url=stack.url, seconds=seconds / rounds, drain=True)
            )
            peer_slices.append(
                peer_slice(server, peer_form, project, peer["survey"], seconds=seconds / rounds)
            )
        out(f"Results: loading {RESPONSES * 5:,} answers into the peer ...")
        peer_manage(
            project,
            "shell",
            "-c",
            PEER_LOAD.format(survey=peer["survey"], values=_answers(), responses=RESPONSES),
        )
        scores = f"{stack.url}/api/v1/surveys/{results_survey['survey']}/scores/?group_by=team"
        auth = {"Authorization": f"Token {results_survey['token']}"}
        timed_get(scores, headers=auth, timeout=30)  # warm-up
        tandem_results = [timed_get(scores, headers=auth, timeout=30) for _ in range(repeat)]
        out(f"Results: the peer's CSV of {RESPONSES:,} responses (timeout {results_timeout} s) ...")
        peer_results = timed_get(
            f"{server.url}/survey/csv/{peer['survey']}/", timeout=results_timeout
        )
    tandem = _combined(tandem_slices)
    peer_rate = sum(s["rows"] for s in peer_slices) / sum(s["seconds"] for s in peer_slices)
    tandem_p50 = percentile(tandem_results, 50)
    return report(
        tandem_rate=tandem["rate"],
        peer_rate=peer_rate,
        tandem_results=tandem_p50,
        peer_results=peer_results,
        results_timeout=results_timeout,
        drain=tandem["drain"],
        out=out,
    )


def _answers() -> list:
    from benchmarks.server import ANSWERS

    return list(ANSWERS)


def report(
    *, tandem_rate, peer_rate, tandem_results, peer_results, results_timeout, drain, out
) -> dict:
    submit_ratio = tandem_rate / peer_rate if peer_rate else float("inf")
    bounded = peer_results is None
    peer_seconds = results_timeout if bounded else peer_results
    results_ratio = peer_seconds / tandem_results
    more = ">" if bounded else ""
    out(f"\nTandem against {PEER}, same machine, PostgreSQL and gunicorn settings\n")
    table(
        ["Figure", "Tandem", "Peer", "Ratio", "Target", "Met"],
        [
            [
                "5-answer submissions/s (answer form)",
                f"{tandem_rate:,.0f}",
                f"{peer_rate:,.0f}",
                f"{submit_ratio:.2f}x",
                f">= {TARGET_SUBMIT:.0f}x",
                verdict(submit_ratio >= TARGET_SUBMIT),
            ],
            [
                f"results of {RESPONSES * 5:,} answers, s",
                f"{tandem_results:.3f}",
                f"{more}{peer_seconds:.1f}",
                f"{more}{results_ratio:,.0f}x",
                f">= {TARGET_RESULTS:.0f}x",
                verdict(results_ratio >= TARGET_RESULTS),
            ],
        ],
        out=out,
    )
    if drain is not None:
        out(f"\nTandem's worker scored every submission within {drain:.1f} s of each slice.")
    return {
        "submit_ratio": submit_ratio,
        "results_ratio": results_ratio,
        "tandem_rate": tandem_rate,
        "peer_rate": peer_rate,
        "tandem_results": tandem_results,
        "peer_results": peer_results,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of submissions each")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results-timeout", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=10, help="Tandem results requests")
    args = parser.parse_args(argv)
    django_setup()
    run(
        seconds=args.duration,
        rounds=args.rounds,
        results_timeout=args.results_timeout,
        repeat=args.repeat,
    )


if __name__ == "__main__":
    main()
