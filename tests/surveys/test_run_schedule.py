"""`manage.py run_schedule`: the beat schedule run in-process, the embedded mode's `celery beat`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading

import pytest
import time_machine
from celery import shared_task
from celery.schedules import crontab, maybe_schedule
from django.core import mail
from django.core.management import call_command

from surveys.distribution import pulse_schedule_save
from surveys.management.commands.run_schedule import schedule_entries, schedule_run_due
from surveys.models import Cycle
from tests.factories import PersonFactory, QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC
COMMAND_LOGGER = "surveys.management.commands.run_schedule"
PULSES_TICK = {"task": "surveys.tasks.pulses_tick", "schedule": 300.0}


@shared_task(name="tests.run_schedule.fail")
def fail() -> None:
    raise RuntimeError("the task broke")


@shared_task(name="tests.run_schedule.terminate")
def terminate() -> None:
    """What `kill <pid>` (or make's trap) does to the command while a task runs."""
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.fixture
def weekly_pulse(world):
    """A weekly pulse to Front desk (two people) that starts on Monday 2 March 2026, 09:00."""
    survey = SurveyFactory(organization=world.org, title="Pulse")
    QuestionFactory(survey=survey, type="nps")
    for _ in range(2):
        PersonFactory(organization=world.org, team=world.team)
    with time_machine.travel(dt.datetime(2026, 2, 20, 12, tzinfo=UTC), tick=False):
        return pulse_schedule_save(
            survey=survey,
            frequency="weekly",
            teams=[world.team],
            starts_on=dt.date(2026, 3, 2),
            remind_after_days=None,
        )


def _runs(caplog) -> list[str]:
    """The entries the command ran (or tried to), in order, from its one line per run."""
    return [
        r.getMessage().split(" ")[0]
        for r in caplog.records
        if r.name == COMMAND_LOGGER and (" ran in " in r.msg or " failed after " in r.msg)
    ]


def test_once_runs_the_production_schedule_and_opens_a_due_pulse_round(
    weekly_pulse, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 5, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_schedule", "--once")
    [cycle] = Cycle.objects.filter(survey=weekly_pulse.survey)
    assert cycle.number == 1 and cycle.opens_at == dt.datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert len(mail.outbox) == 2  # the two people of Front desk
    weekly_pulse.refresh_from_db()
    assert weekly_pulse.next_run_at == dt.datetime(2026, 3, 9, 9, tzinfo=UTC)
    # Every entry of CELERY_BEAT_SCHEDULE ran, once, and none failed.
    assert sorted(_runs(caplog)) == [
        "alert-rules-sweep",
        "outbox-flush",
        "pulses-tick",
        "results-refresh-sweep",
        "retention-purge",
        "scores-reconcile",
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_failing_task_is_logged_and_the_next_entries_still_run(
    weekly_pulse, settings, caplog, django_capture_on_commit_callbacks
):
    settings.CELERY_BEAT_SCHEDULE = {
        "broken": {"task": "tests.run_schedule.fail", "schedule": 60.0},
        "pulses-tick": PULSES_TICK,
    }
    caplog.set_level(logging.INFO)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 5, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("run_schedule", "--once")
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.getMessage().startswith("broken (tests.run_schedule.fail) failed after ")
    assert str(failure.exc_info[1]) == "the task broke"
    assert _runs(caplog) == ["broken", "pulses-tick"]
    assert Cycle.objects.filter(survey=weekly_pulse.survey).count() == 1


def test_each_entry_runs_at_start_then_again_when_its_schedule_says(settings, caplog):
    settings.CELERY_BEAT_SCHEDULE = {
        "every-minute": {"task": "dashboards.alerting.tasks.outbox_flush", "schedule": 60.0},
        "nightly": {
            "task": "surveys.tasks_privacy.retention_purge",
            "schedule": crontab(hour=2, minute=30),
        },
    }
    caplog.set_level(logging.INFO)
    entries, last_run, stop = schedule_entries(), {}, threading.Event()

    def tick_at(*moment: int) -> float:
        caplog.clear()
        with time_machine.travel(dt.datetime(*moment, tzinfo=UTC), tick=False):
            return schedule_run_due(entries=entries, last_run=last_run, stop=stop)

    # Both at start; then the minute's entry is next, 60 s on.
    assert tick_at(2026, 3, 2, 9, 0, 0) == 60.0 and _runs(caplog) == ["every-minute", "nightly"]
    assert tick_at(2026, 3, 2, 9, 0, 30) == 30.0 and _runs(caplog) == []
    assert tick_at(2026, 3, 2, 9, 1, 0) == 60.0 and _runs(caplog) == ["every-minute"]
    # 02:30 the next night (the minute's last run was at 09:01), both are due.
    assert tick_at(2026, 3, 3, 2, 30, 0) == 60.0 and _runs(caplog) == ["every-minute", "nightly"]
    # Now the nightly one is next due 24 h later, the minute's one in 60 s.
    assert tick_at(2026, 3, 3, 2, 30, 10) == 50.0 and _runs(caplog) == []


def test_sigterm_stops_the_loop_once_the_running_task_is_done(settings, caplog):
    """The signal arrives while `terminate` runs: it finishes, the entry after it does not
    start, the command returns and puts the signal handlers back."""
    settings.CELERY_BEAT_SCHEDULE = {
        "terminate": {"task": "tests.run_schedule.terminate", "schedule": 60.0},
        "after": {"task": "surveys.tasks.pulses_tick", "schedule": 60.0},
    }
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    caplog.set_level(logging.INFO)
    call_command("run_schedule")
    assert _runs(caplog) == ["terminate"]
    assert caplog.records[-1].getMessage() == "Stopped running periodic tasks."
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_the_schedule_is_the_one_celery_beat_installs():
    from config.celery import app

    assert {e.name: (e.task, e.schedule) for e in schedule_entries()} == {
        name: (spec["task"], maybe_schedule(spec["schedule"]))
        for name, spec in app.conf.beat_schedule.items()
    }
