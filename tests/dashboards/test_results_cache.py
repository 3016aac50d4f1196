"""Kept dashboards (dashboards.results_cache): a page or scores answer is served again only
while nothing it shows has changed, only to the same role and team, and its access checks and
audit entries still run on every request."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from config.audit import AuditAction
from dashboards import results_cache
from dashboards.alerting.actions import alert_acknowledge
from dashboards.scoring import responses_score
from surveys.models import AuditLog, Organization, SurveyKind
from surveys.services.authoring import survey_close
from tests.dashboards.dashdata import (
    MARCH,
    MARCH_FILTER,
    CacheDown,
    ex_cx,
    main_of,
    signed_in,
)
from tests.factories import AlertFactory, QuestionFactory, SurveyFactory, response_with_answers

pytestmark = pytest.mark.django_db

EX_PAGE = "/dashboards/ex/"


@pytest.fixture
def data(world):
    return ex_cx(world)


def _version(org: Organization, name: str = "results_version") -> int:
    return Organization.objects.values_list(name, flat=True).get(pk=org.pk)


def _scores(client, survey) -> dict:
    response = client.get(f"/api/v1/surveys/{survey.id}/scores/", {"group_by": "team"})
    assert response.status_code == 200
    return response.json()


def _enps(body: dict, team: str) -> float | None:
    result = next(r for r in body["results"] if r["group"] and r["group"]["name"] == team)
    return next((q["score"] for q in result.get("questions", []) if q["type"] == "nps"), None)


def test_a_page_seen_again_is_the_same_page_in_a_few_queries(data, django_assert_max_num_queries):
    client = signed_in(data.world.hr_admin)
    params = {**MARCH_FILTER, "survey": data.ex.id}
    first = main_of(client.get(EX_PAGE, params))
    # session, user, membership, the survey id's organisation, the audit entry (comments shown)
    with django_assert_max_num_queries(6):
        again = main_of(client.get(EX_PAGE, params))
    assert again == first and "Front desk" in again
    # Comments were listed both times: both views are in the audit log.
    views = AuditLog.objects.filter(action=AuditAction.COMMENTS_VIEW, object_id=str(data.ex.id))
    assert views.count() == 2


def test_a_release_of_other_code_never_serves_a_page_the_old_code_kept(data, monkeypatch):
    """The key holds the code's version (a digest of the dashboards' code, templates and
    charts.js): after a release a page kept by the previous code (its figures, anonymity rules,
    HTML) is computed again, not served until it expires."""
    version = results_cache.code_version()
    assert re.fullmatch(r"[0-9a-f]{16}", version) and results_cache.code_version() == version
    key = results_cache.kept_key(organization=data.world.org, kinds=("ex",), parts=("page",))
    monkeypatch.setattr(results_cache, "code_version", lambda: "another release")
    other = results_cache.kept_key(organization=data.world.org, kinds=("ex",), parts=("page",))
    assert other.name != key.name and other.versions == key.versions


def test_other_filters_another_role_or_team_get_their_own_page(data):
    admin = signed_in(data.world.hr_admin)
    lead = signed_in(data.world.team_lead)
    params = {**MARCH_FILTER, "survey": data.ex.id}
    whole = main_of(admin.get(EX_PAGE, params))
    assert "Night shift" in whole
    # The team lead asks for the same query: only their own team, never the kept admin page.
    own = main_of(lead.get(EX_PAGE, params))
    assert own != whole and "Night shift" not in own
    narrowed = main_of(admin.get(EX_PAGE, {**params, "team": data.world.team.id}))
    assert narrowed != whole


def test_a_scored_response_shows_at_once(data):
    client = signed_in(data.world.hr_admin)
    before = _scores(client, data.ex)
    assert _enps(before, "Front desk") == 16.7  # (3 - 2) / 6
    version = _version(data.world.org, "ex_results_version")
    response = response_with_answers(
        survey=data.ex, team=data.world.team, answers={data.enps: 10}, submitted_at=MARCH
    )
    responses_score(survey_id=data.ex.id, ids=[response.id])
    assert _version(data.world.org, "ex_results_version") == version + 1
    assert _enps(_scores(client, data.ex), "Front desk") == 28.6  # (4 - 2) / 7


def test_customers_answers_leave_the_employee_page_kept(data, django_assert_max_num_queries):
    """A scored CX batch moves the CX version on: the CX page and the overview are computed
    again, the EX page stays kept (and the other way round)."""
    admin, manager = signed_in(data.world.hr_admin), signed_in(data.world.cx_manager)
    ex_params = {**MARCH_FILTER, "survey": data.ex.id}
    cx_params = {**MARCH_FILTER, "survey": data.cx.id}
    ex_page = main_of(admin.get(EX_PAGE, ex_params))
    cx_page = main_of(manager.get("/dashboards/cx/", cx_params))
    overview = main_of(manager.get("/dashboards/", MARCH_FILTER))
    response = response_with_answers(
        survey=data.cx, team=data.world.team, answers={data.csat: 5}, submitted_at=MARCH
    )
    responses_score(survey_id=data.cx.id, ids=[response.id])
    with django_assert_max_num_queries(6):
        assert main_of(admin.get(EX_PAGE, ex_params)) == ex_page
    assert main_of(manager.get("/dashboards/cx/", cx_params)) != cx_page  # 7 answers now
    assert main_of(manager.get("/dashboards/", MARCH_FILTER)) != overview


def test_the_filter_bar_follows_the_default_survey(data):
    """The filter bar is kept across scored batches, but drawn again when they change which
    survey the page opens on (the most recently answered)."""
    newer = SurveyFactory(organization=data.world.org, kind=SurveyKind.EX, title="Pulse 2")
    enps = QuestionFactory(survey=newer, type="nps", text="Recommend us?")
    client = signed_in(data.world.hr_admin)
    selected = re.compile(r'<option value="(\d+)" selected>')
    assert selected.findall(main_of(client.get(EX_PAGE, MARCH_FILTER))) == [str(data.ex.id)]
    later = MARCH.replace(day=20)
    response = response_with_answers(
        survey=newer, team=data.world.team, answers={enps: 9}, submitted_at=later
    )
    responses_score(survey_id=newer.id, ids=[response.id])  # the EX version only
    page = main_of(client.get(EX_PAGE, MARCH_FILTER))
    assert selected.findall(page)[0] == str(newer.id) and "Pulse 2" in page


def test_a_renamed_team_shows_at_once(data):
    client = signed_in(data.world.hr_admin)
    params = {**MARCH_FILTER, "survey": data.ex.id}
    assert "Front desk" in main_of(client.get(EX_PAGE, params))
    data.world.team.name = "Reception"
    data.world.team.save()
    page = main_of(client.get(EX_PAGE, params))
    assert "Reception" in page and "Front desk" not in page


def test_an_acknowledged_alert_leaves_the_overview_at_once(data):
    alert = AlertFactory(organization=data.world.org, survey=data.ex, message="eNPS fell below 10")
    client = signed_in(data.world.hr_admin)
    assert "eNPS fell below 10" in main_of(client.get("/dashboards/", MARCH_FILTER))
    alert_acknowledge(alert=alert, user=data.world.hr_admin.user)
    overview = main_of(client.get("/dashboards/", MARCH_FILTER))
    assert re.search(r"Acknowledged</span> <a [^>]*>eNPS fell below 10", overview)


def test_writes_without_signals_move_the_version_on(data):
    version = _version(data.world.org)
    survey_close(survey=data.cx)  # a QuerySet.update
    assert _version(data.world.org) == version + 1


def test_an_organisation_read_earlier_never_writes_back_an_older_version(data):
    org = Organization.objects.get(pk=data.world.org.pk)  # read at version v
    data.world.team.save()  # v + 1, elsewhere
    moved = _version(data.world.org)
    org.name = "Acme Retail Group"
    org.save()  # its own write moves it on; the v it holds is not written back
    assert _version(data.world.org) == moved + 1


def test_access_is_checked_before_a_kept_page(data):
    params = {**MARCH_FILTER, "survey": data.ex.id}
    main_of(signed_in(data.world.hr_admin).get(EX_PAGE, params))
    # Staff, and another organisation's HR admin, never get the kept page.
    assert signed_in(data.world.staff).get(EX_PAGE, params).status_code == 403
    assert signed_in(data.world.outsider).get(EX_PAGE, params).status_code == 404


def test_the_scores_api_is_kept_and_follows_changes(data, django_assert_max_num_queries):
    client = signed_in(data.world.hr_admin)
    first = _scores(client, data.ex)
    with django_assert_max_num_queries(5):  # session, user, membership, survey (+ org)
        assert _scores(client, data.ex) == first
    data.world.org.anonymity_threshold = 7  # Front desk (6) is now too small
    data.world.org.save()
    assert _enps(_scores(client, data.ex), "Front desk") is None


def test_keys_follow_language_and_version(data):
    org = Organization.objects.get(pk=data.world.org.pk)
    key = results_cache.kept_key(organization=org, kinds=("ex",), parts=("page", "ex"))
    with translation.override("fr"):
        assert results_cache.kept_key(organization=org, kinds=("ex",), parts=("page", "ex")) != key
    org.results_version += 1
    assert results_cache.kept_key(organization=org, kinds=("ex",), parts=("page", "ex")) != key


def test_nothing_is_kept_when_turned_off(data, settings):
    settings.TANDEM_RESULTS_CACHE_SECONDS = 0
    client = signed_in(data.world.hr_admin)
    _scores(client, data.ex)
    with CaptureQueriesContext(connection) as queries:
        _scores(client, data.ex)
    assert len(queries) > 5  # computed again: the rollups read


def test_a_cache_that_is_down_is_skipped(data, monkeypatch, caplog):
    monkeypatch.setattr(results_cache, "cache", CacheDown())
    client = signed_in(data.world.hr_admin)
    assert "Front desk" in main_of(client.get(EX_PAGE, {**MARCH_FILTER, "survey": data.ex.id}))
    assert _enps(_scores(client, data.ex), "Front desk") == 16.7
    assert "Could not read a kept dashboard" in caplog.text
