"""Privacy operations on personal data: retention purge, erasure and export of one person.

Rollups are the lasting record of the figures. A purge deletes source rows only in whole
(survey, team, day) buckets whose responses are all scored, and first moves the organisation's
`purged_before` watermark forward, so scoring never recomputes a purged day (which would empty
it). Erasure is different on purpose: the figures drop the erased person's answers, so the
buckets their responses touched are recomputed.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from config.audit import AuditAction, audit_record
from responses.models import Answer, Response
from surveys.models import AuditLog, Invitation, Membership, Organization, Person, Role
from surveys.signals import results_changed

PURGE_BATCH = 1000
# Erasing one of these would lock the organisation's administration out with no trace of why.
ADMIN_ROLES = (Role.HR_ADMIN, Role.CX_MANAGER)


# --- Retention ------------------------------------------------------------------------------


def _months_back(moment: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _start_of_day(moment: dt.datetime) -> dt.datetime:
    # Buckets are days in the site's time zone (dashboards.scoring.bucket_for): cut on their edge.
    local = timezone.localtime(moment, timezone.get_default_timezone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def retention_cutoff(
    *, organization: Organization, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Responses submitted before this are due for purging, or None when retention is off.

    The start of the day `retention_months` ago, moved back to the start of the day of the oldest
    response not yet scored: a bucket is purged whole, and only once its rollups exist.
    """
    if not organization.retention_months:
        return None
    cutoff = _start_of_day(_months_back(now or timezone.now(), organization.retention_months))
    unscored = Response.objects.filter(
        survey__organization=organization, scored_at__isnull=True, submitted_at__lt=cutoff
    ).aggregate(oldest=Min("submitted_at"))["oldest"]
    return min(cutoff, _start_of_day(unscored)) if unscored else cutoff


def purge_candidates(*, organization: Organization, cutoff: dt.datetime):
    return Response.objects.filter(
        survey__organization=organization, submitted_at__lt=cutoff, scored_at__isnull=False
    )


def retention_purge(*, organization: Organization, now: dt.datetime | None = None) -> dict:
    """Delete the organisation's responses (and their answers, free text included) older than
    its retention period. Rollups are kept, so every figure stays as it was.

    1. Work out the cutoff (whole, scored buckets only); nothing to do when retention is off.
    2. Move `purged_before` forward to it first: from then on scoring leaves those days alone.
    3. Delete in batches of PURGE_BATCH, each in its own transaction.
    4. Record what was deleted in the audit log.
    """
    cutoff = retention_cutoff(organization=organization, now=now)
    if cutoff is None:
        return {"responses": 0, "answers": 0, "cutoff": None}
    Organization.objects.filter(
        Q(purged_before__isnull=True) | Q(purged_before__lt=cutoff), pk=organization.pk
    ).update(purged_before=cutoff)
    stale = purge_candidates(organization=organization, cutoff=cutoff)
    responses = answers = 0
    while ids := list(stale.values_list("id", flat=True)[:PURGE_BATCH]):
        with transaction.atomic():
            response_copies_scrub(response_ids=ids)
            _, per_model = Response.objects.filter(id__in=ids).delete()
        responses += per_model.get(Response._meta.label, 0)
        answers += per_model.get(Answer._meta.label, 0)
    if responses:
        # Figures stay (rollups are kept), but the comments listed with them are gone.
        results_changed(organization_id=organization.pk)
        audit_record(
            organization=organization,
            user=None,
            action=AuditAction.RETENTION_PURGE,
            detail={"responses": responses, "answers": answers, "before": cutoff.isoformat()},
        )
    return {"responses": responses, "answers": answers, "cutoff": cutoff}


def retention_purge_all(*, now: dt.datetime | None = None) -> dict[int, dict]:
    """Run the purge for every organisation that has a retention period."""
    organizations = Organization.objects.filter(retention_months__isnull=False)
    return {org.pk: retention_purge(organization=org, now=now) for org in organizations}


def retention_set(
    *, organization: Organization, months: int | None, user: AbstractBaseUser, request=None
) -> None:
    """Set the organisation's retention period; a change is recorded in the audit log (saving
    the same period again records nothing)."""
    before = organization.retention_months
    if months == before:
        return
    organization.retention_months = months
    organization.save(update_fields=["retention_months"])
    audit_record(
        organization=organization,
        user=user,
        action=AuditAction.RETENTION_CHANGE,
        obj=organization,
        detail={"from": before, "to": months},
        request=request,
    )


# --- Copies of free text ------------------------------------------------------------------

QUOTE_REMOVED = "“[comment removed]”"
AGENT_REMOVED = "an erased agent"  # an alert attributed to the agent alone


def response_copies_scrub(*, response_ids: list[int]) -> None:
    """Before responses are deleted, remove the copies of their answers kept elsewhere: the
    new-response webhooks (every answer, the respondent's name) are deleted, and the quote in
    an alert raised on one of them (a negative comment), and in that alert's e-mails and
    webhooks, is replaced. The alerts themselves stay: they were handled and are counted.

    A loop over alerts, not over answers: there is at most one alert per rule and response.
    """
    from dashboards.alerting.services import QUOTE_LENGTH
    from dashboards.models import Alert, OutboxMessage

    OutboxMessage.objects.filter(response_id__in=response_ids).delete()
    alerts = Alert.objects.filter(response_id__in=response_ids)
    quotes: dict[int, list[str]] = {}
    texts = Answer.objects.filter(response_id__in=alerts.values("response_id")).exclude(
        value_text=""
    )
    for response_id, text in texts.values_list("response_id", "value_text"):
        quotes.setdefault(response_id, []).append(f"“{text[:QUOTE_LENGTH]}”")
    for alert in alerts.filter(response_id__in=quotes).prefetch_related("messages"):
        alert.message = _quotes_replaced(alert.message, quotes[alert.response_id])
        alert.save(update_fields=["message"])
        for message in alert.messages.all():
            message.payload = _quotes_replaced(message.payload, quotes[alert.response_id])
            message.save(update_fields=["payload"])


def _quotes_replaced(value: Any, quotes: list[str], replacement: str = QUOTE_REMOVED) -> Any:
    if isinstance(value, str):
        for quote in quotes:
            value = value.replace(quote, replacement)
        return value
    if isinstance(value, dict):
        return {key: _quotes_replaced(item, quotes, replacement) for key, item in value.items()}
    if isinstance(value, list):
        return [_quotes_replaced(item, quotes, replacement) for item in value]
    return value


def _agent_name_scrub(person: Person) -> None:
    """New-response webhooks name the agent who served the customer: drop the person's name.
    Alerts on those responses name them in their scope and message ("Front desk · agent Sam
    Doe"), and so do their e-mails and webhooks: the name goes from those too."""
    from dashboards.models import Alert, OutboxMessage

    def unnamed(value: Any) -> Any:
        value = _quotes_replaced(value, [f" · agent {person.name}"], "")
        return _quotes_replaced(value, [f"agent {person.name}"], AGENT_REMOVED)

    for alert in Alert.objects.filter(response__agent=person).prefetch_related("messages"):
        alert.scope_label, alert.message = unnamed(alert.scope_label), unnamed(alert.message)
        alert.save(update_fields=["scope_label", "message"])
        for message in alert.messages.all():
            message.payload = unnamed(message.payload)
            message.save(update_fields=["payload"])

    messages = list(
        OutboxMessage.objects.filter(
            response_id__in=Response.objects.filter(agent=person).values("id"),
            payload__response__agent=person.name,
        )
    )
    for message in messages:
        message.payload["response"]["agent"] = None
    OutboxMessage.objects.bulk_update(messages, ["payload"], batch_size=PURGE_BATCH)


# --- One person: erasure and access requests ----------------------------------------------


def person_erase_refusal(*, person: Person, user: AbstractBaseUser) -> str | None:
    """Why `user` may not erase `person`, or None: not themselves, and not someone who signs in
    as an HR admin or CX manager of the organisation (erasure deactivates the account)."""
    if person.user_id is None:
        return None
    if person.user_id == user.pk:
        return "You cannot erase your own record; ask another HR admin."
    role = (
        Membership.objects.filter(
            user_id=person.user_id, organization_id=person.organization_id, role__in=ADMIN_ROLES
        )
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        return None
    return (
        f"{person.name} has the {Role(role).label} role in this organisation, and erasing "
        "their data would deactivate their sign-in account. Change their role first, then "
        "erase their data."
    )


def person_erase(*, person: Person, user: AbstractBaseUser, request=None) -> dict:
    """Erase one person on request, in one transaction.

    1. Delete their own responses (only non-anonymous surveys link a response to a person) with
       the answers and their copies (response_copies_scrub), and recompute the rollup buckets
       those responses were in.
    2. Delete their invitations; clear them as the agent of customers' responses, and their
       name from those responses' new-response webhooks.
    3. Scrub and deactivate their sign-in account, if they have one, and delete the person.
    4. Record who erased whom (by id: the entry keeps no name or email) and what went.

    Refused, with nothing changed, for the user themselves and for an HR admin or CX manager
    (person_erase_refusal).
    """
    if refusal := person_erase_refusal(person=person, user=user):
        raise ValidationError(refusal)
    from dashboards.scoring import bucket_for, bucket_recompute

    with transaction.atomic():
        own = Response.objects.filter(respondent=person)
        buckets = {bucket_for(**row) for row in own.values("survey_id", "team_id", "submitted_at")}
        response_copies_scrub(response_ids=list(own.values_list("id", flat=True)))
        _agent_name_scrub(person)
        _, deleted = own.delete()
        for bucket in sorted(buckets, key=lambda b: (b.survey_id, b.team_id or 0, b.day)):
            bucket_recompute(bucket)
        # Their earlier links (InvitationToken) go with them: count the invitations alone.
        _, invitations = Invitation.objects.filter(person=person).delete()
        served = Response.objects.filter(agent=person).update(agent=None)
        account = _account_scrub(person.user) if person.user_id else False
        summary = {
            "responses": deleted.get(Response._meta.label, 0),
            "answers": deleted.get(Answer._meta.label, 0),
            "invitations": invitations.get(Invitation._meta.label, 0),
            "served_responses_deidentified": served,
            "buckets_recomputed": len(buckets),
            "account_deactivated": account,
        }
        audit_record(
            organization=person.organization,
            user=user,
            action=AuditAction.PERSON_ERASE,
            obj=person,
            detail=summary,
            request=request,
        )
        person.delete()
    return summary


def _account_scrub(account: AbstractBaseUser) -> bool:
    """Keep the row (other records point at it), drop everything that says who it was."""
    Membership.objects.filter(user=account).delete()
    Token.objects.filter(user=account).delete()
    account.username = f"erased-{account.pk}"
    account.email = ""
    account.first_name = account.last_name = ""
    account.is_active = account.is_staff = account.is_superuser = False
    account.set_unusable_password()
    account.save()
    return True


def person_export(*, person: Person, user: AbstractBaseUser, request=None) -> dict[str, Any]:
    """Everything stored about one person, as JSON-ready data, for an access request; the
    export itself is recorded in the audit log.

    Answers to anonymous surveys are not linked to anyone, so they cannot be (and are not)
    included; invitations show which surveys the person was asked to answer; "activity" is what
    they did as a user (audit entries, alert notes, alerts assigned to them).
    """
    audit_record(
        organization=person.organization,
        user=user,
        action=AuditAction.PERSON_EXPORT,
        obj=person,
        request=request,
    )
    account = person.user
    return {
        "exported_at": timezone.now().isoformat(),
        "person": {
            "id": person.pk,
            "name": person.name,
            "email": person.email,
            "organization": person.organization.name,
            "team": person.team.name if person.team else None,
            "is_lead": person.is_lead,
            "is_active": person.is_active,
        },
        "account": _account_export(account) if account else None,
        "invitations": _invitations_export(person),
        "responses": _responses_export(person),
        "served_responses": list(
            Response.objects.filter(agent=person)
            .values("survey_id", "survey__title")
            .annotate(count=Count("id"))
            .order_by("survey_id")
        ),
        "activity": _activity_export(account) if account else None,
    }


def _activity_export(account: AbstractBaseUser) -> dict[str, Any]:
    """What the person did as a user: their audit entries, alert notes and assigned alerts."""
    from dashboards.models import Alert, AlertNote

    entries = AuditLog.objects.filter(user=account).order_by("created_at", "id")
    notes = AlertNote.objects.filter(author=account).order_by("created_at", "id")
    return {
        "audit_log": [
            {
                "at": entry.created_at.isoformat(),
                "action": entry.action,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "detail": entry.detail,
                "ip": entry.ip,
            }
            for entry in entries
        ],
        "alert_notes": [
            {"alert": note.alert_id, "at": note.created_at.isoformat(), "body": note.body}
            for note in notes
        ],
        "alerts_assigned": list(
            Alert.objects.filter(assignee=account).order_by("id").values_list("id", flat=True)
        ),
    }


def _account_export(account: AbstractBaseUser) -> dict[str, Any]:
    return {
        "username": account.get_username(),
        "email": account.email,
        "date_joined": account.date_joined.isoformat(),
        "last_login": account.last_login.isoformat() if account.last_login else None,
        "roles": [
            {"organization": m.organization.name, "role": m.role}
            for m in account.memberships.select_related("organization")
        ],
    }


def _invitations_export(person: Person) -> list[dict[str, Any]]:
    rows = Invitation.objects.filter(person=person).select_related("survey", "cycle", "team")
    return [
        {
            "survey": inv.survey.title,
            "survey_id": inv.survey_id,
            "cycle": inv.cycle.number if inv.cycle else None,
            "team": inv.team.name if inv.team else None,
            "sent_at": _iso(inv.sent_at),
            "reminder_count": inv.reminder_count,
            "answered": inv.used_at is not None,
            # An anonymous survey's invitation records that it was used, not when (its used_at
            # is its created_at: responses.services): no time is given for it.
            "answered_at": None if inv.survey.anonymous else _iso(inv.used_at),
        }
        for inv in rows.order_by("created_at", "id")
    ]


def _responses_export(person: Person) -> list[dict[str, Any]]:
    responses = (
        Response.objects.filter(respondent=person)
        .select_related("survey", "team")
        .prefetch_related("answers__question")
        .order_by("submitted_at", "id")
    )
    return [
        {
            "id": response.pk,
            "survey": response.survey.title,
            "survey_id": response.survey_id,
            "team": response.team.name if response.team else None,
            "submitted_at": response.submitted_at.isoformat(),
            "answers": [
                {
                    "question": answer.question.text,
                    "question_id": answer.question_id,
                    "value": answer.value_int
                    if answer.value_int is not None
                    else (answer.value_choices or answer.value_text),
                }
                for answer in sorted(response.answers.all(), key=lambda a: a.question.order)
            ],
        }
        for response in responses
    ]


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
