"""PostgreSQL restarting between two requests: the app's next request succeeds.

gunicorn (one sync worker, so one persistent connection, CONN_MAX_AGE) serves a throwaway
PostgreSQL cluster holding a copy of this test's database. The cluster restarts between
requests, which cuts that connection; CONN_HEALTH_CHECKS makes Django notice the dead connection
at the start of the next request and open a new one, instead of failing it with a 500.
"""

from __future__ import annotations

import pytest

from surveys.models import SurveyKind, token_hash
from tests.factories import CycleFactory, InvitationFactory, QuestionFactory, SurveyFactory
from tests.processes import (
    database_copy,
    django_env,
    form_post,
    gunicorn_server,
    http_request,
    postgres_cluster,
    test_database_url,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "database-restart-0123456789abcdefghij"


def _app_backends(cluster) -> list[str]:
    """Process ids of the server's connections to the app database (ours go to "postgres")."""
    sql = "SELECT pid FROM pg_stat_activity WHERE datname = 'tandem' AND backend_type = 'client backend'"
    return cluster.psql(sql).split()


def test_app_reconnects_after_the_database_restarts(world, on_postgres):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    nps = QuestionFactory(survey=survey, type="nps", order=1)
    InvitationFactory(
        survey=survey,
        cycle=CycleFactory(survey=survey, number=1),
        team=world.team,
        token_hash=token_hash(TOKEN),
    )
    with postgres_cluster() as cluster:
        database = database_copy(source_url=test_database_url(), cluster=cluster, name="tandem")
        env = django_env(
            DATABASE_URL=database,
            CONN_MAX_AGE="600",
            REDIS_URL="",  # scoring is queued in memory: this test is about the database
        )
        with gunicorn_server(env=env) as web:
            page = f"{web.url}/r/i/{TOKEN}/"
            assert http_request(page).status == 200
            assert http_request(page).status == 200
            (backend,) = _app_backends(cluster)  # one connection, kept between requests

            cluster.restart()
            assert _app_backends(cluster) == []  # the app's connection is gone

            after = http_request(page)
            assert after.status == 200, after.body[:2000]
            (new_backend,) = _app_backends(cluster)
            assert new_backend != backend

            answered = form_post(page, {f"question_{nps.id}": 9})
            assert answered.status == 302
            assert "/r/thanks/" in answered.location
            assert " 500 " not in web.log_text()
        stored = cluster.psql("SELECT count(*) FROM responses_response", database="tandem")
        assert stored.strip() == "1"
