"""Django-side helpers for the HTTP clients, as a command (so clients import no Django):

    python -m benchmarks.fixture setup            # JSON: survey, links, token, bodies...
    python -m benchmarks.fixture count SURVEY_ID  # JSON: {"responses": n, "unscored": n}

`setup` uses the benchmark organisation (generated at `--answers` if missing) and prints what a
client needs to submit: the 5-question survey, its customer link paths, the API token, the
answer form's field names and the bare-INSERT twin survey.
"""

from __future__ import annotations

import argparse
import json

from benchmarks.common import bench_people, data_ensure, django_setup


def setup(*, answers: int, teams: int, months: int) -> dict:
    from benchmarks.server import form_fields, ingest_fixture

    organization = data_ensure(answers=answers, teams=teams, months=months, out=lambda _: None)
    fixture = ingest_fixture(organization, bench_people(organization))
    fixture["form_fields"] = form_fields(fixture["questions"])
    return fixture


def counts(survey_id: int) -> dict:
    from responses.models import Response

    responses = Response.objects.filter(survey_id=survey_id)
    return {
        "responses": responses.count(),
        "unscored": responses.filter(scored_at__isnull=True).count(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("setup")
    made.add_argument("--answers", type=int, default=1_000_000)
    made.add_argument("--teams", type=int, default=200)
    made.add_argument("--months", type=int, default=12)
    counted = commands.add_parser("count")
    counted.add_argument("survey", type=int)
    args = parser.parse_args(argv)
    django_setup()
    if args.command == "setup":
        print(json.dumps(setup(answers=args.answers, teams=args.teams, months=args.months)))
    else:
        print(json.dumps(counts(args.survey)))


if __name__ == "__main__":
    main()
