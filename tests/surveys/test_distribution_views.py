from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db.models import F

from surveys.distribution import pulses_tick
from surveys.models import CustomerLink, Invitation, PulseSchedule, SurveyKind, SurveyStatus
from tests.factories import (
    CustomerLinkFactory,
    CycleFactory,
    DepartmentFactory,
    InvitationFactory,
    LocationFactory,
    PersonFactory,
    SurveyFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cx_survey(world):
    return SurveyFactory(organization=world.org, kind=SurveyKind.CX, title="After your visit")


def url(survey, suffix=""):
    return f"/surveys/{survey.pk}/distribution/{suffix}"


# --- Who may see the pages -------------------------------------------------------------------------


def test_hr_admin_sees_the_ex_distribution_page(login, world, ex_survey):
    page = login(world.hr_admin).get(url(ex_survey))
    assert page.status_code == 200
    assert b"Send invitations" in page.content
    assert b"Nobody has been invited yet." in page.content


def test_cx_manager_sees_the_cx_distribution_page(login, world, cx_survey):
    page = login(world.cx_manager).get(url(cx_survey))
    assert page.status_code == 200
    assert b"New customer link" in page.content


@pytest.mark.parametrize("role", ["cx_manager", "team_lead", "staff"])
def test_colleagues_without_the_role_are_refused(login, world, ex_survey, role):
    assert login(world.member(role)).get(url(ex_survey)).status_code == 403
    assert (
        login(world.member(role)).post(url(ex_survey, "send/"), {"whole_org": "on"}).status_code
        == 403
    )


def test_outsider_gets_404(login, world, ex_survey, cx_survey):
    client = login(world.outsider)
    assert client.get(url(ex_survey)).status_code == 404
    assert client.post(url(ex_survey, "send/"), {"whole_org": "on"}).status_code == 404
    assert client.post(url(ex_survey, "remind/")).status_code == 404
    assert client.get(url(ex_survey, "schedule/")).status_code == 404
    assert Invitation.objects.count() == 0


def test_signed_out_visitor_is_sent_to_sign_in(client, ex_survey):
    assert client.get(url(ex_survey))["Location"].startswith("/accounts/login/")


def test_wrong_methods_are_refused(login, world, ex_survey, cx_survey):
    hr = login(world.hr_admin)
    assert hr.post(url(ex_survey)).status_code == 405
    assert hr.get(url(ex_survey, "send/")).status_code == 405
    assert hr.get(url(ex_survey, "remind/")).status_code == 405
    cx = login(world.cx_manager)
    assert cx.get(url(cx_survey, "links/")).status_code == 405


# --- EX: send, remind, participation, schedule ------------------------------------------------------


def test_sending_to_the_whole_organisation(
    login, world, ex_survey, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.hr_admin).post(
            url(ex_survey, "send/"), {"whole_org": "on", "confirm": "1"}
        )
    assert response.status_code == 302
    assert Invitation.objects.filter(survey=ex_survey).count() == 3
    assert len(mail.outbox) == 3
    page = login(world.hr_admin).get(url(ex_survey))
    assert b"3 invitations sent." in page.content
    assert b"Front desk" in page.content


def test_sending_to_one_team(login, world, ex_survey):
    login(world.hr_admin).post(
        url(ex_survey, "send/"), {"teams": [world.other_team.pk], "confirm": "1"}
    )
    assert list(Invitation.objects.values_list("team", flat=True)) == [world.other_team.pk]


def test_sending_to_nobody_is_an_inline_error(login, world, ex_survey):
    page = login(world.hr_admin).post(url(ex_survey, "send/"), {})
    assert page.status_code == 400
    assert b"Pick the whole organisation or at least one team." in page.content


def test_sending_a_draft_shows_why(login, world, ex_survey):
    ex_survey.status = "draft"
    ex_survey.save()
    page = login(world.hr_admin).post(url(ex_survey, "send/"), {"whole_org": "on"})
    assert page.status_code == 400
    assert b"Publish the survey before sending it." in page.content


def test_reminder_button(login, world, ex_survey, django_capture_on_commit_callbacks):
    client = login(world.hr_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(ex_survey, "send/"), {"whole_org": "on", "confirm": "1"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url(ex_survey, "remind/")).status_code == 302
    assert mail.outbox == []  # just invited: nobody is reminded within 12 hours
    assert (
        b"Nobody to remind: everyone invited has answered, or was invited or reminded in the last 12 hours."
        in client.get(url(ex_survey)).content
    )
    # 13 hours later (moved back rather than the clock on, which would end the session)
    Invitation.objects.update(sent_at=F("sent_at") - dt.timedelta(hours=13))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(ex_survey, "remind/"))
    assert response.status_code == 302
    assert len(mail.outbox) == 3
    assert (
        b"Reminder sent to 3 people who have not answered yet (nobody invited or reminded in the "
        b"last 12 hours is reminded). Every link they were sent keeps working."
    ) in client.get(url(ex_survey)).content


def test_one_person_is_counted_in_the_singular(
    login, world, ex_survey, django_capture_on_commit_callbacks
):
    client = login(world.hr_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(ex_survey, "send/"), {"teams": [world.other_team.pk], "confirm": "1"})
    assert "1 invitation sent." in client.get(url(ex_survey)).content.decode()
    Invitation.objects.update(sent_at=F("sent_at") - dt.timedelta(hours=13))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(ex_survey, "remind/"))
    page = client.get(url(ex_survey)).content.decode()
    assert (
        "Reminder sent to 1 person who has not answered yet (nobody invited or reminded in the "
        "last 12 hours is reminded). Every link they were sent keeps working."
    ) in page


def test_reminder_with_nobody_invited_says_so(login, world, ex_survey):
    client = login(world.hr_admin)
    client.post(url(ex_survey, "remind/"))
    page = client.get(url(ex_survey)).content.decode()
    assert "Nobody has been invited yet, so there is nobody to remind." in page
    assert "Reminder sent to 0" not in page


def test_invitation_pages_are_not_for_cx_surveys(login, world, cx_survey):
    # CX surveys have no invitations (404); an HR admin does not author CX surveys (403).
    client = login(world.cx_manager)
    assert client.post(url(cx_survey, "send/"), {"whole_org": "on"}).status_code == 404
    assert client.get(url(cx_survey, "schedule/")).status_code == 404
    assert login(world.hr_admin).get(url(cx_survey)).status_code == 403


def test_pulse_schedule_form(login, world, ex_survey):
    with time_machine.travel(dt.datetime(2029, 12, 3, 12, tzinfo=dt.UTC), tick=False):
        client = login(world.hr_admin)
        assert client.get(url(ex_survey, "schedule/")).status_code == 200
        response = client.post(
            url(ex_survey, "schedule/"),
            {
                "frequency": "biweekly",
                "starts_on": "2030-01-07",
                "remind_after_days": "2",
                "active": "on",
                "teams": [world.team.pk],
            },
        )
    assert response.status_code == 302
    schedule = PulseSchedule.objects.get(survey=ex_survey)
    assert schedule.frequency == "biweekly"
    assert schedule.next_run_at == dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC)
    assert list(schedule.teams.all()) == [world.team]
    page = client.get(url(ex_survey))
    assert b"Every two weeks" in page.content
    # Editing shows what is saved.
    assert b'value="2030-01-07"' in client.get(url(ex_survey, "schedule/")).content


def test_pulse_schedule_form_shows_errors(login, world, ex_survey):
    page = login(world.hr_admin).post(
        url(ex_survey, "schedule/"),
        {"frequency": "weekly", "starts_on": "", "remind_after_days": "90"},
    )
    assert page.status_code == 400
    assert PulseSchedule.objects.count() == 0


def test_pulse_schedule_refuses_a_past_start_and_a_reminder_after_the_round(
    login, world, ex_survey
):
    page = login(world.hr_admin).post(
        url(ex_survey, "schedule/"),
        {"frequency": "weekly", "starts_on": "2020-01-01", "remind_after_days": "10"},
    )
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert errors["starts_on"] == [
        "The first round cannot be in the past: pick today or a later date."
    ]
    assert "remind after at most 6 days" in errors["remind_after_days"][0]
    assert PulseSchedule.objects.count() == 0


@pytest.mark.parametrize("starts_on", ["9999-12-31", "2027-02-28"])
def test_pulse_schedule_refuses_a_start_more_than_a_year_ahead(login, world, ex_survey, starts_on):
    with time_machine.travel(dt.datetime(2026, 2, 27, 12, tzinfo=dt.UTC), tick=False):
        page = login(world.hr_admin).post(
            url(ex_survey, "schedule/"), {"frequency": "weekly", "starts_on": starts_on}
        )
    assert page.status_code == 400
    assert 'max="2027-02-27"' in page.content.decode()  # the date picker stops there too
    assert page.context["form"].errors["starts_on"] == [
        "The first round cannot be more than 365 days ahead: pick a date up to 27 February 2027."
    ]
    assert PulseSchedule.objects.count() == 0


def test_editing_a_pulse_keeps_its_past_start_and_shows_the_upcoming_round(login, world, ex_survey):
    data = {
        "frequency": "weekly",
        "starts_on": "2026-03-02",  # a Monday
        "remind_after_days": "3",
        "active": "on",
    }
    with time_machine.travel(dt.datetime(2026, 2, 27, 12, tzinfo=dt.UTC), tick=False):
        client = login(world.hr_admin)
        assert client.post(url(ex_survey, "schedule/"), data).status_code == 302
    with time_machine.travel(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC), tick=False):
        client = login(world.hr_admin)
        response = client.post(url(ex_survey, "schedule/"), data | {"remind_after_days": "2"})
        assert response.status_code == 302
        page = client.get(url(ex_survey)).content.decode()
    assert PulseSchedule.objects.get().next_run_at == dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC)
    assert "Next round: Monday 20 April 2026, 09:00 UTC." in page
    assert "next round Mon 20 Apr 2026, 09:00 UTC" in page


def test_send_says_what_a_scheduled_pulse_does_to_the_round(
    login, world, ex_survey, django_capture_on_commit_callbacks
):
    data = {"frequency": "weekly", "starts_on": "2026-03-02", "active": "on"}
    with time_machine.travel(dt.datetime(2026, 2, 27, 12, tzinfo=dt.UTC), tick=False):
        client = login(world.hr_admin)
        assert "send-pulse-note" not in client.get(url(ex_survey)).content.decode()
        client.post(url(ex_survey, "schedule/"), data | {"teams": [world.team.pk]})
        page = client.get(url(ex_survey)).content.decode()
        assert (
            "Its next run (Mon 2 Mar 2026, 09:00 UTC) does not close the round you send now: it "
            "invites the pulse's teams to that round, which then closes when the pulse opens the "
            "round after."
        ) in page
        client.post(url(ex_survey, "send/"), {"teams": [world.other_team.pk], "confirm": "1"})
        page = client.get(url(ex_survey)).content.decode()
        assert "does not close round 1, sent by hand: it invites" in page
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 1, tzinfo=dt.UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            pulses_tick()
        page = login(world.hr_admin).get(url(ex_survey)).content.decode()
    assert (
        "A pulse is running: people you send to now join round 1, which closes "
        "Mon 9 Mar 2026, 09:00 UTC, when the pulse opens the next round."
    ) in page


# --- CX: customer links and QR codes ---------------------------------------------------------------


def test_creating_a_customer_link(login, world, cx_survey):
    client = login(world.cx_manager)
    response = client.post(url(cx_survey, "links/"), {"label": "Till 2", "team": world.team.pk})
    assert response.status_code == 302
    link = CustomerLink.objects.get()
    assert (link.team, link.location, link.created_by) == (
        world.team,
        world.team.location,
        world.cx_manager.user,
    )
    page = client.get(url(cx_survey))
    assert b"Till 2" in page.content
    assert b"http://127.0.0.1:8000/r/c/" in page.content


def test_customer_link_for_another_organisations_team_is_refused(login, world, cx_survey):
    other = login(world.outsider)  # sanity: outsider can't even reach it
    assert other.post(url(cx_survey, "links/"), {"label": "x"}).status_code == 404
    page = login(world.cx_manager).post(url(cx_survey, "links/"), {"team": "999999"})
    assert page.status_code == 400
    assert CustomerLink.objects.count() == 0


def test_customer_link_for_a_team_at_another_location_is_refused(login, world, cx_survey):
    portland = LocationFactory(organization=world.org, name="Portland Pearl")
    page = login(world.cx_manager).post(
        url(cx_survey, "links/"),
        {"label": "Till 2", "team": world.team.pk, "location": portland.pk},
    )
    assert page.status_code == 400
    body = page.content.decode()
    assert f"Front desk is at {world.team.location}, not Portland Pearl" in body
    assert CustomerLink.objects.count() == 0


@pytest.mark.parametrize(("fmt", "start"), [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_qr_code_download(login, world, cx_survey, fmt, start):
    link = CustomerLinkFactory(survey=cx_survey, team=world.team)
    response = login(world.cx_manager).get(url(cx_survey, f"links/{link.pk}/qr.{fmt}?download=1"))
    assert response.status_code == 200
    assert response.content.startswith(start)
    assert response["Content-Disposition"] == f'attachment; filename="tandem-link-{link.pk}.{fmt}"'


def test_qr_code_of_another_surveys_link_or_format_is_404(login, world, cx_survey):
    other_link = CustomerLinkFactory(survey=SurveyFactory(organization=world.org, kind="cx"))
    client = login(world.cx_manager)
    assert client.get(url(cx_survey, f"links/{other_link.pk}/qr.png")).status_code == 404
    link = CustomerLinkFactory(survey=cx_survey, team=world.team)
    assert client.get(url(cx_survey, f"links/{link.pk}/qr.gif")).status_code == 404
    assert login(world.outsider).get(url(cx_survey, f"links/{link.pk}/qr.png")).status_code == 404


def test_links_list_shows_scope_without_a_stray_separator_and_a_copy_button(
    login, world, cx_survey
):
    agent = PersonFactory(organization=world.org, team=world.team, name="Alex Bauer")
    link = CustomerLinkFactory(survey=cx_survey, team=None, location=None, agent=agent)
    page = login(world.cx_manager).get(url(cx_survey)).content.decode()
    assert '<div class="small">Agent: Alex Bauer</div>' in page
    assert "· Agent" not in page
    # Without JavaScript the button stays hidden and the whole URL is there to select.
    assert (
        f'<textarea class="form-control form-control-sm link-url" id="link-url-{link.pk}"' in page
    )
    assert f'data-copy="link-url-{link.pk}" hidden>Copy' in page
    assert "js/copy.js" in page


def test_agent_choices_are_active_people_in_a_team_by_name(login, world, cx_survey):
    PersonFactory(organization=world.org, team=world.other_team, name="Zoe Night")
    PersonFactory(organization=world.org, team=world.team, name="Anna Front")
    PersonFactory(organization=world.org, team=None, name="Hal Headoffice")
    PersonFactory(organization=world.org, team=world.team, name="Lee Left", is_active=False)
    PersonFactory(team=None, name="Otto Otherorg")
    form = login(world.cx_manager).get(url(cx_survey)).context["link_form"]
    field = form.fields["agent"]
    assert [field.label_from_instance(p) for p in field.queryset] == [
        "Anna Front (Front desk)",
        "Zoe Night (Night shift)",
    ]


def test_closed_survey_offers_and_takes_no_new_customer_link(login, world, cx_survey):
    cx_survey.status = SurveyStatus.CLOSED
    cx_survey.save()
    client = login(world.cx_manager)
    page = client.get(url(cx_survey)).content.decode()
    assert "This survey is closed, so no customer link can be created." in page
    assert url(cx_survey, "links/") not in page
    response = client.post(url(cx_survey, "links/"), {"label": "Till 2", "team": world.team.pk})
    assert response.status_code == 400
    assert "This survey is closed, so no customer link can be created." in response.content.decode()
    assert not CustomerLink.objects.exists()


def test_switching_a_link_off(login, world, cx_survey):
    link = CustomerLinkFactory(survey=cx_survey, team=world.team)
    assert (
        login(world.cx_manager).get(url(cx_survey, f"links/{link.pk}/deactivate/")).status_code
        == 405
    )
    response = login(world.cx_manager).post(url(cx_survey, f"links/{link.pk}/deactivate/"))
    assert response.status_code == 302
    link.refresh_from_db()
    assert not link.active


def test_switching_a_link_back_on(login, world, cx_survey, client):
    """An off link offers "Switch on"; switched on, its URL takes answers again."""
    from surveys.distribution import customer_link_signed

    link = CustomerLinkFactory(survey=cx_survey, team=world.team, active=False)
    manager = login(world.cx_manager)
    assert (
        url(cx_survey, f"links/{link.pk}/activate/") in manager.get(url(cx_survey)).content.decode()
    )
    assert client.get(f"/r/c/{customer_link_signed(link)}/").status_code == 410
    response = manager.post(url(cx_survey, f"links/{link.pk}/activate/"), follow=True)
    assert "switched on" in response.content.decode()
    link.refresh_from_db()
    assert link.active
    assert client.get(f"/r/c/{customer_link_signed(link)}/").status_code == 200


def test_survey_page_links_to_distribution(login, world, ex_survey):
    page = login(world.hr_admin).get(f"/surveys/{ex_survey.pk}/")
    assert url(ex_survey).encode() in page.content


# --- EX: choosing teams and reviewing a send -----------------------------------------------------


@pytest.fixture
def sales(world):
    """Sales: "Bulk Team 2" with 2 active people and 1 who left, "Bulk Team 10" with 1 person,
    "bulk team 1" with nobody."""
    department = DepartmentFactory(organization=world.org, name="Sales")
    teams = {
        name: TeamFactory(organization=world.org, department=department, name=name)
        for name in ("Bulk Team 10", "Bulk Team 2", "bulk team 1")
    }
    for team, active in ((teams["Bulk Team 2"], True),) * 2 + (
        (teams["Bulk Team 2"], False),
        (teams["Bulk Team 10"], True),
    ):
        PersonFactory(organization=world.org, team=team, is_active=active)
    return department, teams


def test_send_shows_a_review_and_sends_nothing_until_confirmed(
    login, world, ex_survey, sales, django_capture_on_commit_callbacks
):
    department, teams = sales
    cycle = CycleFactory(survey=ex_survey, number=1)
    already = teams["Bulk Team 2"].people.filter(is_active=True).first()
    InvitationFactory(survey=ex_survey, cycle=cycle, person=already, sent_at=cycle.opens_at)
    client = login(world.hr_admin)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url(ex_survey, "send/"), {"departments": [department.pk]})
    assert page.status_code == 200
    assert Invitation.objects.count() == 1  # only the one made above
    assert mail.outbox == []
    body = page.content.decode()
    # Sales: 2 active in Bulk Team 2 + 1 in Bulk Team 10 = 3 people, 1 of them invited already.
    assert "to <strong>3 people</strong> in 3 teams:" in body
    assert body.index("bulk team 1") < body.index("Bulk Team 2") < body.index("Bulk Team 10")
    assert 'Bulk Team 2 <span class="text-body-secondary">· Sales</span> (2)' in body
    assert "2 people get an email with a personal link to answer." in body
    assert "1 already invited to round 1 is not sent it again." in body
    assert "Nothing has been sent yet." in body
    ids = [teams[name].pk for name in ("Bulk Team 10", "Bulk Team 2", "bulk team 1")]
    assert "?teams={}&amp;teams={}&amp;teams={}".format(*ids) in body  # Back keeps the choice
    for pk in ids:
        assert f'<input type="hidden" name="teams" value="{pk}">' in body

    data = {"teams": [team.pk for team in teams.values()], "confirm": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(ex_survey, "send/"), data)
    assert response.status_code == 302
    assert Invitation.objects.count() == 3
    assert len(mail.outbox) == 2
    assert already.email not in [message.to[0] for message in mail.outbox]


def test_review_of_the_whole_organisation_lists_teams_with_people(login, world, ex_survey, sales):
    page = login(world.hr_admin).post(url(ex_survey, "send/"), {"whole_org": "on"})
    body = page.content.decode()
    # Front desk 2 + Night shift 1 + Bulk Team 2 2 + Bulk Team 10 1; bulk team 1 is empty.
    assert "to <strong>6 people</strong> in the whole organisation, 4 teams:" in body
    assert "bulk team 1" not in body
    assert "6 people get an email" in body
    assert "already invited" not in body
    assert Invitation.objects.count() == 0


def _team_choice(body: str, prefix: str) -> str:
    """The team picker's part of a page, checked to be grouped by department in natural order,
    with active people counted by hand from the `sales` fixture."""
    section = body[body.index(f'id="{prefix}-teams"') :]
    assert section.index(">Sales</legend>") < section.index("bulk team 1")
    assert section.index("bulk team 1") < section.index("Bulk Team 2")
    assert section.index("Bulk Team 2") < section.index("Bulk Team 10")
    assert 'bulk team 1 <span class="text-body-secondary">(0 people)</span>' in section
    assert 'Bulk Team 2 <span class="text-body-secondary">(2 people)</span>' in section
    assert 'Bulk Team 10 <span class="text-body-secondary">(1 person)</span>' in section
    return section


def test_team_choice_is_grouped_by_department_in_natural_order_with_people(
    login, world, ex_survey, sales
):
    department, teams = sales
    body = login(world.hr_admin).get(url(ex_survey)).content.decode()
    section = _team_choice(body, "send")
    assert f'name="departments" value="{department.pk}"' in section
    assert "All teams in Sales" in section


def test_back_from_the_review_keeps_the_teams_ticked(login, world, ex_survey, sales):
    _, teams = sales
    ticked = teams["Bulk Team 10"]
    body = login(world.hr_admin).get(url(ex_survey) + f"?teams={ticked.pk}").content.decode()
    assert f'value="{ticked.pk}" id="send-team-{ticked.pk}" checked' in body
    other = teams["Bulk Team 2"]
    assert f'value="{other.pk}" id="send-team-{other.pk}">' in body


def test_review_refuses_another_organisations_department(login, world, ex_survey):
    foreign = DepartmentFactory(organization=world.outsider.organization)
    page = login(world.hr_admin).post(url(ex_survey, "send/"), {"departments": [foreign.pk]})
    assert page.status_code == 400
    assert Invitation.objects.count() == 0


def test_pulse_team_choice_is_grouped_like_the_send_form(login, world, ex_survey, sales):
    body = login(world.hr_admin).get(url(ex_survey, "schedule/")).content.decode()
    section = _team_choice(body, "pulse")
    # A pulse keeps a list of teams: no "all teams of a department" choice.
    assert 'name="departments"' not in section


def test_pulse_team_choice_shows_the_saved_teams_ticked(login, world, ex_survey, sales):
    _, teams = sales
    saved, other = teams["Bulk Team 10"], teams["Bulk Team 2"]
    data = {"frequency": "weekly", "starts_on": "2030-01-07", "teams": [saved.pk]}
    with time_machine.travel(dt.datetime(2029, 12, 3, 12, tzinfo=dt.UTC), tick=False):
        client = login(world.hr_admin)
        assert client.post(url(ex_survey, "schedule/"), data).status_code == 302
        body = client.get(url(ex_survey, "schedule/")).content.decode()
        refused = client.post(url(ex_survey, "schedule/"), data | {"starts_on": ""})
    assert f'value="{saved.pk}" id="pulse-team-{saved.pk}" checked' in body
    assert f'value="{other.pk}" id="pulse-team-{other.pk}">' in body
    # A refused form keeps what was ticked.
    assert refused.status_code == 400
    assert f'id="pulse-team-{saved.pk}" checked' in refused.content.decode()
