"""generate_data: exact sizes, rollups equal to the raw rows, and both writers storing the same."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from dashboards.datagen.generate import MONTH, data_generate
from dashboards.datagen.load import BulkWriter, CopyWriter, organization_delete, prefetched
from dashboards.datagen.model import ResponseRow, scale_value
from dashboards.models import QuestionRollup, ResponseRollup
from responses.models import Answer, Channel, Response
from surveys.models import Organization
from tests.factories import QuestionFactory, ResponseFactory, SurveyFactory, TeamFactory

pytestmark = pytest.mark.django_db

SCORED = ("nps", "likert", "csat", "ces")


def generate(**options) -> dict:
    values = {"answers": 2000, "teams": 5, "months": 2, "org_name": "Gen Co", "seed": 7}
    return data_generate(**{**values, **options}, log=lambda line: None)


def answers_of(org: Organization):
    return Answer.objects.filter(response__survey__organization=org)


def test_generates_exactly_the_requested_answers():
    summary = generate()
    org = summary["organization"]
    assert answers_of(org).count() == summary["answers"] == 2000
    assert org.teams.count() == 5
    assert org.surveys.count() == 2
    assert summary["responses"] == Response.objects.filter(survey__organization=org).count()
    # No response is empty, and about five answers each.
    per_response = Response.objects.filter(survey__organization=org).annotate(n=Count("answers"))
    assert not per_response.filter(n=0).exists()
    assert 4 <= 2000 / summary["responses"] <= 6


def test_rollups_add_up_to_the_raw_answers():
    org = generate()["organization"]
    rollups = QuestionRollup.objects.filter(survey__organization=org)
    scored = answers_of(org).filter(question__type__in=SCORED)
    assert rollups.filter(question__type__in=SCORED).aggregate(n=Sum("n"))["n"] == scored.count()
    assert (
        rollups.filter(question__type__in=SCORED).aggregate(t=Sum("total"))["t"]
        == scored.aggregate(t=Sum("value_int"))["t"]
    )
    comments = answers_of(org).filter(question__type="text")
    assert rollups.filter(question__type="text").aggregate(n=Sum("n"))["n"] == comments.count()
    assert (
        ResponseRollup.objects.filter(survey__organization=org).aggregate(n=Sum("responses"))["n"]
        == Response.objects.filter(survey__organization=org).count()
    )


def test_data_spans_the_months_with_employees_and_customers():
    before = timezone.now()
    org = generate(months=3)["organization"]
    responses = Response.objects.filter(survey__organization=org)
    assert not responses.filter(submitted_at__lt=before - 3 * MONTH).exists()
    assert not responses.filter(submitted_at__gt=timezone.now()).exists()
    # Every month has answers: the first and the last 30 days both do.
    assert responses.filter(submitted_at__lt=before - 2 * MONTH).exists()
    assert responses.filter(submitted_at__gt=before - MONTH).exists()
    kinds = dict(responses.values_list("channel").annotate(n=Count("id")))
    assert set(kinds) == {Channel.INVITATION, Channel.LINK}
    # Employee answers belong to the month's pulse round; each person answers at most once.
    ex = responses.filter(channel=Channel.INVITATION)
    assert not ex.filter(cycle__isnull=True).exists()
    per_team_round = ex.values("team", "cycle").annotate(n=Count("id"))
    people = dict(org.teams.annotate(n=Count("people")).values_list("id", "n"))
    assert all(row["n"] <= people[row["team"]] for row in per_team_round)


def test_hidden_questions_are_never_answered():
    """'What went wrong?' follows a CSAT of 2 or less, and nothing else."""
    org = generate(answers=5000)["organization"]
    question = org.surveys.get(kind="cx").questions.get(condition_question__isnull=False)
    answered = Response.objects.filter(answers__question=question)
    assert answered.exists()
    assert not answered.filter(
        answers__question=question.condition_question, answers__value_int__gt=2
    ).exists()


def test_same_seed_gives_the_same_answers():
    first = generate(org_name="One")["organization"]
    second = generate(org_name="Two")["organization"]
    histogram = {
        org.pk: list(
            answers_of(org)
            .values_list("question__type", "value_int")
            .annotate(n=Count("id"))
            .order_by("question__type", "value_int")
        )
        for org in (first, second)
    }
    assert histogram[first.pk] == histogram[second.pk]


def test_existing_organisation_needs_replace():
    generate()
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "generate_data", "--answers", "100", "--teams", "2", "--months", "1", "--org", "Gen Co"
        )
    out = StringIO()
    call_command(
        "generate_data",
        *("--answers", "1,500", "--teams", "3", "--months", "1", "--org", "Gen Co", "--replace"),
        stdout=out,
    )
    org = Organization.objects.get(name="Gen Co")
    assert answers_of(org).count() == 1500  # the old 2,000 are gone
    assert Answer.objects.count() == 1500
    assert "answers/s" in out.getvalue()
    assert "1,500 answers" in out.getvalue()


def test_organisation_delete_leaves_other_organisations_alone():
    generate()
    other = ResponseFactory(survey=SurveyFactory())
    QuestionFactory(survey=other.survey)
    organization_delete(organization=Organization.objects.get(name="Gen Co"))
    assert not Organization.objects.filter(name="Gen Co").exists()
    assert list(Response.objects.all()) == [other]
    assert not QuestionRollup.objects.exists()


WRITERS = [BulkWriter]
if connection.vendor == "postgresql":
    WRITERS.append(CopyWriter)


@pytest.mark.parametrize("writer_class", WRITERS)
def test_writer_stores_awkward_text_and_choices_unchanged(writer_class):
    team = TeamFactory()
    survey = SurveyFactory(organization=team.organization)
    nps = QuestionFactory(survey=survey, type="nps")
    text = QuestionFactory(survey=survey, type="text")
    multi = QuestionFactory(survey=survey, type="multi", choices=["Prix", "Rapidité"])
    comment = 'Tab\there, back\\slash, "quotes"\nnew line, café ☕'
    at = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    row = ResponseRow(
        survey_id=survey.pk,
        team_id=team.pk,
        location_id=team.location_id,
        cycle_id=None,
        respondent_id=None,
        agent_id=None,
        channel=Channel.LINK,
        language="fr",
        submitted_at=at,
        answers=[
            (nps.pk, 9, "", None, None, ""),
            (text.pk, None, comment, None, -0.25, "negative"),
            (multi.pk, None, "", ["Prix", "Rapidité"], None, ""),
        ],
    )
    writer = writer_class()
    writer.write([row, row])
    assert (writer.stats.responses, writer.stats.answers) == (2, 6)
    response = Response.objects.filter(survey=survey).first()
    assert (response.submitted_at, response.language, response.team) == (at, "fr", team)
    assert response.scored_at is not None
    stored = {a.question_id: a for a in response.answers.all()}
    assert stored[nps.pk].value_int == 9
    assert stored[text.pk].value_text == comment
    assert (stored[text.pk].sentiment_score, stored[text.pk].sentiment_label) == (-0.25, "negative")
    assert stored[multi.pk].value_choices == ["Prix", "Rapidité"]
    assert Answer.objects.filter(response__survey=survey).count() == 6


@pytest.mark.parametrize(
    ("kind", "mood", "expected"),
    [
        ("nps", 0.0, 7),  # 7.2 rounds to 7
        ("nps", 1.0, 9),  # 7.2 + 2.2 = 9.4
        ("nps", -5.0, 0),  # clipped at the bottom of the scale
        ("likert", 0.0, 4),  # 3.5 rounds half up
        ("csat", 2.0, 5),  # 5.8, clipped at 5
        ("ces", -1.0, 4),  # 5.0 - 1.3 = 3.7
    ],
)
def test_mood_maps_onto_each_scale(kind, mood, expected):
    assert scale_value(kind, mood) == expected


def test_prefetched_hands_over_items_and_errors_in_order():
    def items():
        yield 1
        yield 2
        raise ValueError("generator broke")

    received = []
    with pytest.raises(ValueError, match="generator broke"):
        for item in prefetched(items()):
            received.append(item)
    assert received == [1, 2]
