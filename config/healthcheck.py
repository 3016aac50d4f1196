"""Container health probe: `python -m config.healthcheck` exits 0 when /readyz answers 200.

Used by the Dockerfile and docker-compose.yml. It asks with a Host header taken from
ALLOWED_HOSTS (a probe to 127.0.0.1 would otherwise be refused as a disallowed host) and with
X-Forwarded-Proto: https, as the TLS proxy in front of the app would.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def probe_host(allowed_hosts: str) -> str:
    for host in (h.strip() for h in allowed_hosts.split(",")):
        if host and host != "*":
            return host.lstrip(".")
    return "localhost"


def probe(*, url: str, host: str, timeout: float = 4.0) -> bool:
    request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    port = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").rsplit(":", 1)[-1]
    url = os.environ.get("HEALTHCHECK_URL", f"http://127.0.0.1:{port}/readyz")
    host = probe_host(os.environ.get("ALLOWED_HOSTS", "localhost"))
    return 0 if probe(url=url, host=host) else 1


if __name__ == "__main__":
    sys.exit(main())
