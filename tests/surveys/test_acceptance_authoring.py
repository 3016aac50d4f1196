"""Acceptance gaps of issue 2 found by the audit (notes/audit.md), each fixed and pinned here:

- a survey has one outcome question (driver impact correlates the drivers with *the* outcome);
- an error about the whole request is `{"detail": "<one string>"}`, like every other API error;
- `add_member` refuses a team lead without a team and a user of another organisation;
- a team id no database can hold is a form error, not a 500 (SQLite cannot compare it).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from dashboards.alerting.forms import AlertRuleForm
from surveys.distribution_forms import PulseScheduleForm, SendForm
from surveys.models import Membership, Organization, Survey, SurveyStatus
from surveys.services import question_add, question_update
from tests.factories import QuestionFactory, SurveyFactory
from tests.surveys.test_api import _api

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past 2**63: SQLite raises OverflowError on `pk__in=[HUGE]`


# --- One outcome question per survey ---------------------------------------------------------


def test_api_refuses_two_outcome_questions_and_saves_nothing(world):
    body = {
        "title": "Pulse",
        "kind": "ex",
        "anonymous": True,
        "questions": [
            {"type": "nps", "text": "Recommend working here?", "is_outcome": True},
            {"type": "likert", "text": "I am proud of my work.", "is_outcome": True},
        ],
    }
    response = _api(world.hr_admin).post(reverse("api-surveys"), body, format="json")
    assert response.status_code == 400
    (message,) = response.json()["questions"]
    assert message.startswith("Question 2 (is_outcome): Only one question can be the outcome")
    assert not Survey.objects.exists()


def test_adding_or_ticking_a_second_outcome_is_refused(world):
    survey = SurveyFactory(organization=world.org)
    outcome = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    item = QuestionFactory(survey=survey, type="likert", order=2)
    with pytest.raises(ValidationError) as error:
        question_add(survey=survey, type="likert", text="Proud?", is_outcome=True)
    assert "is_outcome" in error.value.message_dict
    with pytest.raises(ValidationError):
        question_update(question=item, is_outcome=True)
    item.refresh_from_db()
    assert not item.is_outcome and survey.questions.count() == 2
    # The outcome itself can be edited, and moved to another question once unticked.
    question_update(question=outcome, text="Would you recommend working here?")
    question_update(question=outcome, is_outcome=False)
    assert question_update(question=item, is_outcome=True).is_outcome


def test_question_form_shows_the_second_outcome_on_its_field(world, login):
    survey = SurveyFactory(organization=world.org)
    QuestionFactory(survey=survey, type="nps", is_outcome=True, text="Recommend us?")
    response = login(world.hr_admin).post(
        reverse("surveys:question-add", args=[survey.pk]),
        {"type": "likert", "text": "Proud?", "is_outcome": "on"},
    )
    assert response.status_code == 200
    assert "already is" in str(response.context["form"].errors["is_outcome"])
    assert survey.questions.count() == 1


# --- Errors about the whole request ----------------------------------------------------------


def test_publish_and_close_errors_are_one_detail_string(world):
    client = _api(world.hr_admin)
    empty = SurveyFactory(organization=world.org, status=SurveyStatus.DRAFT, published_at=None)
    response = client.post(reverse("api-survey-publish", args=[empty.pk]))
    assert response.status_code == 400
    assert response.json() == {"detail": "Add at least one question before publishing."}
    response = client.post(reverse("api-survey-close", args=[empty.pk]))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Only a live survey can be closed; this one was never published."
    }


# --- add_member --------------------------------------------------------------------------------


def _add(*args: str) -> None:
    call_command("add_member", *args)


def test_add_member_refuses_a_team_lead_without_a_team():
    with pytest.raises(CommandError, match="A team lead needs a team"):
        _add(
            "--org",
            "Nova",
            "--email",
            "lead@nova.example",
            "--password",
            "pw-12345678",
            "--role",
            "team_lead",
        )
    assert not Organization.objects.exists()


def test_add_member_refuses_a_user_of_another_organisation():
    common = ["--email", "sam@nova.example", "--password", "pw-12345678", "--role", "staff"]
    _add("--org", "Nova", *common)
    with pytest.raises(CommandError, match="already a member of Nova"):
        _add("--org", "Other", *common)
    assert list(Membership.objects.values_list("organization__name", flat=True)) == ["Nova"]
    assert not Organization.objects.filter(name="Other").exists()
    _add("--org", "Nova", *common[:-1], "hr_admin")  # the same organisation: an update
    assert Membership.objects.get().role == "hr_admin"


# --- Ids no database can hold --------------------------------------------------------------------


def test_send_and_schedule_forms_refuse_a_huge_team_id(world):
    send = SendForm({"teams": [HUGE]}, organization=world.org)
    assert not send.is_valid() and "teams" in send.errors
    schedule = PulseScheduleForm(
        {"frequency": "monthly", "starts_on": "2026-03-02", "teams": [str(world.team.pk), HUGE]},
        organization=world.org,
        schedule=None,
    )
    assert not schedule.is_valid() and "teams" in schedule.errors
    ok = SendForm({"teams": [str(world.team.pk)]}, organization=world.org)
    assert ok.is_valid() and ok.chosen_teams() == [world.team]


def test_alert_rule_form_refuses_a_huge_owner_id(world):
    form = AlertRuleForm(
        {"name": "Low", "metric": "enps", "condition": "below", "threshold": "0"}
        | {"period": "month", "scope": "org", "owners": [f"-{HUGE}"], "active": "on"},
        organization=world.org,
        kind="ex",
    )
    assert not form.is_valid() and "owners" in form.errors
