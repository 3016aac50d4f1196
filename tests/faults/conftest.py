"""Fault tests: real PostgreSQL, a private redis-server, real Celery worker and web processes.

Every process a test starts is its own (tests/processes.py) and is killed when the test ends; the
shared Redis and PostgreSQL servers are never stopped or flushed.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from tests.processes import redis_server, require_binary


@pytest.fixture
def on_postgres():
    """Skips unless the test database is PostgreSQL."""
    if not settings.IS_POSTGRES:
        pytest.skip("fault tests need PostgreSQL (set DATABASE_URL): SQLite has no second writer")


@pytest.fixture
def real_stack(on_postgres):
    """Skips unless the test database is PostgreSQL and redis-server is installed."""
    require_binary("redis-server")


@pytest.fixture
def own_redis(real_stack):
    """A private redis-server on a spare port, killed at the end of the test."""
    with redis_server() as redis:
        yield redis


@dataclass
class WebhookReceiver:
    """An HTTP endpoint in this process that answers 200 and records every POST."""

    url: str
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliveries(self) -> list[str]:
        """The X-Tandem-Delivery header (outbox message id) of each POST received."""
        with self.lock:
            return [headers.get("X-Tandem-Delivery") for headers, _ in self.requests]


@pytest.fixture
def webhook_receiver():
    received: list = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                received.append((dict(self.headers.items()), json.loads(body or b"null")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebhookReceiver(
            url=f"http://127.0.0.1:{server.server_port}/hook", requests=received, lock=lock
        )
    finally:
        server.shutdown()
        server.server_close()
