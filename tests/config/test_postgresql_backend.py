"""The project's PostgreSQL backend (config.postgresql).

- The per-request health check: no round trip on a busy connection, Django's SELECT 1 on an idle
  one, and a connection the server dropped is replaced before the request's first query
  (tests/faults/test_database_restart.py does it with a restart).
- Prepared statements (config.rows.execute): planned once per session, one query per call."""

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


SQL = "SELECT name, %s::int + 1 FROM surveys_team WHERE id = %s"


def _run(params):
    from config import rows

    with connection.cursor() as cursor:
        rows.execute(cursor, SQL, params)
        return cursor.fetchone()


def test_a_statement_is_prepared_once_per_session_and_each_call_is_one_query(world):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert _run([1, world.team.id]) == (world.team.name, 2)
    with CaptureQueriesContext(connection) as second:
        assert _run([41, world.team.id]) == (world.team.name, 42)
    assert len(first) == len(second) == 1
    assert "PREPARE" in first[0]["sql"] and "PREPARE" not in second[0]["sql"]
    assert second[0]["sql"].startswith("EXECUTE tandem_")
    assert _run([1, 999_999_999]) is None


def test_prepared_statements_outlive_a_rollback_and_a_failed_first_call_prepares_again(world):
    from django.db import DataError, transaction

    from config import rows

    with pytest.raises(DataError), transaction.atomic(), connection.cursor() as cursor:
        rows.execute(cursor, "SELECT 1 / (%s::int - 1), %s::text", [1, "x"])  # fails at once
    with connection.cursor() as cursor:
        rows.execute(cursor, "SELECT 1 / (%s::int - 1), %s::text", [3, "y"])
        assert cursor.fetchone() == (0, "y")
    with transaction.atomic():
        assert _run([1, world.team.id])[1] == 2
        transaction.set_rollback(True)
    assert _run([2, world.team.id])[1] == 3  # prepared inside the rolled-back transaction


def test_a_new_session_prepares_its_own(world):
    assert _run([1, world.team.id])[1] == 2
    connection.close()
    assert _run([5, world.team.id])[1] == 6


def test_prepared_statements_keep_one_generic_plan():
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)


def test_without_prepare_the_same_sql_runs_plainly(world, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setitem(connections["default"].settings_dict, "PREPARE", False)
    with CaptureQueriesContext(connection) as plain:
        assert _run([1, world.team.id]) == (world.team.name, 2)
    assert "PREPARE" not in plain[0]["sql"] and "EXECUTE" not in plain[0]["sql"]
