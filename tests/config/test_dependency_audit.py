""".ci/audit_deps.py: fails CI on a known vulnerability, never on an unusable network.

A small OSV-compatible server on 127.0.0.1 stands in for the real feed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pip_audit") is None, reason="pip-audit is not installed"
)
SCRIPT = settings.BASE_DIR / ".ci" / "audit_deps.py"


def advisory(name: str, fixed: str) -> dict:
    return {
        "id": f"GHSA-test-{name}",
        "summary": f"{name} is vulnerable",
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


def fake_osv(flag):
    """An OSV endpoint: `flag(name, version)` gives the fixed version of an advisory, or None for
    no advisory; `flag=None` makes every query fail with a 500."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if flag is None:
                self.send_response(500)
                self.end_headers()
                return
            name = query["package"]["name"]
            fixed = flag(name, query["version"])
            body = {"vulns": [advisory(name, fixed)]} if fixed else {}
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def audit(server) -> subprocess.CompletedProcess:
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    try:
        return subprocess.run(
            [sys.executable, str(SCRIPT), "--service", "osv", "--osv-url", url],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.shutdown()


def canary(name: str, version: str) -> str | None:
    return "3.2.25" if (name, version) == ("django", "3.2") else None


def test_a_known_vulnerability_fails_the_run():
    result = audit(fake_osv(lambda n, v: canary(n, v) or ("99.1" if n == "sqlparse" else None)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VULNERABLE sqlparse" in result.stdout and "GHSA-test-sqlparse" in result.stdout
    assert "fixed in 99.1" in result.stdout


def test_a_clean_dependency_set_passes():
    result = audit(fake_osv(canary))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 known vulnerabilities" in result.stdout


def test_a_feed_that_cannot_name_the_canary_is_not_trusted():
    result = audit(fake_osv(lambda name, version: None))
    assert result.returncode == 0
    assert "WARNING no vulnerability service answers" in result.stdout


def test_an_unreachable_or_broken_service_only_warns():
    result = audit(fake_osv(None))
    assert result.returncode == 0
    assert "WARNING no vulnerability service answers" in result.stdout


def test_the_audited_set_is_the_projects_pinned_closure():
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pins = module.pinned_dependencies()
    names = {pin.split("==")[0] for pin in pins}
    assert {"django", "celery", "kombu", "gunicorn", "honcho", "pytest"} <= names
    assert "pip" not in names and "tandem" not in names
    assert all(pin.count("==") == 1 for pin in pins)
