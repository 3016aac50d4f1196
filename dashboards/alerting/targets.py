"""Where webhooks may go: public addresses only, unless the deployment allows its own network.

A webhook URL is typed by an HR admin or a CX manager, and the worker POSTs to it from inside
the deployment's network. Without a check, `http://169.254.169.254/...` (a cloud's metadata
service), `http://127.0.0.1:6379/` or an intranet admin port would be reachable by anyone who
may add a webhook (server-side request forgery). So by default a target must resolve to global
addresses only: checked when the endpoint is saved (a literal address, or a name that resolves)
and again before every delivery (a name may resolve elsewhere later), and the delivery then
connects to the addresses it checked (dashboards.alerting.outbox: pinned connections).

`TANDEM_WEBHOOK_PRIVATE_TARGETS=true` allows loopback, private and link-local receivers: for
an on-premises deployment whose receivers live on the intranet, and in development (it follows
`DEBUG` unless set).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

REFUSED = (
    "Webhooks go to public addresses only: {host} is {what}. An on-premises deployment can "
    "allow its own network with TANDEM_WEBHOOK_PRIVATE_TARGETS=true."
)


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """'' for a global address, else what it is (for the message)."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_global and not address.is_multicast:
        return ""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private and not address.is_unspecified:  # 0.0.0.0 reaches this machine
        return "a private address"
    return "not a public address"


def _addresses(host: str, port: int) -> list[str] | None:
    """The addresses `host` resolves to; None when it does not resolve (now)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return None
    return [info[4][0] for info in infos]


def target_refusal(url: str) -> str:
    """Why `url` may not receive webhooks, or '' when it may. A name that does not resolve is
    not refused here: its delivery fails (and is retried) like any unreachable receiver."""
    return target_check(url)[0]


def target_check(url: str) -> tuple[str, list[str] | None]:
    """(why `url` may not receive webhooks or '', the addresses checked). A delivery connects to
    those addresses only, never resolving the name again: a name that resolves to a public
    address for the check and to an internal one a moment later (DNS rebinding) still reaches
    the public one. None: nothing to hold the connection to (private targets allowed, or the
    name did not resolve)."""
    if settings.TANDEM_WEBHOOK_PRIVATE_TARGETS:
        return "", None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "Enter a valid URL.", None
    if not host:
        return "Enter a valid URL.", None
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _addresses(host, port)
    for address in addresses or []:
        try:
            what = _kind(ipaddress.ip_address(address.split("%", 1)[0]))
        except ValueError:
            continue
        if what:
            shown = host if host == address else f"{host} ({address})"
            return REFUSED.format(host=shown, what=what), None
    return "", addresses or None
