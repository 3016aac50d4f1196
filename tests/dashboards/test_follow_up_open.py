"""Opening a detractor's follow-up from the CX page by hand ("Open follow-up" on a row without
one): the alert a detractor rule would have raised, assigned to the CX manager who opened it,
found again by a second click, linked from the row once the kept page moves on.

The data: a customer survey "After visit", not anonymous, NPS then CSAT, in March 2026.
    Dana (agent) served, at Front desk in Lisbon on 4 March: NPS 2, CSAT 1 (a detractor twice)
    Front desk on 5 March: NPS 9, CSAT 5 (no detractor answer)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from dashboards.alerting.services import alert_rules_evaluate
from dashboards.models import Alert, AlertNote, OutboxKind, OutboxMessage
from responses.models import Response
from surveys.models import Organization, Role, SurveyKind
from tests.dashboards.dashdata import MARCH_FILTER, main_of, rebuild, signed_in, store
from tests.factories import (
    AlertRuleFactory,
    LocationFactory,
    MembershipFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    WebhookEndpointFactory,
)

pytestmark = pytest.mark.django_db

CX_PAGE = "/dashboards/cx/"
MESSAGE = (
    "Detractor response, served by Front desk · Lisbon · agent Dana: NPS 2 (“How likely to "
    "recommend us?”); CSAT 1 (“How satisfied?”). Follow up with the customer."
)


@dataclass
class Detractor:
    world: object
    response: Response
    fine: Response  # no detractor answer
    params: dict

    @property
    def url(self) -> str:
        return f"/dashboards/alerts/follow-ups/{self.response.id}/"


@pytest.fixture
def detractor(world) -> Detractor:
    survey = SurveyFactory(
        organization=world.org, kind=SurveyKind.CX, anonymous=False, title="After visit"
    )
    nps = QuestionFactory(survey=survey, type="nps", order=1, text="How likely to recommend us?")
    csat = QuestionFactory(survey=survey, type="csat", order=2, text="How satisfied?")
    lisbon = LocationFactory(organization=world.org, name="Lisbon")
    dana = PersonFactory(organization=world.org, team=world.team, name="Dana")
    store(
        survey=survey,
        team=world.team,
        location=lisbon,
        agent=dana,
        columns={nps: [2], csat: [1]},
        when=dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC),
    )
    store(
        survey=survey,
        team=world.team,
        columns={nps: [9], csat: [5]},
        when=dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC),
    )
    rebuild(survey)
    response, fine = survey.responses.order_by("submitted_at")
    return Detractor(world, response, fine, {**MARCH_FILTER, "survey": survey.id})


def _results_version(world) -> int:
    return Organization.objects.values_list("results_version", flat=True).get(pk=world.org.pk)


def test_a_follow_up_opened_without_a_rule_is_a_detractor_alert_assigned_to_its_opener(
    detractor, login
):
    world = detractor.world
    hook = WebhookEndpointFactory(organization=world.org, kind=SurveyKind.CX, on_alert=True)

    answer = login(world.cx_manager).post(detractor.url)

    alert = Alert.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/dashboards/alerts/{alert.id}/"
    assert (alert.rule, alert.metric, alert.survey_id) == (
        None,
        "detractor",
        detractor.response.survey_id,
    )
    # A detractor rule's fields for the whole organisation by month (the form's defaults).
    assert (alert.scope_key, alert.scope_label, alert.team_id) == (
        "org",
        "Front desk · Lisbon · agent Dana",
        world.team.id,
    )
    assert (alert.period_key, alert.period_label) == ("2026-03", "2026-03")
    assert (alert.response_id, alert.response_key) == (
        detractor.response.id,
        str(detractor.response.id),
    )
    assert alert.value == 2 and alert.message == MESSAGE  # the first low answer: NPS 2
    assert alert.status == "open" and alert.assignee == world.cx_manager.user
    assert alert.first_response_at == alert.created_at
    note = AlertNote.objects.get(alert=alert)
    assert note.author == world.cx_manager.user and "opened by" in note.body
    # No rule, so no owner to email; the alert webhooks as for every new alert.
    messages = OutboxMessage.objects.filter(alert=alert)
    assert [(m.kind, m.endpoint_id, m.payload["event"]) for m in messages] == [
        (OutboxKind.WEBHOOK, hook.id, "alert.created")
    ]
    assert messages[0].payload["alert"]["assignee"] == world.cx_manager.user.username


def test_a_second_click_finds_the_same_alert(detractor, login):
    client = login(detractor.world.cx_manager)

    first = client.post(detractor.url)
    second = client.post(detractor.url, follow=True)

    alert = Alert.objects.get()
    assert first["Location"] == second.redirect_chain[0][0] == f"/dashboards/alerts/{alert.id}/"
    assert "already has a follow-up" in second.content.decode()
    assert AlertNote.objects.count() == 1


def test_the_alert_of_a_detractor_rule_holding_the_response_is_the_rules(detractor, login):
    """A rule saved after the response (so it raised nothing): for Front desk, by quarter,
    owned by a CX manager with an address. A rule for Night shift does not hold the response."""
    world = detractor.world
    AlertRuleFactory(
        organization=world.org,
        kind=SurveyKind.CX,
        metric="detractor",
        scope="team",
        team=world.other_team,
    )
    rule = AlertRuleFactory(
        organization=world.org,
        kind=SurveyKind.CX,
        name="Front desk detractors",
        metric="detractor",
        period="quarter",
        scope="team",
        team=world.team,
        owners=[world.cx_manager.user],
    )

    login(world.cx_manager).post(detractor.url)

    alert = Alert.objects.get()
    assert alert.rule == rule
    assert (alert.scope_key, alert.period_key) == (f"team:{world.team.id}", "2026-Q1")
    assert alert.message == MESSAGE and alert.assignee == world.cx_manager.user
    emails = OutboxMessage.objects.filter(alert=alert, kind=OutboxKind.EMAIL)
    assert [m.target for m in emails] == [world.cx_manager.user.email]
    # The rule run again on that response raises no second alert.
    survey_id = detractor.response.survey_id
    assert alert_rules_evaluate(survey_id=survey_id, response_id=detractor.response.id) == []
    assert Alert.objects.count() == 1


def test_a_rule_saved_after_a_follow_up_opened_by_hand_raises_no_second_one(detractor, login):
    world = detractor.world
    login(world.cx_manager).post(detractor.url)
    AlertRuleFactory(organization=world.org, kind=SurveyKind.CX, metric="detractor")

    survey_id = detractor.response.survey_id
    assert alert_rules_evaluate(survey_id=survey_id, response_id=detractor.response.id) == []
    assert Alert.objects.count() == 1


def test_the_row_links_the_follow_up_once_opened_and_the_kept_page_moves_on(detractor):
    """The page is kept (dashboards.results_cache); the new alert moves the organisation's
    results version on, so the next view is computed again, with the row's link."""
    client = signed_in(detractor.world.cx_manager)
    before = client.get(CX_PAGE, detractor.params)
    html = before.content.decode()
    button = f'formaction="/dashboards/alerts/follow-ups/{detractor.response.id}/"'
    assert button in html and 'form="dashboard-actions"' in html
    # The form the buttons submit holds this request's CSRF token, outside the kept content.
    assert '<form id="dashboard-actions" method="post" hidden>' in html
    assert "csrfmiddlewaretoken" not in main_of(before)
    assert main_of(client.get(CX_PAGE, detractor.params)) == main_of(before)  # kept
    version = _results_version(detractor.world)

    client.post(detractor.url)

    alert = Alert.objects.get()
    assert _results_version(detractor.world) > version
    after = main_of(client.get(CX_PAGE, detractor.params))
    assert f'<a href="/dashboards/alerts/{alert.id}/">Alert (open)</a>' in after
    assert button not in after


def test_the_button_is_for_cx_managers_only(detractor, login):
    world = detractor.world
    page = login(world.team_lead).get(CX_PAGE, detractor.params).content.decode()
    assert "Open follow-up" not in page and 'id="dashboard-actions"' not in page
    assert page.count("<td>—</td>") == 1  # the detractor's follow-up cell


@pytest.mark.parametrize(
    ("role", "status"),
    [("hr_admin", 403), ("team_lead", 403), ("staff", 403), ("cx_manager", 302)],
)
def test_who_may_open_a_follow_up(detractor, login, role, status):
    answer = login(detractor.world.member(role)).post(detractor.url)
    assert answer.status_code == status
    assert Alert.objects.count() == (1 if status == 302 else 0)


def test_another_organisations_cx_manager_gets_a_404(detractor, login):
    outsider = MembershipFactory(
        organization=detractor.world.outsider.organization, role=Role.CX_MANAGER
    )
    assert login(outsider).post(detractor.url).status_code == 404
    assert not Alert.objects.exists()


def test_a_follow_up_is_opened_by_post_only(detractor, login):
    assert login(detractor.world.cx_manager).get(detractor.url).status_code == 405
    assert not Alert.objects.exists()


def test_a_response_with_no_detractor_answer_has_no_follow_up(detractor, login):
    answer = login(detractor.world.cx_manager).post(
        f"/dashboards/alerts/follow-ups/{detractor.fine.id}/"
    )
    assert answer.status_code == 400
    assert "no detractor answer" in answer.content.decode()
    assert not Alert.objects.exists()


@pytest.mark.parametrize(("kind", "anonymous"), [(SurveyKind.CX, True), (SurveyKind.EX, False)])
def test_no_follow_up_for_an_anonymous_survey_or_an_employee_one(world, login, kind, anonymous):
    survey = SurveyFactory(organization=world.org, kind=kind, anonymous=anonymous)
    csat = QuestionFactory(survey=survey, type="csat")
    store(survey=survey, team=world.team, columns={csat: [1]})
    response = survey.responses.get()

    answer = login(world.cx_manager).post(f"/dashboards/alerts/follow-ups/{response.id}/")

    assert answer.status_code == 403
    assert not Alert.objects.exists()
