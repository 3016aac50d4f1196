"""The production stack files agree with the code: every variable production needs is passed,
every command names something that exists."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from celery.app.utils import find_app
from celery.bin.celery import celery as celery_cli
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker", "beat")
# Programs that come with the postgres, redis and python images rather than from this project.
IMAGE_TOOLS = {"pg_isready", "redis-cli", "redis-server", "kill", "true"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _commands(command: str | list[str]) -> list[list[str]]:
    """Split a command (compose list or string, `CMD-SHELL`, `sh -c "a && exec b"`) into the
    programs it runs, each as an argv list."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if argv[0] == "CMD-SHELL":
        argv = ["sh", "-c", argv[1]]
    elif argv[0] == "CMD":
        argv = argv[1:]
    if argv[:2] == ["sh", "-c"]:
        argv = shlex.split(argv[2])
    programs, current = [], []
    for token in [*argv, "&&"]:
        if token not in ("&&", ";", "||"):
            current.append(token)
        elif current:
            programs.append(current[1:] if current[0] == "exec" else current)
            current = []
    return programs


def _option(argv: list[str], *names: str) -> str:
    for i, token in enumerate(argv):
        if token in names:
            return argv[i + 1]
        for name in names:
            if token.startswith(f"{name}="):
                return token.split("=", 1)[1]
    raise AssertionError(f"{names} missing in {argv}")


def assert_entry_point(argv: list[str]) -> None:
    program = argv[0]
    if program in ("python", "python3") and argv[1] == "manage.py":
        assert argv[2] in get_commands(), f"no manage.py command {argv[2]!r}"
    elif program in ("python", "python3") and argv[1] == "-m":
        assert importlib.util.find_spec(argv[2]) is not None, f"no module {argv[2]}"
    elif program == "gunicorn":
        assert (ROOT / _option(argv, "-c", "--config")).is_file()
        module, attribute = argv[-1].split(":")
        assert callable(getattr(importlib.import_module(module), attribute))
    elif program == "celery":
        app = _option(argv, "-A", "--app")
        assert find_app(app) is not None
        subcommand = next(t for t in argv[1:] if not t.startswith("-") and t != app)
        assert subcommand in celery_cli.commands, f"no celery command {subcommand!r}"
    else:
        assert program in IMAGE_TOOLS, f"unknown program {program!r}"


def test_required_variables_are_declared_in_settings():
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"} <= set(
        settings.PRODUCTION_REQUIRED_ENV
    )
    source = (ROOT / "config" / "settings.py").read_text()
    for name in settings.PRODUCTION_REQUIRED_ENV:
        assert re.search(rf'env_\w+\("{name}"', source), f"settings never read {name}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_passes_every_required_variable(compose, service):
    environment = compose["services"][service]["environment"]
    missing = set(settings.PRODUCTION_REQUIRED_ENV) - set(environment)
    assert not missing, f"{service} lacks {sorted(missing)}"
    assert environment["DEBUG"] == "false"
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required"


def test_compose_has_the_five_services_each_with_a_healthcheck(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    assert _commands(services["web"]["healthcheck"]["test"]) == [
        ["python", "-m", "config.healthcheck"]
    ]


def test_compose_commands_are_real_entry_points(compose):
    programs = {name: _commands(compose["services"][name]["command"]) for name in APP_SERVICES}
    assert programs["web"][0] == ["python", "manage.py", "migrate", "--noinput"]
    assert programs["web"][1][0] == "gunicorn"
    assert programs["worker"][0][:4] == ["celery", "-A", "config", "worker"]
    assert programs["beat"][0][:4] == ["celery", "-A", "config", "beat"]
    for service in compose["services"].values():
        for argv in _commands(service.get("command", ["true"])) + _commands(
            service["healthcheck"]["test"]
        ):
            assert_entry_point(argv)


def test_beat_uses_the_database_scheduler_from_settings():
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    assert find_app("config").conf.beat_scheduler == settings.CELERY_BEAT_SCHEDULER


def test_procfile_runs_web_worker_and_beat():
    lines = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    assert set(lines) == set(APP_SERVICES)
    for command in lines.values():
        for argv in _commands(command.strip()):
            assert_entry_point(argv)
    assert "honcho start -f Procfile" in (ROOT / "Makefile").read_text()
    assert importlib.util.find_spec("honcho") is not None, "honcho is a dependency"


def test_dockerfile_builds_a_non_root_gunicorn_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "collectstatic" in dockerfile
    user = re.search(r"^USER (\S+)$", dockerfile, re.M)
    assert user and user.group(1) not in ("root", "0")
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
    assert_entry_point(cmd)
    healthcheck = json.loads(
        re.search(r"CMD (\[.*\])\n", dockerfile.split("HEALTHCHECK")[1]).group(1)
    )
    assert_entry_point(healthcheck)


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_validates_the_file():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    ok = _compose_config({**env, "SECRET_KEY": "ci-" + "x" * 50})
    assert ok.returncode == 0, ok.stderr
    refused = _compose_config(env)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


def test_whitenoise_serves_collected_static_files(settings, tmp_path):
    from django.core.management import call_command
    from django.test import Client

    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", "--noinput", verbosity=0)
    response = Client().get("/static/css/app.css")  # a fresh handler: WhiteNoise scans at start
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "max-age" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("args", "base_url"),
    [
        ([], "http://127.0.0.1:8000"),
        (["PORT=8001"], "http://127.0.0.1:8001"),
        (["HOST=0.0.0.0"], "http://127.0.0.1:8000"),
        (["TANDEM_BASE_URL=https://tandem.example"], "https://tandem.example"),
    ],
)
def test_make_demo_links_follow_the_served_port(args, base_url):
    """Customer links, QR codes and e-mails are built from TANDEM_BASE_URL: `make demo PORT=8001`
    must not hand out links to port 8000, from the server or from the schedule beside it (pulse
    invitations and reminders)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k != "TANDEM_BASE_URL"}
    dry_run = subprocess.run(
        ["make", "-n", "-s", "demo", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert dry_run.returncode == 0, dry_run.stderr
    lines = dry_run.stdout.strip().splitlines()
    serve = lines[-1]
    assert f"TANDEM_BASE_URL={base_url} " in serve and "runserver" in serve
    [schedule] = [line for line in lines if "manage.py run_schedule" in line]
    assert f"TANDEM_BASE_URL={base_url} " in schedule
