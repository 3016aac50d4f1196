"""`manage.py run_schedule`: the periodic tasks of CELERY_BEAT_SCHEDULE, run in this process.

What `celery beat` and a worker do together in production, for the embedded mode (`make demo`:
no broker, eager Celery), from the same schedule: each entry runs when due, with one line
logged per run. A task that fails is logged and the others go on. SIGINT or SIGTERM stops the
loop once the task running, if any, is done.

Nothing is remembered between starts (beat keeps its last runs in the database), so every
entry runs once at start rather than a whole period later: the tasks are idempotent, and a
demo that was stopped catches up as beat does after a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time

from celery import current_app
from celery.beat import ScheduleEntry
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The longest sleep between two looks at the schedule (a clock set forward is noticed).
MAX_SLEEP_SECONDS = 60.0


def schedule_entries() -> list[ScheduleEntry]:
    """The entries `celery beat` installs, with celery's schedule objects (interval, crontab)."""
    current_app.autodiscover_tasks(force=True)  # registers the tasks, as a worker does at start
    return [
        ScheduleEntry(
            name=name,
            task=spec["task"],
            schedule=spec["schedule"],
            args=spec.get("args", ()),
            kwargs=spec.get("kwargs"),
            relative=spec.get("relative", False),
            app=current_app,
        )
        for name, spec in settings.CELERY_BEAT_SCHEDULE.items()
    ]


def schedule_run_due(
    *, entries: list[ScheduleEntry], last_run: dict[str, dt.datetime], stop: threading.Event
) -> float:
    """Run the entries due (and those not run yet), noting when in `last_run`; return the
    seconds until the next one is due. Stops early when `stop` is set."""
    for entry in entries:
        if stop.is_set():
            return 0.0
        if entry.name not in last_run or entry.schedule.is_due(last_run[entry.name]).is_due:
            last_run[entry.name] = entry.default_now()  # beat too counts the period from the start
            entry_run(entry)
    return min(
        (_seconds_until_due(e, last_run[e.name]) for e in entries), default=MAX_SLEEP_SECONDS
    )


def _seconds_until_due(entry: ScheduleEntry, last_run_at: dt.datetime) -> float:
    is_due, next_seconds = entry.schedule.is_due(last_run_at)
    return 0.0 if is_due else next_seconds


def entry_run(entry: ScheduleEntry) -> None:
    """Run the entry's task here and now (as an eager task), logging the outcome in one line;
    a failure is logged with its traceback, never raised."""
    started = time.monotonic()
    try:
        current_app.tasks[entry.task].apply(entry.args, entry.kwargs, throw=True)
    except Exception:
        logger.exception(
            "%s (%s) failed after %.2f s", entry.name, entry.task, time.monotonic() - started
        )
    else:
        logger.info("%s (%s) ran in %.2f s", entry.name, entry.task, time.monotonic() - started)


class Command(BaseCommand):
    help = (
        "Run the periodic tasks of CELERY_BEAT_SCHEDULE in this process, each when due (the "
        "embedded mode's `celery beat`). Every task runs once at start. Stop with Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run every task once, then exit (for tests)"
        )

    def handle(self, *args, once=False, **options):
        entries = schedule_entries()
        stop = threading.Event()
        # One line per run, ours (naming the entry), not celery's "Task ... succeeded" as well.
        trace = logging.getLogger("celery.app.trace")
        level = trace.level
        trace.setLevel(logging.WARNING)
        try:
            if once:
                schedule_run_due(entries=entries, last_run={}, stop=stop)
            else:
                self._loop(entries=entries, stop=stop)
        finally:
            trace.setLevel(level)

    def _loop(self, *, entries: list[ScheduleEntry], stop: threading.Event) -> None:
        previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in STOP_SIGNALS}
        logger.info("Running the periodic tasks: %s", ", ".join(e.name for e in entries))
        last_run: dict[str, dt.datetime] = {}
        try:
            while not stop.is_set():
                # Between runs, what Django does between requests: reconnect if the database
                # connection broke or is past CONN_MAX_AGE.
                close_old_connections()
                wait = schedule_run_due(entries=entries, last_run=last_run, stop=stop)
                stop.wait(min(wait, MAX_SLEEP_SECONDS))
        finally:
            for signum, handler in previous.items():
                if handler is not None:  # None: not set from Python, nothing to put back
                    signal.signal(signum, handler)
        logger.info("Stopped running periodic tasks.")
