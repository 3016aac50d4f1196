from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from surveys.models import Survey, SurveyKind, SurveyStatus, Team
from tests.factories import QuestionFactory, SurveyFactory, TeamFactory

pytestmark = pytest.mark.django_db

BODY = {
    "title": "Quarterly pulse",
    "kind": "ex",
    "anonymous": True,
    "questions": [
        {"type": "nps", "text": "Recommend working here?", "required": True, "is_outcome": True},
        {"type": "likert", "text": "I get feedback.", "driver": "manager_support"},
        {"type": "multi", "text": "What helps?", "choices": ["Tools", "Training", "Time"]},
        {"type": "text", "text": "Anything else?"},
    ],
}


def _api(membership) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=membership.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- POST /surveys/ --------------------------------------------------------------------------


def test_create_survey_with_questions_returns_201_and_ids(world):
    response = _api(world.hr_admin).post(reverse("api-surveys"), BODY, format="json")
    assert response.status_code == 201, response.data
    data = response.json()
    survey = Survey.objects.get(pk=data["id"])
    assert survey.organization == world.org and survey.created_by == world.hr_admin.user
    assert (data["title"], data["kind"], data["status"], data["anonymous"]) == (
        "Quarterly pulse",
        "ex",
        "draft",
        True,
    )
    ids = [q["id"] for q in data["questions"]]
    assert ids == list(survey.questions.values_list("id", flat=True))
    assert [q["order"] for q in data["questions"]] == [1, 2, 3, 4]
    nps, likert, multi, text = survey.questions.all()
    assert nps.is_outcome and nps.required and not likert.required
    assert likert.driver == "manager_support"
    assert multi.choices == ["Tools", "Training", "Time"]


def test_bad_question_type_gets_field_level_400(world):
    body = {**BODY, "questions": [{"type": "stars", "text": "Rate us"}]}
    response = _api(world.hr_admin).post(reverse("api-surveys"), body, format="json")
    assert response.status_code == 400
    assert set(response.json()["questions"][0]) == {"type"}
    assert not Survey.objects.exists()


def test_rule_errors_are_reported_on_the_question_that_breaks_them(world):
    body = {
        **BODY,
        "questions": [
            {"type": "nps", "text": "Fine"},
            {"type": "single", "text": "Pick", "choices": ["Only"]},
            {"type": "text", "text": "Why", "driver": "growth"},
        ],
    }
    response = _api(world.hr_admin).post(reverse("api-surveys"), body, format="json")
    assert response.status_code == 400
    errors = response.json()["questions"]
    assert errors[0] == {}
    assert "at least two choices" in errors[1]["choices"][0]
    assert "driver" in errors[2]
    assert not Survey.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"kind": "hr"}, "kind"),
        ({"questions": []}, "questions"),
        ({"anonymous": "perhaps"}, "anonymous"),
        ({"language": "French"}, "language"),
        ({"language": "xx"}, "language"),
        ({"language": "en-zz"}, "language"),
    ],
)
def test_bad_survey_fields_get_400(world, change, field):
    response = _api(world.hr_admin).post(reverse("api-surveys"), {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_an_introduction_over_2000_characters_is_refused_with_the_limit(world):
    client = _api(world.hr_admin)
    response = client.post(reverse("api-surveys"), {**BODY, "intro": "x" * 2001}, format="json")
    assert response.status_code == 400
    assert response.json() == {"intro": ["Keep the introduction under 2,000 characters."]}
    assert not Survey.objects.exists()
    response = client.post(reverse("api-surveys"), {**BODY, "intro": "x" * 2000}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("translations", "message"),
    [
        ({"fr": {"text": 5}}, "The fr question must be a text."),
        ({"fr": {"text": "Q ?", "help_text": ["x"]}}, "The fr help text must be a text."),
        ({"fr": {"text": "Q ?", "note": "x"}}, "may only contain: choices, help_text, text"),
        ({"fr": {"help_text": "Aide"}}, "The fr translation needs the question text."),
        ({"fr": {"text": "x" * 501}}, "Keep the fr question under 500 characters."),
        ({"french": {"text": "Q ?"}}, "is not a language code"),
        ({"xx": {"text": "Q ?"}}, "“xx” is not a language code"),
        ({"en": {"text": "Other wording"}}, "“en” is the survey's own language"),
    ],
)
def test_bad_question_translations_get_a_field_level_400(world, translations, message):
    question = {"type": "nps", "text": "q", "translations": translations}
    body = {**BODY, "questions": [BODY["questions"][1], question]}
    response = _api(world.hr_admin).post(reverse("api-surveys"), body, format="json")
    assert response.status_code == 400
    errors = response.json()["questions"]
    assert errors[0] == {}
    assert list(errors[1]) == ["translations"]
    assert message in errors[1]["translations"][0]
    assert not Survey.objects.exists()


def test_translated_choices_must_be_texts_one_per_choice(world):
    question = BODY["questions"][2]
    for choices, message in [
        ([1, 2, 3], "The fr choices must be a list of texts."),
        (["Outils", "", "Temps"], "The fr choices must not be empty."),
        (["Outils", "Temps"], "exactly 3 choices"),
        (["Outils", "outils ", "Temps"], "Each fr choice must be different."),
    ]:
        translated = {**question, "translations": {"fr": {"text": "Quoi ?", "choices": choices}}}
        response = _api(world.hr_admin).post(
            reverse("api-surveys"), {**BODY, "questions": [translated]}, format="json"
        )
        assert response.status_code == 400
        assert message in response.json()["questions"][0]["translations"][0]


def test_valid_question_translations_are_stored(world):
    fr = {"text": "Qu’est-ce qui aide ?", "help_text": "", "choices": ["Outils", "Form", "Temps"]}
    question = {**BODY["questions"][2], "translations": {"fr": fr}}
    response = _api(world.hr_admin).post(
        reverse("api-surveys"), {**BODY, "questions": [question]}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.json()["questions"][0]["translations"] == {"fr": fr}


def test_malformed_json_is_400(world):
    response = _api(world.hr_admin).post(
        reverse("api-surveys"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("role", ["staff", "team_lead"])
def test_roles_that_cannot_author_get_403(world, role):
    response = _api(world.member(role)).post(reverse("api-surveys"), BODY, format="json")
    assert response.status_code == 403
    assert _api(world.member(role)).get(reverse("api-surveys")).status_code == 403


def test_cx_manager_cannot_create_ex_and_hr_admin_cannot_create_cx(world):
    assert (
        _api(world.cx_manager).post(reverse("api-surveys"), BODY, format="json").status_code == 403
    )
    cx_body = {**BODY, "kind": "cx"}
    assert (
        _api(world.hr_admin).post(reverse("api-surveys"), cx_body, format="json").status_code == 403
    )
    assert not Survey.objects.exists()


def test_no_credentials_is_401_or_403(world):
    response = APIClient().post(reverse("api-surveys"), BODY, format="json")
    assert response.status_code in (401, 403)


def test_wrong_token_is_rejected(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(reverse("api-surveys")).status_code in (401, 403)


def test_session_auth_works_for_the_browser(world, client):
    client.force_login(world.hr_admin.user)
    assert client.get(reverse("api-surveys")).status_code == 200


# --- GET -------------------------------------------------------------------------------------


def test_list_shows_own_org_and_own_kind_only(world):
    ours = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    SurveyFactory(organization=world.outsider.organization)
    data = _api(world.hr_admin).get(reverse("api-surveys")).json()
    assert [s["id"] for s in data] == [ours.pk]


def test_detail_includes_questions(world):
    survey = SurveyFactory(organization=world.org)
    question = QuestionFactory(survey=survey, type="likert", driver="growth")
    data = _api(world.hr_admin).get(reverse("api-survey-detail", args=[survey.pk])).json()
    assert data["questions"][0]["id"] == question.pk
    assert data["questions"][0]["driver"] == "growth"


def test_other_orgs_survey_is_404_json(world):
    survey = SurveyFactory(organization=world.org)
    client = _api(world.outsider)
    for name in ("api-survey-detail", "api-survey-publish", "api-survey-close"):
        method = client.get if name == "api-survey-detail" else client.post
        response = method(reverse(name, args=[survey.pk]))
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_other_kind_in_same_org_is_403(world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    assert (
        _api(world.hr_admin).get(reverse("api-survey-detail", args=[survey.pk])).status_code == 403
    )


# --- publish / close -------------------------------------------------------------------------


def test_publish_then_close(world):
    survey = SurveyFactory(organization=world.org, status=SurveyStatus.DRAFT, published_at=None)
    QuestionFactory(survey=survey)
    client = _api(world.hr_admin)
    response = client.post(reverse("api-survey-publish", args=[survey.pk]))
    assert response.status_code == 200 and response.json()["status"] == "live"
    assert response.json()["published_at"] is not None
    response = client.post(reverse("api-survey-close", args=[survey.pk]))
    assert response.status_code == 200 and response.json()["status"] == "closed"
    response = client.post(reverse("api-survey-publish", args=[survey.pk]))
    assert response.status_code == 400 and "Duplicate" in str(response.json())


def test_publish_empty_survey_is_400_and_get_is_405(world):
    survey = SurveyFactory(organization=world.org, status=SurveyStatus.DRAFT, published_at=None)
    client = _api(world.hr_admin)
    response = client.post(reverse("api-survey-publish", args=[survey.pk]))
    assert response.status_code == 400
    assert "at least one question" in str(response.json())
    assert client.get(reverse("api-survey-publish", args=[survey.pk])).status_code == 405
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT


def test_staff_cannot_publish(world):
    survey = SurveyFactory(organization=world.org, status=SurveyStatus.DRAFT, published_at=None)
    QuestionFactory(survey=survey)
    assert (
        _api(world.staff).post(reverse("api-survey-publish", args=[survey.pk])).status_code == 403
    )


# --- teams -----------------------------------------------------------------------------------


def test_post_team_creates_then_returns_the_same_team(world):
    client = _api(world.hr_admin)
    body = {"name": "Returns desk", "department": "Stores", "location": "Lyon"}
    first = client.post(reverse("api-teams"), body, format="json")
    assert first.status_code == 201
    assert first.json() == {"id": first.json()["id"], **body}
    again = client.post(reverse("api-teams"), {"name": "returns desk"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Team.objects.filter(organization=world.org, name__iexact="returns desk").count() == 1


def test_post_team_without_department_or_location(world):
    response = _api(world.cx_manager).post(reverse("api-teams"), {"name": "Chat"}, format="json")
    assert response.status_code == 201
    assert response.json()["department"] is None and response.json()["location"] is None


def test_team_list_is_scoped_to_the_org(world):
    TeamFactory(organization=world.outsider.organization, name="Theirs")
    names = [t["name"] for t in _api(world.hr_admin).get(reverse("api-teams")).json()]
    assert names == ["Front desk", "Night shift"]


def test_teams_bad_body_and_roles(world):
    client = _api(world.hr_admin)
    response = client.post(reverse("api-teams"), {"name": ""}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert (
        _api(world.staff).post(reverse("api-teams"), {"name": "X"}, format="json").status_code
        == 403
    )
    assert _api(world.team_lead).get(reverse("api-teams")).status_code == 403
    assert client.delete(reverse("api-teams")).status_code == 405


# --- schema ----------------------------------------------------------------------------------


def test_schema_and_docs_load_for_a_signed_in_user(world, client):
    client.force_login(world.hr_admin.user)
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"/api/v1/surveys/{id}/publish/" in schema.content
    assert b"/api/v1/teams/" in schema.content
    assert client.get(reverse("api-docs")).status_code == 200
