from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from responses.models import Answer, Channel, Response
from responses.services import response_submit
from surveys.models import SurveyKind, SurveyStatus
from tests.factories import (
    CycleFactory,
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
)
from tests.responses.conftest import make_invitation

pytestmark = pytest.mark.django_db


def submit(survey, answers, **kwargs):
    kwargs.setdefault("team", survey.organization.teams.first())
    kwargs.setdefault("channel", Channel.LINK)
    return response_submit(survey=survey, answers=answers, **kwargs)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_valid_answers_of_every_type_are_stored(survey, world):
    q = survey.q
    response = submit(
        survey,
        [
            {"question": q["nps"].id, "value": 9},
            {"question": q["likert"].id, "value": 4},
            {"question": q["csat"].id, "value": "5"},
            {"question": q["ces"].id, "value": 7},
            {"question": q["single"].id, "value": "No"},
            {"question": q["multi"].id, "value": ["Staff", "Price"]},
            {"question": q["text"].id, "value": "  Friendly staff  "},
        ],
        team=world.team,
    )
    stored = {a.question_id: a for a in Answer.objects.filter(response=response)}
    assert stored[q["nps"].id].value_int == 9
    assert stored[q["likert"].id].value_int == 4
    assert stored[q["csat"].id].value_int == 5
    assert stored[q["ces"].id].value_int == 7
    assert stored[q["single"].id].value_choices == ["No"]
    # Options are stored in the question's order, whatever order they were sent in.
    assert stored[q["multi"].id].value_choices == ["Price", "Staff"]
    assert stored[q["text"].id].value_text == "Friendly staff"
    assert response.team == world.team
    assert response.location == world.team.location
    assert response.channel == Channel.LINK


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("nps", 0),
        ("nps", 10),
        ("likert", 1),
        ("likert", 5),
        ("csat", 1),
        ("ces", 1),
        ("ces", 7),
        ("single", "Yes"),
        ("multi", ["Speed"]),
        ("text", "x" * 5000),
    ],
)
def test_values_at_the_edges_of_each_scale_are_accepted(survey, kind, value):
    answers = [{"question": survey.q["nps"].id, "value": 5}] if kind != "nps" else []
    answers.append({"question": survey.q[kind].id, "value": value})
    submit(survey, answers)
    assert Answer.objects.filter(question=survey.q[kind]).count() == 1


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("nps", -1, "Choose a whole number from 0 to 10."),
        ("nps", 11, "Choose a whole number from 0 to 10."),
        ("nps", 7.5, "Choose a whole number from 0 to 10."),
        ("nps", True, "Choose a whole number from 0 to 10."),
        ("nps", "seven", "Choose a whole number from 0 to 10."),
        ("likert", 0, "Choose a whole number from 1 to 5."),
        ("likert", 6, "Choose a whole number from 1 to 5."),
        ("csat", 6, "Choose a whole number from 1 to 5."),
        ("ces", 0, "Choose a whole number from 1 to 7."),
        ("ces", 8, "Choose a whole number from 1 to 7."),
        ("single", "Maybe", "Choose from: Yes, No."),
        ("single", ["Yes"], "Choose from: Yes, No."),
        ("multi", ["Price", "Free lunch"], "Choose from: Price, Speed, Staff."),
        ("multi", [1], "Choose from: Price, Speed, Staff."),
        ("text", "x" * 5001, "Keep the answer to 5,000 characters or fewer."),
        ("text", 42, "Write the answer as text."),
    ],
)
def test_invalid_values_are_rejected_and_nothing_is_stored(survey, kind, value, message):
    answers = [{"question": survey.q["nps"].id, "value": 5}] if kind != "nps" else []
    answers.append({"question": survey.q[kind].id, "value": value})
    errors = errors_of(lambda: submit(survey, answers))
    assert errors == {f"question_{survey.q[kind].id}": [message]}
    assert Response.objects.count() == 0
    assert Answer.objects.count() == 0


def test_missing_required_answer_is_reported_on_its_question(survey):
    errors = errors_of(lambda: submit(survey, [{"question": survey.q["csat"].id, "value": 4}]))
    assert errors == {f"question_{survey.q['nps'].id}": ["This question needs an answer."]}
    assert Response.objects.count() == 0


def test_question_from_another_survey_is_rejected(survey):
    stranger = QuestionFactory(survey=SurveyFactory(organization=survey.organization))
    errors = errors_of(
        lambda: submit(
            survey,
            [
                {"question": survey.q["nps"].id, "value": 5},
                {"question": stranger.id, "value": 5},
            ],
        )
    )
    assert errors == {"answers": [f"Question {stranger.id} is not part of this survey."]}


def test_same_question_answered_twice_is_rejected(survey):
    nps = survey.q["nps"].id
    errors = errors_of(
        lambda: submit(survey, [{"question": nps, "value": 5}, {"question": nps, "value": 9}])
    )
    assert errors == {"answers": [f"Question {nps} is answered more than once."]}
    assert Response.objects.count() == 0


def test_many_bad_answers_are_listed_once_each_and_at_most_twenty(survey):
    """QA posted 50,000 copies of one answer: the 400 body repeated one line 50,000 times."""
    nps = survey.q["nps"].id
    errors = errors_of(lambda: submit(survey, [{"question": nps, "value": 5}] * 50_000))
    assert errors == {"answers": [f"Question {nps} is answered more than once."]}
    strangers = [{"question": 10_000_000 + n, "value": 5} for n in range(30)]
    errors = errors_of(lambda: submit(survey, [{"question": nps, "value": 5}, *strangers]))
    assert errors["answers"][:2] == [
        "Question 10000000 is not part of this survey.",
        "Question 10000001 is not part of this survey.",
    ]
    assert len(errors["answers"]) == 21
    assert errors["answers"][-1] == "And 10 more answers like these."
    assert Response.objects.count() == 0


def test_answers_must_be_a_list(survey):
    errors = errors_of(lambda: submit(survey, {"question": 1}))
    assert "answers" in errors


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (SurveyStatus.CLOSED, "This survey is closed."),
        (SurveyStatus.DRAFT, "This survey is not open yet."),
    ],
)
def test_only_live_surveys_take_answers(survey, status, message):
    survey.status = status
    survey.save()
    errors = errors_of(lambda: submit(survey, [{"question": survey.q["nps"].id, "value": 5}]))
    assert errors == {"survey": [message]}


def test_team_of_another_organisation_is_rejected(survey, world):
    other_team = TeamFactory(organization=world.outsider.organization)
    errors = errors_of(
        lambda: submit(survey, [{"question": survey.q["nps"].id, "value": 5}], team=other_team)
    )
    assert errors == {"team": ["Unknown team."]}


def test_submission_time_cannot_be_in_the_future_or_naive(survey):
    answers = [{"question": survey.q["nps"].id, "value": 5}]
    future = timezone.now() + dt.timedelta(hours=1)
    assert errors_of(lambda: submit(survey, answers, submitted_at=future)) == {
        "submitted_at": ["The submission time cannot be in the future."]
    }
    naive = dt.datetime(2026, 1, 5, 10, 0)
    assert "submitted_at" in errors_of(lambda: submit(survey, answers, submitted_at=naive))


def test_submission_time_cannot_be_before_2000(survey):
    answers = [{"question": survey.q["nps"].id, "value": 5}]
    for moment in (
        dt.datetime(1900, 1, 1, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    ):
        assert errors_of(lambda m=moment: submit(survey, answers, submitted_at=m)) == {
            "submitted_at": ["The submission time cannot be before 2000-01-01."]
        }
    earliest = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert submit(survey, answers, submitted_at=earliest).submitted_at == earliest


def test_import_in_the_past_records_the_round_running_then(survey):
    first = CycleFactory(
        survey=survey, number=1, opens_at=timezone.now() - dt.timedelta(days=20), closed=True
    )
    CycleFactory(survey=survey, number=2, opens_at=timezone.now() - dt.timedelta(days=6))
    then = timezone.now() - dt.timedelta(days=10)
    response = submit(survey, [{"question": survey.q["nps"].id, "value": 5}], submitted_at=then)
    assert response.cycle == first
    assert response.submitted_at == then


# --- Display logic ------------------------------------------------------------------------------


def test_hidden_question_is_never_required(survey, followup):
    answers = [
        {"question": survey.q["nps"].id, "value": 8},
        {"question": survey.q["csat"].id, "value": 5},
    ]
    response = submit(survey, answers)
    assert response.answers.count() == 2


def test_shown_conditional_question_is_required(survey, followup):
    answers = [
        {"question": survey.q["nps"].id, "value": 8},
        {"question": survey.q["csat"].id, "value": 2},
    ]
    errors = errors_of(lambda: submit(survey, answers))
    assert errors == {f"question_{followup.id}": ["This question needs an answer."]}


def test_answer_to_a_hidden_question_is_dropped(survey, followup):
    answers = [
        {"question": survey.q["nps"].id, "value": 8},
        {"question": survey.q["csat"].id, "value": 4},
        {"question": followup.id, "value": "typed before changing my mind"},
    ]
    response = submit(survey, answers)
    assert not response.answers.filter(question=followup).exists()


def test_question_depending_on_a_hidden_question_is_hidden_too(survey, followup):
    chained = QuestionFactory(
        survey=survey,
        order=9,
        type="single",
        choices=["Yes", "No"],
        required=True,
        condition_question=survey.q["single"],
        condition_op="eq",
        condition_value="Yes",
    )
    # "single" is answered Yes, so `chained` is shown and required...
    base = [{"question": survey.q["nps"].id, "value": 8}]
    errors = errors_of(
        lambda: submit(survey, [*base, {"question": survey.q["single"].id, "value": "Yes"}])
    )
    assert f"question_{chained.id}" in errors
    # ...but with "single" unanswered it is hidden.
    assert submit(survey, base).answers.count() == 1


def test_multiple_choice_condition_matches_any_option_picked(survey):
    shown_if_price = QuestionFactory(
        survey=survey,
        order=9,
        type="text",
        required=True,
        condition_question=survey.q["multi"],
        condition_op="in",
        condition_value=["Price"],
    )
    answers = [
        {"question": survey.q["nps"].id, "value": 8},
        {"question": survey.q["multi"].id, "value": ["Speed", "Price"]},
    ]
    assert f"question_{shown_if_price.id}" in errors_of(lambda: submit(survey, answers))


# --- Idempotency, invitations, anonymity ---------------------------------------------------------


def test_same_submission_key_twice_stores_one_response(survey):
    answers = [{"question": survey.q["nps"].id, "value": 10}]
    first = submit(survey, answers, submission_key="k-123")
    second = submit(survey, answers, submission_key="k-123")
    assert first.pk == second.pk
    assert Response.objects.count() == 1


def test_submission_key_of_another_survey_is_rejected(survey):
    submit(survey, [{"question": survey.q["nps"].id, "value": 10}], submission_key="k-1")
    other = SurveyFactory(organization=survey.organization)
    errors = errors_of(lambda: submit(other, [], submission_key="k-1"))
    assert errors == {"submission_key": ["This submission key belongs to another survey."]}


def test_invitation_is_marked_used_with_the_response(survey):
    invitation = make_invitation(survey)
    submit(
        survey,
        [{"question": survey.q["nps"].id, "value": 3}],
        team=invitation.team,
        invitation=invitation,
        cycle=invitation.cycle,
        respondent=invitation.person,
        channel=Channel.INVITATION,
    )
    invitation.refresh_from_db()
    assert invitation.used_at is not None


def test_used_invitation_is_rejected(survey):
    invitation = make_invitation(survey, used_at=timezone.now())
    errors = errors_of(
        lambda: submit(
            survey, [{"question": survey.q["nps"].id, "value": 3}], invitation=invitation
        )
    )
    assert errors == {"invitation": ["This survey has already been answered with this link."]}


def test_stale_invitation_loses_the_compare_and_set_and_rolls_back(survey):
    """Two requests loaded the invitation before either stored: the second one stores nothing."""
    invitation = make_invitation(survey)
    stale_copy = type(invitation).objects.get(pk=invitation.pk)
    answers = [{"question": survey.q["nps"].id, "value": 3}]
    submit(survey, answers, invitation=invitation, channel=Channel.INVITATION)
    errors = errors_of(
        lambda: submit(survey, answers, invitation=stale_copy, channel=Channel.INVITATION)
    )
    assert errors == {"invitation": ["This survey has already been answered with this link."]}
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1


def test_invitation_of_a_closed_round_is_rejected(survey):
    invitation = make_invitation(survey, cycle=CycleFactory(survey=survey, closed=True))
    errors = errors_of(
        lambda: submit(
            survey, [{"question": survey.q["nps"].id, "value": 3}], invitation=invitation
        )
    )
    assert errors == {"invitation": ["This round of the survey has closed."]}


def test_anonymous_response_has_no_path_back_to_the_person(survey):
    invitation = make_invitation(survey)
    response = submit(
        survey,
        [{"question": survey.q["nps"].id, "value": 3}],
        team=invitation.team,
        cycle=invitation.cycle,
        respondent=invitation.person,
        invitation=invitation,
        channel=Channel.INVITATION,
        submission_key="random-key",
    )
    row = Response.objects.filter(pk=response.pk).values().get()
    # Kept: team, location, round, time.
    assert row["team_id"] == invitation.team_id
    assert row["location_id"] == invitation.team.location_id
    assert row["cycle_id"] == invitation.cycle_id
    # Nothing that leads to the person: no respondent, agent, invitation, token, IP or user.
    assert row["respondent_id"] is None
    assert row["agent_id"] is None
    assert not {"invitation_id", "token", "token_hash", "ip", "user_id"} & set(row)
    assert invitation.token_hash not in {str(v) for v in row.values()}
    # And the invitation does not say when it was used, so times cannot be matched up.
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    assert invitation.used_at != row["submitted_at"]
    assert invitation.used_at == invitation.created_at


def test_non_anonymous_ex_survey_records_the_respondent(world):
    from tests.responses.conftest import make_survey

    survey = make_survey(world.org, kind=SurveyKind.EX, anonymous=False)
    invitation = make_invitation(survey)
    response = submit(
        survey,
        [{"question": survey.q["nps"].id, "value": 3}],
        respondent=invitation.person,
        invitation=invitation,
        channel=Channel.INVITATION,
    )
    assert response.respondent == invitation.person


def test_cx_response_keeps_the_agent_who_served(cx_survey, world):
    agent = PersonFactory(organization=world.org, team=world.team)
    response = submit(cx_survey, [{"question": cx_survey.q["nps"].id, "value": 9}], agent=agent)
    assert response.agent == agent
    assert response.respondent is None


# --- Scoring is queued after commit ----------------------------------------------------------------


def test_scoring_is_queued_after_commit(survey, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("dashboards.tasks.response_score.delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = submit(survey, [{"question": survey.q["nps"].id, "value": 3}])
    assert queued == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert queued == [(response.pk, survey.pk)]  # the task carries its survey


def test_broker_error_is_logged_not_raised(
    survey, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broken(*_):
        raise ConnectionError("broker down")

    monkeypatch.setattr("dashboards.tasks.response_score.delay", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(survey, [{"question": survey.q["nps"].id, "value": 3}])
    assert Response.objects.filter(pk=response.pk, scored_at__isnull=True).exists()
    assert "reconcile task will score it" in caplog.text
