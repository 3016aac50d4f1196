"""Django-side helpers for the HTTP clients, as a command (so clients import no Django):

    python -m benchmarks.fixture setup            # JSON: survey, links, token, bodies...
    python -m benchmarks.fixture count SURVEY_ID  # JSON: {"responses": n, "unscored": n}

`setup` prints what a client needs to submit (benchmarks.server.ingest_fixture): the 5-question
survey, its customer link paths, the API token, the answer form's field names and the
bare-INSERT twin survey.
"""

from __future__ import annotations

import argparse
import json

from benchmarks.common import django_setup


def setup() -> dict:
    from benchmarks.server import ingest_fixture

    return ingest_fixture()


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
    commands.add_parser("setup")
    counted = commands.add_parser("count")
    counted.add_argument("survey", type=int)
    args = parser.parse_args(argv)
    django_setup()
    if args.command == "setup":
        print(json.dumps(setup()))
    else:
        print(json.dumps(counts(args.survey)))


if __name__ == "__main__":
    main()
