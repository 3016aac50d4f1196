"""Outbox deliveries: signed webhooks to a real local HTTP server, retries, no double sends."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import smtplib
import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from dashboards import scoring
from dashboards.alerting import outbox, tasks
from dashboards.alerting.outbox import (
    backoff_delay,
    outbox_deliver,
    outbox_enqueue,
    outbox_flush,
    outbox_message_resend,
)
from dashboards.alerting.services import survey_has_listeners
from dashboards.alerting.webhooks import response_webhooks_queue
from dashboards.models import DeliveryAttempt, OutboxKind, OutboxMessage, OutboxStatus
from tests.factories import (
    OutboxMessageFactory,
    QuestionFactory,
    SurveyFactory,
    WebhookEndpointFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

PAYLOAD = {"event": "alert.created", "alert": {"id": 7, "message": "eNPS fell — by 60 points"}}
SECRET = "whsec-test-0123456789"


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread that records each POST and answers `status`."""

    def __init__(self, port: int = 0, status: int = 200):
        self.status = status
        self.requests: list[tuple] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.headers, body))
                self.send_response(receiver.status)
                if receiver.status in (301, 302):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_message(world, url: str, **fields) -> OutboxMessage:
    endpoint = WebhookEndpointFactory(organization=world.org, url=url, secret=SECRET)
    return OutboxMessageFactory(
        organization=world.org,
        kind=OutboxKind.WEBHOOK,
        target=url,
        endpoint=endpoint,
        payload=PAYLOAD,
        **fields,
    )


# --- Webhooks --------------------------------------------------------------------------------------


def test_webhook_body_is_signed_with_hmac_sha256_of_the_raw_body(world, receiver):
    message = webhook_message(world, receiver.url)

    assert outbox_deliver(message_id=message.id) is True

    [(headers, body)] = receiver.requests
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Tandem-Signature"] == f"sha256={expected}"
    assert headers["X-Tandem-Event"] == "alert.created"
    assert headers["X-Tandem-Delivery"] == str(message.id)
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == PAYLOAD
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")
    [attempt] = DeliveryAttempt.objects.filter(message=message)
    assert (attempt.ok, attempt.status_code, attempt.error) == (True, 200, "")


def test_receiver_down_then_up_is_retried_with_backoff_and_delivered_once(world, settings):
    settings.TANDEM_OUTBOX_BACKOFF_SECONDS = 60
    port = free_port()  # nothing listens: connection refused
    message = webhook_message(world, f"http://127.0.0.1:{port}/hook")
    started = timezone.now()

    assert outbox_deliver(message_id=message.id) is False

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "Could not connect" in message.last_error
    assert started + dt.timedelta(seconds=59) < message.next_attempt_at
    assert message.next_attempt_at < timezone.now() + dt.timedelta(seconds=61)
    [failed] = DeliveryAttempt.objects.filter(message=message)
    assert (failed.ok, failed.status_code) == (False, None)

    up = Receiver(port=port)
    try:
        assert outbox_flush() == 0  # not due yet: no attempt at all
        assert DeliveryAttempt.objects.filter(message=message).count() == 1
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
            assert outbox_flush() == 1
            assert outbox_flush() == 0
    finally:
        up.close()

    assert len(up.requests) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert list(DeliveryAttempt.objects.filter(message=message).values_list("ok", flat=True)) == [
        True,
        False,
    ]  # newest first


def test_redelivered_task_never_sends_twice(world, receiver):
    message = webhook_message(world, receiver.url)

    tasks.outbox_deliver_task.delay(message.id)
    tasks.outbox_deliver_task.delay(message.id)  # the broker delivers it again
    assert outbox_flush() == 0

    assert len(receiver.requests) == 1
    assert DeliveryAttempt.objects.filter(message=message).count() == 1


def test_a_message_claimed_by_another_worker_is_left_alone_until_its_lease_ends(world, receiver):
    message = webhook_message(world, receiver.url)
    leased_until = timezone.now() + dt.timedelta(minutes=5)
    OutboxMessage.objects.filter(id=message.id).update(
        status=OutboxStatus.SENDING, attempts=1, next_attempt_at=leased_until
    )

    assert outbox_deliver(message_id=message.id) is False
    assert receiver.requests == []

    # That worker died mid-send: once the lease is over the message is taken up again.
    with time_machine.travel(leased_until + dt.timedelta(seconds=1), tick=False):
        assert outbox_flush() == 1
    assert len(receiver.requests) == 1


def test_server_error_is_retried_then_fails_after_the_last_attempt(world, settings):
    settings.TANDEM_OUTBOX_MAX_ATTEMPTS = 2
    failing = Receiver(status=500)
    try:
        message = webhook_message(world, failing.url)
        assert outbox_deliver(message_id=message.id) is False
        message.refresh_from_db()
        assert (message.status, message.last_error) == ("pending", "HTTP 500 Internal Server Error")
        with time_machine.travel(message.next_attempt_at, tick=False):
            assert outbox_deliver(message_id=message.id) is False
    finally:
        failing.close()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)
    codes = DeliveryAttempt.objects.filter(message=message).values_list("status_code", flat=True)
    assert list(codes) == [500, 500]


def test_a_redirect_is_a_failed_attempt_not_followed(world):
    redirecting = Receiver(status=302)
    try:
        message = webhook_message(world, redirecting.url)
        assert outbox_deliver(message_id=message.id) is False
    finally:
        redirecting.close()
    assert len(redirecting.requests) == 1
    assert DeliveryAttempt.objects.get(message=message).status_code == 302


def test_switched_off_endpoint_fails_at_once_without_retry(world, receiver):
    message = webhook_message(world, receiver.url)
    message.endpoint.active = False
    message.endpoint.save()

    assert outbox_deliver(message_id=message.id) is False

    message.refresh_from_db()
    assert message.status == "failed"
    assert receiver.requests == []


def test_backoff_doubles_and_is_capped(settings):
    settings.TANDEM_OUTBOX_BACKOFF_SECONDS = 60
    assert [backoff_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff_delay(20) == dt.timedelta(hours=6)


# --- Emails, resend, broker down ---------------------------------------------------------------------


def test_email_is_sent_once_and_logged(world):
    message = OutboxMessageFactory(
        organization=world.org,
        target="owner@example.com",
        payload={"subject": "[Tandem] eNPS", "body": "eNPS fell."},
    )

    assert outbox_deliver(message_id=message.id) is True
    assert outbox_deliver(message_id=message.id) is False

    [email] = mail.outbox
    assert (email.to, email.subject, email.body) == (
        ["owner@example.com"],
        "[Tandem] eNPS",
        "eNPS fell.",
    )
    assert DeliveryAttempt.objects.get(message=message).ok is True


def test_email_backend_failure_is_retried(world, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(outbox, "send_mail", refuse)
    message = OutboxMessageFactory(organization=world.org)

    assert outbox_deliver(message_id=message.id) is False

    message.refresh_from_db()
    assert message.status == "pending"
    assert message.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"


def test_failed_message_can_be_sent_again_by_hand(
    world, receiver, django_capture_on_commit_callbacks
):
    message = webhook_message(world, receiver.url, status=OutboxStatus.FAILED, attempts=10)

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_message_resend(message=message) is True

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert len(receiver.requests) == 1
    pending = OutboxMessageFactory(organization=world.org)
    assert outbox_message_resend(message=pending) is False


def test_broker_down_leaves_the_message_for_the_flush(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(tasks.outbox_deliver_task, "delay", broker_down)
    message = OutboxMessageFactory(organization=world.org)

    with django_capture_on_commit_callbacks(execute=True):
        outbox_enqueue(message_ids=[message.id])  # logs, does not raise

    assert OutboxMessage.objects.get(id=message.id).status == "pending"
    assert outbox_flush() == 1
    assert len(mail.outbox) == 1


# --- New-response webhooks -------------------------------------------------------------------------


@pytest.fixture
def cx_survey(world):
    survey = SurveyFactory(organization=world.org, kind="cx", anonymous=False)
    survey.nps = QuestionFactory(survey=survey, type="nps", order=1, text="Recommend us?")
    return survey


def test_new_response_webhook_is_queued_once_per_endpoint(world, cx_survey):
    endpoint = WebhookEndpointFactory(
        organization=world.org, kind="cx", on_alert=False, on_response=True
    )
    WebhookEndpointFactory(organization=world.org, kind="cx")  # alerts only
    WebhookEndpointFactory(organization=world.org, kind="ex", on_response=True)  # other kind
    response = response_with_answers(survey=cx_survey, team=world.team, answers={cx_survey.nps: 4})

    assert response_webhooks_queue(response_id=response.id) == 1
    assert response_webhooks_queue(response_id=response.id) == 0  # scoring ran twice

    message = OutboxMessage.objects.get()
    assert (message.endpoint, message.response_id, message.event) == (
        endpoint,
        response.id,
        "response.created",
    )
    body = message.payload["response"]
    assert body["team"] == {"id": world.team.id, "name": "Front desk"}
    assert body["answers"] == [
        {
            "question": cx_survey.nps.id,
            "text": "Recommend us?",
            "type": "nps",
            "value": "4",
            "sentiment": None,
        }
    ]


@pytest.mark.parametrize("kind", ["ex", "cx"])
def test_no_new_response_webhook_for_an_anonymous_survey(world, kind):
    """One person's answers with their team, location and time: never sent, employee or
    customer, and the worker is not told the survey has listeners."""
    survey = SurveyFactory(organization=world.org, kind=kind, anonymous=True)
    question = QuestionFactory(survey=survey, type="nps")
    WebhookEndpointFactory(organization=world.org, kind=kind, on_response=True)
    response = response_with_answers(survey=survey, team=world.team, answers={question: 9})

    assert response_webhooks_queue(response_id=response.id) == 0
    assert not OutboxMessage.objects.exists()
    assert survey_has_listeners(survey_id=survey.id) is False


def test_scoring_a_response_sends_its_webhook(
    world, cx_survey, receiver, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(
        organization=world.org, kind="cx", url=receiver.url, on_alert=False, on_response=True
    )
    response = response_with_answers(survey=cx_survey, team=world.team, answers={cx_survey.nps: 9})

    with django_capture_on_commit_callbacks(execute=True):
        scoring.response_score(response_id=response.id)
        scoring.response_score(response_id=response.id)

    [(headers, body)] = receiver.requests
    assert headers["X-Tandem-Event"] == "response.created"
    assert json.loads(body)["response"]["id"] == response.id


# --- Where webhooks may go (dashboards.alerting.targets) -------------------------------------------


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("http://127.0.0.1:6379/", "a loopback address"),
        ("http://localhost:8000/hook", "a loopback address"),  # a name, resolved
        ("http://[::1]/hook", "a loopback address"),
        ("http://[::ffff:127.0.0.1]/hook", "a loopback address"),
        ("https://10.1.2.3/hook", "a private address"),
        ("https://192.168.0.10/hook", "a private address"),
        ("http://0.0.0.0/hook", "not a public address"),
    ],
)
def test_webhooks_to_internal_addresses_are_refused(settings, url, what):
    from dashboards.alerting.targets import target_refusal

    settings.TANDEM_WEBHOOK_PRIVATE_TARGETS = False
    refusal = target_refusal(url)
    assert what in refusal and "TANDEM_WEBHOOK_PRIVATE_TARGETS" in refusal
    settings.TANDEM_WEBHOOK_PRIVATE_TARGETS = True  # an on-premises deployment's intranet
    assert target_refusal(url) == ""


@pytest.mark.parametrize(
    "url", ["https://93.184.215.14/hook", "https://[2606:4700::1111]/x", "https://x.invalid/"]
)
def test_webhooks_to_public_or_unresolved_addresses_are_allowed(settings, url):
    """A name that does not resolve is not refused: its delivery fails and is retried."""
    from dashboards.alerting.targets import target_refusal

    settings.TANDEM_WEBHOOK_PRIVATE_TARGETS = False
    assert target_refusal(url) == ""


def test_a_webhook_to_an_internal_address_is_not_sent(world, receiver, settings):
    """Checked again at delivery (a name may resolve elsewhere since it was saved): failed for
    good with the reason, nothing reaches the receiver."""
    settings.TANDEM_WEBHOOK_PRIVATE_TARGETS = False
    message = webhook_message(world, receiver.url)

    assert outbox_deliver(message_id=message.id) is False

    assert receiver.requests == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "127.0.0.1 is a loopback address" in message.last_error


@pytest.fixture
def resolver(monkeypatch, settings):
    """The guard on, names resolved for the check as `checked` says, every address taken as
    public: what a delivery connects to then shows whether it resolved the name again."""
    from dashboards.alerting import targets

    settings.TANDEM_WEBHOOK_PRIVATE_TARGETS = False
    checked: dict[str, list[str]] = {}
    monkeypatch.setattr(targets, "_addresses", lambda host, port: checked.get(host))
    monkeypatch.setattr(targets, "_kind", lambda address: "")
    return checked


def test_a_delivery_connects_to_the_address_it_checked(world, receiver, resolver):
    """The name is not resolved again after the check (hooks.example.test resolves nowhere):
    the POST goes to the checked address, with the name in its Host header."""
    port = receiver.server.server_port
    resolver["hooks.example.test"] = ["127.0.0.1"]
    message = webhook_message(world, f"http://hooks.example.test:{port}/hook")

    assert outbox_deliver(message_id=message.id) is True

    ((headers, _body),) = receiver.requests
    assert headers["Host"] == f"hooks.example.test:{port}"


def test_a_name_that_resolves_elsewhere_after_the_check_is_not_followed(world, receiver, resolver):
    """DNS rebinding: checked as 127.0.0.2 (nothing listens there), the name then resolving to
    the receiver's 127.0.0.1: the delivery fails at the checked address, nothing is received."""
    resolver["localhost"] = ["127.0.0.2"]
    message = webhook_message(world, f"http://localhost:{receiver.server.server_port}/hook")

    assert outbox_deliver(message_id=message.id) is False

    assert receiver.requests == []
    message.refresh_from_db()
    assert "Could not connect" in message.last_error


def test_a_delivery_over_tls_checks_the_certificate_of_the_name_at_the_checked_address(
    world, resolver, monkeypatch, tmp_path
):
    """HTTPS: the connection goes to the checked address, and TLS is for the URL's name (SNI
    and the certificate's name), as if the name had been resolved."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example.test",
         "-addext", "subjectAltName=DNS:hooks.example.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = Receiver()
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    server.server.socket = served.wrap_socket(server.server.socket, server_side=True)
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(ssl, "_create_default_https_context", lambda *a, **k: trusting)
    try:
        port = server.server.server_port
        resolver["hooks.example.test"] = ["127.0.0.1"]
        message = webhook_message(world, f"https://hooks.example.test:{port}/hook")
        assert outbox_deliver(message_id=message.id) is True
        assert len(server.requests) == 1
        # The same certificate is refused for another name: the name is checked, not skipped.
        resolver["other.example.test"] = ["127.0.0.1"]
        other = webhook_message(world, f"https://other.example.test:{port}/hook")
        assert outbox_deliver(message_id=other.id) is False
        other.refresh_from_db()
        assert "CERTIFICATE_VERIFY_FAILED" in other.last_error
    finally:
        server.close()


def test_a_deployment_proxy_still_carries_webhooks(world, receiver, resolver, monkeypatch):
    """With https_proxy/http_proxy set, the proxy connects (and resolves the name): here the
    receiver stands in for the proxy and gets the absolute URL to forward."""
    resolver["hooks.example.test"] = ["127.0.0.2"]  # never connected to: the proxy is
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{receiver.server.server_port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    # A process reads the proxy settings when it starts (urllib's ProxyHandler): as if it had.
    monkeypatch.setattr(outbox, "_opener", urllib.request.build_opener(outbox._NoRedirect))
    message = webhook_message(world, "http://hooks.example.test/hook")

    assert outbox_deliver(message_id=message.id) is True

    assert len(receiver.requests) == 1
