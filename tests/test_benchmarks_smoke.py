"""The benchmarks' smoke size (10,000 answers) runs in CI so the scripts cannot rot.

Only that they complete and print their ratios is asserted: timings are never pass/fail (the
machine is shared and noisy). The wrk benchmarks (ingestion, the peer) are not run here; the
live one (gunicorn and a Celery worker on this test's database) is, for a few seconds.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from benchmarks import dashboard, live, scoring
from responses.models import Response

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db(transaction=True)]


def test_dashboard_benchmark_smoke_prints_every_page_against_raw_sql():
    lines: list[str] = []
    result = dashboard.run(**{**dashboard.SMOKE, "repeat": 2}, out=lines.append)
    printed = "\n".join(lines)
    assert "| Page" in printed and "Page / raw" in printed
    pages = {(r["case"].page, r["case"].scope) for r in result["results"]}
    assert ("overview", "team") in pages and ("scores API", "organisation") in pages
    assert len(pages) == 10
    assert {r["served"] for r in result["results"]} == {"computed", "kept"}
    assert all(r["ratio"] > 0 and r["page"]["p95"] > 0 for r in result["results"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild is timed on PostgreSQL")
def test_scoring_benchmark_smoke_prints_the_ratio_and_peak_memory():
    lines: list[str] = []
    result = scoring.run(**{**scoring.SMOKE, "repeat": 1}, out=lines.append)
    printed = "\n".join(lines)
    assert "rebuild / aggregate" in printed and "peak memory" in printed
    assert result["ratio"] > 0 and result["peak_mb"] > 0


@pytest.mark.skipif(
    connection.vendor != "postgresql" or not settings.REDIS_URL,
    reason="the live benchmark runs gunicorn and a Celery worker: PostgreSQL and Redis",
)
def test_live_benchmark_smoke_serves_every_case_while_answers_arrive():
    from tests.processes import test_database_url

    lines: list[str] = []
    dashboard.data_ensure(answers=10_000, teams=10, months=3, out=lines.append)
    before = Response.objects.count()
    result = live.run(**live.SMOKE, database_url=test_database_url(), out=lines.append)
    printed = "\n".join(lines)
    assert "Dashboards while answers arrive" in printed and "Restored:" in printed
    assert {row[2] for row in result["rows"]} == {"not ahead", "ahead"}
    assert all(stored > 0 for stored in result["results"].values())
    assert Response.objects.count() == before  # the answers added were deleted
