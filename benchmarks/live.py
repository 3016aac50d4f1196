"""Dashboards while answers arrive: what members wait for on a busy day (issue 8).

    python -m benchmarks.live                       # 1,000,000 answers, two phases of 60 s
    python -m benchmarks.live --duration 120 --rate 20
    python -m benchmarks.live --smoke               # 10,000 answers, 3 s phases (CI)

The production stack (gunicorn with 2 workers and a Celery worker: benchmarks.server.Stack)
serves the dashboard benchmark's ten cases (benchmarks.dashboard.cases: the overview, EX, CX
and link pages and the scores API, organisation and team) over HTTP to `--viewers` members
signed in, each requesting the cases in turn (`--think` seconds apart), from nothing kept, while answers arrive
through the responses API at `--rate` per second, half to the employee survey the pages show
and half to the customer survey, each scored by the worker as it comes (a scored batch every
few hundred milliseconds). Two phases on the same data:

- **not ahead** (TANDEM_RESULTS_REFRESH_PAGES=0, as before dashboards.refresh): every scored
  batch makes the next view of its kind's pages compute them;
- **ahead** (the defaults): the worker computes the pages viewed ahead after scored batches, and
  a page behind only by scored batches is served until TANDEM_RESULTS_STALE_SECONDS old.

Printed per case and phase: p50 / p95 of the views, and p50 against the case's raw GROUP BY
(benchmarks.dashboard.raw_queryset, measured in the same run). The answers added are deleted at
the end and both surveys' rollups rebuilt, so the data is as generated for the next benchmark.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import tempfile
import threading
import time
import urllib.request

from benchmarks.common import (
    bench_people,
    data_ensure,
    django_setup,
    ms,
    sized_arguments,
    summary,
    table,
    verdict,
)

PHASES = {
    "not ahead": {"TANDEM_RESULTS_REFRESH_PAGES": "0"},
    "ahead": {},
}
VALUES = {"nps": range(11), "csat": range(1, 6), "ces": range(1, 8), "likert": range(1, 6)}


def _session(user) -> str:
    """A session cookie for `user` (sessions are database rows: gunicorn reads it)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _poster(base: str, surveys: list[dict], rate: float, stop: threading.Event, sent: list):
    """POST answers to the responses API at `rate` per second, surveys in turn, random teams."""
    pick = random.Random(8)
    interval, due, turn = 1 / rate, time.monotonic(), 0
    while not stop.is_set():
        survey = surveys[turn % len(surveys)]
        turn += 1
        answers = [
            {"question": pk, "value": pick.choice(VALUES[kind])} for pk, kind in survey["questions"]
        ]
        body = json.dumps({"team": pick.choice(survey["teams"]), "answers": answers}).encode()
        request = urllib.request.Request(
            f"{base}/api/v1/surveys/{survey['id']}/responses/",
            data=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {survey['token']}",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            sent.append(response.status)
        due += interval
        time.sleep(max(0.0, due - time.monotonic()))


def _viewer(base, cases, cookies, think, stop, seen: dict, seed: int) -> None:
    order = list(cases)
    random.Random(seed).shuffle(order)
    while not stop.is_set():
        for case in order:
            if stop.is_set():
                return
            request = urllib.request.Request(
                base + case.url, headers={"Cookie": f"sessionid={cookies[case.role]}"}
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                assert response.status == 200, (case.url, response.status)
            seen.setdefault((case.page, case.scope), []).append(time.perf_counter() - started)
            time.sleep(think)


def _phase(stack, cases, cookies, surveys, *, duration, rate, viewers, think) -> dict:
    stop = threading.Event()
    sent: list[int] = []
    seen: dict = {}
    threads = [threading.Thread(target=_poster, args=(stack.url, surveys, rate, stop, sent))]
    threads += [
        threading.Thread(target=_viewer, args=(stack.url, cases, cookies, think, stop, seen, n))
        for n in range(viewers)
    ]
    for thread in threads:
        thread.start()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    return {"seen": seen, "sent": len(sent), "created": sum(1 for s in sent if s == 201)}


def _surveys(cases_surveys: tuple[int, int], people: dict) -> list[dict]:
    from rest_framework.authtoken.models import Token

    from surveys.models import Survey, Team

    found = []
    for pk, role in zip(cases_surveys, ("hr_admin", "cx_manager"), strict=True):
        survey = Survey.objects.get(pk=pk)
        token, _ = Token.objects.get_or_create(user=people[role])
        questions = survey.questions.filter(type__in=VALUES).order_by("order", "id")
        teams = Team.objects.filter(organization_id=survey.organization_id)
        found.append(
            {
                "id": pk,
                "token": token.key,
                "questions": list(questions.values_list("id", "type")),
                "teams": list(teams.values_list("id", flat=True)),
            }
        )
    return found


_REFRESHED = re.compile(r"results_refresh: organisation \d+: (\{.*?\}) in ([\d.]+) s")


def _refreshes(log: str) -> dict:
    """The worker's refreshes (dashboards.refresh) in its log: how many, pages computed, time."""
    found = {"refreshes": 0, "computed": 0, "seconds": 0.0}
    with open(log, encoding="utf-8", errors="replace") as lines:
        for match in _REFRESHED.finditer(lines.read()):
            found["refreshes"] += 1
            found["computed"] += ast.literal_eval(match.group(1))["computed"]
            found["seconds"] += float(match.group(2))
    return found


def _restore(survey_ids: list[int], after_id: int, out) -> None:
    """Delete the responses added by the run and rebuild both surveys' rollups."""
    from benchmarks.common import tables_vacuum
    from benchmarks.server import responses_delete
    from dashboards.scoring import scores_rebuild

    removed = responses_delete(survey_ids, after_id=after_id)
    for pk in survey_ids:
        scores_rebuild(survey_id=pk)
    tables_vacuum()
    out(f"Restored: {removed:,} responses added by the run deleted, rollups rebuilt.")


SMOKE = {"answers": 10_000, "teams": 10, "months": 3, "duration": 3, "rate": 5}
FULL = {"answers": 1_000_000, "teams": 200, "months": 12, "duration": 60, "rate": 10}


def run(
    *,
    answers: int,
    teams: int,
    months: int,
    duration: float,
    rate: float,
    viewers: int = 2,
    think: float = 0.2,
    database_url: str | None = None,
    out=print,
) -> dict:
    from django.conf import settings
    from django.db.models import Max

    from benchmarks.dashboard import cases, raw_baseline
    from benchmarks.server import Stack
    from responses.models import Response

    organization = data_ensure(answers=answers, teams=teams, months=months, out=out)
    people = bench_people(organization)
    every = cases(organization=organization, people=people)
    cookies = {role: _session(people[role]) for role in ("hr_admin", "cx_manager", "team_lead")}
    ex, cx = every[2].surveys[0], every[4].surveys[0]
    surveys = _surveys((ex, cx), people)
    after_id = Response.objects.aggregate(last=Max("id"))["last"] or 0
    raw: dict[tuple, dict] = {}
    for case in every:  # before any answer is added, as the dashboard benchmark measures it
        raw_baseline(case, raw, repeat=3)
        if case.compared:
            raw_baseline(case.team_only(), raw, repeat=3)
    results: dict[str, dict] = {}
    try:
        for phase, env in PHASES.items():
            # Each phase starts with nothing kept (its own cache keys): first views compute.
            cold = {**env, "CACHE_KEY_PREFIX": f"live-{phase}-{time.time():.0f}".replace(" ", "-")}
            log = tempfile.NamedTemporaryFile(prefix="live-worker-", suffix=".log", delete=False)
            log.close()
            with Stack(
                database_url=database_url or os.environ["DATABASE_URL"],
                redis_url=settings.REDIS_URL,
                env=cold,
                worker_log=log.name,
            ) as stack:
                out(f"Phase “{phase}”: {duration:.0f} s, {rate:g} answers/s, {viewers} viewers")
                results[phase] = _phase(
                    stack, every, cookies, surveys,
                    duration=duration, rate=rate, viewers=viewers, think=think,
                )  # fmt: skip
            results[phase]["refreshes"] = _refreshes(log.name)
            os.unlink(log.name)
    finally:
        _restore([ex, cx], after_id, out)
    rows = _report(every, raw, results, rate=rate, viewers=viewers, out=out)
    return {"rows": rows, "results": {k: v["created"] for k, v in results.items()}}


def _report(every, raw: dict, results: dict, *, rate: float, viewers: int, out) -> list[list]:
    """Print the table of every case and phase against its raw baseline; returns its rows."""
    import datetime as dt

    from benchmarks.dashboard import TARGET_P95, TARGET_RATIO, compared_report

    rows, verdicts, compared = [], {}, []
    for case in every:
        base = raw[case.baseline_key]["p50"]
        for phase, result in results.items():
            samples = result["seen"].get((case.page, case.scope), [])
            if not samples:
                continue
            figures = summary(samples)
            ratio = figures["p50"] / base
            ok = ratio < TARGET_RATIO and figures["p95"] < TARGET_P95
            verdicts.setdefault(phase, []).append(ok)
            if case.compared:
                alone = raw[case.team_only().baseline_key]
                compared.append(
                    {"case": case, "served": phase, "page": figures, "team_only": alone}
                )
            rows.append(
                [
                    case.page,
                    case.scope,
                    phase,
                    str(figures["n"]),
                    ms(figures["p50"]),
                    ms(figures["p95"]),
                    ms(base),
                    f"{ratio:.1%}",
                    verdict(ok),
                ]
            )
    out(
        f"\nDashboards while answers arrive ({rate:g}/s through the API, scored by the worker), "
        f"{viewers} viewers, {dt.date.today()}; baseline = the case's raw GROUP BY (p50)\n"
    )
    header = ["Page", "Scope", "Phase", "Views", "p50 ms", "p95 ms", "Raw SQL p50 ms"]
    table(header + ["Page / raw", "Target"], rows, out=out)
    compared_report(compared, out=out)
    for phase, result in results.items():
        met = sum(verdicts.get(phase, []))
        done = result["refreshes"]
        out(
            f"{phase}: {result['created']:,} of {result['sent']:,} answers stored; "
            f"under 10% of raw SQL and 150 ms p95: {met} of {len(verdicts.get(phase, []))} cases; "
            f"the worker computed {done['computed']} pages ahead in {done['refreshes']} "
            f"refreshes ({done['seconds']:.1f} s of its time)"
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=2, help="members viewing (2)")
    parser.add_argument("--think", type=float, default=0.2, help="seconds between views (0.2)")
    args, size = sized_arguments(parser, smoke=SMOKE, full=FULL, argv=argv)
    django_setup()
    run(**size, viewers=args.viewers, think=args.think)


if __name__ == "__main__":
    main()
