from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from surveys.models import Question, SurveyStatus
from surveys.services import (
    question_add,
    question_move,
    question_remove,
    question_update,
    survey_close,
    survey_create,
    survey_create_from_template,
    survey_duplicate,
    survey_publish,
    survey_update,
)
from tests.factories import QuestionFactory, ResponseFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def _draft(world, **kwargs):
    return SurveyFactory(
        organization=world.org, status=SurveyStatus.DRAFT, published_at=None, **kwargs
    )


def _texts(survey):
    return list(survey.questions.values_list("text", flat=True))


# --- survey_create ---------------------------------------------------------------------------


def test_survey_create_stores_questions_in_order(world):
    survey = survey_create(
        organization=world.org,
        user=world.hr_admin.user,
        title="  Q3 pulse ",
        kind="ex",
        questions=[
            {"type": "nps", "text": "Recommend us?", "required": True, "is_outcome": True},
            {"type": "single", "text": "Shift?", "choices": [" Day ", "Night"]},
            {
                "type": "text",
                "text": "Why?",
                "condition_question": 0,
                "condition_op": "lte",
                "condition_value": "6",
            },
        ],
    )
    assert survey.title == "Q3 pulse"
    assert survey.status == SurveyStatus.DRAFT
    assert survey.created_by == world.hr_admin.user
    nps, shift, why = survey.questions.all()
    assert (nps.order, shift.order, why.order) == (1, 2, 3)
    assert nps.is_outcome and nps.required
    assert shift.choices == ["Day", "Night"]
    assert why.condition_question == nps
    assert why.condition_value == 6


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"type": "stars", "text": "Rate"}, "type"),
        ({"type": "nps", "text": "  "}, "text"),
        ({"type": "single", "text": "Pick", "choices": ["Only one"]}, "choices"),
        ({"type": "single", "text": "Pick", "choices": ["A", "a"]}, "choices"),
        ({"type": "nps", "text": "Rate", "choices": ["A", "B"]}, "choices"),
        ({"type": "likert", "text": "Rate", "driver": "happiness"}, "driver"),
        ({"type": "text", "text": "Why", "driver": "growth"}, "driver"),
        ({"type": "text", "text": "Why", "is_outcome": True}, "is_outcome"),
        (
            {"type": "nps", "text": "Rate", "translations": {"french": {"text": "x"}}},
            "translations",
        ),
        ({"type": "nps", "text": "Rate", "translations": {"fr": {"text": ""}}}, "translations"),
        ({"type": "nps", "text": "Rate", "translations": {"fr": {"text": 5}}}, "translations"),
        (
            {"type": "nps", "text": "Rate", "translations": {"fr": {"text": "N", "help_text": 1}}},
            "translations",
        ),
        (
            {
                "type": "single",
                "text": "P",
                "choices": ["A", "B"],
                "translations": {"fr": {"text": "P", "choices": ["A"]}},
            },
            "translations",
        ),
    ],
)
def test_survey_create_rejects_bad_question_and_saves_nothing(world, question, field):
    with pytest.raises(ValidationError) as excinfo:
        survey_create(
            organization=world.org,
            user=None,
            title="T",
            kind="ex",
            questions=[{"type": "nps", "text": "Fine"}, question],
        )
    [message] = excinfo.value.message_dict["questions"]
    assert message.startswith(f"Question 2 ({field}):")
    assert not world.org.surveys.exists()


def test_survey_create_rejects_bad_survey_fields(world):
    with pytest.raises(ValidationError) as excinfo:
        survey_create(
            organization=world.org, user=None, title="", kind="zz", language="French", questions=[]
        )
    assert set(excinfo.value.message_dict) == {"title", "kind", "language"}


def test_a_survey_holds_at_most_max_questions(world):
    from surveys.validation import MAX_QUESTIONS, TOO_MANY_QUESTIONS

    many = [{"type": "likert", "text": f"Q{n}"} for n in range(MAX_QUESTIONS + 1)]
    with pytest.raises(ValidationError) as excinfo:
        survey_create(organization=world.org, user=None, title="T", kind="ex", questions=many)
    assert excinfo.value.message_dict == {"questions": [TOO_MANY_QUESTIONS]}
    assert not world.org.surveys.exists()

    survey = survey_create(
        organization=world.org, user=None, title="T", kind="ex", questions=many[:-1]
    )
    with pytest.raises(ValidationError) as excinfo:
        question_add(survey=survey, type="likert", text="One more")
    assert excinfo.value.messages == [TOO_MANY_QUESTIONS]
    assert survey.questions.count() == MAX_QUESTIONS
    question_remove(question=survey.questions.last())
    question_add(survey=survey, type="likert", text="One more")  # room again
    assert survey.questions.count() == MAX_QUESTIONS


def test_an_introduction_over_2000_characters_is_refused_and_not_saved(world):
    with pytest.raises(ValidationError) as excinfo:
        survey_create(
            organization=world.org, user=None, title="T", kind="ex", intro="x" * 2001, questions=[]
        )
    assert excinfo.value.message_dict == {
        "intro": ["Keep the introduction under 2,000 characters."]
    }
    assert not world.org.surveys.exists()
    survey = _draft(world, intro="Short.")
    with pytest.raises(ValidationError) as excinfo:
        survey_update(survey=survey, intro="x" * 200_000)
    assert excinfo.value.message_dict == {
        "intro": ["Keep the introduction under 2,000 characters."]
    }
    survey.refresh_from_db()
    assert survey.intro == "Short."
    survey_update(survey=survey, intro="x" * 2000)


@pytest.mark.parametrize(
    "translations",
    [
        {"fr": {"title": 5}},
        {"fr": {"intro": ["Bonjour"]}},
        {"fr": {"title": "x" * 201}},
        {"fr": {"intro": "x" * 2001}},
    ],
)
def test_survey_update_refuses_translations_that_are_not_texts(world, translations):
    survey = _draft(world)
    with pytest.raises(ValidationError) as excinfo:
        survey_update(survey=survey, translations=translations)
    assert set(excinfo.value.message_dict) == {"translations"}
    survey.refresh_from_db()
    assert survey.translations == {}


# --- display logic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"condition_question": 1}, "condition_question"),  # itself: not earlier
        ({"condition_question": 5}, "condition_question"),
        (
            {"condition_question": 0, "condition_op": "lte", "condition_value": 11},
            "condition_value",
        ),
        (
            {"condition_question": 0, "condition_op": "lte", "condition_value": "two"},
            "condition_value",
        ),
        ({"condition_question": 0, "condition_op": "", "condition_value": 3}, "condition_op"),
        ({"condition_op": "lte", "condition_value": 3}, "condition_question"),
    ],
)
def test_display_logic_must_point_at_an_earlier_question_with_a_valid_value(
    world, condition, field
):
    with pytest.raises(ValidationError) as excinfo:
        survey_create(
            organization=world.org,
            user=None,
            title="T",
            kind="cx",
            questions=[
                {"type": "csat", "text": "Happy?"},
                {"type": "text", "text": "Why", **condition},
            ],
        )
    assert excinfo.value.message_dict["questions"][0].startswith(f"Question 2 ({field})")


def test_display_logic_on_choices_matches_option_text(world):
    survey = survey_create(
        organization=world.org,
        user=None,
        title="T",
        kind="cx",
        questions=[
            {"type": "single", "text": "Channel?", "choices": ["Phone", "Chat", "Email"]},
            {
                "type": "text",
                "text": "Which agent?",
                "condition_question": 0,
                "condition_op": "in",
                "condition_value": ["phone", "CHAT"],
            },
        ],
    )
    assert survey.questions.last().condition_value == ["Phone", "Chat"]
    with pytest.raises(ValidationError):
        question_add(
            survey=survey,
            type="text",
            text="x",
            condition_question=survey.questions.first(),
            condition_op="lte",
            condition_value="Phone",
        )


def test_question_cannot_depend_on_free_text_or_another_survey(world):
    survey = _draft(world)
    text = question_add(survey=survey, type="text", text="Tell us")
    with pytest.raises(ValidationError) as excinfo:
        question_add(
            survey=survey,
            type="text",
            text="More",
            condition_question=text,
            condition_op="eq",
            condition_value="x",
        )
    assert "free-text" in str(excinfo.value)
    foreign = QuestionFactory(type="nps")
    with pytest.raises(ValidationError):
        question_add(
            survey=survey,
            type="text",
            text="More",
            condition_question=foreign,
            condition_op="lte",
            condition_value=3,
        )


def test_update_cannot_point_condition_at_a_later_question(world):
    survey = _draft(world)
    first = question_add(survey=survey, type="text", text="First")
    later = question_add(survey=survey, type="nps", text="Later")
    with pytest.raises(ValidationError):
        question_update(
            question=first, condition_question=later, condition_op="lte", condition_value=3
        )


def test_changing_a_target_type_must_keep_dependent_conditions_valid(world):
    survey = _draft(world)
    nps = question_add(survey=survey, type="nps", text="Recommend?")
    question_add(
        survey=survey,
        type="text",
        text="Why?",
        condition_question=nps,
        condition_op="lte",
        condition_value=8,
    )
    with pytest.raises(ValidationError, match="Why\\?"):
        question_update(question=nps, type="csat")  # 8 is off the 1-5 scale
    nps.refresh_from_db()
    assert nps.type == "nps"


# --- edit, reorder, remove -------------------------------------------------------------------


def test_question_add_appends_after_last(world):
    survey = _draft(world)
    question_add(survey=survey, type="nps", text="A")
    added = question_add(survey=survey, type="likert", text="B", driver="growth", required=True)
    assert added.order == 2
    assert added.driver == "growth" and added.required


def test_question_move_swaps_neighbours_and_stops_at_the_ends(world):
    survey = _draft(world)
    a, b, c = (question_add(survey=survey, type="nps", text=t) for t in "ABC")
    question_move(question=c, direction="up")
    assert _texts(survey) == ["A", "C", "B"]
    question_move(question=a, direction="up")
    assert _texts(survey) == ["A", "C", "B"]
    question_move(question=a, direction="down")
    assert _texts(survey) == ["C", "A", "B"]
    assert list(survey.questions.values_list("order", flat=True)) == [1, 2, 3]


def test_question_move_keeps_a_dependent_after_its_condition(world):
    survey = _draft(world)
    csat = question_add(survey=survey, type="csat", text="Happy?")
    why = question_add(
        survey=survey,
        type="text",
        text="Why?",
        condition_question=csat,
        condition_op="lte",
        condition_value=2,
    )
    with pytest.raises(ValidationError, match="must stay after"):
        question_move(question=why, direction="up")
    with pytest.raises(ValidationError):
        question_move(question=csat, direction="down")


def test_question_remove_renumbers_and_refuses_a_condition_target(world):
    survey = _draft(world)
    a = question_add(survey=survey, type="csat", text="A")
    question_add(
        survey=survey,
        type="text",
        text="B",
        condition_question=a,
        condition_op="lte",
        condition_value=2,
    )
    c = question_add(survey=survey, type="nps", text="C")
    with pytest.raises(ValidationError, match="Remove that condition first"):
        question_remove(question=a)
    question_remove(question=survey.questions.get(text="B"))
    question_remove(question=a)
    c.refresh_from_db()
    assert _texts(survey) == ["C"] and c.order == 1


# --- frozen rule -----------------------------------------------------------------------------


def test_answered_survey_freezes_type_and_choices_but_not_wording(world):
    survey = SurveyFactory(organization=world.org)
    single = QuestionFactory(survey=survey, type="single", choices=["Yes", "No"], text="Old?")
    ResponseFactory(survey=survey)
    with pytest.raises(ValidationError, match="duplicate the survey"):
        question_update(question=single, type="multi")
    with pytest.raises(ValidationError, match="duplicate the survey"):
        question_update(question=single, choices=["Yes", "No", "Maybe"])
    with pytest.raises(ValidationError, match="cannot be removed"):
        question_remove(question=single)
    question_update(question=single, text="Fixed wording?", translations={"fr": {"text": "Oui ?"}})
    single.refresh_from_db()
    assert single.text == "Fixed wording?"
    assert single.type == "single" and single.choices == ["Yes", "No"]


def test_survey_without_responses_can_change_type(world):
    question = QuestionFactory(survey=_draft(world), type="nps")
    question_update(question=question, type="likert")
    question.refresh_from_db()
    assert question.type == "likert"


def test_closed_survey_refuses_structural_edits_but_not_wording(world):
    survey = SurveyFactory(organization=world.org, status=SurveyStatus.CLOSED)
    first = QuestionFactory(survey=survey, type="single", choices=["Yes", "No"], text="Old?")
    QuestionFactory(survey=survey, type="nps", text="Rate")
    closed = "This survey is closed, so {}. Duplicate it to run it again."
    with pytest.raises(ValidationError) as caught:
        question_add(survey=survey, type="nps", text="New")
    assert caught.value.messages == [closed.format("no question can be added")]
    with pytest.raises(ValidationError) as caught:
        question_remove(question=first)
    assert caught.value.messages == [closed.format("its questions cannot be removed")]
    with pytest.raises(ValidationError) as caught:
        question_move(question=first, direction="down")
    assert caught.value.messages == [closed.format("its questions cannot be reordered")]
    for change in ({"type": "multi"}, {"choices": ["Yes", "No", "Maybe"]}):
        with pytest.raises(ValidationError, match="This survey is closed, so its questions' type"):
            question_update(question=first, **change)
    question_update(question=first, text="Fixed wording?", translations={"fr": {"text": "Oui ?"}})
    assert _texts(survey) == ["Fixed wording?", "Rate"]
    first.refresh_from_db()
    assert (first.type, first.choices) == ("single", ["Yes", "No"])


# --- lifecycle -------------------------------------------------------------------------------


def test_publish_then_close(world):
    survey = _draft(world)
    with pytest.raises(ValidationError, match="at least one question"):
        survey_publish(survey=survey)
    QuestionFactory(survey=survey)
    with pytest.raises(ValidationError, match="never published"):
        survey_close(survey=survey)
    survey_publish(survey=survey)
    assert survey.status == SurveyStatus.LIVE and survey.published_at is not None
    published_at = survey.published_at
    survey_publish(survey=survey)
    assert survey.published_at == published_at
    survey_close(survey=survey)
    assert survey.status == SurveyStatus.CLOSED and survey.closed_at is not None
    with pytest.raises(ValidationError, match="Duplicate it"):
        survey_publish(survey=survey)


def test_duplicate_copies_questions_and_repoints_display_logic(world):
    original = survey_create_from_template(
        organization=world.org, user=None, key="csat_post_interaction"
    )
    survey_publish(survey=original)
    copy = survey_duplicate(survey=original, user=world.cx_manager.user)
    assert copy.pk != original.pk
    assert copy.status == SurveyStatus.DRAFT and copy.title == f"{original.title} (copy)"
    assert copy.created_by == world.cx_manager.user
    assert _texts(copy) == _texts(original)
    follow_up = copy.questions.get(condition_question__isnull=False)
    assert follow_up.condition_question.survey == copy
    assert (follow_up.condition_op, follow_up.condition_value) == ("lte", 2)
    assert Question.objects.filter(survey=original).count() == 3
