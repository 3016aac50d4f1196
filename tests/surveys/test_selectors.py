"""Survey lookups (surveys.selectors): organisation scoping, missing translations."""

from __future__ import annotations

import pytest
from django.http import Http404

from surveys.selectors import survey_missing_translations, survey_of_organization
from tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def test_a_survey_of_another_organisation_is_not_found(world):
    mine = SurveyFactory(organization=world.org)
    theirs = SurveyFactory(organization=world.outsider.organization)
    assert survey_of_organization(membership=world.hr_admin, pk=mine.pk) == mine
    with pytest.raises(Http404):
        survey_of_organization(membership=world.hr_admin, pk=theirs.pk)


def test_missing_translations_name_each_untranslated_text_per_language(world):
    survey = SurveyFactory(
        organization=world.org,
        title="Visit",
        intro="Two minutes.",
        thank_you="Thanks!",
        translations={"fr": {"title": "Visite", "thank_you": "Merci !"}, "de": {}},
    )
    QuestionFactory(survey=survey, order=1, type="nps", translations={"fr": {"text": "Note ?"}})
    QuestionFactory(
        survey=survey,
        order=2,
        type="single",
        choices=["Yes", "No"],
        help_text="Pick one.",
        translations={"fr": {"text": "Oui ?"}},
    )
    assert survey_missing_translations(survey=survey) == [
        (
            "de",
            [
                "title",
                "introduction",
                "thank-you message",
                "question 1",
                "question 2",
                "question 2's help text",
                "question 2's choices",
            ],
        ),
        ("fr", ["introduction", "question 2's help text", "question 2's choices"]),
    ]


def test_nothing_is_missing_when_every_text_is_translated_or_empty(world):
    survey = SurveyFactory(
        organization=world.org, title="Visit", intro="", thank_you="", translations={"fr": {}}
    )
    assert survey_missing_translations(survey=survey) == [("fr", ["title"])]
    survey.translations = {"fr": {"title": "Visite"}}
    QuestionFactory(survey=survey, translations={"fr": {"text": "Note ?"}})
    assert survey_missing_translations(survey=survey) == []
    survey.translations = {}  # one language: nothing to translate
    assert survey_missing_translations(survey=survey) == []


def test_teams_sort_by_department_then_name_with_numbers_as_numbers(world):
    from surveys.distribution_selectors import teams_with_people
    from tests.factories import DepartmentFactory, TeamFactory

    ops = DepartmentFactory(organization=world.org, name="Ops 10")
    ops2 = DepartmentFactory(organization=world.org, name="ops 2")
    for name in ("Bulk Team 10", "Bulk Team 2", "Bulk Team 1b", "Bulk Team 1"):
        TeamFactory(organization=world.org, department=ops, name=name)
    TeamFactory(organization=world.org, department=ops2, name="Z")
    TeamFactory(organization=world.org, department=None, name="A loose team")
    names = [team.name for team in teams_with_people(organization=world.org)]
    # world's two teams have their own "Department N" departments, which sort first.
    assert names[2:] == [
        "Z",
        "Bulk Team 1",
        "Bulk Team 1b",
        "Bulk Team 2",
        "Bulk Team 10",
        "A loose team",
    ]


def test_send_preview_counts_an_invitation_whose_email_was_lost_as_to_send(world):
    import datetime as dt

    from django.utils import timezone

    from surveys.distribution_selectors import send_preview
    from tests.factories import CycleFactory, InvitationFactory, PersonFactory, SurveyFactory

    survey = SurveyFactory(organization=world.org, kind="ex")
    people = [PersonFactory(organization=world.org, team=world.team) for _ in range(4)]
    PersonFactory(organization=world.org, team=world.team, is_active=False)
    cycle = CycleFactory(survey=survey, number=1)
    InvitationFactory(survey=survey, cycle=cycle, person=people[0], sent_at=timezone.now())
    lost = InvitationFactory(survey=survey, cycle=cycle, person=people[1])
    type(lost).objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    preview = send_preview(survey=survey, teams=[world.team])
    # 4 active people; 1 invited and emailed; the lost one is sent again: 3 to send.
    assert (preview["people"], preview["already"], preview["to_send"]) == (4, 1, 3)
    assert [(team.name, team.people_count) for team in preview["teams"]] == [("Front desk", 4)]
