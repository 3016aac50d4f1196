"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live_server.

Playwright cannot download its own browsers here, so we launch /usr/bin/chromium. Tests skip (not
fail) on a machine without Chromium; .ci/run installs it, so CI always runs them.

The journeys (test_journey_*.py) also need PostgreSQL and redis-server: `worker` gives them a real
`celery -A config worker` on the test database, fed by a private redis-server, that scores
responses, evaluates alert rules and sends emails into a directory (`worker.outbox`), while this
process (and the live server thread in it) publishes tasks to that broker instead of running them
eagerly. The worker starts once per session, on first use.
"""

from __future__ import annotations

import email
import os
import re
import shutil
from dataclasses import dataclass
from email import policy
from email.message import Message
from pathlib import Path

import pytest
from django.conf import settings

from config import celery_app
from tests.processes import (
    celery_worker,
    publishing_to,
    redis_server,
    scratch_dir,
    shared_cache,
    wait_for,
)

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("TANDEM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
PHONE = {"width": 360, "height": 740}


_shared: dict = {}


@pytest.fixture(scope="session")
def browser():
    # Other conftests import this fixture (tests/responses), which makes a second session fixture;
    # a second sync_playwright() in the same thread fails, so the first one started is shared.
    if "browser" in _shared:
        yield _shared["browser"]
        return
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        _shared["browser"] = browser
        try:
            yield browser
        finally:
            del _shared["browser"]
            browser.close()


# bypass_csp only lets the test inject axe-core; the CSP itself is asserted in tests/config.
@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored from the npm registry) in the page; return serious/critical findings."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def assert_accessible(page, name: str) -> None:
    """Save a screenshot of the page as `name` and check it has no serious or critical axe finding."""
    screenshot(page, name)
    assert axe_violations(page) == [], f"axe-core findings on {name} ({page.url})"


# --- The journeys: a real Celery worker --------------------------------------------------------

MAIL_SEPARATOR = "\n" + "-" * 79 + "\n"  # what Django's filebased backend writes after each email


@dataclass
class WorkerStack:
    broker_url: str
    cache_url: str  # the worker's cache, this process's while `worker` is used
    outbox: Path  # the worker's EMAIL_FILE_PATH
    log: Path

    def emails(self) -> list[Message]:
        """The emails the worker has finished writing (one file per connection; an email is
        complete once its separator line is written, so a half-written one is not read)."""
        found = []
        for path in sorted(self.outbox.glob("*.log")):
            for chunk in path.read_text(errors="replace").split(MAIL_SEPARATOR)[:-1]:
                # policy.default: headers decoded (a subject naming "Front desk · Lisbon" is
                # RFC 2047-encoded on the wire)
                found.append(email.message_from_string(chunk.lstrip("\n"), policy=policy.default))
        return found

    def wait_for_emails(self, count: int) -> list[Message]:
        def ready():
            found = self.emails()
            return found if len(found) >= count else None

        return wait_for(ready, what=f"{count} emails from the worker", log=self.log)

    def clear_outbox(self) -> None:
        for path in self.outbox.glob("*.log"):
            path.unlink()


def email_body(message: Message) -> str:
    return message.get_payload(decode=True).decode()


def invitation_links(message: Message) -> list[str]:
    return re.findall(r"https?://\S+/r/i/[\w-]+/", email_body(message))


@pytest.fixture(scope="session")
def worker_stack(browser, django_db_setup, live_server):
    """redis-server and `celery -A config worker` on the test database, for the whole session."""
    if not settings.IS_POSTGRES:
        pytest.skip(
            "the journeys need PostgreSQL (DATABASE_URL): the worker shares the test database"
        )
    with scratch_dir("outbox") as outbox, redis_server() as redis:
        env = {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(outbox),
            "TANDEM_BASE_URL": live_server.url,  # the links in the emails point at this server
        }
        # The worker's cache is the web side's (`worker` below), as in production: it computes
        # the pages viewed ahead after scored batches (dashboards.refresh).
        env.update(CACHE_URL=redis.url(1), CACHE_KEY_PREFIX="journeys")
        with celery_worker(broker_url=redis.url(), env=env) as worker:
            yield WorkerStack(
                broker_url=redis.url(), cache_url=redis.url(1), outbox=outbox, log=worker.log
            )


@pytest.fixture
def worker(worker_stack, transactional_db):
    """The worker, with this process publishing to it (the live server's requests too)."""
    # Register every task module now, as a worker does at start: publishing_to() resets the
    # app with close(), which also drops it from Celery's active apps, and a shared task
    # imported after that (say dashboards.tasks, first imported by a view) is never added.
    celery_app.loader.import_default_modules()
    worker_stack.clear_outbox()
    with (
        publishing_to(worker_stack.broker_url),
        shared_cache(worker_stack.cache_url, prefix="journeys"),
    ):
        yield worker_stack


def reload_until(page, predicate, *, what: str, seconds: float = 60):
    """Reload the page until `predicate(page)` is truthy (returned), e.g. a figure the worker
    updates; fails at the deadline."""

    def check():
        page.reload()
        return predicate(page)

    return wait_for(lambda: predicate(page) or check(), what=what, seconds=seconds, interval=0.5)
