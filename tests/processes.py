"""Real processes for integration and fault tests: redis-server, Celery workers, gunicorn and a
throwaway PostgreSQL cluster.

Each helper is a context manager that starts its process in a session of its own (its own process
group) and, on the way out, kills the whole group, so a test that fails half-way leaves nothing
running. Waiting is done by polling with a deadline (`wait_for`), never by fixed sleeps.

    with redis_server() as redis:                       # a private redis-server on a spare port
        with celery_worker(broker_url=redis.url()) as worker:
            ...                                         # worker.log, worker.children(), ...

    with publishing_to(redis.url()):                    # this process publishes for real
        some_task.delay(...)

At the end, plain-HTTP helpers for talking to a live server as a browser (`form_post`: CSRF
token, cookie and hidden fields handled) or an integration (`json_post`) would.
"""

from __future__ import annotations

import contextlib
import json
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
DEADLINE = 60.0  # seconds; generous, since CI machines may be busy (polls return early)
PG_BIN = Path(os.environ.get("TANDEM_PG_BIN", "/usr/lib/postgresql/15/bin"))
# Celery reads these before its configuration: a process we point at a broker must not see them.
BROKER_ENV = ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL")


# --- Waiting and ports ----------------------------------------------------------------------------


def wait_for(
    predicate: Callable[[], object],
    *,
    what: str,
    seconds: float = DEADLINE,
    interval: float = 0.05,
    log: Path | str | None = None,
):
    """Poll `predicate` until it returns something truthy (returned); fail the test at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        if result := predicate():
            return result
        if time.monotonic() > deadline:
            tail = log_tail(log) if log else ""
            pytest.fail(f"Timed out after {seconds:g}s waiting for {what}.\n{tail}")
        time.sleep(interval)


def log_tail(path: Path | str, chars: int = 4000) -> str:
    path = Path(path)
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def require_binary(path: str | Path) -> str:
    """The binary's full path; skips the test when it is not installed."""
    found = shutil.which(str(path))
    if not found:
        pytest.skip(f"{path} is not installed")
    return found


# --- Processes ------------------------------------------------------------------------------------


@dataclass
class Service:
    """A started process (the leader of its own process group) and its log file."""

    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def children(self) -> list[int]:
        return child_pids(self.pid)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the process and everything it forked)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)
        if sig == signal.SIGKILL:
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        if not self.alive():
            return
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
        # Children that outlived their leader (an orphaned pool process) go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start(command: list[str], *, log: Path, env: dict | None = None, cwd=BASE_DIR) -> Service:
    handle = log.open("ab")
    try:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        handle.close()
    return Service(process=process, log=log)


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc (no psutil needed)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name (field 2) may hold spaces and parentheses: split after its end.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.append(int(stat.parent.name))
    return sorted(children)


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"tandem-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- Redis ----------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A private redis-server on its own port (nothing persisted). stop() and start() again on
    the same port simulate an outage; the data does not survive it, as with a crashed cache."""

    port: int
    directory: Path
    service: Service | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = [
            require_binary("redis-server"),
            "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        self.service = start(command, log=self.directory / "redis.log")
        wait_for(lambda: port_open(self.port), what="redis-server", log=self.service.log)

    def stop(self) -> None:
        if self.service is not None:
            self.service.kill(signal.SIGKILL)  # an abrupt outage, as when the host dies
            wait_for(lambda: not port_open(self.port), what="redis-server to stop")
            self.service = None


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    require_binary("redis-server")
    with scratch_dir("redis") as directory:
        redis = RedisServer(port=free_port(), directory=directory)
        redis.start()
        try:
            yield redis
        finally:
            redis.stop()


# --- Celery ---------------------------------------------------------------------------------------


def test_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


test_database_url.__test__ = False  # not a test, whatever its name


def django_env(**overrides: str) -> dict[str, str]:
    """The environment for a Django process (worker, web) that shares this test's database."""
    env = {
        **{name: value for name, value in os.environ.items() if name not in BROKER_ENV},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_URL": "locmem://",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(overrides)
    return env


@dataclass
class Worker:
    service: Service
    broker_url: str
    queue: str | None = None

    @property
    def log(self) -> Path:
        return self.service.log

    def children(self) -> list[int]:
        return self.service.children()

    def log_text(self) -> str:
        return self.service.log_text()


@contextlib.contextmanager
def celery_worker(
    *,
    broker_url: str,
    queue: str | None = None,
    pool: str = "solo",
    concurrency: int = 1,
    include: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
) -> Iterator[Worker]:
    """`celery -A config worker` on the test database, ready to consume when this yields.

    `pool="prefork"` runs tasks in child processes (the parent notices a killed child);
    `include` names extra modules the worker imports (test-only signal handlers).
    """
    with contextlib.ExitStack() as stack:
        directory = log_dir or stack.enter_context(scratch_dir("worker"))
        log = Path(tempfile.mkstemp(prefix="worker-", suffix=".log", dir=directory)[1])
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info",
            "-P", pool, "-c", str(concurrency), "-n", f"{log.stem}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if queue:
            command += ["-Q", queue]
        if include:
            command += ["-I", ",".join(include)]
        environment = django_env(CELERY_BROKER_URL=broker_url, REDIS_URL=broker_url, **(env or {}))
        service = start(command, log=log, env=environment)
        try:
            wait_for(
                lambda: " ready." in service.log_text() or not service.alive(),
                what="the Celery worker to be ready",
                log=log,
            )
            if not service.alive():
                pytest.fail(f"The Celery worker exited.\n{log_tail(log)}")
            yield Worker(service=service, broker_url=broker_url, queue=queue)
        finally:
            service.stop()


@contextlib.contextmanager
def shared_cache(redis_url: str, *, prefix: str) -> Iterator[dict[str, str]]:
    """This process's cache on `redis_url` (as in production, config.settings), emptied before
    and after; yields the environment that gives a worker the same cache."""
    from django.core.cache import cache
    from django.test import override_settings

    caches = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=caches):
        cache.clear()
        try:
            yield {"CACHE_URL": redis_url, "CACHE_KEY_PREFIX": prefix}
        finally:
            cache.clear()


def publisher_reset() -> None:
    """Forget this process's cached broker connections (the next publish reconnects)."""
    from celery import _state

    from config import celery_app

    celery_app.close()
    celery_app.amqp._producer_pool = None
    # close() also drops the app from Celery's active apps: a shared task first imported after
    # that (say surveys.tasks, by a later test's view) would never be added to it.
    _state._register_app(celery_app)


@contextlib.contextmanager
def publishing_to(broker_url: str, *, queue: str | None = None) -> Iterator[None]:
    """In this process (and a live_server thread in it), publish tasks to `broker_url` for real
    instead of running them eagerly; the previous configuration is restored after."""
    from config import celery_app

    conf = celery_app.conf
    keys = ("task_always_eager", "broker_url", "task_default_queue", "task_default_exchange")
    saved = {key: conf[key] for key in keys}
    # Celery prefers these variables to conf.broker_url: hide them while we publish elsewhere.
    hidden = {name: os.environ.pop(name) for name in BROKER_ENV if name in os.environ}
    publisher_reset()
    conf.update(task_always_eager=False, broker_url=broker_url)
    if queue:
        conf.update(task_default_queue=queue, task_default_exchange=queue)
    try:
        yield
    finally:
        publisher_reset()
        conf.update(saved)
        os.environ.update(hidden)


def redirect_publisher(broker_url: str) -> None:
    """Inside `publishing_to`: switch this process to another broker (e.g. a dead one)."""
    from config import celery_app

    publisher_reset()
    celery_app.conf.broker_url = broker_url


# --- PostgreSQL -----------------------------------------------------------------------------------


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresCluster:
    """A throwaway PostgreSQL cluster (trust auth, no fsync) on a spare port."""

    directory: Path
    port: int

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
        command = [
            str(PG_BIN / "pg_ctl"), action, "-D", str(self.directory / "data"),
            "-l", str(self.directory / "postgres.log"), "-o", options, "-w", "-t", "60", *extra,
        ]  # fmt: skip
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=90)

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        """Stop (fast: every connection is cut) and start again on the same port."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._pg_ctl("stop", "-m", "immediate")

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        command = [str(PG_BIN / "psql"), "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql]
        return _run(command + ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database])


def _run(command: list[str], **kwargs) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    if done.returncode:
        pytest.fail(f"{' '.join(command[:3])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """initdb + start (about 3 s), stopped and deleted at the end."""
    for binary in ("initdb", "pg_ctl", "psql", "pg_dump", "pg_restore"):
        if not (PG_BIN / binary).exists():
            pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN}")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser to drop to the postgres user")
    with scratch_dir("postgres") as directory:
        if os.geteuid() == 0:
            shutil.chown(directory, user="postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(directory / "data"), "-U", "postgres"]
        subprocess.run(
            _as_postgres([*initdb, "--auth=trust", "-N", "-E", "UTF8", "--locale=C"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster = PostgresCluster(directory=directory, port=free_port())
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop()


def database_copy(*, source_url: str, cluster: PostgresCluster, name: str) -> str:
    """Copy a database (schema and rows) into `cluster` as `name`; returns its URL."""
    cluster.psql(f'CREATE DATABASE "{name}"')
    dump = subprocess.run(
        [str(PG_BIN / "pg_dump"), "-Fc", "--no-owner", "-d", source_url],
        capture_output=True,
        check=True,
        timeout=120,
    )
    restore = [str(PG_BIN / "pg_restore"), "--no-owner", "-d", cluster.url(name)]
    done = subprocess.run(restore, input=dump.stdout, capture_output=True, timeout=120)
    if done.returncode:
        pytest.fail(f"pg_restore failed:\n{done.stderr.decode()[-3000:]}")
    return cluster.url(name)


# --- Web server -----------------------------------------------------------------------------------


@dataclass
class WebServer:
    service: Service
    url: str

    def log_text(self) -> str:
        return self.service.log_text()


@contextlib.contextmanager
def gunicorn_server(*, env: dict[str, str], workers: int = 1) -> Iterator[WebServer]:
    """gunicorn with the project's gunicorn.conf.py on a spare port; ready when /healthz is 200."""
    port = free_port()
    with scratch_dir("gunicorn") as directory:
        environment = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": "1",
        }
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        service = start(
            [*command, "config.wsgi:application"], log=directory / "gunicorn.log", env=environment
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(
                lambda: _healthy(url) or not service.alive(),
                what="gunicorn to answer /healthz",
                log=service.log,
            )
            if not service.alive():
                pytest.fail(f"gunicorn exited.\n{log_tail(service.log)}")
            yield WebServer(service=service, url=url)
        finally:
            service.stop()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


# --- HTTP, as a browser or an integration would ---------------------------------------------------


@dataclass
class HttpResult:
    status: int
    body: str
    headers: dict
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http_request(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict | None = None,
    method: str | None = None,
    timeout: float = 30,
) -> HttpResult:
    """One request; redirects are not followed and error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, body, head = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
        status, body, head = error.code, error.read(), error.headers
    return HttpResult(
        status=status,
        body=body.decode(errors="replace"),
        headers=dict(head.items()),
        seconds=time.monotonic() - started,
    )


def _csrf(page: HttpResult) -> tuple[str, str]:
    """(form token, cookie value) from a page with a Django form."""
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    cookie = re.search(r"csrftoken=([^;]+)", page.headers.get("Set-Cookie", ""))
    if not (token and cookie):
        pytest.fail(f"No CSRF token on the page (status {page.status}):\n{page.body[:2000]}")
    return token.group(1), cookie.group(1)


def form_page(url: str) -> tuple[HttpResult, dict]:
    """GET a form page; returns it and the hidden fields a browser would send back with it."""
    page = http_request(url)
    token, cookie = _csrf(page)
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.body))
    hidden["csrfmiddlewaretoken"] = token
    return page, {"fields": hidden, "cookie": cookie}


def form_post(url: str, fields: dict, *, state: dict | None = None, timeout: float = 30):
    """POST a form as a browser would after loading it (CSRF token, cookie, hidden fields).

    `fields` values may be lists (multiple choices). Pass `state` from `form_page` to reuse one
    page load (same submission key) for several posts, as a double click does.
    """
    if state is None:
        _, state = form_page(url)
    body = urllib.parse.urlencode({**state["fields"], **fields}, doseq=True).encode()
    # The CSRF cookie is marked Secure (HTTPS only), so a plain-HTTP client hands it back itself.
    headers = {
        "Cookie": f"csrftoken={state['cookie']}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return http_request(url, data=body, headers=headers, method="POST", timeout=timeout)


def json_post(url: str, payload, *, token: str, timeout: float = 30) -> HttpResult:
    """POST JSON with an API token (`Authorization: Token ...`)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    return http_request(url, data=body, headers=headers, method="POST", timeout=timeout)
