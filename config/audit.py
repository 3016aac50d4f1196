"""The audit log: who wrote through the API, who looked at raw responses, comments and exports,
who erased or exported a person's data, who imported people, who changed a survey's life,
distribution, alert rules or webhook endpoints, the organisation's settings or its members' roles, and when.

- `audit_record(...)` is the one way to write an entry; views that show sensitive data call it,
  and the services that act on surveys, links, pulses, rules, webhook endpoints, settings and roles (so the pages,
  the API and the commands are all covered). A service records nothing when nothing changed.
- `ApiAuditMiddleware` records every successful write (POST/PUT/PATCH/DELETE) under /api/v1/,
  after DRF has authenticated the caller (session or token), unless the service it called
  recorded the action under its own name (`audit_record`). Request bodies are never stored:
  they may hold answers and personal data.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from config import rows
from config.ratelimit import client_ip
from surveys.models import AuditLog, Organization
from surveys.selectors import membership_for_user

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditAction:
    """Action names in use. Other strings are allowed; keep them `<area>.<verb>`."""

    API_POST = "api.post"
    API_PUT = "api.put"
    API_PATCH = "api.patch"
    API_DELETE = "api.delete"
    RESPONSES_VIEW = "responses.view"
    COMMENTS_VIEW = "comments.view"
    EXPORT_DOWNLOAD = "export.download"
    PERSON_ERASE = "person.erase"
    PERSON_EXPORT = "person.export"
    PERSON_EDIT = "person.edit"
    PERSON_LEFT = "person.left"
    PERSON_BACK = "person.back"
    PEOPLE_IMPORT = "people.import"
    RETENTION_CHANGE = "retention.change"
    RETENTION_PURGE = "retention.purge"
    SURVEY_DELETE = "survey.delete"
    SURVEY_PUBLISH = "survey.publish"
    SURVEY_CLOSE = "survey.close"
    SURVEY_ANONYMITY = "survey.anonymity"
    INVITATIONS_SEND = "invitations.send"
    INVITATIONS_REMIND = "invitations.remind"
    PULSE_CREATE = "pulse.create"
    PULSE_EDIT = "pulse.edit"
    PULSE_STOP = "pulse.stop"
    PULSE_RESTART = "pulse.restart"
    LINK_CREATE = "customer_link.create"
    LINK_DEACTIVATE = "customer_link.deactivate"
    LINK_ACTIVATE = "customer_link.activate"
    ALERT_RULE_CREATE = "alert_rule.create"
    ALERT_RULE_EDIT = "alert_rule.edit"
    ALERT_RULE_DELETE = "alert_rule.delete"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_DELETE = "webhook.delete"
    THRESHOLD_CHANGE = "threshold.change"
    MEMBER_ADD = "member.add"
    MEMBER_CHANGE = "member.change"
    MEMBER_REMOVE = "member.remove"


# What the audit page calls each action; an action missing here is shown as stored.
ACTION_LABELS = {
    AuditAction.API_POST: "API write (POST)",
    AuditAction.API_PUT: "API write (PUT)",
    AuditAction.API_PATCH: "API write (PATCH)",
    AuditAction.API_DELETE: "API write (DELETE)",
    AuditAction.RESPONSES_VIEW: "Raw responses viewed",
    AuditAction.COMMENTS_VIEW: "Comments viewed",
    AuditAction.EXPORT_DOWNLOAD: "Export downloaded",
    AuditAction.PERSON_ERASE: "Person erased",
    AuditAction.PERSON_EXPORT: "Person's data exported",
    AuditAction.PERSON_EDIT: "Person's details changed",
    AuditAction.PERSON_LEFT: "Person marked as left",
    AuditAction.PERSON_BACK: "Person marked as back",
    AuditAction.PEOPLE_IMPORT: "People imported",
    AuditAction.RETENTION_CHANGE: "Retention period changed",
    AuditAction.RETENTION_PURGE: "Old responses purged",
    AuditAction.SURVEY_DELETE: "Draft survey deleted",
    AuditAction.SURVEY_PUBLISH: "Survey published",
    AuditAction.SURVEY_CLOSE: "Survey closed",
    AuditAction.SURVEY_ANONYMITY: "Survey anonymity changed",
    AuditAction.INVITATIONS_SEND: "Survey sent",
    AuditAction.INVITATIONS_REMIND: "Reminders sent",
    AuditAction.PULSE_CREATE: "Pulse scheduled",
    AuditAction.PULSE_EDIT: "Pulse changed",
    AuditAction.PULSE_STOP: "Pulse stopped",
    AuditAction.PULSE_RESTART: "Pulse restarted",
    AuditAction.LINK_CREATE: "Customer link created",
    AuditAction.LINK_DEACTIVATE: "Customer link switched off",
    AuditAction.LINK_ACTIVATE: "Customer link switched on",
    AuditAction.ALERT_RULE_CREATE: "Alert rule created",
    AuditAction.ALERT_RULE_EDIT: "Alert rule changed",
    AuditAction.ALERT_RULE_DELETE: "Alert rule deleted",
    AuditAction.WEBHOOK_CREATE: "Webhook endpoint added",
    AuditAction.WEBHOOK_DELETE: "Webhook endpoint removed",
    AuditAction.THRESHOLD_CHANGE: "Anonymity threshold changed",
    AuditAction.MEMBER_ADD: "Member added",
    AuditAction.MEMBER_CHANGE: "Member's role changed",
    AuditAction.MEMBER_REMOVE: "Member removed",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def audit_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict]:
    """{field: {"from": before, "to": after}} for the fields whose value differs: an entry's
    detail (the audit page shows each as "before → after")."""
    return {
        field: {"from": before.get(field), "to": value}
        for field, value in after.items()
        if before.get(field) != value
    }


def audit_record(
    *,
    organization: Organization | None,
    user: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    request=None,
) -> AuditLog:
    """Write one audit entry. `obj` names the object acted on; `detail` must hold no answers.

    Written for an API write (a service the API called, given its request), the entry says
    "via: api" and stands for the call: the middleware writes no generic `api.<method>` one.
    """
    if request is not None and _is_api_write(request):
        detail = {**(detail or {}), "via": "api"}
        api_write_recorded(request)
    return _write(
        organization=organization,
        user=user,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
        request=request,
    )


def audit_object(
    *,
    obj: models.Model,
    action: str,
    user: AbstractBaseUser | AnonymousUser | None,
    detail: dict[str, Any] | None = None,
    request=None,
) -> AuditLog:
    """`audit_record` for an action on `obj`, in its organisation: the organisation itself, the
    row's `organization`, or its survey's (a customer link, a pulse schedule)."""
    if isinstance(obj, Organization):
        organization = obj
    elif hasattr(obj, "organization_id"):
        organization = obj.organization
    else:
        organization = obj.survey.organization
    return audit_record(
        organization=organization,
        user=user,
        action=action,
        obj=obj,
        detail=detail,
        request=request,
    )


def _is_api_write(request) -> bool:
    return request.method in WRITE_METHODS and request.path.startswith(API_PREFIX)


def _write(**fields) -> AuditLog:
    # Hand-written INSERT (config.rows.insert): the API writes one entry per call.
    return rows.insert(_entry(**fields))


def _entry(*, organization, user, action, object_type, object_id, detail, request) -> AuditLog:
    if user is not None and not user.is_authenticated:
        user = None
    return AuditLog(
        organization=organization,
        user=user,
        actor=user.get_username() if user is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail or {},
        ip=_ip_or_none(request),
    )


def _ip_or_none(request) -> str | None:
    if request is None:
        return None
    ip = client_ip(request)
    return ip if ip and ip != "unknown" else None


class ApiAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, RECORDED, False):
            return response  # the view stored its entry with its own write (api_write_entry)
        if _is_api_write(request) and 200 <= response.status_code < 300:
            try:
                _record_api_write(request, response)
            except Exception:  # the write itself succeeded; never turn it into a 500
                logger.exception("audit: could not record %s %s", request.method, request.path)
        return response


def _record_api_write(request, response) -> None:
    rows.insert(_api_entry(request, response))


def _api_entry(request, response) -> AuditLog:
    user = getattr(request, "user", None)
    membership = membership_for_user(user=user) if user is not None else None
    match = request.resolver_match
    view_name = match.view_name if match else ""
    object_type, object_id = _api_object(match, response)
    return _entry(
        organization=membership.organization if membership else None,
        user=user,
        action=f"api.{request.method.lower()}",
        object_type=object_type,
        object_id=object_id,
        detail={"path": request.path, "view": view_name, "status": response.status_code},
        request=request,
    )


RECORDED = "_tandem_api_write_recorded"


def api_write_entry(request, *, status: int) -> AuditLog:
    """The entry the middleware would write for this API call answering `status`, unsaved: a
    view that stores it within its own write (the responses API, in its insert statement) then
    calls `api_write_recorded`, and the middleware writes no second one. The URL's id (`pk`)
    names the object, as for the middleware."""
    return _api_entry(request, SimpleNamespace(status_code=status, data=None))


def api_write_recorded(request) -> None:
    # On Django's request, which the middleware holds (REST framework's wraps it).
    setattr(getattr(request, "_request", request), RECORDED, True)


def _api_object(match, response) -> tuple[str, str]:
    """The model the view works on (from the DRF view's queryset) and the object's id (from the
    URL, else from the body of a 201 response)."""
    object_type = ""
    view_class = getattr(match.func, "cls", None) if match else None
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        object_type = queryset.model._meta.label_lower
    kwargs = match.kwargs if match else {}
    object_id = kwargs.get("pk") or kwargs.get("id") or ""
    data = getattr(response, "data", None)
    if not object_id and isinstance(data, dict) and data.get("id") is not None:
        object_id = data["id"]
    return object_type, str(object_id)[:64]
