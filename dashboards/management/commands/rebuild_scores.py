"""python manage.py rebuild_scores [--survey ID]: recompute rollups from the stored responses."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from dashboards.scoring import scores_rebuild
from surveys.models import Survey


class Command(BaseCommand):
    help = (
        "Recompute score rollups from scratch (one survey, or all). Equals the incremental result."
    )

    def add_arguments(self, parser):
        parser.add_argument("--survey", type=int, help="Only this survey id")

    def handle(self, *args, survey=None, **options):
        if survey is not None and not Survey.objects.filter(id=survey).exists():
            raise CommandError(f"No survey {survey}.")
        started = time.monotonic()
        totals = scores_rebuild(survey_id=survey, progress=self._progress)
        surveys = totals["surveys"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {surveys} survey{'s' if surveys != 1 else ''}: "
                f"{totals['responses']} responses, {totals['question_rows']} question rollup rows, "
                f"{totals['response_rows']} response rollup rows, "
                f"{totals['sentiment']} comments scored, in {time.monotonic() - started:.1f}s."
            )
        )

    def _progress(self, summary: dict) -> None:
        self.stdout.write(
            f"Survey {summary['survey']}: {summary['responses']} responses -> "
            f"{summary['question_rows']} question rows, {summary['response_rows']} response rows, "
            f"{summary['rows_written']} rows written ({summary['seconds']:.2f}s)"
        )
