"""The benchmarks' smoke size (10,000 answers) runs in CI so the scripts cannot rot.

Only that they complete and print their ratios is asserted: timings are never pass/fail (the
machine is shared and noisy). The HTTP benchmarks (wrk, the peer) are not run here.
"""

from __future__ import annotations

import pytest
from django.db import connection

from benchmarks import dashboard, scoring

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
