import pytest

from tests.browser.conftest import axe_violations, screenshot, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_renders_and_passes_axe(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.title().startswith("Sign in")
    screenshot(page, "login")
    assert axe_violations(page) == []


def test_staff_member_signs_in_and_lands_on_their_surveys(page, live_server, world):
    sign_in(page, live_server, world.staff.user.username, PASSWORD)
    assert page.url.endswith("/r/mine/")
