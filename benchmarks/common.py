"""What the benchmark scripts share: Django set-up for a benchmark run, the people who look at
the dashboards, timing and percentiles, and the printed table.

Run the scripts from the repository root as modules (`python -m benchmarks.dashboard`) with
DATABASE_URL (PostgreSQL) and, for the server benchmarks, REDIS_URL set.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_ORG = "Benchmark Co"
PASSWORD = "bench-password-1"  # benchmark users only, in a benchmark database

# Production-like settings for an in-process benchmark (no DEBUG query log, no HTTPS redirect,
# no collected static files needed), while any variable already set wins.
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "TANDEM_ALLOW_INSECURE_KEY": "true",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "TANDEM_PLAIN_STATIC": "true",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "LOG_LEVEL": "WARNING",
}


def django_setup() -> None:
    """Configure Django for a benchmark process (idempotent; a no-op under pytest)."""
    import django
    from django.conf import settings

    if settings.configured and django.apps.apps.ready:
        return
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timings(call: Callable[[], object], *, repeat: int, warmup: int = 1) -> list[float]:
    """Seconds taken by each of `repeat` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def summary(samples: list[float]) -> dict:
    return {
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "mean": statistics.fmean(samples),
        "n": len(samples),
    }


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f}"


def table(headers: list[str], rows: list[list], *, out: Callable[[str], None] = print) -> None:
    """A plain Markdown table (pasteable into the README)."""
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out(line(cells[0]))
    out("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        out(line(row))


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# --- Data and people ------------------------------------------------------------------------


def data_ensure(
    *,
    answers: int,
    teams: int,
    months: int,
    org_name: str = BENCH_ORG,
    out=print,
    force=False,
    any_size=False,
):
    """The benchmark organisation holding exactly `answers` answers, generated when missing.

    Reused when it already exists at that size (generating a million answers takes minutes), or
    at any size with `any_size` (the load tests' organisation, which they add to); regenerated
    (generate_data --replace) otherwise.
    """
    from dashboards.datagen.generate import data_generate
    from responses.models import Answer
    from surveys.models import Organization

    organization = Organization.objects.filter(name=org_name).first()
    if organization is not None and any_size and not force:
        return organization
    if organization is not None and not force:
        held = Answer.objects.filter(response__survey__organization=organization).count()
        if held == answers and organization.teams.count() == teams:
            out(f"Data: reusing “{org_name}” ({held:,} answers, {teams} teams)")
            tables_vacuum()
            return organization
    out(f"Data: generate_data --answers {answers} --teams {teams} --months {months} --replace")
    data_generate(
        answers=answers, teams=teams, months=months, org_name=org_name, replace=True, log=out
    )
    tables_vacuum()
    return Organization.objects.get(name=org_name)


VACUUMED = (
    "responses_response",
    "responses_answer",
    "dashboards_questionrollup",
    "dashboards_responserollup",
    "dashboards_questionrollupmonth",
    "dashboards_responserollupmonth",
)


def rollups_empty(survey_ids: list[int]) -> None:
    """Delete every rollup row (day and month) of these surveys."""
    from dashboards.models import (
        QuestionRollup,
        QuestionRollupMonth,
        ResponseRollup,
        ResponseRollupMonth,
    )

    for model in (QuestionRollup, ResponseRollup, QuestionRollupMonth, ResponseRollupMonth):
        model.objects.filter(survey_id__in=survey_ids).delete()


def tables_vacuum() -> None:
    """VACUUM ANALYZE the big tables (PostgreSQL): what autovacuum does on a production server.
    Benchmark machines may run with autovacuum off, where every rebuild leaves its old rows
    behind and plans go stale (a rebuild measured on a bloated table is twice as slow)."""
    from django.db import connection

    if connection.vendor != "postgresql" or not connection.get_autocommit():
        return
    with connection.cursor() as cursor:
        for name in VACUUMED:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(name)}")


def bench_people(organization) -> dict:
    """An HR admin, a CX manager and the lead of the organisation's busiest team (users created
    once, for the benchmark organisation only). Returns {"hr_admin": user, ..., "team": Team}."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from surveys.models import Membership, Role, Team

    team = (
        Team.objects.filter(organization=organization)
        .annotate(n=Count("responses"))
        .order_by("-n", "id")
        .first()
    )
    people: dict = {"team": team}
    for role in (Role.HR_ADMIN, Role.CX_MANAGER, Role.TEAM_LEAD):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-{organization.pk}-{role}")
        Membership.objects.update_or_create(
            user=user,
            organization=organization,
            defaults={"role": role, "team": team if role == Role.TEAM_LEAD else None},
        )
        people[role] = user
    return people


def sized_arguments(
    parser, *, smoke: dict, full: dict, argv: list[str] | None = None
) -> tuple[object, dict]:
    """Parse --smoke and one option per size key (answers, teams, ...); returns (args, size):
    the smoke or full size with any option given on the command line applied."""
    parser.add_argument("--smoke", action="store_true", help=f"CI size: {smoke}")
    for key in full:
        parser.add_argument(
            f"--{key}", type=int, help=f"default {full[key]:,} ({smoke[key]:,} smoke)"
        )
    args = parser.parse_args(argv)
    size = dict(smoke if args.smoke else full)
    size.update({key: getattr(args, key) for key in size if getattr(args, key) is not None})
    return args, size
