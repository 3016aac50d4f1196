"""/healthz (process up), /readyz (database and broker reachable) and the container probe."""

from __future__ import annotations

import os

import pytest
from django.db import OperationalError

from config.healthcheck import probe, probe_host

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, the connection is refused


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": True}


def test_readyz_reports_a_dead_broker_as_unavailable(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = DEAD_REDIS
    settings.CELERY_BROKER_URL = DEAD_REDIS
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "broker": False}


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)")
def test_readyz_pings_a_real_broker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert client.get("/readyz").json()["broker"] is True


def test_readyz_reports_a_dead_database_as_unavailable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("config.views.connection.cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] is False


def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_only_answer_get(client, path):
    assert client.post(path).status_code == 405


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("tandem.example.com,localhost", "tandem.example.com"),
        (".example.com", "example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_container_probe_uses_an_allowed_host(allowed, host):
    assert probe_host(allowed) == host


@pytest.mark.django_db(transaction=True)
def test_container_probe_against_a_live_server(live_server):
    assert probe(url=f"{live_server.url}/readyz", host="localhost") is True
    assert probe(url=f"{live_server.url}/readyz", host="not-allowed.example") is False
    assert probe(url="http://127.0.0.1:1/readyz", host="localhost", timeout=1) is False
