"""Forgotten and changed passwords: Django's views, our pages, links and limits."""

from __future__ import annotations

import re

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


def _reset_link(message) -> str:
    (link,) = re.findall(r"https?://\S+/accounts/password/reset/\S+/", message.body)
    return link


def test_a_forgotten_password_is_reset_by_an_emailed_link(client, world, settings):
    settings.TANDEM_BASE_URL = "https://tandem.example/"
    user = world.staff.user
    user.email = "sam@example.com"
    user.save()
    login_page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in login_page

    sent = client.post("/accounts/password/reset/", {"email": "Sam@Example.com"})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["sam@example.com"]
    assert message.subject == "Reset your Tandem password"
    link = _reset_link(message)
    assert link.startswith("https://tandem.example/accounts/password/reset/")

    path = link.removeprefix("https://tandem.example")
    form = client.get(path, follow=True)  # Django swaps the token for a session marker
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase")
    again = client.get(path, follow=True)
    assert b"This link does not work any more" in again.content  # once only


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    """The page never tells whether an address has an account."""
    sent = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_reset_requests_are_limited_per_address(client, world):
    for _ in range(5):
        assert (
            client.post("/accounts/password/reset/", {"email": "a@example.com"}).status_code == 302
        )
    blocked = client.post("/accounts/password/reset/", {"email": "a@example.com"})
    assert blocked.status_code == 429
    assert b"Too many reset requests" in blocked.content


def test_a_signed_in_user_changes_their_password(world, login):
    client = login(world.hr_admin)
    assert 'href="/accounts/password/change/"' in client.get("/accounts/profile/").content.decode()
    user = world.hr_admin.user
    user.set_password("the-old-passphrase")
    user.save()
    client.force_login(user)
    wrong = client.post(
        "/accounts/password/change/",
        {
            "old_password": "nope",
            "new_password1": "x-new-passphrase-1",
            "new_password2": "x-new-passphrase-1",
        },
    )
    assert (
        wrong.status_code == 200 and b"Your old password was entered incorrectly" in wrong.content
    )
    changed = client.post(
        "/accounts/password/change/",
        {
            "old_password": "the-old-passphrase",
            "new_password1": "x-new-passphrase-1",
            "new_password2": "x-new-passphrase-1",
        },
    )
    assert changed.status_code == 302 and changed["Location"] == "/accounts/password/change/done/"
    user.refresh_from_db()
    assert user.check_password("x-new-passphrase-1")
    assert client.get("/accounts/profile/").status_code == 200  # still signed in
