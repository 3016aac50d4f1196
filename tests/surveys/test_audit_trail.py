"""Admin actions on surveys and their distribution are in the audit log: one entry per action,
with who did it to which object and a short detail; nothing when nothing changed. (`ex_survey`:
tests/surveys/conftest.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from surveys import distribution, services
from surveys.models import AuditLog, SurveyKind, SurveyStatus
from tests.factories import (
    CustomerLinkFactory,
    CycleFactory,
    InvitationFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
)

pytestmark = pytest.mark.django_db


def only_entry() -> AuditLog:
    [entry] = AuditLog.objects.all()
    return entry


def assert_entry(entry: AuditLog, *, membership, action: str, obj) -> None:
    assert (entry.user, entry.actor) == (membership.user, membership.user.username)
    assert (entry.organization, entry.action) == (membership.organization, action)
    assert (entry.object_type, entry.object_id) == (obj._meta.label_lower, str(obj.pk))


@pytest.fixture
def draft(world):
    survey = SurveyFactory(
        organization=world.org, title="Pulse", status=SurveyStatus.DRAFT, published_at=None
    )
    QuestionFactory(survey=survey)
    return survey


@pytest.fixture
def cx_survey(world):
    return SurveyFactory(organization=world.org, kind=SurveyKind.CX, title="After your visit")


# --- Publish, close, anonymity ----------------------------------------------------------------


def test_publishing_is_recorded_once(world, draft):
    services.survey_publish(survey=draft, user=world.hr_admin.user)
    services.survey_publish(survey=draft, user=world.hr_admin.user)  # live already: no-op
    entry = only_entry()
    assert_entry(entry, membership=world.hr_admin, action="survey.publish", obj=draft)
    assert entry.detail == {"title": "Pulse", "kind": "ex"}


def test_a_refused_publish_records_nothing(world, draft):
    draft.questions.all().delete()
    with pytest.raises(ValidationError):
        services.survey_publish(survey=draft, user=world.hr_admin.user)
    assert not AuditLog.objects.exists()


def test_closing_is_recorded_once(world, ex_survey):
    services.survey_close(survey=ex_survey, user=world.hr_admin.user)
    services.survey_close(survey=ex_survey, user=world.hr_admin.user)
    assert_entry(only_entry(), membership=world.hr_admin, action="survey.close", obj=ex_survey)


def test_publish_and_close_pages_record_who_and_from_where(world, login, draft):
    client = login(world.hr_admin)
    client.post(reverse("surveys:publish", args=[draft.pk]))
    client.post(reverse("surveys:close", args=[draft.pk]))
    publish, close = AuditLog.objects.order_by("id")
    assert_entry(publish, membership=world.hr_admin, action="survey.publish", obj=draft)
    assert_entry(close, membership=world.hr_admin, action="survey.close", obj=draft)
    assert close.ip == "127.0.0.1"


def test_publishing_through_the_api_is_one_entry_saying_so(world, api_login, draft):
    path = reverse("api-survey-publish", args=[draft.pk])
    assert api_login(world.hr_admin).post(path).status_code == 200
    entry = only_entry()  # the service's: the middleware adds no generic api.post beside it
    assert_entry(entry, membership=world.hr_admin, action="survey.publish", obj=draft)
    assert entry.detail == {"title": "Pulse", "kind": "ex", "via": "api"}


def test_a_no_op_api_call_keeps_its_generic_entry(world, api_login, ex_survey):
    """Publishing a live survey changes nothing: no survey.publish, the call itself logged."""
    path = reverse("api-survey-publish", args=[ex_survey.pk])
    assert api_login(world.hr_admin).post(path).status_code == 200
    assert only_entry().action == "api.post"


def test_an_anonymity_change_is_recorded_and_other_settings_are_not(world, draft):
    services.survey_update(survey=draft, user=world.hr_admin.user, title="Pulse 2")
    assert not AuditLog.objects.exists()
    services.survey_update(survey=draft, user=world.hr_admin.user, anonymous=False)
    entry = only_entry()
    assert_entry(entry, membership=world.hr_admin, action="survey.anonymity", obj=draft)
    assert entry.detail == {"anonymous": {"from": True, "to": False}}


def test_the_settings_page_records_an_anonymity_change(world, login, draft):
    data = {"title": "Pulse", "thank_you": "Thanks", "language": "en"}  # anonymous unticked
    response = login(world.hr_admin).post(reverse("surveys:edit", args=[draft.pk]), data)
    assert response.status_code == 302
    assert_entry(only_entry(), membership=world.hr_admin, action="survey.anonymity", obj=draft)


# --- Sending and reminding --------------------------------------------------------------------


def test_a_send_is_one_entry_with_teams_and_count(world, ex_survey):
    sent = distribution.invitations_send(
        survey=ex_survey, teams=[world.team], user=world.hr_admin.user
    )
    distribution.invitations_send(survey=ex_survey, teams=[world.team], user=world.hr_admin.user)
    assert sent == 2
    entry = only_entry()  # the second send invited nobody
    assert_entry(entry, membership=world.hr_admin, action="invitations.send", obj=ex_survey)
    assert entry.detail == {"teams": "Front desk", "round": 1, "invitations": 2, "resent": 0}


def test_the_send_page_records_the_whole_organisation(world, login, ex_survey):
    response = login(world.hr_admin).post(
        f"/surveys/{ex_survey.pk}/distribution/send/", {"whole_org": "on", "confirm": "1"}
    )
    assert response.status_code == 302
    entry = only_entry()
    assert_entry(entry, membership=world.hr_admin, action="invitations.send", obj=ex_survey)
    assert (entry.detail["teams"], entry.detail["invitations"]) == ("whole organisation", 3)


def test_sending_through_the_api_is_one_entry(world, api_login, ex_survey):
    path = f"/api/v1/surveys/{ex_survey.pk}/invitations/"
    response = api_login(world.hr_admin).post(path, {"teams": [world.other_team.pk]}, format="json")
    assert response.json() == {"sent": 1}
    entry = only_entry()
    assert_entry(entry, membership=world.hr_admin, action="invitations.send", obj=ex_survey)
    assert entry.detail == {
        "teams": "Night shift",
        "round": 1,
        "invitations": 1,
        "resent": 0,
        "via": "api",
    }


def test_a_reminder_is_one_entry_with_its_count(
    world, ex_survey, django_capture_on_commit_callbacks
):
    cycle = CycleFactory(survey=ex_survey, number=1)
    yesterday = timezone.now() - dt.timedelta(days=1)
    for _ in range(2):
        InvitationFactory(survey=ex_survey, cycle=cycle, sent_at=yesterday)
    with django_capture_on_commit_callbacks(execute=True):  # the emails go: reminded_at is set
        assert distribution.invitations_remind(survey=ex_survey, user=world.hr_admin.user) == 2
    assert distribution.invitations_remind(survey=ex_survey, user=world.hr_admin.user) == 0
    entry = only_entry()
    assert_entry(entry, membership=world.hr_admin, action="invitations.remind", obj=ex_survey)
    assert entry.detail == {"round": 1, "reminders": 2}


def test_the_reminder_button_is_recorded(world, login, ex_survey):
    cycle = CycleFactory(survey=ex_survey, number=1)
    InvitationFactory(survey=ex_survey, cycle=cycle, sent_at=timezone.now() - dt.timedelta(days=1))
    login(world.hr_admin).post(f"/surveys/{ex_survey.pk}/distribution/remind/")
    assert_entry(
        only_entry(), membership=world.hr_admin, action="invitations.remind", obj=ex_survey
    )


def test_a_pulse_run_is_recorded_as_the_systems_send(world, ex_survey):
    with time_machine.travel(dt.datetime(2030, 1, 6, 12, tzinfo=dt.UTC), tick=False):
        distribution.pulse_schedule_save(
            survey=ex_survey,
            frequency="weekly",
            teams=[],
            starts_on=dt.date(2030, 1, 7),
            remind_after_days=None,
        )
    AuditLog.objects.all().delete()
    with time_machine.travel(dt.datetime(2030, 1, 7, 10, tzinfo=dt.UTC), tick=False):
        distribution.pulses_tick()
    entry = only_entry()
    assert (entry.user, entry.actor, entry.action) == (None, "", "invitations.send")
    assert entry.detail["invitations"] == 3


# --- Pulse schedule ---------------------------------------------------------------------------


def save_pulse(survey, user, **changes):
    settings = {
        "frequency": "weekly",
        "teams": [],
        "starts_on": dt.date(2030, 1, 7),
        "remind_after_days": 2,
        "active": True,
        **changes,
    }
    with time_machine.travel(dt.datetime(2030, 1, 6, 12, tzinfo=dt.UTC), tick=False):
        return distribution.pulse_schedule_save(survey=survey, user=user, **settings)


def test_pulse_create_edit_stop_restart_are_each_one_entry(world, ex_survey):
    user = world.hr_admin.user
    save_pulse(ex_survey, user)
    save_pulse(ex_survey, user)  # the same settings again: nothing
    save_pulse(ex_survey, user, frequency="monthly", teams=[world.team])
    save_pulse(ex_survey, user, frequency="monthly", teams=[world.team], active=False)
    save_pulse(ex_survey, user, frequency="monthly", teams=[world.team])
    entries = list(AuditLog.objects.order_by("id"))
    assert [e.action for e in entries] == [
        "pulse.create",
        "pulse.edit",
        "pulse.stop",
        "pulse.restart",
    ]
    for entry in entries:
        assert_entry(entry, membership=world.hr_admin, action=entry.action, obj=ex_survey)
    assert entries[0].detail == {
        "frequency": "weekly",
        "teams": "whole organisation",
        "starts_on": "2030-01-07",
        "remind_after_days": 2,
        "active": True,
    }
    assert entries[1].detail == {
        "frequency": {"from": "weekly", "to": "monthly"},
        "teams": {"from": "whole organisation", "to": "Front desk"},
    }
    assert entries[2].detail == {"active": {"from": True, "to": False}}


def test_the_schedule_page_records_the_new_pulse(world, login, ex_survey):
    with time_machine.travel(dt.datetime(2029, 12, 3, 12, tzinfo=dt.UTC), tick=False):
        response = login(world.hr_admin).post(
            f"/surveys/{ex_survey.pk}/distribution/schedule/",
            {"frequency": "biweekly", "starts_on": "2030-01-07", "active": "on"},
        )
    assert response.status_code == 302
    entry = only_entry()
    assert_entry(entry, membership=world.hr_admin, action="pulse.create", obj=ex_survey)
    assert entry.detail["frequency"] == "biweekly"


# --- Customer links ---------------------------------------------------------------------------


def test_creating_a_link_is_recorded_by_ids_without_the_agents_name(world, cx_survey):
    agent = PersonFactory(organization=world.org, team=world.team, name="Alex Bauer")
    link = distribution.customer_link_create(
        survey=cx_survey, team=world.team, agent=agent, label="", user=world.cx_manager.user
    )
    assert link.label == "Alex Bauer"
    entry = only_entry()
    assert_entry(entry, membership=world.cx_manager, action="customer_link.create", obj=link)
    assert entry.detail == {
        "survey": cx_survey.pk,
        "team": world.team.pk,
        "location": world.team.location_id,
        "agent": agent.pk,
    }


def test_switching_a_link_off_and_on_is_recorded_once_each(world, cx_survey):
    link = CustomerLinkFactory(survey=cx_survey, team=world.team, location=world.team.location)
    user = world.cx_manager.user
    distribution.customer_link_switch(link=link, active=False, user=user)
    distribution.customer_link_switch(link=link, active=False, user=user)  # off already
    distribution.customer_link_switch(link=link, active=True, user=user)
    distribution.customer_link_switch(link=link, active=True, user=user)  # on already
    off, on = AuditLog.objects.order_by("id")
    assert_entry(off, membership=world.cx_manager, action="customer_link.deactivate", obj=link)
    assert_entry(on, membership=world.cx_manager, action="customer_link.activate", obj=link)
    assert on.detail == {
        "survey": cx_survey.pk,
        "team": world.team.pk,
        "location": world.team.location_id,
    }


def test_link_pages_record_create_and_switch(world, login, cx_survey):
    client = login(world.cx_manager)
    client.post(f"/surveys/{cx_survey.pk}/distribution/links/", {"label": "Till"})
    link = cx_survey.links.get()
    client.post(f"/surveys/{cx_survey.pk}/distribution/links/{link.pk}/deactivate/")
    created, off = AuditLog.objects.order_by("id")
    assert_entry(created, membership=world.cx_manager, action="customer_link.create", obj=link)
    assert_entry(off, membership=world.cx_manager, action="customer_link.deactivate", obj=link)


@pytest.mark.parametrize("role", ["team_lead", "staff"])
def test_refused_visitors_leave_no_entry(world, login, cx_survey, role):
    link = CustomerLinkFactory(survey=cx_survey, team=world.team)
    path = f"/surveys/{cx_survey.pk}/distribution/links/{link.pk}/deactivate/"
    assert login(world.member(role)).post(path).status_code == 403
    assert login(world.outsider).post(path).status_code == 404
    assert not AuditLog.objects.exists()
