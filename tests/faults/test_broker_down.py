"""Redis down while 100 responses arrive over HTTP: every one stored and thanked at once, and all
scored by the reconcile task once Redis is back, exactly as a full rebuild scores them.

The web side is pytest-django's live server in this process, publishing to a private redis-server
that the test kills (SIGKILL) and starts again on the same port; a real Celery worker process
rides out the outage (it reconnects by itself) and runs the reconcile task.
"""

from __future__ import annotations

import statistics
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.authtoken.models import Token

from dashboards import scoring
from dashboards.models import HISTOGRAM_FIELDS, QuestionRollup, ResponseRollup
from dashboards.tasks import scores_reconcile
from responses.models import Answer, Channel, Response
from surveys.models import SurveyKind, token_hash
from tests.dashboards.test_scoring import rollup_rows
from tests.factories import CycleFactory, InvitationFactory, QuestionFactory, SurveyFactory
from tests.processes import (
    celery_worker,
    form_page,
    form_post,
    json_post,
    publisher_reset,
    publishing_to,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RESPONSES = 100
QUICK = 2.5  # seconds: a dead broker must never hold a respondent up (refused at once, in fact)


def _values(i: int) -> tuple[int, int]:
    """eNPS 1..10 ten times each; Likert 1..5 twenty times each."""
    return i % 10 + 1, i % 5 + 1


@pytest.fixture
def redis_cache(own_redis, settings):
    """As in production, the cache (rate limits, API throttling) lives on the same Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": own_redis.url(1),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def ex_survey(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    survey.enps = QuestionFactory(survey=survey, type="nps", order=1)
    survey.likert = QuestionFactory(survey=survey, type="likert", order=2)
    survey.cycle = CycleFactory(survey=survey, number=1)
    return survey


def _invitation_links(survey, world, base_url: str) -> list[str]:
    links = []
    for i in range(RESPONSES // 2):
        secret = f"broker-down-{i:03d}-0123456789abcdefghij"
        InvitationFactory(
            survey=survey, cycle=survey.cycle, team=world.team, token_hash=token_hash(secret)
        )
        links.append(f"{base_url}/r/i/{secret}/")
    return links


def _submitter(survey, world, base_url: str, token: str):
    """submit(i): even i through an invitation's answer form, as a browser would (after loading
    the page: CSRF cookie and token), odd i through the API, as an integration would."""
    links = _invitation_links(survey, world, base_url)
    _, page_state = form_page(links[0])
    page_state["fields"].pop("submission_key")  # one per page load: not shared between people
    api_url = f"{base_url}/api/v1/surveys/{survey.id}/responses/"

    def submit(i: int):
        enps, likert = _values(i)
        if i % 2 == 0:
            fields = {f"question_{survey.enps.id}": enps, f"question_{survey.likert.id}": likert}
            return form_post(links[i // 2], fields, state=page_state)
        answers = [
            {"question": survey.enps.id, "value": enps},
            {"question": survey.likert.id, "value": likert},
        ]
        return json_post(api_url, {"team": world.team.id, "answers": answers}, token=token)

    return submit


def test_responses_stored_while_redis_is_down_are_scored_when_it_returns(
    world, ex_survey, own_redis, redis_cache, live_server, caplog
):
    token = Token.objects.create(user=world.hr_admin.user).key
    with (
        publishing_to(own_redis.url()),
        celery_worker(broker_url=own_redis.url()) as worker,
    ):
        own_redis.stop()  # SIGKILL: the broker is gone, for the web side and the worker

        submit = _submitter(ex_survey, world, live_server.url, token)
        with ThreadPoolExecutor(max_workers=4) as respondents:  # a few people at once
            results = list(respondents.map(submit, range(RESPONSES)))

        statuses = [r.status for r in results]
        assert statuses == [302 if i % 2 == 0 else 201 for i in range(RESPONSES)]
        assert all("/r/thanks/" in r.location for r in results[::2])
        slowest = max(r.seconds for r in results)
        assert slowest < QUICK, f"slowest submission {slowest:.2f}s with Redis down"
        assert Response.objects.filter(survey=ex_survey).count() == RESPONSES
        assert Answer.objects.filter(response__survey=ex_survey).count() == 2 * RESPONSES
        assert set(Response.objects.values_list("channel", flat=True)) == {
            Channel.INVITATION,
            Channel.API,
        }
        assert not Response.objects.filter(scored_at__isnull=False).exists()
        assert caplog.text.count("the reconcile task will score it") == RESPONSES

        own_redis.start()  # same port, empty: the tasks published meanwhile never existed
        wait_for(
            lambda: worker.log_text().count("Connected to redis") >= 2,
            what="the worker to reconnect",
            log=worker.log,
        )
        publisher_reset()
        scores_reconcile.delay(older_than_seconds=0)  # what beat sends every few minutes
        wait_for(
            lambda: not Response.objects.filter(scored_at__isnull=True).exists(),
            what="the reconcile task to score every response",
            log=worker.log,
        )
        done = "scores_reconcile: 100 unscored responses scored in 1 surveys"
        wait_for(lambda: done in worker.log_text(), what="the task's report", log=worker.log)

    _assert_figures(ex_survey)
    incremental = rollup_rows(ex_survey.id)
    scoring.scores_rebuild(survey_id=ex_survey.id)
    assert rollup_rows(ex_survey.id) == incremental
    print(f"submissions: median {statistics.median(r.seconds for r in results):.3f}s")


def _assert_figures(survey) -> None:
    """Worked out by hand from _values: one team, one day, so one rollup row per question."""
    (enps,) = QuestionRollup.objects.filter(question=survey.enps)
    assert [getattr(enps, f) for f in HISTOGRAM_FIELDS] == [0] + [10] * 10
    assert (enps.n, enps.total) == (100, 10 * 55)
    # Promoters 9-10: 20, detractors 1-6: 60, so eNPS = (20 - 60) / 100 = -40.
    (likert,) = QuestionRollup.objects.filter(question=survey.likert)
    assert [getattr(likert, f) for f in HISTOGRAM_FIELDS] == [0] + [20] * 5 + [0] * 5
    assert (likert.n, likert.total) == (100, 20 * 15)
    (responses,) = ResponseRollup.objects.filter(survey=survey)
    assert responses.responses == 100
