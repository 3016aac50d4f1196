from __future__ import annotations

import datetime as dt
import re
from smtplib import SMTPException

import pytest
import time_machine
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from responses.models import Channel
from responses.selectors import invitation_for_token
from responses.services import response_submit
from surveys import distribution
from surveys.distribution import (
    LINK_SALT,
    LINK_STABLE_SALT,
    customer_link_create,
    customer_link_id,
    customer_link_qr,
    customer_link_signed,
    customer_link_url,
    invitation_email_deliver,
    invitations_remind,
    invitations_send,
    pulse_occurrence,
    pulse_schedule_save,
    pulses_tick,
)
from surveys.distribution_selectors import participation_by_team
from surveys.models import (
    Cycle,
    Invitation,
    InvitationToken,
    PulseSchedule,
    SurveyKind,
    SurveyStatus,
    token_hash,
)
from surveys.tasks import pulses_tick as pulses_tick_task
from tests.factories import (
    CycleFactory,
    InvitationFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
    invite_teams,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service as a request would: its after-commit work (emails) runs at the end."""

    def _run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return _run


@pytest.fixture
def ex_survey(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, title="Pulse")
    QuestionFactory(survey=survey, type="nps")
    return survey


@pytest.fixture
def staff(world):
    """Three active people in Front desk, two in Night shift, plus one who left."""
    front = [PersonFactory(organization=world.org, team=world.team) for _ in range(3)]
    night = [PersonFactory(organization=world.org, team=world.other_team) for _ in range(2)]
    PersonFactory(organization=world.org, team=world.team, is_active=False)
    return front + night


def tokens_in_outbox() -> list[str]:
    return [re.search(r"/r/i/([^/]+)/", m.body).group(1) for m in mail.outbox]


def answer(invitation_token: str):
    invitation = invitation_for_token(token=invitation_token)  # as the answer page finds it
    return response_submit(
        survey=invitation.survey,
        answers=[{"question": invitation.survey.questions.first().id, "value": 8}],
        team=invitation.team,
        invitation=invitation,
        channel=Channel.INVITATION,
    )


# --- Invitations ---------------------------------------------------------------------------------


def test_sending_to_the_whole_organisation_invites_every_active_person(ex_survey, staff, run):
    assert run(invitations_send, survey=ex_survey) == 5
    assert Invitation.objects.filter(survey=ex_survey).count() == 5
    cycle = Cycle.objects.get(survey=ex_survey)
    assert cycle.number == 1 and not cycle.closed
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in staff)
    assert all(i.sent_at is not None for i in Invitation.objects.all())


def test_each_email_carries_its_own_unguessable_token_stored_only_hashed(ex_survey, staff, run):
    run(invitations_send, survey=ex_survey)
    tokens = tokens_in_outbox()
    assert len(set(tokens)) == 5
    assert all(len(t) >= 32 for t in tokens)  # 24 random bytes = 192 bits
    hashes = set(Invitation.objects.values_list("token_hash", flat=True))
    assert {token_hash(t) for t in tokens} == hashes
    assert not hashes & set(tokens)
    assert mail.outbox[0].body.count("http://127.0.0.1:8000/r/i/") == 1
    assert "anonymous" in mail.outbox[0].body


def test_email_paragraphs_are_not_broken_mid_sentence(ex_survey, staff, run):
    """Mail clients wrap lines themselves: a hard break inside a sentence shows as a ragged
    line. Every line of the invitation and the reminder ends a paragraph, a sentence or a
    colon (the link, the greeting and the signature aside)."""
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        run(invitations_remind, survey=ex_survey)
    for email in (mail.outbox[0], mail.outbox[-1]):
        lines = [line for line in email.body.splitlines() if line.strip()]
        prose = [line for line in lines if "://" not in line]
        assert all(
            line.endswith((".", ":", ",", "!", "?", ex_survey.organization.name)) for line in prose
        ), email.body
    assert "results are only shown for groups large enough" in mail.outbox[0].body


def test_sending_to_chosen_teams_invites_only_them(ex_survey, staff, world, run):
    assert run(invitations_send, survey=ex_survey, teams=[world.other_team]) == 2
    assert set(Invitation.objects.values_list("team", flat=True)) == {world.other_team.pk}


def test_sending_again_invites_nobody_twice(ex_survey, staff, world, run):
    run(invitations_send, survey=ex_survey, teams=[world.team])
    assert run(invitations_send, survey=ex_survey) == 2  # only Night shift is new
    assert Invitation.objects.count() == 5
    assert len(mail.outbox) == 5


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"kind": SurveyKind.CX},
            "Invitations are for employee surveys; customer surveys use links.",
        ),
        ({"status": SurveyStatus.DRAFT}, "Publish the survey before sending it."),
        (
            {"status": SurveyStatus.CLOSED},
            "This survey is closed, so it cannot be sent. Duplicate it to run it again.",
        ),
    ],
)
def test_only_live_employee_surveys_are_sent(world, fields, error, run):
    survey = SurveyFactory(organization=world.org, **fields)
    with pytest.raises(ValidationError) as caught:
        run(invitations_send, survey=survey)
    assert caught.value.message_dict == {"survey": [error]}


def test_teams_of_another_organisation_are_refused(ex_survey, world, run):
    with pytest.raises(ValidationError) as caught:
        run(invitations_send, survey=ex_survey, teams=[TeamFactory()])
    assert "teams" in caught.value.message_dict


def test_email_task_sends_once_even_if_delivered_twice(ex_survey, staff, monkeypatch, run):
    monkeypatch.setattr(distribution, "_emails_queue", lambda pairs, kind: captured.extend(pairs))
    captured: list = []
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    invitation_id, token = captured[0]
    assert invitation_email_deliver(invitation_id=invitation_id, token=token, kind="invite")
    assert not invitation_email_deliver(invitation_id=invitation_id, token=token, kind="invite")
    assert not invitation_email_deliver(invitation_id=invitation_id, token="wrong", kind="invite")
    assert len(mail.outbox) == 1


def test_failed_email_can_be_retried(ex_survey, staff, monkeypatch, run):
    captured: list = []
    monkeypatch.setattr(distribution, "_emails_queue", lambda pairs, kind: captured.extend(pairs))
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    invitation_id, token = captured[0]

    def smtp_down(**kwargs):
        raise SMTPException("down")

    monkeypatch.setattr(distribution, "send_mail", smtp_down)
    with pytest.raises(SMTPException):
        invitation_email_deliver(invitation_id=invitation_id, token=token, kind="invite")
    assert Invitation.objects.get(pk=invitation_id).sent_at is None
    monkeypatch.undo()
    assert invitation_email_deliver(invitation_id=invitation_id, token=token, kind="invite")


def test_invitations_whose_email_was_lost_get_a_new_token_on_the_next_send(ex_survey, staff, run):
    cycle = CycleFactory(survey=ex_survey, number=1)
    lost = InvitationFactory(survey=ex_survey, cycle=cycle, person=staff[0], token_hash="x" * 64)
    Invitation.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert run(invitations_send, survey=ex_survey, teams=[staff[0].team]) == 3
    lost.refresh_from_db()
    assert lost.token_hash != "x" * 64 and lost.sent_at is not None


# --- Reminders -------------------------------------------------------------------------------------


def test_reminder_goes_to_those_who_have_not_answered_with_a_new_link(ex_survey, staff, run):
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    first_tokens = tokens_in_outbox()
    answer(first_tokens[0])
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert run(invitations_remind, survey=ex_survey) == 2
    assert all(m.subject == "Reminder: Pulse" for m in mail.outbox)
    new_tokens = tokens_in_outbox()
    assert not set(new_tokens) & set(first_tokens)
    assert Invitation.objects.filter(reminder_count=1, reminded_at__isnull=False).count() == 2


def test_the_invitation_link_still_works_after_a_reminder_until_it_is_used(
    ex_survey, staff, run, client
):
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    invited = tokens_in_outbox()
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        run(invitations_remind, survey=ex_survey)
        reminded = tokens_in_outbox()
        for token in invited + reminded:
            page = client.get(f"/r/i/{token}/")
            assert page.status_code == 200 and b"This link is not valid" not in page.content
        answer(reminded[0])
        for token in (invited[0], reminded[0]):
            assert client.get(f"/r/i/{token}/").status_code == 410  # already answered


def test_every_link_a_person_was_sent_keeps_working_after_several_reminders(
    ex_survey, staff, run, client
):
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    start = timezone.now()
    for days in (1, 2, 3):  # three reminders, a day apart
        with time_machine.travel(start + dt.timedelta(days=days)):
            run(invitations_remind, survey=ex_survey)
    tokens = tokens_in_outbox()
    assert len(tokens) == 3 * 4  # three people, an invitation and three reminders each
    mine = [t for t, m in zip(tokens, mail.outbox, strict=True) if m.to == [staff[0].email]]
    assert len(mine) == 4
    for token in mine:
        page = client.get(f"/r/i/{token}/")
        assert page.status_code == 200 and b"This link is not valid" not in page.content
    answer(mine[0])  # the first email's link, three reminders on
    for token in mine:  # each link now says the invitation was answered
        assert client.get(f"/r/i/{token}/").status_code == 410


def test_earlier_links_are_kept_only_hashed(ex_survey, staff, run):
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    start = timezone.now()
    for days in (1, 2):
        with time_machine.travel(start + dt.timedelta(days=days)):
            run(invitations_remind, survey=ex_survey)
    tokens = tokens_in_outbox()
    latest = set(Invitation.objects.values_list("token_hash", flat=True))
    earlier = set(InvitationToken.objects.values_list("token_hash", flat=True))
    assert len(latest) == 3 and len(earlier) == 6 and not latest & earlier
    assert latest | earlier == {token_hash(t) for t in tokens}
    assert not (latest | earlier) & set(tokens)


def test_earlier_links_stop_taking_answers_when_the_round_closes(weekly, ex_survey, run, client):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        run(pulses_tick)
    for day in (4, 5):  # the scheduled reminder, then one by hand
        with time_machine.travel(dt.datetime(2026, 3, day, 10, 0, tzinfo=UTC), tick=False):
            run(invitations_remind, survey=ex_survey)
    first_round = tokens_in_outbox()
    assert len(first_round) == 9
    with time_machine.travel(dt.datetime(2026, 3, 9, 9, 0, tzinfo=UTC), tick=False):
        run(pulses_tick)
        for token in first_round:
            page = client.get(f"/r/i/{token}/")
            assert page.status_code == 410 and b"This link is not valid" not in page.content
        with pytest.raises(ValidationError):
            answer(first_round[0])


def test_an_email_queued_before_a_reminder_is_not_sent_after_it(ex_survey, staff, run):
    """The earlier link works, but an email still carrying it is overtaken: only the latest
    token is sent, so nobody gets the reminder and a stale invitation at once."""
    captured: list = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(distribution, "_emails_queue", lambda pairs, kind: captured.extend(pairs))
        run(invitations_send, survey=ex_survey, teams=[staff[0].team])
        Invitation.objects.update(sent_at=timezone.now())  # as if sent, so it can be reminded
        with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
            run(invitations_remind, survey=ex_survey)
    (invitation_id, first), (_, second) = [p for p in captured if p[0] == captured[0][0]]
    Invitation.objects.filter(pk=invitation_id).update(sent_at=None)
    assert not invitation_email_deliver(invitation_id=invitation_id, token=first, kind="invite")
    assert invitation_email_deliver(invitation_id=invitation_id, token=second, kind="remind")
    assert len(mail.outbox) == 1


def test_someone_who_left_after_the_send_is_not_reminded(ex_survey, staff, run):
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    staff[0].is_active = False
    staff[0].save()
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert run(invitations_remind, survey=ex_survey) == 2
    assert staff[0].email not in {m.to[0] for m in mail.outbox}


def test_nobody_invited_in_the_last_12_hours_is_reminded(ex_survey, staff, run):
    start = timezone.now()
    run(invitations_send, survey=ex_survey, teams=[staff[0].team])
    mail.outbox.clear()
    with time_machine.travel(start + dt.timedelta(hours=11, minutes=59)):
        assert run(invitations_remind, survey=ex_survey) == 0
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=1)):
        assert run(invitations_remind, survey=ex_survey) == 3
    assert len(mail.outbox) == 3


def test_reminding_twice_in_a_row_emails_nobody_twice(ex_survey, staff, run):
    run(invitations_send, survey=ex_survey)
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert run(invitations_remind, survey=ex_survey) == 5
        assert run(invitations_remind, survey=ex_survey) == 0
    assert len(mail.outbox) == 5


# --- Participation ---------------------------------------------------------------------------------


def test_participation_per_team_hides_small_teams_and_their_complement(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)  # threshold 5
    cycle = CycleFactory(survey=survey, number=1)
    small = TeamFactory(organization=world.org, name="Tiny")
    # (invited, answered): hidden by respondents, as every figure is.
    invite_teams(
        survey=survey,
        cycle=cycle,
        plan={world.team: (8, 6), world.other_team: (6, 5), small: (2, 1)},
    )
    result = participation_by_team(survey=survey)
    rows = {row["team"]["name"]: row for row in result["teams"]}
    assert list(rows) == ["Front desk", "Night shift", "Tiny"]
    assert rows["Front desk"] == {
        "team": {"id": world.team.pk, "name": "Front desk"},
        "invited": 8,
        "answered": 6,
        "rate": 75.0,
        "suppressed": False,
    }
    # Tiny (1 respondent) is under 5; Night shift is hidden too, else Tiny = total - the others.
    for name in ("Tiny", "Night shift"):
        assert rows[name]["suppressed"] and rows[name]["rate"] is None
        assert rows[name]["answered"] is None and rows[name]["invited"] > 0
    assert result["total"] == {"invited": 16, "answered": 12, "rate": 75.0, "suppressed": False}
    assert result["cycle"] == 1 and result["threshold"] == 5


def test_participation_hides_a_team_with_many_invited_but_few_respondents(world):
    """Hidden by who answered, not by who was invited: 3 of 10 is a group of 3 respondents."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    cycle = CycleFactory(survey=survey, number=1)
    invite_teams(survey=survey, cycle=cycle, plan={world.team: (10, 3), world.other_team: (4, 0)})
    rows = {row["team"]["name"]: row for row in participation_by_team(survey=survey)["teams"]}
    assert rows["Front desk"]["suppressed"] and rows["Front desk"]["answered"] is None
    # Nobody answered: nothing to hide (no respondent to protect), as on the dashboards.
    assert rows["Night shift"] == {
        "team": {"id": world.other_team.pk, "name": "Night shift"},
        "invited": 4,
        "answered": 0,
        "rate": 0.0,
        "suppressed": False,
    }


def test_participation_hides_the_same_teams_as_the_ex_dashboard(world):
    """The distribution page and the EX page's participation table cannot fill each other in:
    both hide the same teams of the same round (they once hid by invited and by answered)."""
    from dashboards.selectors.participation import participation_by_group

    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    CycleFactory(survey=survey, number=1, closed=True)
    latest = CycleFactory(survey=survey, number=2)
    teams = [TeamFactory(organization=world.org, name=f"T{i}") for i in range(4)]
    plan = dict(zip(teams, [(4, 3), (10, 3), (12, 11), (11, 4)], strict=True))
    invite_teams(survey=survey, cycle=latest, plan=plan)
    distribution = participation_by_team(survey=survey)
    dashboard = [
        row
        for row in participation_by_group(survey=survey, group_by="team", by_cycle=True)
        if row["cycle"]["id"] == latest.pk
    ]
    hidden = {row["team"]["id"] for row in distribution["teams"] if row["suppressed"]}
    assert hidden == {row["group"]["id"] for row in dashboard if row["suppressed"]}
    assert hidden == {teams[0].pk, teams[1].pk, teams[3].pk}  # 3, 3 and 4 respondents


def test_participation_of_an_unsent_survey_is_empty(ex_survey):
    result = participation_by_team(survey=ex_survey)
    assert result["teams"] == [] and result["cycle"] is None
    assert result["total"]["invited"] == 0 and result["total"]["suppressed"]


# --- Customer links --------------------------------------------------------------------------------


@pytest.fixture
def cx_survey(world):
    return SurveyFactory(organization=world.org, kind=SurveyKind.CX)


def test_customer_link_takes_its_teams_location(cx_survey, world):
    link = customer_link_create(
        survey=cx_survey, team=world.team, label="", user=world.cx_manager.user
    )
    assert link.location == world.team.location
    assert link.label == "Front desk"
    assert customer_link_url(link).startswith("http://127.0.0.1:8000/r/c/")


def test_customer_link_named_after_its_agent_shows_no_email(cx_survey, world):
    agent = PersonFactory(
        organization=world.org, team=world.team, name="Alex Kim", email="alex.kim@acme.example"
    )
    link = customer_link_create(survey=cx_survey, agent=agent, label=" ", user=None)
    assert link.label == "Alex Kim"


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"team": True}, "Team: Front desk · Location: Harbour"),
        ({"agent": True}, "Agent: Alex Bauer"),
        ({"location": True, "agent": True}, "Location: Harbour · Agent: Alex Bauer"),
        ({}, ""),
    ],
)
def test_customer_link_scope_text_joins_only_what_the_link_has(cx_survey, world, scope, expected):
    from tests.factories import LocationFactory

    harbour = LocationFactory(organization=world.org, name="Harbour")
    world.team.location = harbour
    world.team.save()
    agent = PersonFactory(organization=world.org, team=world.other_team, name="Alex Bauer")
    link = customer_link_create(
        survey=cx_survey,
        team=world.team if "team" in scope else None,
        location=harbour if "location" in scope else None,
        agent=agent if "agent" in scope else None,
        label="Desk",
        user=None,
    )
    assert link.scope_text == expected


@pytest.mark.parametrize("field", ["team", "location", "agent"])
def test_customer_link_scope_must_be_in_the_organisation(cx_survey, world, field):
    from tests.factories import LocationFactory

    stranger = {"team": TeamFactory, "location": LocationFactory, "agent": PersonFactory}[field]()
    with pytest.raises(ValidationError) as caught:
        customer_link_create(survey=cx_survey, label="x", user=None, **{field: stranger})
    assert field in caught.value.message_dict


def test_customer_link_refuses_a_location_other_than_its_teams(cx_survey, world):
    from tests.factories import LocationFactory

    portland = LocationFactory(organization=world.org, name="Portland Pearl")
    with pytest.raises(ValidationError) as caught:
        customer_link_create(
            survey=cx_survey, team=world.team, location=portland, label="Desk", user=None
        )
    [message] = caught.value.message_dict["location"]
    assert f"Front desk is at {world.team.location}, not Portland Pearl" in message
    assert not cx_survey.links.exists()


def test_customer_link_takes_its_teams_own_location_when_named(cx_survey, world):
    link = customer_link_create(
        survey=cx_survey, team=world.team, location=world.team.location, label="", user=None
    )
    assert (link.team, link.location) == (world.team, world.team.location)


def test_customer_link_of_a_team_without_a_location_may_name_any(cx_survey, world):
    from tests.factories import LocationFactory

    roaming = TeamFactory(organization=world.org, name="Mobile", location=None)
    portland = LocationFactory(organization=world.org, name="Portland Pearl")
    link = customer_link_create(
        survey=cx_survey, team=roaming, location=portland, label="", user=None
    )
    assert (link.team, link.location) == (roaming, portland)


def test_customer_links_are_for_customer_surveys(ex_survey, world):
    with pytest.raises(ValidationError):
        customer_link_create(survey=ex_survey, team=world.team, label="x", user=None)


def test_closed_survey_gets_no_new_customer_link(cx_survey, world):
    cx_survey.status = SurveyStatus.CLOSED
    cx_survey.save()
    with pytest.raises(ValidationError) as caught:
        customer_link_create(survey=cx_survey, team=world.team, label="Desk", user=None)
    assert caught.value.message_dict == {
        "survey": [
            "This survey is closed, so no customer link can be created. "
            "Duplicate it to run it again."
        ]
    }
    assert not cx_survey.links.exists()


def test_closed_survey_cannot_be_scheduled_as_a_pulse(ex_survey):
    ex_survey.status = SurveyStatus.CLOSED
    ex_survey.save()
    with pytest.raises(ValidationError) as caught:
        pulse_schedule_save(
            survey=ex_survey,
            frequency="weekly",
            teams=[],
            starts_on=dt.date(2026, 3, 2),
            remind_after_days=None,
        )
    assert caught.value.message_dict["survey"] == [
        "This survey is closed, so it cannot repeat as a pulse. Duplicate it to run it again."
    ]
    assert not PulseSchedule.objects.exists()


def test_signed_link_value_round_trips_and_rejects_tampering(cx_survey, world):
    link = customer_link_create(survey=cx_survey, team=world.team, label="Desk", user=None)
    signed = customer_link_signed(link)
    assert customer_link_id(signed) == link.pk
    payload, _, signature = signed.partition(":")
    assert payload == str(link.pk) and signature
    assert customer_link_id(f"{link.pk + 1}:{signature}") is None  # another link's id
    assert customer_link_id("eyJsIjo5OTl9:" + signature) is None
    assert customer_link_id(signed[:-2] + "xx") is None
    assert customer_link_id(signing.Signer(salt="another").sign(str(link.pk))) is None
    assert customer_link_id(signing.Signer(salt=LINK_STABLE_SALT).sign("a1")) is None
    assert customer_link_id("") is None


def test_link_url_and_qr_code_stay_the_same_from_one_page_view_to_the_next(cx_survey, world):
    link = customer_link_create(survey=cx_survey, team=world.team, label="Desk", user=None)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        url, qr = customer_link_url(link), customer_link_qr(link=link, kind="svg")
    with time_machine.travel(dt.datetime(2026, 9, 1, 17, tzinfo=UTC), tick=False):
        assert customer_link_url(link) == url
        assert customer_link_qr(link=link, kind="svg") == qr


def test_links_printed_in_the_timestamped_format_keep_working(cx_survey, world):
    link = customer_link_create(survey=cx_survey, team=world.team, label="Desk", user=None)
    with time_machine.travel(dt.datetime(2025, 1, 6, 9, tzinfo=UTC), tick=False):
        printed = signing.dumps({"l": link.pk}, salt=LINK_SALT)  # the format before
    assert customer_link_id(printed) == link.pk
    payload, stamp, signature = printed.split(":")
    other = signing.b64_encode(b'{"l":999}').decode()
    assert customer_link_id(f"{other}:{stamp}:{signature}") is None
    assert customer_link_id(printed[:-1] + ("A" if printed[-1] != "A" else "B")) is None
    assert customer_link_id(signing.dumps({"l": link.pk}, salt="another")) is None
    assert customer_link_id(signing.dumps({"l": True}, salt=LINK_SALT)) is None
    assert customer_link_id(signing.dumps({"l": str(link.pk)}, salt=LINK_SALT)) is None


def test_qr_codes_come_as_png_and_svg(cx_survey, world):
    link = customer_link_create(survey=cx_survey, team=world.team, label="Desk", user=None)
    assert customer_link_qr(link=link, kind="png").startswith(b"\x89PNG")
    assert b"<svg" in customer_link_qr(link=link, kind="svg")


# --- Recurring pulses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "start", "index", "expected"),
    [
        ("weekly", dt.date(2026, 3, 2), 1, dt.datetime(2026, 3, 9, 9, tzinfo=UTC)),
        ("biweekly", dt.date(2026, 3, 2), 2, dt.datetime(2026, 3, 30, 9, tzinfo=UTC)),
        ("monthly", dt.date(2026, 1, 31), 1, dt.datetime(2026, 2, 28, 9, tzinfo=UTC)),
        ("monthly", dt.date(2026, 1, 31), 2, dt.datetime(2026, 3, 31, 9, tzinfo=UTC)),
        ("monthly", dt.date(2027, 12, 15), 2, dt.datetime(2028, 2, 15, 9, tzinfo=UTC)),
        ("quarterly", dt.date(2026, 11, 30), 1, dt.datetime(2027, 2, 28, 9, tzinfo=UTC)),
        ("quarterly", dt.date(2027, 11, 30), 1, dt.datetime(2028, 2, 29, 9, tzinfo=UTC)),
    ],
)
def test_pulse_occurrences_count_from_the_start_date(frequency, start, index, expected):
    assert pulse_occurrence(starts_on=start, frequency=frequency, index=index) == expected


def test_schedule_rules(ex_survey, cx_survey, world):
    start = dt.date(2026, 3, 2)
    with pytest.raises(ValidationError) as caught:
        pulse_schedule_save(
            survey=cx_survey, frequency="weekly", teams=[], starts_on=start, remind_after_days=3
        )
    assert "survey" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        pulse_schedule_save(
            survey=ex_survey, frequency="daily", teams=[TeamFactory()], starts_on=start,
            remind_after_days=0,
        )  # fmt: skip
    assert set(caught.value.message_dict) == {"frequency", "teams", "remind_after_days"}


def test_a_first_round_more_than_365_days_ahead_is_refused(ex_survey):
    def save(starts_on):
        with time_machine.travel(dt.datetime(2026, 2, 27, 12, tzinfo=UTC), tick=False):
            return pulse_schedule_save(
                survey=ex_survey, frequency="monthly", teams=[], starts_on=starts_on,
                remind_after_days=None,
            )  # fmt: skip

    for too_far in (dt.date(9999, 12, 31), dt.date(2027, 2, 28)):
        with pytest.raises(ValidationError) as caught:
            save(too_far)
        assert caught.value.message_dict == {
            "starts_on": [
                "The first round cannot be more than 365 days ahead: "
                "pick a date up to 27 February 2027."
            ]
        }
    assert not PulseSchedule.objects.exists()
    assert save(dt.date(2027, 2, 27)).starts_on == dt.date(2027, 2, 27)  # the last day allowed


@pytest.fixture
def weekly(ex_survey, staff, world):
    with time_machine.travel(dt.datetime(2026, 2, 20, 12, tzinfo=UTC), tick=False):
        return pulse_schedule_save(
            survey=ex_survey,
            frequency="weekly",
            teams=[world.team],
            starts_on=dt.date(2026, 3, 2),  # a Monday
            remind_after_days=3,
        )


def test_pulse_opens_its_first_round_at_the_start_time(weekly, ex_survey, run):
    assert weekly.next_run_at == dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 55, tzinfo=UTC), tick=False):
        assert run(pulses_tick) == []
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        [cycle] = run(pulses_tick)
    assert cycle.number == 1 and cycle.pulse
    assert cycle.opens_at == dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert Invitation.objects.filter(cycle=cycle).count() == 3  # Front desk only
    assert len(mail.outbox) == 3


def test_running_the_tick_twice_in_a_minute_opens_one_round(weekly, ex_survey, run):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 1, tzinfo=UTC), tick=False):
        run(pulses_tick)
        run(pulses_tick)
        run(pulses_tick_task.delay)  # through Celery (eager in tests)
    assert Cycle.objects.filter(survey=ex_survey).count() == 1
    assert len(mail.outbox) == 3


def test_next_round_closes_the_previous_one(weekly, ex_survey, run):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        [first] = run(pulses_tick)
    first_tokens = tokens_in_outbox()
    with time_machine.travel(dt.datetime(2026, 3, 9, 9, 4, tzinfo=UTC), tick=False):
        [second] = run(pulses_tick)
    first.refresh_from_db()
    assert first.closed and first.closes_at == dt.datetime(2026, 3, 9, 9, 4, tzinfo=UTC)
    assert second.number == 2 and not second.closed
    assert Invitation.objects.filter(cycle=second).count() == 3
    # A link from the closed round no longer takes answers; the new round's does, and records it.
    with time_machine.travel(dt.datetime(2026, 3, 9, 10, 0, tzinfo=UTC), tick=False):
        with pytest.raises(ValidationError):
            answer(first_tokens[0])
        response = answer(tokens_in_outbox()[-1])
    assert response.cycle == second
    weekly.refresh_from_db()
    assert weekly.next_run_at == dt.datetime(2026, 3, 16, 9, tzinfo=UTC)


def test_a_pulse_run_does_not_close_a_round_sent_by_hand(weekly, ex_survey, world, run, client):
    """The pulse is for Front desk; Night shift is sent the survey by hand ten minutes before
    its first run. The run invites Front desk to that round and leaves it open: Night shift's
    links take answers until the pulse opens its second round, a week on."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 50, tzinfo=UTC), tick=False):
        run(invitations_send, survey=ex_survey, teams=[world.other_team])
    night = tokens_in_outbox()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        [joined] = run(pulses_tick)
    assert joined.number == 1 and not joined.closed and joined.pulse
    assert joined.opens_at == dt.datetime(2026, 3, 2, 8, 50, tzinfo=UTC)
    assert joined.closes_at == dt.datetime(2026, 3, 9, 9, tzinfo=UTC)
    assert Cycle.objects.filter(survey=ex_survey).count() == 1
    assert Invitation.objects.filter(cycle=joined, team=world.team).count() == 3
    assert Invitation.objects.filter(cycle=joined, team=world.other_team).count() == 2
    with time_machine.travel(dt.datetime(2026, 3, 5, 10, 0, tzinfo=UTC), tick=False):
        assert client.get(f"/r/i/{night[0]}/").status_code == 200
        assert answer(night[0]).cycle == joined
    # The next run closes it, as any round of the pulse, and opens round 2 for Front desk.
    with time_machine.travel(dt.datetime(2026, 3, 9, 9, 0, tzinfo=UTC), tick=False):
        [second] = run(pulses_tick)
        assert client.get(f"/r/i/{night[1]}/").status_code == 410
    joined.refresh_from_db()
    assert joined.closed and joined.closes_at == dt.datetime(2026, 3, 9, 9, tzinfo=UTC)
    assert second.number == 2 and second.pulse
    assert set(Invitation.objects.filter(cycle=second).values_list("team", flat=True)) == {
        world.team.pk
    }


def test_sending_by_hand_while_a_pulse_round_is_open_joins_it(weekly, ex_survey, world, run):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        [first] = run(pulses_tick)
    with time_machine.travel(dt.datetime(2026, 3, 4, 9, 0, tzinfo=UTC), tick=False):
        assert run(invitations_send, survey=ex_survey, teams=[world.other_team]) == 2
    assert Invitation.objects.filter(cycle=first).count() == 5
    first.refresh_from_db()
    assert not first.closed and first.closes_at == dt.datetime(2026, 3, 9, 9, tzinfo=UTC)


def test_a_late_tick_opens_one_round_not_a_backlog(weekly, ex_survey, run):
    with time_machine.travel(dt.datetime(2026, 3, 25, 12, 0, tzinfo=UTC), tick=False):
        assert len(run(pulses_tick)) == 1
        assert run(pulses_tick) == []
    weekly.refresh_from_db()
    assert weekly.next_run_at == dt.datetime(2026, 3, 30, 9, tzinfo=UTC)


def test_paused_schedule_and_closed_survey_open_nothing(weekly, ex_survey, run):
    weekly.active = False
    weekly.save()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        assert run(pulses_tick) == []
    weekly.active = True
    weekly.save()
    ex_survey.status = SurveyStatus.CLOSED
    ex_survey.save()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        assert run(pulses_tick) == []


def test_scheduled_reminder_goes_out_once_after_the_delay(weekly, ex_survey, run):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        run(pulses_tick)
    answer(tokens_in_outbox()[0])
    mail.outbox.clear()
    with time_machine.travel(dt.datetime(2026, 3, 5, 8, 55, tzinfo=UTC), tick=False):
        run(pulses_tick)
    assert mail.outbox == []  # not yet three days
    with time_machine.travel(dt.datetime(2026, 3, 5, 9, 0, tzinfo=UTC), tick=False):
        run(pulses_tick)
    assert len(mail.outbox) == 2
    with time_machine.travel(dt.datetime(2026, 3, 6, 9, 0, tzinfo=UTC), tick=False):
        run(pulses_tick)
    assert len(mail.outbox) == 2


def test_editing_the_schedule_continues_after_the_last_round(weekly, ex_survey, world, run):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        run(pulses_tick)
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC), tick=False):
        schedule = pulse_schedule_save(
            survey=ex_survey,
            frequency="monthly",
            teams=[],
            starts_on=dt.date(2026, 3, 2),
            remind_after_days=None,
        )
    assert schedule.next_run_at == dt.datetime(2026, 4, 2, 9, tzinfo=UTC)
    assert list(schedule.teams.all()) == []


def _weekly_from(survey, starts_on: dt.date, now: dt.datetime):
    with time_machine.travel(now, tick=False):
        return pulse_schedule_save(
            survey=survey, frequency="weekly", teams=[], starts_on=starts_on, remind_after_days=3
        )


def test_a_start_in_the_past_sets_the_rhythm_and_the_next_round_is_upcoming(ex_survey):
    # 1 January 2020 was a Wednesday; Tuesday 10 March 2026 the next Wednesday is the 11th.
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    schedule = _weekly_from(ex_survey, dt.date(2020, 1, 1), now)
    assert schedule.next_run_at == dt.datetime(2026, 3, 11, 9, tzinfo=UTC)


def test_a_start_today_opens_today_even_after_the_hour(ex_survey):
    before = _weekly_from(ex_survey, dt.date(2026, 3, 10), dt.datetime(2026, 3, 10, 8, tzinfo=UTC))
    assert before.next_run_at == dt.datetime(2026, 3, 10, 9, tzinfo=UTC)
    after = _weekly_from(ex_survey, dt.date(2026, 3, 10), dt.datetime(2026, 3, 10, 15, tzinfo=UTC))
    assert after.next_run_at == dt.datetime(2026, 3, 10, 15, tzinfo=UTC)  # the next tick opens it


def test_editing_a_schedule_long_after_its_last_round_skips_the_missed_ones(weekly, ex_survey, run):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        run(pulses_tick)
    schedule = _weekly_from(ex_survey, dt.date(2026, 3, 2), dt.datetime(2026, 4, 15, tzinfo=UTC))
    assert schedule.next_run_at == dt.datetime(2026, 4, 20, 9, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("frequency", "days", "accepted"),
    [
        ("weekly", 6, True),
        ("weekly", 7, False),
        ("weekly", 10, False),
        ("biweekly", 13, True),
        ("biweekly", 14, False),
        ("monthly", 27, True),
        ("monthly", 28, False),  # February's round lasts 28 days
        ("quarterly", 30, True),
    ],
)
def test_a_reminder_must_come_before_the_next_round(ex_survey, frequency, days, accepted):
    def save():
        with time_machine.travel(dt.datetime(2029, 12, 3, 12, tzinfo=UTC), tick=False):
            return pulse_schedule_save(
                survey=ex_survey,
                frequency=frequency,
                teams=[],
                starts_on=dt.date(2030, 1, 7),
                remind_after_days=days,
            )

    if accepted:
        assert save().remind_after_days == days
        return
    with pytest.raises(ValidationError) as caught:
        save()
    [message] = caught.value.message_dict["remind_after_days"]
    assert f"remind after at most {ROUND_DAYS[frequency] - 1} days" in message
    assert not PulseSchedule.objects.exists()


ROUND_DAYS = {"weekly": 7, "biweekly": 14, "monthly": 28}
