"""Deliveries through the outbox table: alert emails and signed webhooks.

Writers add `OutboxMessage` rows inside their own transaction and call `outbox_enqueue` (delivery
is asked for after commit). `outbox_deliver` claims a message by compare-and-set, sends it once,
logs the attempt and schedules a retry with exponential backoff; `outbox_flush` (Celery beat,
every minute) sends whatever is due, so nothing is lost while the broker or the receiver is down.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from dashboards.alerting.targets import target_check
from dashboards.models import DeliveryAttempt, OutboxKind, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# How long a claimed message stays with the worker that claimed it. A worker that dies mid-send
# leaves the message in "sending"; once the lease is over the flush task takes it up again.
LEASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
FLUSH_BUDGET_SECONDS = 45  # stay inside the one-minute beat interval
SIGNATURE_HEADER = "X-Tandem-Signature"
EVENT_HEADER = "X-Tandem-Event"


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str = ""
    final: bool = False  # no point retrying (endpoint removed or switched off)


def webhook_body(payload: dict) -> bytes:
    """The exact bytes POSTed (and signed): compact, key-sorted JSON."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":")
    ).encode()


def webhook_signature(*, secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the raw body with the endpoint's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def outbox_enqueue(*, message_ids: list[int]) -> None:
    """After the surrounding transaction commits, ask a worker to deliver each message.

    A broker that is down only delays delivery: the messages are pending in the database and
    `outbox_flush` sends them.
    """
    if not message_ids:
        return

    def enqueue() -> None:
        from dashboards.alerting.tasks import outbox_deliver_task

        for message_id in message_ids:
            try:
                outbox_deliver_task.delay(message_id)
            except (BrokerError, OSError):
                logger.warning(
                    "outbox: broker unavailable, message %s left for the flush", message_id
                )

    transaction.on_commit(enqueue)


def outbox_deliver(*, message_id: int) -> bool:
    """Send one due message at most once. Returns True when this call delivered it.

    1. Claim it: compare-and-set (pending, or sending with an expired lease, and due) -> sending,
       attempts + 1. Nobody else can claim it until the lease ends, so a re-delivered task or a
       concurrent flush finds nothing to do.
    2. Send the email or the signed webhook and log a DeliveryAttempt.
    3. Settle: sent; or pending again after a backoff; or failed after the last attempt.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        id=message_id,
        status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING],
        next_attempt_at__lte=now,
    ).update(status=OutboxStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return False
    message = OutboxMessage.objects.select_related("endpoint").get(id=message_id)
    started = time.monotonic()
    result = _send(message)
    DeliveryAttempt.objects.create(
        message=message,
        ok=result.ok,
        status_code=result.status_code,
        error=result.error[:2000],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    _settle(message, result)
    logger.info(
        "outbox: message %s (%s) attempt %s %s",
        message.id,
        message.kind,
        message.attempts,
        "delivered" if result.ok else f"failed: {result.error}",
    )
    return result.ok


def outbox_flush(*, limit: int = 200) -> int:
    """Deliver the messages that are due (oldest first). Returns how many were delivered."""
    due = list(
        OutboxMessage.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING],
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    deadline = time.monotonic() + FLUSH_BUDGET_SECONDS
    delivered = 0
    for message_id in due:
        if time.monotonic() > deadline:
            break  # the next flush carries on
        delivered += outbox_deliver(message_id=message_id)
    return delivered


def outbox_message_resend(*, message: OutboxMessage) -> bool:
    """Put a sent or failed message back in the queue with a fresh set of attempts.

    A webhook goes to the endpoint's current URL (it may have been corrected since).
    """
    target = message.endpoint.url if message.endpoint_id else message.target
    reset = OutboxMessage.objects.filter(
        id=message.id, status__in=[OutboxStatus.SENT, OutboxStatus.FAILED]
    ).update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
        target=target,
    )
    if reset:
        outbox_enqueue(message_ids=[message.id])
    return bool(reset)


def backoff_delay(attempts: int) -> timedelta:
    """Wait before the next attempt: base, 2 x base, 4 x base, ... capped at six hours."""
    delay = timedelta(seconds=settings.TANDEM_OUTBOX_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    return min(delay, BACKOFF_CAP)


def _settle(message: OutboxMessage, result: SendResult) -> None:
    now = timezone.now()
    mine = OutboxMessage.objects.filter(id=message.id, status=OutboxStatus.SENDING)
    if result.ok:
        mine.update(status=OutboxStatus.SENT, sent_at=now, last_error="")
    elif result.final or message.attempts >= settings.TANDEM_OUTBOX_MAX_ATTEMPTS:
        mine.update(status=OutboxStatus.FAILED, last_error=result.error)
    else:
        mine.update(
            status=OutboxStatus.PENDING,
            next_attempt_at=now + backoff_delay(message.attempts),
            last_error=result.error,
        )


def _send(message: OutboxMessage) -> SendResult:
    if message.kind == OutboxKind.EMAIL:
        return _send_email(message)
    return _post_webhook(message)


def _send_email(message: OutboxMessage) -> SendResult:
    try:
        send_mail(
            message.payload.get("subject", "Tandem"),
            message.payload.get("body", ""),
            settings.DEFAULT_FROM_EMAIL,
            [message.target],
            fail_silently=False,
        )
    except Exception as exc:  # noqa: BLE001 - any backend failure is a failed attempt
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    return SendResult(ok=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a GET without the body: report it as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _connect_pinned(connection: http.client.HTTPConnection, addresses: list[str]):
    """A socket to the first of `addresses` that answers, on the connection's port."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection(
                (address, connection.port), connection.timeout, connection.source_address
            )
        except OSError as exc:
            error = exc
    raise error or OSError("No address to connect to.")


class _Pinned:
    """A connection (or handler) holding the checked addresses it connects to."""

    def __init__(self, *args, addresses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.addresses = addresses


class _PinnedHTTP(_Pinned, http.client.HTTPConnection):
    def connect(self):
        self.sock = _connect_pinned(self, self.addresses)


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    def connect(self):
        # TLS for the name in the URL (its certificate, SNI), over the checked address.
        self.sock = self._context.wrap_socket(
            _connect_pinned(self, self.addresses), server_hostname=self.host
        )


class _PinnedHTTPHandler(_Pinned, urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(partial(_PinnedHTTP, addresses=self.addresses), req)


class _PinnedHTTPSHandler(_Pinned, urllib.request.HTTPSHandler):
    def https_open(self, req):
        connection = partial(_PinnedHTTPS, addresses=self.addresses)
        return self.do_open(connection, req, context=self._context)


def _proxied(url: str) -> bool:
    """Whether the environment sends `url` through an HTTP proxy (which then resolves the name
    and connects: the deployment's own egress control)."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    return parts.scheme in proxies and not urllib.request.proxy_bypass(parts.hostname or "")


def _opener_pinned(addresses: list[str]) -> urllib.request.OpenerDirector:
    """An opener whose connections go to `addresses` (checked by target_check) whatever the
    name now resolves to, without proxies (a proxy would resolve the name itself)."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _NoRedirect,
        _PinnedHTTPHandler(addresses=addresses),
        _PinnedHTTPSHandler(addresses=addresses),
    )


def _post_webhook(message: OutboxMessage) -> SendResult:
    endpoint = message.endpoint
    if endpoint is None or not endpoint.active:
        return SendResult(
            ok=False, error="The webhook endpoint was removed or switched off.", final=True
        )
    refusal, addresses = target_check(message.target)
    if refusal:
        return SendResult(ok=False, error=refusal, final=True)
    opener = _opener_pinned(addresses) if addresses and not _proxied(message.target) else _opener
    body = webhook_body(message.payload)
    request = urllib.request.Request(
        message.target,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Tandem-Webhooks/1",
            SIGNATURE_HEADER: webhook_signature(secret=endpoint.secret, body=body),
            EVENT_HEADER: message.event,
            "X-Tandem-Delivery": str(message.id),
        },
    )
    try:
        with opener.open(request, timeout=settings.TANDEM_WEBHOOK_TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return SendResult(ok=False, status_code=exc.code, error=f"HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        return SendResult(ok=False, error=f"Could not connect: {exc.reason}")
    except (TimeoutError, OSError, ValueError) as exc:
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    if 200 <= status < 300:
        return SendResult(ok=True, status_code=status)
    return SendResult(ok=False, status_code=status, error=f"HTTP {status}")
