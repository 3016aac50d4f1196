"""config.memory: a web process collects garbage every TANDEM_GC_THRESHOLD allocations; API
responses are freed without it (config.middleware.ApiResponseReleaseMiddleware)."""

from __future__ import annotations

import gc
import weakref

import pytest
from django.urls import reverse

from config.memory import gc_tune
from tests.factories import SurveyFactory


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


@pytest.mark.django_db
def test_an_api_response_is_freed_by_reference_counting_not_left_to_the_collector(world, login):
    """DRF links a response to itself (its renderer context) and to its view, and the view to
    it: ApiResponseReleaseMiddleware drops those links once the response is rendered, so the
    answer's data goes as soon as the response does, with the collector switched off."""
    SurveyFactory(organization=world.org)
    client = login(world.hr_admin)
    before = gc.isenabled()
    gc.disable()
    try:
        response = client.get(reverse("api-surveys"))
        assert response.status_code == 200 and response.data  # the data, kept for the caller
        assert response.renderer_context is None
        del response.json  # the test client's own link (a partial holding the response)
        released = weakref.ref(response)
        del response
        assert released() is None
    finally:
        if before:
            gc.enable()
