"""Django-side helpers for the HTTP clients, as a command (so clients import no Django):

    python -m benchmarks.fixture setup            # JSON: survey, links, token, bodies...
    python -m benchmarks.fixture count SURVEY_ID [--after-id N]
                                                  # JSON: responses, unscored, last_id

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


def counts(survey_id: int, *, after_id: int = 0) -> dict:
    """The survey's responses, the largest id, and those after `after_id` not scored yet."""
    from benchmarks.ingest import stored

    responses, unscored, last_id = stored(survey_id, after_id=after_id)
    return {"responses": responses, "unscored": unscored, "last_id": last_id}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup")
    counted = commands.add_parser("count")
    counted.add_argument("survey", type=int)
    counted.add_argument("--after-id", type=int, default=0, help="unscored among later ids only")
    args = parser.parse_args(argv)
    django_setup()
    if args.command == "setup":
        print(json.dumps(setup()))
    else:
        print(json.dumps(counts(args.survey, after_id=args.after_id)))


if __name__ == "__main__":
    main()
