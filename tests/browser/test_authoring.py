"""The authoring flow in a real browser, for an HR admin (EX) and a CX manager (CX), with axe."""

from __future__ import annotations

import pytest

from surveys.models import Person, Survey, SurveyStatus
from tests.browser.conftest import axe_violations, screenshot, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_admin_builds_an_engagement_survey_from_a_template(page, live_server, world):
    sign_in(page, live_server, world.hr_admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/surveys/")
    assert axe_violations(page) == []
    page.click("text=Start from a template")
    assert axe_violations(page) == []
    page.locator("section", has_text="Engagement survey").get_by_role(
        "button", name="Use this template"
    ).click()
    page.wait_for_load_state("networkidle")
    assert "created from the template" in page.content()
    screenshot(page, "authoring-detail")
    assert axe_violations(page) == []

    page.click("text=Add a question")
    screenshot(page, "authoring-question-form")
    assert axe_violations(page) == []
    page.select_option("select[name=type]", "likert")
    page.fill("input[name=text]", "I know what is expected of me at work.")
    page.select_option("select[name=driver]", "manager_support")
    page.fill("input[name=text__fr]", "Je sais ce que l'on attend de moi au travail.")
    page.click("button:has-text('Save question')")
    page.wait_for_load_state("networkidle")
    survey = Survey.objects.get(template_key="engagement")
    added = survey.questions.get(text__startswith="I know what")
    assert added.order == 17 and added.translations["fr"]["text"].startswith("Je sais")

    page.get_by_role("button", name="Move question 17 up").click()
    page.wait_for_load_state("networkidle")
    added.refresh_from_db()
    assert added.order == 16

    page.click("text=Preview")
    assert "Preview" in page.content() and "I am proud to tell people" in page.content()
    page.go_back()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state("networkidle")
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.LIVE


def test_cx_manager_writes_a_survey_with_display_logic(page, live_server, world):
    sign_in(page, live_server, world.cx_manager.user.username, PASSWORD)
    page.goto(f"{live_server.url}/surveys/new/")
    assert axe_violations(page) == []
    page.fill("input[name=title]", "Store visit")
    page.click("button:has-text('Create survey')")
    page.wait_for_load_state("networkidle")
    page.click("text=Add a question")
    page.select_option("select[name=type]", "csat")
    page.fill("input[name=text]", "How was your visit?")
    page.click("button:has-text('Save question')")
    page.click("text=Add a question")
    page.select_option("select[name=type]", "text")
    page.fill("input[name=text]", "What went wrong?")
    page.select_option("select[name=condition_question]", label="Q1. How was your visit?")
    page.select_option("select[name=condition_op]", "lte")
    page.fill("textarea[name=condition_value]", "2")
    page.click("button:has-text('Save question')")
    page.wait_for_load_state("networkidle")
    assert "Shown only when question 1" in page.content()
    survey = Survey.objects.get(title="Store visit")
    assert survey.kind == "cx"
    follow_up = survey.questions.get(text="What went wrong?")
    assert (follow_up.condition_op, follow_up.condition_value) == ("lte", 2)


def _upload_people(page, live_server, world, tmp_path, text: str, button: str) -> None:
    """The HR admin uploads `text` as a CSV on the people page and presses `button`."""
    csv = tmp_path / "people.csv"
    csv.write_text(text)
    sign_in(page, live_server, world.hr_admin.user.username, PASSWORD)
    page.goto(f"{live_server.url}/surveys/people/")
    page.set_input_files("input[name=file]", str(csv))
    page.click(f"button:has-text('{button}')")
    page.wait_for_load_state("networkidle")


def test_people_import_error_report_is_accessible(page, live_server, world, tmp_path):
    text = "name,email,team,lead\nAna,ana@example.com,Checkout,maybe\n"
    _upload_people(page, live_server, world, tmp_path, text, "Import")
    assert "Nothing was imported" in page.content()
    screenshot(page, "people-import-errors")
    assert axe_violations(page) == []
    assert not Person.objects.filter(organization=world.org).exists()


def test_people_import_preview_then_confirm_in_the_browser(page, live_server, world, tmp_path):
    text = "name,email,team\nAna Silva,ana@example.com,Checkout\n"
    _upload_people(page, live_server, world, tmp_path, text, "Preview changes")
    preview = page.locator("#import-preview")
    assert "Importing this file would give: 1 person added" in preview.inner_text()
    screenshot(page, "people-import-preview")
    assert axe_violations(page) == []
    assert not Person.objects.filter(email="ana@example.com").exists()
    page.click("button:has-text('Import these changes')")
    page.wait_for_load_state("networkidle")
    assert "Imported: 1 person added" in page.content()
    assert Person.objects.get(email="ana@example.com").team.name == "Checkout"
