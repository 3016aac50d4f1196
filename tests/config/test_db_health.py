"""The per-request connection health check (config.postgresql): no round trip on a busy
connection, Django's SELECT 1 on an idle one, and a connection the server dropped is replaced
before the request's first query (tests/faults/test_database_restart.py does it with a restart)."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections

from config import postgresql

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's check"),
]


def _request(sql: str = "SELECT pg_backend_pid()"):
    """What a request does to the connection: Django's request_started and request_finished
    handlers around one query."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        value = cursor.fetchone()[0]
    connection.close_if_unusable_or_obsolete()
    return value


@pytest.fixture
def checks(monkeypatch):
    """Counts Django's round-trip checks."""
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    assert isinstance(connections["default"], postgresql.base.DatabaseWrapper)
    calls = []
    real = postgresql.base.base.DatabaseWrapper.is_usable
    monkeypatch.setattr(
        postgresql.base.base.DatabaseWrapper,
        "is_usable",
        lambda self: calls.append(1) or real(self),
    )
    return calls


def test_a_busy_connection_is_checked_without_a_round_trip(checks):
    pid = _request()
    for _ in range(5):
        assert _request() == pid  # the same connection, kept
    assert checks == []


def test_an_idle_connection_gets_djangos_check(checks):
    pid = _request()
    connection.used_at -= postgresql.base.BUSY_SECONDS + 1
    assert _request() == pid
    assert checks == [1]


def test_a_connection_the_server_dropped_is_replaced_before_the_next_query(
    checks, django_db_blocker
):
    import psycopg2

    pid = _request()
    db = connection.settings_dict
    with (
        psycopg2.connect(
            dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"]
        ) as other,
        other.cursor() as cursor,
    ):
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # until the backend is gone (its FATAL message sent, socket closed)
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)
    other.close()
    new_pid = _request()  # no error: the check saw the socket readable and asked Django's check
    assert new_pid != pid
    assert checks == [1]
