"""Bulk-load realistic EX and CX data: `generate_data --answers 1000000 --teams 200 --months 12`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dashboards.datagen.generate import OrganizationExists, data_generate


def _positive(value: str) -> int:
    number = int(value.replace("_", "").replace(",", ""))
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate an organisation with EX pulses and CX feedback whose answers add up to exactly "
        "--answers, load it (COPY on PostgreSQL, batched inserts elsewhere) and build the rollups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--answers", type=_positive, default=100_000)
        parser.add_argument("--teams", type=_positive, default=50)
        parser.add_argument("--months", type=_positive, default=12)
        parser.add_argument("--org", default="Benchmark Co", help="Organisation name")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data")
        parser.add_argument(
            "--replace", action="store_true", help="Delete the organisation first if it exists"
        )

    def handle(self, *args, **options):
        try:
            summary = data_generate(
                answers=options["answers"],
                teams=options["teams"],
                months=options["months"],
                org_name=options["org"],
                seed=options["seed"],
                replace=options["replace"],
                log=self.stdout.write,
            )
        except OrganizationExists as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated “{summary['organization']}”: {summary['teams']} teams, "
                f"{summary['people']:,} people, {summary['responses']:,} responses, "
                f"{summary['answers']:,} answers, {summary['question_rollups']:,} rollup rows "
                f"in {summary['seconds']:.1f} s "
                f"({summary['answers'] / summary['seconds']:,.0f} answers/s overall)"
            )
        )
