"""Scoring benchmark: `rebuild_scores` over every answer against one SQL aggregate of them.

    python -m benchmarks.scoring             # 1,000,000 answers
    python -m benchmarks.scoring --smoke     # 10,000 answers (CI)

1. The rebuild runs as a worker would: `manage.py rebuild_scores` in its own process, whose peak
   resident memory (ru_maxrss from wait4, the kernel's high-water mark) is reported.
2. The baseline is the single aggregate the rollups hold: every answer joined to its response
   and question, GROUP BY survey, question, team, location and day with the histogram, sums and
   sentiment counts, executed in full: an outer query sums every column, so no row travels to
   Python and PostgreSQL cannot skip any (it replaces a subquery's unused outputs with NULLs,
   so a bare COUNT(*) over it would only group). It runs with the rebuild's session settings
   (dashboards.scoring.rebuild_settings), as the same query should.
Ratio = rebuild seconds / baseline seconds. Targets (issue 8): within 3x, peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

from benchmarks.common import (
    BENCH_ENV,
    ROOT,
    data_ensure,
    django_setup,
    rollups_empty,
    sized_arguments,
    summary,
    table,
    tables_vacuum,
    timings,
    verdict,
)

TARGET_RATIO = 3.0
TARGET_MB = 300
SMOKE = {"answers": 10_000, "teams": 10, "months": 3, "repeat": 2}
FULL = {"answers": 1_000_000, "teams": 200, "months": 12, "repeat": 3}


def baseline_sql(survey_ids: list[int]) -> tuple[str, list]:
    """The rollups' aggregate over the same rows, as one SELECT (the rebuild INSERTs it)."""
    from dashboards.scoring import _day_sql, _question_rollup_sql

    rollup = _question_rollup_sql(f"r.survey_id IN ({', '.join(['%s'] * len(survey_ids))})")
    select = rollup.select
    day, day_params = _day_sql()
    every = ", ".join(f"COUNT(DISTINCT {c})" if c == "day" else f"SUM({c})" for c in rollup.columns)
    names = ", ".join(rollup.columns)
    sql = f"SELECT COUNT(*), {every} FROM ({select.format(day=day)}) AS rollup ({names})"
    return sql, [*day_params, *survey_ids]


def database_url() -> str:
    """The URL of the database Django is connected to (the test database under pytest)."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("The scoring benchmark runs on PostgreSQL (set DATABASE_URL).")
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def rebuild_in_worker(*, survey_ids: list[int]) -> dict:
    """Run `manage.py rebuild_scores --survey ID` for each survey in one child process each;
    returns {"seconds": summed rebuild time, "peak_mb": largest peak RSS}."""
    env = {**os.environ, **BENCH_ENV, "DATABASE_URL": database_url()}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's own (config.settings)
    seconds, peak_kb = 0.0, 0
    for survey_id in survey_ids:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "manage.py", "rebuild_scores", "--survey", str(survey_id)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise RuntimeError(f"rebuild_scores failed:\n{output}")
        # The command's own timing excludes interpreter and Django start-up.
        match = re.search(r"Survey \d+: .*\(([\d.]+)s\)", output)
        seconds += float(match.group(1)) if match else time.perf_counter() - started
        peak_kb = max(peak_kb, usage.ru_maxrss)  # kilobytes on Linux
    return {"seconds": seconds, "peak_mb": peak_kb / 1024}


def run(*, answers: int, teams: int, months: int, repeat: int, out=print) -> dict:
    from django.db import connection, transaction

    from dashboards.scoring import rebuild_settings
    from surveys.models import Survey

    organization = data_ensure(answers=answers, teams=teams, months=months, out=out)
    survey_ids = list(
        Survey.objects.filter(organization=organization).order_by("id").values_list("id", flat=True)
    )
    sql, params = baseline_sql(survey_ids)

    def aggregate() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            rebuild_settings()
            cursor.execute(sql, params)
            cursor.fetchone()

    base = summary(timings(aggregate, repeat=repeat))
    runs = []
    for _ in range(repeat):
        tables_vacuum()  # each rebuild starts from tables as autovacuum would leave them
        runs.append(rebuild_in_worker(survey_ids=survey_ids))
    rebuild = summary([r["seconds"] for r in runs])
    # The runs above find the rollups right and write (almost) nothing. Also measured: a
    # rebuild that must write every row (rollups emptied first), reported beside the target.
    rollups_empty(survey_ids)
    tables_vacuum()
    cold = rebuild_in_worker(survey_ids=survey_ids)
    runs.append(cold)
    peak = max(r["peak_mb"] for r in runs)
    ratio = rebuild["p50"] / base["p50"]
    cold_ratio = cold["seconds"] / base["p50"]
    ratio_ok, memory_ok = ratio <= TARGET_RATIO, peak < TARGET_MB
    out(f"\nScoring at {answers:,} answers ({len(survey_ids)} surveys), {repeat} runs each\n")
    table(
        ["Figure", "Value", "Target", "Met"],
        [
            ["rebuild_scores (worker process), p50 s", f"{rebuild['p50']:.2f}", "", ""],
            ["one SQL aggregate of the same rows, p50 s", f"{base['p50']:.2f}", "", ""],
            ["rebuild / aggregate", f"{ratio:.2f}x", f"<= {TARGET_RATIO:.0f}x", verdict(ratio_ok)],
            [
                "rebuild from emptied rollups (every row written), s",
                f"{cold['seconds']:.2f}",
                "",
                "",
            ],
            ["rebuild from emptied rollups / aggregate", f"{cold_ratio:.2f}x", "(reported)", ""],
            ["worker peak memory (VmHWM), MB", f"{peak:.0f}", f"< {TARGET_MB}", verdict(memory_ok)],
        ],
        out=out,
    )
    return {
        "rebuild": rebuild,
        "baseline": base,
        "ratio": ratio,
        "cold_seconds": cold["seconds"],
        "cold_ratio": cold_ratio,
        "peak_mb": peak,
        "met": ratio_ok and memory_ok,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _, size = sized_arguments(parser, smoke=SMOKE, full=FULL, argv=argv)
    django_setup()
    run(**size)


if __name__ == "__main__":
    main()
