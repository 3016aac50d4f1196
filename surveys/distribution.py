"""Getting surveys to people: invitations, reminders, customer links and recurring pulses.

Invitation tokens exist in clear only on their way to the email task; the database keeps their
SHA-256 (`token_hash`). A reminder therefore issues a new token, and keeps the one it replaces
working (an InvitationToken row each): every link a person was sent still opens the survey.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import secrets
from collections.abc import Iterable

import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from config.audit import AuditAction, audit_changes, audit_object
from surveys.distribution_selectors import invitations_lost, invitees
from surveys.models import (
    CustomerLink,
    Cycle,
    Frequency,
    Invitation,
    InvitationToken,
    Location,
    Person,
    PulseSchedule,
    Survey,
    SurveyKind,
    SurveyStatus,
    Team,
    token_hash,
)
from surveys.signals import results_changed, survey_revision_bump
from surveys.validation import CLOSED_MESSAGE

logger = logging.getLogger(__name__)

INVITE = "invite"
REMIND = "remind"
LINK_SALT = "tandem.customer-link"  # the first, timestamped format: still read, never written
LINK_STABLE_SALT = "tandem.customer-link.stable"
TOKEN_BYTES = 24  # 192 bits
# Nobody invited or reminded in the last 12 hours is reminded: an impatient second click, or a
# reminder right after sending, does not email anyone twice.
REMIND_GAP = dt.timedelta(hours=12)
PULSE_SEND_TIME = dt.time(9, 0, tzinfo=dt.UTC)
# A pulse is planned for the coming months: a first round further ahead is a slip (year 9999,
# 2062 for 2026) and would sit in the schedule doing nothing for years.
LATEST_PULSE_START = dt.timedelta(days=365)


# --- Invitations ------------------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return settings.TANDEM_BASE_URL.rstrip("/") + reverse("responses:invitation", args=[token])


def invitations_check(*, survey: Survey, teams: Iterable[Team] | None) -> None:
    """Raise ValidationError if this survey cannot be sent to these teams (None: everyone)."""
    errors = {}
    if survey.kind != SurveyKind.EX:
        errors["survey"] = "Invitations are for employee surveys; customer surveys use links."
    elif survey.status == SurveyStatus.CLOSED:
        errors["survey"] = CLOSED_MESSAGE.format(what="it cannot be sent")
    elif survey.status != SurveyStatus.LIVE:
        errors["survey"] = "Publish the survey before sending it."
    if teams is not None and any(t.organization_id != survey.organization_id for t in teams):
        errors["teams"] = "Pick teams of this organisation."
    if errors:
        raise ValidationError(errors)


def cycle_current(*, survey: Survey) -> Cycle | None:
    return Cycle.objects.filter(survey=survey, closed=False).order_by("-number").first()


def _cycle_for_send(survey: Survey) -> Cycle:
    """The open round, or round 1 (or n+1) for a one-off send."""
    current = cycle_current(survey=survey)
    if current is not None:
        return current
    last = Cycle.objects.filter(survey=survey).aggregate(n=Max("number"))["n"] or 0
    return Cycle.objects.create(survey=survey, number=last + 1, opens_at=timezone.now())


@transaction.atomic
def invitations_send(
    *,
    survey: Survey,
    teams: Iterable[Team] | None = None,
    cycle: Cycle | None = None,
    user: AbstractBaseUser | None = None,
    request=None,
) -> int:
    """Invite every active person of `teams` (None: the whole organisation) to the round.

    People already invited to this round are skipped, except those whose email never went out
    (a broker outage lost the token) get a fresh token and are queued again. Returns how many
    emails were queued; a send that queued any is recorded in the audit log (a pulse's, with
    no user, as the system's).
    """
    teams = list(teams) if teams is not None else None
    invitations_check(survey=survey, teams=teams)
    # Serialise sends of one survey so two clicks cannot invite a person twice.
    Survey.objects.select_for_update().filter(pk=survey.pk).exists()
    cycle = cycle or _cycle_for_send(survey)
    people = invitees(survey=survey, teams=teams)
    invited = Invitation.objects.filter(survey=survey, cycle=cycle)
    lost = invited.filter(invitations_lost(), person__in=people)
    reissued = _tokens_reissue(list(lost.select_for_update()), fields=["token_hash"])
    tokens: list[str] = []
    rows = []
    for person in people.exclude(pk__in=invited.values("person_id")):
        tokens.append(secrets.token_urlsafe(TOKEN_BYTES))
        rows.append(
            Invitation(
                survey=survey,
                cycle=cycle,
                person=person,
                team_id=person.team_id,
                token_hash=token_hash(tokens[-1]),
            )
        )
    created = Invitation.objects.bulk_create(rows)
    if created:  # participation counts them (bulk_create sends no signal)
        results_changed(organization_id=survey.organization_id)
    pairs = [(row.pk, token) for row, token in zip(created, tokens, strict=True)] + reissued
    transaction.on_commit(lambda: _emails_queue(pairs, kind=INVITE))
    if pairs:
        detail = {
            "teams": ", ".join(t.name for t in teams) if teams else "whole organisation",
            "round": cycle.number,
            "invitations": len(created),
            "resent": len(reissued),
        }
        action = AuditAction.INVITATIONS_SEND
        audit_object(obj=survey, action=action, user=user, detail=detail, request=request)
    return len(pairs)


def _tokens_reissue(invitations: list[Invitation], *, fields: list[str]) -> list[tuple[int, str]]:
    """New tokens for these invitations (already changed in memory otherwise); saved in bulk."""
    pairs = []
    for invitation in invitations:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        invitation.token_hash = token_hash(token)
        pairs.append((invitation.pk, token))
    Invitation.objects.bulk_update(invitations, fields)
    return pairs


@transaction.atomic
def invitations_remind(
    *,
    survey: Survey,
    cycle: Cycle | None = None,
    sent_before: dt.datetime | None = None,
    first_only: bool = False,
    user: AbstractBaseUser | None = None,
    request=None,
) -> int:
    """Email a new link to everyone invited to the round who has not answered, but for those
    invited or reminded in the last REMIND_GAP. Returns how many (when any, recorded in the
    audit log). Every link they had keeps working too.

    `first_only` and `sent_before` are for the scheduled reminder: one reminder per person, only
    after the invitation has had `remind_after_days` to work.
    """
    invitations_check(survey=survey, teams=None)
    cycle = cycle or cycle_current(survey=survey)
    if cycle is None or cycle.closed:
        return 0
    now = timezone.now()
    pending = (
        Invitation.objects.filter(
            survey=survey, cycle=cycle, used_at__isnull=True, sent_at__isnull=False
        )
        .exclude(person__is_active=False)  # who left since the send: no reminder
        .exclude(reminded_at__gt=now - REMIND_GAP)
        .exclude(sent_at__gt=now - REMIND_GAP)
    )
    if first_only:
        pending = pending.filter(reminder_count=0)
    if sent_before is not None:
        pending = pending.filter(sent_at__lte=sent_before)
    rows = list(pending.select_for_update())
    InvitationToken.objects.bulk_create(
        InvitationToken(invitation=invitation, token_hash=invitation.token_hash)
        for invitation in rows
    )
    for invitation in rows:
        invitation.reminder_count += 1
        invitation.reminded_at = None  # set by the email task when the reminder goes out
    fields = ["token_hash", "reminder_count", "reminded_at"]
    pairs = _tokens_reissue(rows, fields=fields)
    transaction.on_commit(lambda: _emails_queue(pairs, kind=REMIND))
    if pairs:
        detail = {"round": cycle.number, "reminders": len(pairs)}
        action = AuditAction.INVITATIONS_REMIND
        audit_object(obj=survey, action=action, user=user, detail=detail, request=request)
    return len(pairs)


def _emails_queue(pairs: list[tuple[int, str]], *, kind: str) -> None:
    from surveys.tasks import invitation_email_send  # tasks import this module

    for invitation_id, token in pairs:
        try:
            invitation_email_send.delay(invitation_id, token, kind)
        except Exception:  # noqa: BLE001 - the send is re-runnable: unsent invitations get new tokens
            logger.warning("Could not queue %s email for invitation %s", kind, invitation_id)


def invitation_email_deliver(*, invitation_id: int, token: str, kind: str) -> bool:
    """Send one invitation or reminder email, at most once (compare-and-set on its timestamp).

    A task delivered twice finds the timestamp set and sends nothing; a task overtaken by a newer
    token (a reminder, a re-send) finds the hash changed and sends nothing. If sending fails the
    timestamp is cleared again so a retry can send.
    """
    stamp = "sent_at" if kind == INVITE else "reminded_at"
    claim = Invitation.objects.filter(
        pk=invitation_id, token_hash=token_hash(token), used_at__isnull=True
    ).filter(**{f"{stamp}__isnull": True})
    if not claim.update(**{stamp: timezone.now()}):
        return False
    invitation = Invitation.objects.select_related("survey__organization", "person").get(
        pk=invitation_id
    )
    context = {
        "invitation": invitation,
        "survey": invitation.survey,
        "person": invitation.person,
        "url": invitation_url(token),
        "reminder": kind == REMIND,
    }
    subject = ("Reminder: " if kind == REMIND else "") + invitation.survey.title
    try:
        send_mail(
            subject=subject,
            message=render_to_string("surveys/distribution/email_invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.person.email],
        )
    except Exception:
        Invitation.objects.filter(pk=invitation_id).update(**{stamp: None})
        raise
    return True


# --- Customer links ---------------------------------------------------------------------------


def customer_link_create(
    *,
    survey: Survey,
    team: Team | None = None,
    location: Location | None = None,
    agent: Person | None = None,
    label: str,
    user,
    request=None,
) -> CustomerLink:
    """A new customer link, recorded in the audit log."""
    errors = {}
    org_id = survey.organization_id
    if survey.kind != SurveyKind.CX:
        errors["survey"] = "Customer links are for customer surveys."
    elif survey.status == SurveyStatus.CLOSED:
        errors["survey"] = CLOSED_MESSAGE.format(what="no customer link can be created")
    for name, value in (("team", team), ("location", location), ("agent", agent)):
        if value is not None and value.organization_id != org_id:
            errors[name] = f"Pick a {name} of this organisation."
    # A link's responses are counted for its team and its location: a team elsewhere would
    # give one site's feedback to another. A team without a location may serve any.
    if team and location and team.location_id and team.location_id != location.pk:
        errors["location"] = (
            f"{team} is at {team.location}, not {location}. Pick {team.location}, leave the "
            "location empty to use the team's, or pick a team of this location."
        )
    # The agent's name, not Person.__str__'s "name <e-mail>": a label names a counter or a person.
    label = (label or "").strip() or (
        agent.name if agent else str(team or location or "General link")
    )
    if len(label) > 200:
        errors["label"] = "Keep the label under 200 characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        link = CustomerLink.objects.create(
            survey=survey,
            team=team,
            location=location or (team.location if team else None),
            agent=agent,
            label=label,
            created_by=user,
        )
        action, detail = AuditAction.LINK_CREATE, _link_detail(link)
        audit_object(obj=link, action=action, user=user, detail=detail, request=request)
    return link


@transaction.atomic
def customer_link_switch(
    *, link: CustomerLink, active: bool, user: AbstractBaseUser | None = None, request=None
) -> None:
    """Switch a link off (it shows "closed") or back on (its URL and printed QR codes take
    answers again); recorded in the audit log unless it already was."""
    # Compare-and-set: a second click (or a link already in that state) records nothing.
    if not CustomerLink.objects.filter(pk=link.pk, active=not active).update(active=active):
        return
    link.active = active
    action = AuditAction.LINK_ACTIVATE if active else AuditAction.LINK_DEACTIVATE
    detail = _link_detail(link)
    audit_object(obj=link, action=action, user=user, detail=detail, request=request)


def _link_detail(link: CustomerLink) -> dict:
    # Ids, not the label: a link's label is often its agent's name, and the audit log keeps
    # none (erasing the person would leave it there).
    scope = {"team": link.team_id, "location": link.location_id, "agent": link.agent_id}
    return {"survey": link.survey_id, **{k: v for k, v in scope.items() if v is not None}}


def customer_link_signed(link: CustomerLink) -> str:
    """The value in the link's URL: its id, signed, so nobody can point it at another scope.
    No timestamp: one link has one URL and one QR code, whenever the page is shown."""
    return signing.Signer(salt=LINK_STABLE_SALT).sign(str(link.pk))


def customer_link_id(signed: str) -> int | None:
    """The link id inside a signed value, or None if it was forged or changed.

    Reads both formats: "<id>:<signature>", and the timestamped `signing.dumps({"l": id})` that
    earlier pages printed on QR codes (they never expire: the timestamp was never checked).
    """
    try:
        value = signing.Signer(salt=LINK_STABLE_SALT).unsign(signed)
    except signing.BadSignature:
        return _customer_link_id_timestamped(signed)
    return int(value) if value.isascii() and value.isdigit() else None


def _customer_link_id_timestamped(signed: str) -> int | None:
    try:
        data = signing.loads(signed, salt=LINK_SALT)
    except signing.BadSignature:
        return None
    link_id = data.get("l") if isinstance(data, dict) else None
    return link_id if isinstance(link_id, int) and not isinstance(link_id, bool) else None


def customer_link_url(link: CustomerLink) -> str:
    path = reverse("responses:link", args=[customer_link_signed(link)])
    return settings.TANDEM_BASE_URL.rstrip("/") + path


def customer_link_qr(*, link: CustomerLink, kind: str) -> bytes:
    """The link as a QR code, PNG or SVG, sized for a counter sign or a receipt."""
    buffer = io.BytesIO()
    segno.make(customer_link_url(link), error="m").save(buffer, kind=kind, scale=8, border=4)
    return buffer.getvalue()


# --- Recurring pulses -------------------------------------------------------------------------

FREQUENCY_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14}
FREQUENCY_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}
# The shortest a round lasts (the next one closes it): a month can have 28 days, a quarter 89.
ROUND_MIN_DAYS = {**FREQUENCY_DAYS, Frequency.MONTHLY: 28, Frequency.QUARTERLY: 89}


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    days_in_month = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month[month - 1]))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def pulse_occurrence(*, starts_on: dt.date, frequency: str, index: int) -> dt.datetime:
    """When round `index` (0-based) of a pulse opens. Counted from the start date, so monthly
    pulses started on the 31st open on the last day of shorter months without drifting."""
    anchor = dt.datetime.combine(starts_on, PULSE_SEND_TIME)
    if frequency in FREQUENCY_DAYS:
        return anchor + dt.timedelta(days=FREQUENCY_DAYS[frequency] * index)
    return _add_months(anchor, FREQUENCY_MONTHS[frequency] * index)


def pulse_next_run(*, starts_on: dt.date, frequency: str, after: dt.datetime | None) -> dt.datetime:
    """The first occurrence strictly after `after` (the first one when `after` is None)."""
    index = 0
    moment = pulse_occurrence(starts_on=starts_on, frequency=frequency, index=0)
    while after is not None and moment <= after:
        index += 1
        moment = pulse_occurrence(starts_on=starts_on, frequency=frequency, index=index)
    return moment


def pulse_upcoming_run(
    *, starts_on: dt.date, frequency: str, last_opened: dt.datetime | None, now: dt.datetime
) -> dt.datetime:
    """When a saved schedule opens its next round: the first occurrence after the last round
    opened, and none before today (a start date in the past only sets the rhythm). Today's
    occurrence, when its hour has passed, opens now (at the next tick)."""
    today = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time.min, tzinfo=dt.UTC)
    after = today - dt.timedelta(microseconds=1)
    if last_opened is not None:
        after = max(after, last_opened)
    return max(pulse_next_run(starts_on=starts_on, frequency=frequency, after=after), now)


def pulse_reminder_error(*, frequency: str, remind_after_days: int | None) -> str | None:
    """Why this reminder delay does not suit the pulse, or None: it must come before the next
    round closes the one it reminds about."""
    if remind_after_days is None:
        return None
    if not 1 <= remind_after_days <= 30:
        return "Remind after 1 to 30 days, or leave empty for no reminder."
    days = ROUND_MIN_DAYS.get(frequency)
    if days is not None and remind_after_days >= days:
        shortest = " at the shortest" if frequency in FREQUENCY_MONTHS else ""
        return (
            f"{Frequency(frequency).label}, a round closes when the next opens, after {days} "
            f"days{shortest}: remind after at most {days - 1} days, or leave empty for no reminder."
        )
    return None


def pulse_start_error(*, starts_on: dt.date, today: dt.date) -> str | None:
    """Why this first round is too far ahead, or None. (A past one only sets the rhythm of a
    pulse already running: the form refuses a new one in the past.)"""
    latest = today + LATEST_PULSE_START
    if starts_on > latest:
        return (
            f"The first round cannot be more than {LATEST_PULSE_START.days} days ahead: "
            f"pick a date up to {latest:%d %B %Y}."
        )
    return None


@transaction.atomic
def pulse_schedule_save(
    *,
    survey: Survey,
    frequency: str,
    teams: Iterable[Team],
    starts_on: dt.date,
    remind_after_days: int | None,
    active: bool = True,
    user: AbstractBaseUser | None = None,
    request=None,
) -> PulseSchedule:
    """Create or change the survey's pulse; the next round is the first upcoming one after its
    rounds so far (pulse_upcoming_run). Recorded in the audit log (_pulse_audit)."""
    teams = list(teams)
    errors = {}
    if survey.kind != SurveyKind.EX:
        errors["survey"] = "Only employee surveys repeat as pulses."
    elif survey.status == SurveyStatus.CLOSED:
        errors["survey"] = CLOSED_MESSAGE.format(what="it cannot repeat as a pulse")
    if frequency not in Frequency.values:
        errors["frequency"] = f"Frequency must be one of: {', '.join(Frequency.values)}."
    if any(t.organization_id != survey.organization_id for t in teams):
        errors["teams"] = "Pick teams of this organisation."
    if reminder_error := pulse_reminder_error(
        frequency=frequency, remind_after_days=remind_after_days
    ):
        errors["remind_after_days"] = reminder_error
    if start_error := pulse_start_error(starts_on=starts_on, today=timezone.localdate()):
        errors["starts_on"] = start_error
    if errors:
        raise ValidationError(errors)
    last = Cycle.objects.filter(survey=survey).order_by("-number").first()
    before = PulseSchedule.objects.filter(survey=survey).prefetch_related("teams").first()
    before = _pulse_settings(before) if before else None
    schedule, _ = PulseSchedule.objects.update_or_create(
        survey=survey,
        defaults={
            "frequency": frequency,
            "starts_on": starts_on,
            "remind_after_days": remind_after_days,
            "active": active,
            "next_run_at": pulse_upcoming_run(
                starts_on=starts_on,
                frequency=frequency,
                last_opened=last.opens_at if last else None,
                now=timezone.now(),
            ),
        },
    )
    schedule.teams.set(teams)
    _pulse_audit(schedule, before, teams=teams, user=user, request=request)
    return schedule


def _pulse_settings(schedule: PulseSchedule, teams: Iterable[Team] | None = None) -> dict:
    teams = schedule.teams.all() if teams is None else teams
    return {
        "frequency": schedule.frequency,
        "teams": ", ".join(sorted(t.name for t in teams)) or "whole organisation",
        "starts_on": schedule.starts_on.isoformat(),
        "remind_after_days": schedule.remind_after_days,
        "active": schedule.active,
    }


def _pulse_audit(schedule: PulseSchedule, before: dict | None, *, teams, user, request) -> None:
    """One entry: the new pulse's settings, or what changed (stopping and restarting named as
    such); nothing when nothing did."""
    after = _pulse_settings(schedule, teams)
    if before is None:
        action, detail = AuditAction.PULSE_CREATE, after
    else:
        detail = audit_changes(before, after)
        action = {
            (True, False): AuditAction.PULSE_STOP,
            (False, True): AuditAction.PULSE_RESTART,
        }.get((before["active"], after["active"]), AuditAction.PULSE_EDIT)
    if detail:
        audit_object(obj=schedule.survey, action=action, user=user, detail=detail, request=request)


def pulses_tick(*, now: dt.datetime | None = None) -> list[Cycle]:
    """Run every due pulse (pulse_cycle_open), then send the scheduled reminders; returns the
    rounds the runs invited to.

    Safe to run as often as wanted: a round opens only while its schedule's next_run_at is due,
    and opening it moves next_run_at on, under a row lock.
    """
    now = now or timezone.now()
    due = PulseSchedule.objects.filter(
        active=True, next_run_at__lte=now, survey__status=SurveyStatus.LIVE
    ).values_list("pk", flat=True)
    opened = []
    for pk in list(due):
        try:
            cycle = pulse_cycle_open(schedule_id=pk, now=now)
        except Exception:  # one broken schedule must not stop the others
            logger.exception("Could not open the next round of pulse schedule %s", pk)
            continue
        if cycle is not None:
            opened.append(cycle)
    pulse_reminders_send(now=now)
    return opened


@transaction.atomic
def pulse_cycle_open(*, schedule_id: int, now: dt.datetime) -> Cycle | None:
    """Run the pulse once: the round it invites its teams to, or None if not due.

    1. Lock the schedule (another tick may have run it) and the survey (as a send by hand does).
    2. Move next_run_at on to the following occurrence.
    3. A round sent by hand that is still open stays open: it becomes the pulse's round, closing
       at the next run. Otherwise the pulse's own round closes and a new one opens.
    4. Invite the pulse's teams (people already in the round are skipped).
    """
    schedule = (
        PulseSchedule.objects.select_for_update()
        .select_related("survey")
        .filter(pk=schedule_id, active=True, next_run_at__lte=now)
        .first()
    )
    if schedule is None:  # another tick opened it first
        return None
    survey = schedule.survey
    Survey.objects.select_for_update().filter(pk=survey.pk).exists()
    schedule.next_run_at = pulse_next_run(
        starts_on=schedule.starts_on, frequency=schedule.frequency, after=now
    )
    schedule.save(update_fields=["next_run_at"])
    cycle = cycle_current(survey=survey)
    if cycle is not None and not cycle.pulse:
        cycle.pulse, cycle.closes_at = True, schedule.next_run_at
        cycle.survey = survey  # the save's signal bumps the revision, on this instance too
        cycle.save(update_fields=["pulse", "closes_at"])
        logger.info(
            "Round %s of survey %s, sent by hand, joined its pulse", cycle.number, survey.pk
        )
    else:
        cycle = _pulse_cycle_next(survey, now=now, closes_at=schedule.next_run_at)
    invitations_send(survey=survey, teams=list(schedule.teams.all()) or None, cycle=cycle)
    return cycle


def _pulse_cycle_next(survey: Survey, *, now: dt.datetime, closes_at: dt.datetime) -> Cycle:
    """Close the pulse's open round and open the next."""
    Cycle.objects.filter(survey=survey, closed=False).update(closed=True, closes_at=now)
    survey_revision_bump(survey.pk, survey)
    number = (Cycle.objects.filter(survey=survey).aggregate(n=Max("number"))["n"] or 0) + 1
    cycle = Cycle.objects.create(
        survey=survey, number=number, opens_at=now, closes_at=closes_at, pulse=True
    )
    logger.info("Opened round %s of survey %s", number, survey.pk)
    return cycle


def pulse_reminders_send(*, now: dt.datetime) -> int:
    """The one scheduled reminder of each open pulse round, `remind_after_days` after sending."""
    total = 0
    schedules = PulseSchedule.objects.filter(
        active=True, remind_after_days__isnull=False, survey__status=SurveyStatus.LIVE
    ).select_related("survey")
    for schedule in schedules:
        cutoff = now - dt.timedelta(days=schedule.remind_after_days)
        total += invitations_remind(survey=schedule.survey, sent_before=cutoff, first_only=True)
    return total
