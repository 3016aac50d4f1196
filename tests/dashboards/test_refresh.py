"""Kept dashboards computed ahead (dashboards.refresh): after a scored batch the pages viewed in
the last hour are computed again for the member who viewed them, so the next view is kept; the
same access rules as a view, in the member's language and team. The worker end to end (a real
Celery worker sharing a Redis cache) is in test_worker_integration.py."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from celery import current_app

from dashboards import refresh, results_cache, tasks
from dashboards.scoring import responses_score
from surveys.models import Organization, Role
from tests.dashboards.dashdata import (
    MARCH,
    MARCH_FILTER,
    CacheDown,
    ex_cx,
    main_of,
    signed_in,
)
from tests.factories import response_with_answers

pytestmark = pytest.mark.django_db

EX_PAGE = "/dashboards/ex/"
FRONT_DESK = '<th scope="row">Front desk</th><td>{}</td>'


@pytest.fixture
def data(world):
    return ex_cx(world)


@pytest.fixture
def publishing(monkeypatch):
    """Celery not eager (as in production); the refresh tasks published are recorded."""
    monkeypatch.setattr(current_app.conf, "task_always_eager", False)
    published = []
    monkeypatch.setattr(tasks.results_refresh, "delay", published.append)
    return published


def _score_one(data, value: int = 10) -> None:
    """One more employee response (eNPS `value`) for Front desk, scored: the EX version moves."""
    response = response_with_answers(
        survey=data.ex, team=data.world.team, answers={data.enps: value}, submitted_at=MARCH
    )
    responses_score(survey_id=data.ex.id, ids=[response.id])


def _org(data) -> Organization:
    return Organization.objects.get(pk=data.world.org.pk)


def test_a_viewed_page_is_computed_ahead_after_a_scored_batch(
    data, settings, django_assert_max_num_queries
):
    client = signed_in(data.world.hr_admin)
    params = {**MARCH_FILTER, "survey": data.ex.id}
    before = main_of(client.get(EX_PAGE, params))
    assert FRONT_DESK.format(6) in before  # the heatmap's responses
    _score_one(data)
    done = refresh.pages_refresh(organization_id=data.world.org.pk)
    assert done == {"computed": 1, "kept": 0, "skipped": 0}
    # The next view is kept (no rollup read) and is the page a view would compute now.
    with django_assert_max_num_queries(6):
        ahead = main_of(client.get(EX_PAGE, params))
    assert FRONT_DESK.format(7) in ahead
    settings.TANDEM_RESULTS_CACHE_SECONDS = 0
    assert main_of(client.get(EX_PAGE, params)) == ahead
    # Nothing moved since: a second refresh finds the page kept.
    settings.TANDEM_RESULTS_CACHE_SECONDS = 600
    assert refresh.pages_refresh(organization_id=data.world.org.pk)["kept"] == 1


def test_each_member_gets_their_own_team_and_language(data, django_assert_max_num_queries):
    admin, lead = signed_in(data.world.hr_admin), signed_in(data.world.team_lead)
    params = {**MARCH_FILTER, "survey": data.ex.id}
    main_of(admin.get(EX_PAGE, params))
    main_of(lead.get(EX_PAGE, params, HTTP_ACCEPT_LANGUAGE="fr"))
    _score_one(data)
    assert refresh.pages_refresh(organization_id=data.world.org.pk)["computed"] == 2
    with django_assert_max_num_queries(6):
        own = main_of(lead.get(EX_PAGE, params, HTTP_ACCEPT_LANGUAGE="fr"))
    languages = {page[1]: page[4] for page, _ in results_cache.viewed_pages(data.world.org.pk)}
    assert languages == {Role.HR_ADMIN: "en", Role.TEAM_LEAD: "fr"}  # kept per language
    assert "Night shift" not in own  # the lead's team only, never the admin's page
    with django_assert_max_num_queries(6):
        assert "Night shift" in main_of(admin.get(EX_PAGE, params))


def test_a_member_who_lost_access_is_skipped(data):
    params = {**MARCH_FILTER, "survey": data.ex.id}
    main_of(signed_in(data.world.hr_admin).get(EX_PAGE, params))
    main_of(signed_in(data.world.team_lead).get(EX_PAGE, params))
    data.world.hr_admin.role = Role.STAFF
    data.world.hr_admin.save()
    data.world.team_lead.user.is_active = False
    data.world.team_lead.user.save()
    _score_one(data)
    done = refresh.pages_refresh(organization_id=data.world.org.pk)
    assert done == {"computed": 0, "kept": 0, "skipped": 2}


def test_pages_with_bad_filters_are_not_noted(data):
    client = signed_in(data.world.hr_admin)
    assert client.get(EX_PAGE, {"period": "fortnight"}).status_code == 400
    assert results_cache.viewed_pages(data.world.org.pk) == []


def test_the_most_recently_viewed_pages_first_and_no_more_than_the_setting(data, settings):
    settings.TANDEM_RESULTS_REFRESH_PAGES = 2
    client = signed_in(data.world.hr_admin)
    for page in ("/dashboards/", EX_PAGE, "/dashboards/link/"):
        main_of(client.get(page, MARCH_FILTER))
    noted = [page[0] for page, _user in results_cache.viewed_pages(data.world.org.pk)]
    assert noted == ["link", "ex", "overview"]
    _score_one(data)  # EX: all three pages show employee figures
    assert refresh.pages_refresh(organization_id=data.world.org.pk)["computed"] == 2
    settings.TANDEM_RESULTS_REFRESH_PAGES = 0
    main_of(client.get("/dashboards/", {**MARCH_FILTER, "team": data.world.team.id}))
    assert [page[0] for page, _ in results_cache.viewed_pages(data.world.org.pk)][0] == "link"


def test_a_scored_batch_queues_one_refresh_per_interval(data, publishing):
    survey_id = data.ex.id
    assert refresh.refresh_soon(survey_id=survey_id) is False  # nobody viewed a page yet
    main_of(signed_in(data.world.hr_admin).get(EX_PAGE, MARCH_FILTER))
    assert refresh.refresh_soon(survey_id=survey_id) is True
    assert refresh.refresh_soon(survey_id=survey_id) is False  # within the interval
    assert publishing == [data.world.org.pk]


def test_nothing_is_queued_with_eager_celery(data):
    main_of(signed_in(data.world.hr_admin).get(EX_PAGE, MARCH_FILTER))
    assert current_app.conf.task_always_eager
    assert refresh.refresh_soon(survey_id=data.ex.id) is False
    assert refresh.refresh_sweep() == []


def test_the_sweep_refreshes_organisations_whose_results_moved(data, publishing):
    client = signed_in(data.world.hr_admin)
    main_of(client.get(EX_PAGE, {**MARCH_FILTER, "survey": data.ex.id}))
    assert refresh.refresh_sweep() == [data.world.org.pk]  # never refreshed yet
    assert refresh.refresh_sweep() == []  # nothing moved since
    _score_one(data)
    assert refresh.refresh_sweep() == [data.world.org.pk]
    data.world.team.name = "Reception"
    data.world.team.save()  # any change, not only scored batches
    assert refresh.refresh_sweep() == [data.world.org.pk]
    page = main_of(client.get(EX_PAGE, {**MARCH_FILTER, "survey": data.ex.id}))
    assert "Reception" in page and "Front desk" not in page


def test_the_scoring_task_queues_the_refresh(data, publishing):
    main_of(signed_in(data.world.hr_admin).get(EX_PAGE, MARCH_FILTER))
    response = response_with_answers(
        survey=data.ex, team=data.world.team, answers={data.enps: 9}, submitted_at=MARCH
    )
    tasks.response_score(response.id)
    assert publishing == [data.world.org.pk]


def test_nothing_is_noted_when_pages_are_not_kept(data, settings):
    settings.TANDEM_RESULTS_CACHE_SECONDS = 0
    main_of(signed_in(data.world.hr_admin).get(EX_PAGE, MARCH_FILTER))
    assert results_cache.viewed_pages(data.world.org.pk) == []
    assert refresh.pages_refresh(organization_id=data.world.org.pk)["computed"] == 0


def test_scores_api_answers_are_computed_ahead_too(data, django_assert_max_num_queries):
    client = signed_in(data.world.hr_admin)
    url = f"/api/v1/surveys/{data.ex.id}/scores/"

    def front_desk_enps():
        body = client.get(url, {"group_by": "team"}).json()
        result = next(r for r in body["results"] if r["group"]["name"] == "Front desk")
        return next(q["score"] for q in result["questions"] if q["type"] == "nps")

    assert front_desk_enps() == 16.7  # (3 - 2) / 6
    _score_one(data)
    assert refresh.pages_refresh(organization_id=data.world.org.pk)["computed"] == 1
    with django_assert_max_num_queries(5):  # session, user, membership, survey (+ org)
        assert front_desk_enps() == 28.6  # (4 - 2) / 7
    data.ex.delete()
    assert refresh.pages_refresh(organization_id=data.world.org.pk)["skipped"] == 1


def test_a_page_out_of_date_by_scored_batches_is_served_for_a_minute(
    data, publishing, monkeypatch, django_assert_max_num_queries
):
    """While workers compute pages ahead, a busy survey's pages stay kept: out of date only by
    scored batches, a page is served up to TANDEM_RESULTS_STALE_SECONDS after it was computed
    (the refresh replaces it meanwhile); any other change shows at once."""
    client = signed_in(data.world.hr_admin)
    params = {**MARCH_FILTER, "survey": data.ex.id}
    before = main_of(client.get(EX_PAGE, params))
    _score_one(data)
    with django_assert_max_num_queries(6):
        assert main_of(client.get(EX_PAGE, params)) == before  # 6 responses, one batch ago
    assert refresh.pages_refresh(organization_id=data.world.org.pk)["computed"] == 1
    assert FRONT_DESK.format(7) in main_of(client.get(EX_PAGE, params))
    _score_one(data)
    assert FRONT_DESK.format(7) in main_of(client.get(EX_PAGE, params))
    later = time.time() + 61
    monkeypatch.setattr(results_cache, "time", SimpleNamespace(time=lambda: later))
    assert FRONT_DESK.format(8) in main_of(client.get(EX_PAGE, params))  # a minute on: computed
    _score_one(data)
    data.world.team.name = "Reception"
    data.world.team.save()
    renamed = main_of(client.get(EX_PAGE, params))
    assert '<th scope="row">Reception</th><td>9</td>' in renamed


def test_without_workers_computing_ahead_a_scored_batch_shows_at_once(data, settings):
    settings.TANDEM_RESULTS_STALE_SECONDS = 3600
    client = signed_in(data.world.hr_admin)  # eager Celery (the embedded default)
    params = {**MARCH_FILTER, "survey": data.ex.id}
    main_of(client.get(EX_PAGE, params))
    _score_one(data)
    assert FRONT_DESK.format(7) in main_of(client.get(EX_PAGE, params))


def test_a_cache_that_is_down_never_fails_scoring(data, publishing, monkeypatch, caplog):
    """Scoring is done before the refresh is asked for: with the cache down the batch is still
    scored, nothing is queued, and the refresh and the sweep skip with a warning."""
    down = CacheDown()
    monkeypatch.setattr(results_cache, "cache", down)
    monkeypatch.setattr(refresh, "cache", down)
    response = response_with_answers(
        survey=data.ex, team=data.world.team, answers={data.enps: 9}, submitted_at=MARCH
    )
    tasks.response_score(response.id)
    response.refresh_from_db()
    assert response.scored_at is not None and publishing == []
    assert refresh.pages_refresh(organization_id=data.world.org.pk)["computed"] == 0
    assert refresh.refresh_sweep() == []
    assert "Could not read the dashboards viewed" in caplog.text
