"""Load test (issue 6): the answer page and the responses API under concurrent load, then a row
count proving no response was lost.

    python -m benchmarks.load                       # 30 s, 16 concurrent clients
    python -m benchmarks.load --duration 10 --max-responses 2000

1. Setup (in a subprocess, `benchmarks.fixture setup`): the 5-question survey, customer links
   for 50 teams, a CX manager's API token.
2. Start gunicorn as production runs it (gunicorn.conf.py's defaults: 2 x cores + 1 workers of
   4 threads, preloaded) + a Celery worker on 127.0.0.1 (benchmarks/server.py), on DATABASE_URL
   (PostgreSQL) and REDIS_URL. (The ingestion benchmark pins 2 workers, as issue 8 asks; with 2,
   16 kept-alive clients often land unevenly on them, one worker held at one core by its GIL.)
3. `--concurrency` asyncio clients, stdlib only (no Django in this process), each looping until
   the time or the response budget runs out. Half the loops are a person on the answer page
   (GET the page: its CSRF cookie, token and submission key; then POST the answers, expecting
   the redirect to the thank-you page), half are an integration (POST to the responses API,
   expecting 201).
4. Reported: submissions per second, latency p50/p95/p99 per request kind, errors (anything but
   the expected status, timeouts, refused connections); then the worker is given time to score
   everything and the database is counted: stored responses == successful submissions, and
   none left unscored.
Target (issue 6): >= 200 responses/s with zero errors and zero lost responses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from benchmarks.common import ROOT, percentile, table, verdict

HOST = "127.0.0.1"  # never anything else: this is a load test of our own machine
TARGET_RATE = 200
TIMEOUT = 30.0


def _django(*args: str) -> dict:
    """Run `python -m benchmarks.fixture ARGS` and parse its JSON (Django stays out of here)."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.fixture", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- A minimal HTTP/1.1 client with persistent connections ------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, list[str]]
    body: bytes


class Connection:
    """One client's HTTP/1.1 connection, kept open between its requests as a browser or an API
    client's session keeps it (gunicorn's threaded workers keep it alive for `keepalive` seconds).
    A connection the server closed meanwhile (keep-alive timeout, a recycled worker) is opened
    again and the request sent once more: every submission carries a submission key, so a
    request the server had already stored comes back as that same response, never a second."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, *, body: bytes = b"", headers=None) -> Reply:
        reused = self.writer is not None
        try:
            return await self._exchange(method, path, body, headers)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            if not reused:
                raise
            return await self._exchange(method, path, body, headers)

    async def _exchange(self, method: str, path: str, body: bytes, headers) -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        parsed: dict[str, list[str]] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            parsed.setdefault(name.strip().lower(), []).append(value.strip())
        length = int((parsed.get("content-length") or ["0"])[0])
        content = await self.reader.readexactly(length)
        if "close" in (parsed.get("connection") or [""])[0].lower():
            await self.close()
        return Reply(int(status_line.split()[1]), parsed, content)


# --- The load ---------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    submitted: dict[str, int] = field(default_factory=dict)
    started: int = 0

    def timed(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, reason: str) -> None:
        key = f"{kind}: {reason}"
        self.errors[key] = self.errors.get(key, 0) + 1

    def done(self, kind: str) -> None:
        self.submitted[kind] = self.submitted.get(kind, 0) + 1


async def _timed(tally: Tally, kind: str, call):
    started = time.perf_counter()
    reply = await asyncio.wait_for(call, TIMEOUT)
    tally.timed(kind, time.perf_counter() - started)
    return reply


async def page_visit(tally: Tally, http: Connection, fixture: dict, n: int) -> None:
    """A person: GET the answer page, then POST it (a new page load, a new submission key)."""
    path = fixture["links"][n % len(fixture["links"])]
    page = await _timed(tally, "answer page GET", http.request("GET", path))
    if page.status != 200:
        return tally.error("answer page GET", str(page.status))
    cookie = next(
        (c.split(";")[0] for c in page.headers.get("set-cookie", []) if c.startswith("csrftoken=")),
        "",
    )
    html = page.body.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    key = re.search(r'name="submission_key" value="([^"]*)"', html)
    if not (cookie and token and key):
        return tally.error("answer page GET", "no CSRF token or submission key")
    form = {**fixture["form_fields"], "csrfmiddlewaretoken": token.group(1)}
    form["submission_key"] = key.group(1)
    reply = await _timed(
        tally,
        "answer page POST",
        http.request(
            "POST",
            path,
            body=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        ),
    )
    location = (reply.headers.get("location") or [""])[0]
    if reply.status == 302 and "/r/thanks/" in location:
        tally.done("answer page")
    else:
        tally.error("answer page POST", str(reply.status))


async def api_post(tally: Tally, http: Connection, fixture: dict, n: int) -> None:
    """An integration: POST one response to the API with a fresh submission key."""
    teams = fixture["teams"]
    body = {
        "team": teams[n % len(teams)],
        "answers": [
            {"question": q, "value": v}
            for q, v in zip(fixture["questions"], fixture["answers"], strict=True)
        ],
        "submission_key": secrets.token_urlsafe(24),
    }
    reply = await _timed(
        tally,
        "API POST",
        http.request(
            "POST",
            f"/api/v1/surveys/{fixture['survey']}/responses/",
            body=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {fixture['token']}",
            },
        ),
    )
    if reply.status == 201:
        tally.done("API")
    else:
        tally.error("API POST", str(reply.status))


async def client(tally: Tally, port: int, fixture: dict, *, deadline: float, budget: int):
    http = Connection(port)
    while time.monotonic() < deadline and tally.started < budget:
        n = tally.started
        tally.started += 1
        visit = page_visit if n % 2 == 0 else api_post
        kind = "answer page" if visit is page_visit else "API POST"
        try:
            await visit(tally, http, fixture, n)
        except (
            TimeoutError,
            OSError,
            ValueError,
            IndexError,
            asyncio.IncompleteReadError,
        ) as error:
            tally.error(kind, type(error).__name__)
            await http.close()  # a connection in an unknown state is not reused
    await http.close()


async def load(port: int, fixture: dict, *, seconds: float, budget: int, concurrency: int):
    tally = Tally()
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(
            client(tally, port, fixture, deadline=deadline, budget=budget)
            for _ in range(concurrency)
        )
    )
    return tally, time.perf_counter() - started


# --- Run and report ---------------------------------------------------------------------------


def run(*, seconds: float, budget: int, concurrency: int, out=print) -> dict:
    from benchmarks.server import ANSWERS, Stack

    fixture = _django("setup")
    fixture["answers"] = ANSWERS
    before = _django("count", str(fixture["survey"]))
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
    with Stack(database_url=database_url, redis_url=redis_url, web_workers=None) as stack:
        out(f"Load: {concurrency} clients for up to {seconds:g} s / {budget:,} submissions ...")
        tally, elapsed = asyncio.run(
            load(stack.port, fixture, seconds=seconds, budget=budget, concurrency=concurrency)
        )
        ended = time.monotonic()
        ours = ("count", str(fixture["survey"]), "--after-id", str(before["last_id"]))
        after = _django(*ours)
        while after["unscored"] and time.monotonic() - ended < 120:
            time.sleep(0.5)
            after = _django(*ours)
        drained = time.monotonic() - ended
    return report(tally, elapsed, before=before, after=after, drained=drained, out=out)


def report(tally: Tally, elapsed: float, *, before: dict, after: dict, drained: float, out):
    successes = sum(tally.submitted.values())
    errors = sum(tally.errors.values())
    stored = after["responses"] - before["responses"]
    rate = successes / elapsed
    out(f"\nLoad test: {successes:,} responses in {elapsed:.1f} s = {rate:,.0f} responses/s\n")
    rows = [
        [
            kind,
            len(samples),
            f"{percentile(samples, 50) * 1000:.1f}",
            f"{percentile(samples, 95) * 1000:.1f}",
            f"{percentile(samples, 99) * 1000:.1f}",
        ]
        for kind, samples in sorted(tally.latencies.items())
    ]
    table(["Request", "Count", "p50 ms", "p95 ms", "p99 ms"], rows, out=out)
    out("")
    table(
        ["Figure", "Value"],
        [
            ["responses accepted (201 / redirect to thanks)", f"{successes:,}"],
            *[[f"  of which {kind}", f"{n:,}"] for kind, n in sorted(tally.submitted.items())],
            ["errors", f"{errors:,}"],
            *[[f"  {reason}", n] for reason, n in sorted(tally.errors.items())],
            ["rows stored (counted in PostgreSQL)", f"{stored:,}"],
            ["lost (accepted but not stored)", f"{max(0, successes - stored):,}"],
            ["unscored after the worker had time", f"{after['unscored']:,} ({drained:.1f} s)"],
        ],
        out=out,
    )
    lost = successes - stored
    met = rate >= TARGET_RATE and errors == 0 and lost == 0 and after["unscored"] == 0
    out(
        f"\nTarget (>= {TARGET_RATE} responses/s, zero errors, zero lost): {verdict(met)}"
        f" ({rate:,.0f}/s, {errors} errors, {lost} lost)"
    )
    return {
        "rate": rate,
        "successes": successes,
        "errors": errors,
        "stored": stored,
        "lost": lost,
        "unscored": after["unscored"],
        "met": met,
        "latencies": {
            kind: {q: percentile(samples, q) for q in (50, 95, 99)}
            for kind, samples in tally.latencies.items()
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds (upper bound)")
    parser.add_argument("--max-responses", type=int, default=20_000, help="submissions (bound)")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    if "DATABASE_URL" not in os.environ:
        parser.error("set DATABASE_URL (PostgreSQL) and REDIS_URL")
    run(seconds=args.duration, budget=args.max_responses, concurrency=args.concurrency)


if __name__ == "__main__":
    main()
