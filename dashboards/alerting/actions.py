"""Writes from the alert pages and the API: the inbox's actions, rules and webhook endpoints.

Every action on an alert (acknowledge, assign, note, resolve) also stamps `first_response_at`
once, so time to first response and time to resolution are both recorded.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from config.audit import AuditAction, audit_changes, audit_object
from dashboards.alerting.selectors import RULE_CONDITION, rule_condition
from dashboards.models import Alert, AlertNote, AlertRule, AlertStatus, WebhookEndpoint
from surveys.signals import results_changed


def _first_response(alert: Alert, now) -> None:
    """Stamp the first response; every action on an alert calls this, so it also moves the
    organisation's results version on (the overview lists open alerts; QuerySet.update sends
    no signal)."""
    Alert.objects.filter(id=alert.id, first_response_at__isnull=True).update(first_response_at=now)
    results_changed(organization_id=alert.organization_id)


def alert_acknowledge(*, alert: Alert, user: AbstractBaseUser) -> bool:
    """Open -> acknowledged. Returns False when it was not open."""
    now = timezone.now()
    with transaction.atomic():
        changed = Alert.objects.filter(id=alert.id, status=AlertStatus.OPEN).update(
            status=AlertStatus.ACKNOWLEDGED, acknowledged_at=now
        )
        _first_response(alert, now)
    alert.refresh_from_db()
    return bool(changed)


def alert_assign(
    *, alert: Alert, assignee: AbstractBaseUser | None, user: AbstractBaseUser
) -> None:
    now = timezone.now()
    with transaction.atomic():
        Alert.objects.filter(id=alert.id).update(assignee=assignee)
        _first_response(alert, now)
        who = assignee.get_username() if assignee else "nobody"
        AlertNote.objects.create(
            alert=alert, author=user, body=f"Assigned to {who}.", created_at=now
        )
    alert.refresh_from_db()


def alert_note_add(*, alert: Alert, author: AbstractBaseUser, body: str) -> AlertNote:
    now = timezone.now()
    with transaction.atomic():
        note = AlertNote.objects.create(alert=alert, author=author, body=body, created_at=now)
        _first_response(alert, now)
    alert.refresh_from_db()
    return note


def alert_resolve(*, alert: Alert, user: AbstractBaseUser, note: str = "") -> bool:
    """Resolve, with an optional closing note. Returns False when it was already resolved."""
    now = timezone.now()
    with transaction.atomic():
        changed = (
            Alert.objects.filter(id=alert.id)
            .exclude(status=AlertStatus.RESOLVED)
            .update(status=AlertStatus.RESOLVED, resolved_at=now)
        )
        if changed and note:
            AlertNote.objects.create(alert=alert, author=user, body=note, created_at=now)
        _first_response(alert, now)
    alert.refresh_from_db()
    return bool(changed)


def alert_rule_save(
    *, rule: AlertRule, owners, user: AbstractBaseUser | None = None, request=None
) -> AlertRule:
    """Save a validated rule (new or edited) and its owners together, recorded in the audit log:
    a new rule's settings, or what an edit changed (nothing when it changed nothing)."""
    with transaction.atomic():
        saved = AlertRule.objects.filter(pk=rule.pk).prefetch_related("owners").first()
        before = _rule_settings(saved, saved.owners.all()) if saved else None
        rule.save()
        rule.owners.set(owners)
        after = _rule_settings(rule, owners)
        if before is None:
            action, detail = AuditAction.ALERT_RULE_CREATE, after
        else:
            action, detail = AuditAction.ALERT_RULE_EDIT, audit_changes(before, after)
        if detail:
            audit_object(obj=rule, action=action, user=user, detail=detail, request=request)
    return rule


def alert_rule_delete(
    *, rule: AlertRule, user: AbstractBaseUser | None = None, request=None
) -> None:
    """Delete a rule; its alerts stay in the inbox (their rule becomes empty). Recorded in the
    audit log."""
    detail = {"name": rule.name, "metric": rule.metric}
    _delete_recorded(rule, AuditAction.ALERT_RULE_DELETE, detail, user=user, request=request)


def _rule_settings(rule: AlertRule, owners) -> dict:
    """What a rule does, its relations as ids: what an entry says was set or changed."""
    return {
        "name": rule.name,
        **dict(zip(RULE_CONDITION, rule_condition(rule), strict=True)),
        "owners": sorted(owner.pk for owner in owners),
        "active": rule.active,
    }


def webhook_endpoint_create(
    *,
    organization_id: int,
    kind: str,
    url: str,
    on_alert: bool,
    on_response: bool,
    user: AbstractBaseUser | None,
    request=None,
) -> WebhookEndpoint:
    """A new endpoint with a fresh random signing secret, recorded in the audit log."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization_id=organization_id,
            kind=kind,
            url=url,
            secret=secrets.token_hex(32),
            on_alert=on_alert,
            on_response=on_response,
            created_by=user,
        )
        detail = {**_webhook_settings(endpoint), "on_alert": on_alert, "on_response": on_response}
        action = AuditAction.WEBHOOK_CREATE
        audit_object(obj=endpoint, action=action, user=user, detail=detail, request=request)
    return endpoint


def webhook_endpoint_delete(
    *, endpoint: WebhookEndpoint, user: AbstractBaseUser | None = None, request=None
) -> None:
    """Pending messages to it fail at their next attempt (the endpoint is gone). Recorded in the
    audit log."""
    detail = _webhook_settings(endpoint)
    _delete_recorded(endpoint, AuditAction.WEBHOOK_DELETE, detail, user=user, request=request)


def _delete_recorded(obj, action: str, detail: dict, *, user, request) -> None:
    """Record, then delete, together: the entry needs the row's id and organisation."""
    with transaction.atomic():
        audit_object(obj=obj, action=action, user=user, detail=detail, request=request)
        obj.delete()


def _webhook_settings(endpoint: WebhookEndpoint) -> dict:
    """What an entry says of an endpoint: its host only. The path and query may carry a token
    of the receiver's, and the signing secret never goes into the log."""
    return {"host": urlsplit(endpoint.url).hostname or "", "kind": endpoint.kind}
