"""Dashboard benchmark: every dashboard page and the scores API against a raw-SQL baseline.

    python -m benchmarks.dashboard                # 1,000,000 answers, 200 teams, 12 months
    python -m benchmarks.dashboard --smoke        # 10,000 answers (CI)
    python -m benchmarks.dashboard --explain      # EXPLAIN ANALYZE the slowest queries of each page

Each case is one page (or API call) for one person: the whole organisation (HR admin or CX
manager) or one team (its team lead), requested `--repeat` times through Django's test client
in this process (middleware, permissions, selectors, template: all of it), set up as a web
worker is (config.wsgi: warm-up and garbage collector settings). Its baseline is one
plain SQL GROUP BY over the raw answers computing the same figures for the same surveys, date
range and team: every question's histogram (conditional counts 0..10), total and sentiment
counts per team and month. A team page shows the organisation's figures beside the team's, so
its baseline reads the organisation's answers (the team's rows and their sum); the ratio
against the team's own answers is printed beside. Figures: p50/p95 in ms, ratio = page p50 /
baseline p50.

Each case is measured twice (dashboards.results_cache): **computed**, with nothing kept
(TANDEM_RESULTS_CACHE_SECONDS=0: what the first view after a scored batch or any other change
costs), and **kept**, the same requests with the page kept after the first one (what every
view until the next change costs; the cache is Redis when REDIS_URL is set, as in production).

Targets (issue 8): every page under 10% of its baseline and under 150 ms p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, replace

from benchmarks.common import (
    bench_people,
    data_ensure,
    django_setup,
    ms,
    sized_arguments,
    summary,
    table,
    timings,
    verdict,
)

TARGET_RATIO = 0.10
TARGET_P95 = 0.150
SMOKE = {"answers": 10_000, "teams": 10, "months": 3, "repeat": 3}
FULL = {"answers": 1_000_000, "teams": 200, "months": 12, "repeat": 20}


@dataclass
class Case:
    page: str
    scope: str  # "organisation" or "team"
    role: str
    url: str
    surveys: tuple[int, ...]  # what the baseline reads
    start: dt.date | None
    end: dt.date | None
    team_id: int | None
    # The page shows the organisation's figures beside the team's (docs/dashboards.md,
    # "Compared with the organisation"): its baseline reads the organisation's answers.
    compared: bool = False

    @property
    def baseline_team(self) -> int | None:
        """The team the baseline reads: none when the page also shows the organisation's
        figures (one GROUP BY by team gives the team's rows and, summed, the organisation's)."""
        return None if self.compared else self.team_id

    @property
    def baseline_key(self) -> tuple:
        return (self.surveys, self.start, self.end, self.baseline_team)

    def team_only(self) -> Case:
        """This case with a baseline of the team's own answers (printed beside, for reference)."""
        return replace(self, compared=False)


def cases(*, organization, people: dict) -> list[Case]:
    from dashboards.forms import default_start
    from surveys.models import Survey, SurveyKind

    ex = Survey.objects.filter(organization=organization, kind=SurveyKind.EX).latest("id")
    cx = Survey.objects.filter(organization=organization, kind=SurveyKind.CX).latest("id")
    team = people["team"].pk
    end = dt.date.today()
    start = default_start(end)  # the pages' default range: six whole months
    both = (ex.pk, cx.pk)
    return [
        Case("overview", "organisation", "hr_admin", "/dashboards/", (ex.pk,), start, end, None),
        Case("overview", "team", "team_lead", "/dashboards/", both, start, end, team, True),
        Case("ex", "organisation", "hr_admin", "/dashboards/ex/", (ex.pk,), start, end, None),
        Case("ex", "team", "team_lead", "/dashboards/ex/", (ex.pk,), start, end, team, True),
        Case("cx", "organisation", "cx_manager", "/dashboards/cx/", (cx.pk,), start, end, None),
        Case("cx", "team", "team_lead", "/dashboards/cx/", (cx.pk,), start, end, team, True),
        # The link page is for HR admins and CX managers only and has no team filter.
        Case("link", "organisation", "hr_admin", "/dashboards/link/", both, None, None, None),
        # By team over the whole range (the breakdowns' call), and every team x every month
        # (2,600 cells, a 1.4 MB answer: the heaviest call the API allows on this survey).
        Case(
            "scores API",
            "organisation",
            "hr_admin",
            f"/api/v1/surveys/{ex.pk}/scores/?group_by=team",
            (ex.pk,),
            None,
            None,
            None,
        ),
        Case(
            "scores API, team x month",
            "organisation",
            "hr_admin",
            f"/api/v1/surveys/{ex.pk}/scores/?group_by=team&period=month",
            (ex.pk,),
            None,
            None,
            None,
        ),
        Case(
            "scores API",
            "team",
            "team_lead",
            f"/api/v1/surveys/{cx.pk}/scores/?period=month",
            (cx.pk,),
            None,
            None,
            team,
        ),
    ]


def raw_queryset(case: Case):
    """The baseline: one GROUP BY over the raw answers (joined to their responses) giving the
    figures the page shows, for the same surveys, days and team (the organisation's answers when
    the page shows the organisation's figures too)."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncMonth

    from dashboards.selectors.scores import day_bounds
    from responses.models import Answer

    answers = Answer.objects.filter(
        day_bounds(case.start, case.end), response__survey_id__in=case.surveys
    )
    if case.baseline_team is not None:
        answers = answers.filter(response__team_id=case.baseline_team)
    counts = {f"c{v}": Count("id", filter=Q(value_int=v)) for v in range(11)}
    sentiment = {
        label: Count("id", filter=Q(sentiment_label=label))
        for label in ("positive", "neutral", "negative")
    }
    return (
        answers.values(
            "response__survey_id",
            "question_id",
            "response__team_id",
            month=TruncMonth("response__submitted_at"),
        )
        .annotate(n=Count("id"), total=Sum("value_int"), **counts, **sentiment)
        .order_by()
    )


def raw_baseline(case: Case, baselines: dict, *, repeat: int) -> dict:
    """The case's raw GROUP BY timed (summary), measured once per baseline and kept in
    `baselines`."""
    key = case.baseline_key
    if key not in baselines:
        baselines[key] = summary(timings(lambda: list(raw_queryset(case)), repeat=repeat))
    return baselines[key]


def compared_report(results: list[dict], *, out=print) -> None:
    """For the team pages read beside the organisation: the page against the GROUP BY of the
    team's own answers too (the baseline before those pages showed the organisation's
    figures), so both readings are printed."""
    rows = [
        [
            r["case"].page,
            r["served"],
            ms(r["page"]["p50"]),
            ms(r["team_only"]["p50"]),
            f"{r['page']['p50'] / r['team_only']['p50']:.1%}",
        ]
        for r in results
        if r.get("team_only")
    ]
    if rows:
        out(
            "\nTeam pages show the organisation's figures beside the team's, so their baseline "
            "is the organisation's GROUP BY (the team's rows and their sum). Against the team's "
            "own answers alone:\n"
        )
        table(
            ["Page", "Served", "p50 ms", "Team-only raw p50 ms", "Page / team-only"], rows, out=out
        )


def _get(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    # The test client links each response to itself (response.json, a partial holding it), a
    # cycle no server's response is in: left alone, every answer measured lived on, with its
    # data, until the garbage collector's next pass over an older generation, and was walked
    # by the passes of the requests after it.
    del response.json


def explain(case: Case, client, *, top: int = 3, out=print) -> None:
    """EXPLAIN ANALYZE the `top` slowest SQL statements of one request of the case."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _get(client, case.url)
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    total = sum(float(q["time"]) for q in queries)
    out(f"\n## {case.page} / {case.scope}: {len(queries)} queries, {total * 1000:.0f} ms in SQL")
    for query in queries[:top]:
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        out(f"\n-- {float(query['time']) * 1000:.1f} ms\n{query['sql'][:600]}")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                out("\n".join(row[0] for row in cursor.fetchall()))


def run(
    *,
    answers: int,
    teams: int,
    months: int,
    repeat: int,
    explain_top: int = 0,
    only: str = "",
    out=print,
) -> dict:
    """Measure every case; returns {"rows": [...], "met": bool}. Prints a Markdown table."""
    from django.test import Client, override_settings

    organization = data_ensure(answers=answers, teams=teams, months=months, out=out)
    people = bench_people(organization)
    baselines: dict[tuple, dict] = {}
    rows, results = [], []
    for case in cases(organization=organization, people=people):
        if only and only not in case.page:
            continue
        client = Client()
        client.force_login(people[case.role])
        with override_settings(TANDEM_RESULTS_CACHE_SECONDS=0):
            if explain_top:
                explain(case, client, top=explain_top, out=out)
            computed = summary(timings(lambda c=client, u=case.url: _get(c, u), repeat=repeat))
        # the first (untimed) request computes the page and keeps it
        kept = summary(timings(lambda c=client, u=case.url: _get(c, u), repeat=repeat))
        raw = raw_baseline(case, baselines, repeat=max(3, repeat // 4))
        alone = (
            raw_baseline(case.team_only(), baselines, repeat=max(3, repeat // 4))
            if case.compared
            else None
        )
        for served, page in (("computed", computed), ("kept", kept)):
            ratio = page["p50"] / raw["p50"]
            ok = ratio < TARGET_RATIO and page["p95"] < TARGET_P95
            results.append(
                {
                    "case": case,
                    "served": served,
                    "page": page,
                    "raw": raw,
                    "ratio": ratio,
                    "met": ok,
                    "team_only": alone,
                }
            )
            rows.append(
                [
                    case.page,
                    case.scope,
                    served,
                    ms(page["p50"]),
                    ms(page["p95"]),
                    ms(raw["p50"]),
                    f"{ratio:.1%}",
                    verdict(ok),
                ]
            )
    out(
        f"\nDashboards at {answers:,} answers ({teams} teams, {months} months), "
        f"{repeat} requests each; baseline = one raw GROUP BY (p50)\n"
    )
    table(
        ["Page", "Scope", "Served", "p50 ms", "p95 ms", "Raw SQL p50 ms", "Page / raw", "Target"],
        rows,
        out=out,
    )
    compared_report(results, out=out)
    met = all(result["met"] for result in results)
    for served in ("computed", "kept"):
        mine = [result for result in results if result["served"] == served]
        out(
            f"{served.capitalize()}: under {TARGET_RATIO:.0%} of raw SQL "
            f"{sum(r['ratio'] < TARGET_RATIO for r in mine)} of {len(mine)}, under "
            f"{TARGET_P95 * 1000:.0f} ms p95 {sum(r['page']['p95'] < TARGET_P95 for r in mine)} "
            f"of {len(mine)}"
        )
    out(
        f"\nTarget (< {TARGET_RATIO:.0%} of raw and < {TARGET_P95 * 1000:.0f} ms p95 on every "
        f"page, computed and kept): {verdict(met)}"
    )
    return {"results": results, "met": met}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="Only pages whose name contains this")
    parser.add_argument(
        "--explain", type=int, nargs="?", const=3, default=0, help="EXPLAIN ANALYZE the N slowest"
    )
    args, size = sized_arguments(parser, smoke=SMOKE, full=FULL, argv=argv)
    django_setup()
    # This process answers the requests as a web worker would: config.wsgi's warm-up and its
    # garbage collector settings (config.memory) apply, as under gunicorn.
    import config.wsgi  # noqa: F401

    run(**size, explain_top=args.explain, only=args.only)


if __name__ == "__main__":
    main()
