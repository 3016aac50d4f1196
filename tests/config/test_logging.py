"""Structured logs: LOG_JSON=true turns Django's and gunicorn's output into JSON lines."""

from __future__ import annotations

import io
import json
import logging
import os
import runpy
import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from gunicorn.config import Config

from config.logging import JsonFormatter

ROOT = settings.BASE_DIR


def record(message: str, *args, **extra) -> logging.LogRecord:
    rec = logging.LogRecord("tandem.test", logging.WARNING, __file__, 1, message, args, None)
    rec.__dict__.update(extra)
    return rec


def test_json_formatter_writes_one_parsable_line():
    line = JsonFormatter().format(record('said "%s"\nthen left', "hi"))
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["level"] == "WARNING"
    assert payload["logger"] == "tandem.test"
    assert payload["message"] == 'said "hi"\nthen left'
    assert payload["ts"].endswith("+00:00")


def test_json_formatter_merges_fields_without_overwriting_its_own():
    fields = {"status": 201, "path": "/api/v1/teams/", "level": "forged"}
    payload = json.loads(JsonFormatter().format(record("request", fields=fields)))
    assert (payload["status"], payload["path"], payload["level"]) == (
        201,
        "/api/v1/teams/",
        "WARNING",
    )


def test_json_formatter_includes_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        rec = record("failed")
        rec.exc_info = sys.exc_info()
    payload = json.loads(JsonFormatter().format(rec))
    assert "ValueError: boom" in payload["exc"]


def test_log_json_setting_makes_django_log_json_lines():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "LOG_JSON": "true",
        "DEBUG": "true",
    }
    code = (
        "import django, logging; django.setup(); logging.getLogger('tandem').warning('ready %s', 1)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert {"level": "WARNING", "logger": "tandem", "message": "ready 1"}.items() <= lines[
        -1
    ].items()


# --- gunicorn -------------------------------------------------------------------------------


def load_gunicorn_config(monkeypatch, **env) -> dict:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_takes_workers_and_bind_from_the_environment(monkeypatch):
    monkeypatch.delenv("LOG_JSON", raising=False)
    conf = load_gunicorn_config(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_BIND="0.0.0.0:9000")
    assert (conf["workers"], conf["bind"], conf["preload_app"]) == (3, "0.0.0.0:9000", True)
    assert conf["accesslog"] == "-"
    assert "logger_class" not in conf  # plain access lines unless LOG_JSON


def test_gunicorn_access_log_is_json_with_log_json(monkeypatch):
    conf = load_gunicorn_config(monkeypatch, LOG_JSON="true")
    logger_class = conf["logger_class"]
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = logger_class(cfg)
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": '/api/v1/teams/?q="x"',
        "PATH_INFO": "/api/v1/teams/",
        "QUERY_STRING": 'q="x"',
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.4",
        "HTTP_USER_AGENT": "curl/8",
    }
    response = SimpleNamespace(status="201 Created", sent=42, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=12))
    payload = json.loads(stream.getvalue().strip())
    assert payload["logger"] == "gunicorn.access"
    assert {
        "method": "POST",
        "path": "/api/v1/teams/",
        "query": 'q="x"',
        "status": 201,
        "bytes": 42,
        "duration_ms": 12.0,
        "remote": "203.0.113.4",
    }.items() <= payload.items()


def test_a_403_is_logged_with_its_reason_and_no_traceback(world, login, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    assert login(world.staff).get("/dashboards/").status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "WARNING" and record.exc_info is None
    assert record.getMessage() == (
        "Forbidden (Permission denied): /dashboards/ (Your role does not give access to this page.)"
    )


def test_a_500_keeps_its_traceback(rf, caplog):
    from django.core.handlers.exception import response_for_exception

    caplog.set_level(logging.ERROR, logger="django.request")
    try:
        raise RuntimeError("boom 100%")
    except RuntimeError as error:
        response_for_exception(rf.get("/x/"), error)
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None and "boom" not in record.getMessage()
