"""config.memory: a web process collects garbage every TANDEM_GC_THRESHOLD allocations."""

from __future__ import annotations

import gc

from config.memory import gc_tune


def test_the_threshold_is_the_setting_and_the_older_generations_keep_theirs(settings):
    before = gc.get_threshold()
    try:
        settings.TANDEM_GC_THRESHOLD = 12_345
        gc_tune(freeze=False)
        assert gc.get_threshold() == (12_345, before[1], before[2])
    finally:
        gc.set_threshold(*before)


def test_the_web_entry_point_tunes_and_freezes():
    from django.conf import settings

    import config.wsgi  # noqa: F401 - what gunicorn loads

    assert gc.get_threshold()[0] == settings.TANDEM_GC_THRESHOLD >= 700
    assert gc.get_freeze_count() > 0
