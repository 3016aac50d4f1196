"""The OpenAPI schema describes what the API answers: real responses validated against it.

The audit found the scores and participation bodies typed as bare objects, Alert.assignee a
non-nullable string that is null, GET /alerts/ without its limit/offset and no error answers.
Each body here is checked against its operation's schema for its status code with every object
closed (a key the schema does not list fails), so a renamed or added key shows up here.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from django.test import Client
from openapi_schema_validator import OAS30ReadValidator
from openapi_spec_validator import validate as validate_spec
from rest_framework.authtoken.models import Token

from dashboards.models import AlertStatus
from dashboards.scoring import scores_rebuild
from surveys.models import SurveyKind, SurveyStatus
from tests.factories import (
    AlertFactory,
    CycleFactory,
    InvitationFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def schema(world, client):
    client.force_login(world.hr_admin.user)
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _closed(node):
    """Every object schema that lists its properties refuses others (additionalProperties)."""
    if isinstance(node, dict):
        node = {key: _closed(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


def assert_documented(schema: dict, path: str, method: str, response) -> None:
    operation = schema["paths"][path][method]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (path, method, response.status_code)
    body_schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    root = {**copy.deepcopy(body_schema), "components": _closed(schema["components"])}
    OAS30ReadValidator(root).validate(response.json())


def token_client(membership) -> Client:
    token = Token.objects.create(user=membership.user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_the_schema_is_valid_openapi(schema):
    validate_spec(schema)


# --- Scores -------------------------------------------------------------------------------------


@pytest.fixture
def scored(world):
    """Front desk and Night shift with 5 respondents each answering every scored type, Back
    office with 1 (suppressed, and a complement with it), and 5 more at Front desk without a
    location (the NPS only)."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    questions = [
        QuestionFactory(survey=survey, type="nps", order=1),
        QuestionFactory(survey=survey, type="csat", order=2),
        QuestionFactory(survey=survey, type="ces", order=3),
        QuestionFactory(survey=survey, type="likert", order=4, driver="engagement"),
    ]
    back_office = TeamFactory(organization=world.org, name="Back office")
    for team, count in ((world.team, 5), (world.other_team, 5), (back_office, 1)):
        for _ in range(count):
            answers = dict(zip(questions, (9, 4, 6, 5), strict=True))
            response_with_answers(survey=survey, team=team, answers=answers, submitted_at=DAY)
    for _ in range(5):
        response_with_answers(
            survey=survey,
            team=world.team,
            location=None,
            answers={questions[0]: 3},
            submitted_at=DAY,
        )
    scores_rebuild(survey_id=survey.id)
    return survey


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"group_by": "team", "period": "month"},
        {"group_by": "location", "period": "week"},
        {"group_by": "department", "period": "quarter"},
    ],
)
def test_scores_match_the_schema(schema, world, scored, query):
    if query.get("period") == "week":  # weeks are for surveys that are not anonymous
        scored.anonymous = False
        scored.save(update_fields=["anonymous"])
    response = token_client(world.hr_admin).get(f"/api/v1/surveys/{scored.id}/scores/", query)

    assert response.status_code == 200
    assert_documented(schema, "/api/v1/surveys/{id}/scores/", "get", response)


def test_scores_schema_covers_every_kind_of_result(world, scored):
    """The responses validated above hold what the schema has to describe: a null group, a
    group with a null id, suppressed results, and every scored type's figures."""
    client = token_client(world.hr_admin)
    results = [
        result
        for query in ({}, {"group_by": "team"}, {"group_by": "location"})
        for result in client.get(f"/api/v1/surveys/{scored.id}/scores/", query).json()["results"]
    ]
    assert any(r["group"] is None for r in results)
    assert any(r["group"] and r["group"]["id"] is None for r in results)
    assert any(r["suppressed"] for r in results)
    types = {q["type"] for r in results for q in r.get("questions", [])}
    assert types == {"nps", "csat", "ces", "likert"}


# --- Participation ------------------------------------------------------------------------------


def test_participation_matches_the_schema(schema, world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, status=SurveyStatus.LIVE)
    cycle = CycleFactory(survey=survey, number=1)
    for index in range(6):
        used = DAY if index < 5 else None
        InvitationFactory(survey=survey, cycle=cycle, team=world.team, used_at=used)
    InvitationFactory(survey=survey, cycle=cycle, team=world.other_team, used_at=DAY)
    client = token_client(world.hr_admin)
    path = "/api/v1/surveys/{id}/participation/"

    latest = client.get(path.format(id=survey.id))
    first = client.get(path.format(id=survey.id), {"cycle": 1})
    unknown = client.get(path.format(id=survey.id), {"cycle": 9})

    teams = {row["team"]["name"]: row for row in latest.json()["teams"]}
    assert teams["Night shift"]["answered"] is None  # 1 answered: hidden
    for response in (latest, first, unknown):
        assert_documented(schema, path, "get", response)
    assert unknown.status_code == 400


def test_participation_before_the_first_round_matches_the_schema(schema, world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)

    response = token_client(world.hr_admin).get(f"/api/v1/surveys/{survey.id}/participation/")

    assert response.json()["cycle"] is None
    assert_documented(schema, "/api/v1/surveys/{id}/participation/", "get", response)


# --- Alerts -------------------------------------------------------------------------------------


def test_alerts_match_the_schema_assigned_or_not(schema, world):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    unassigned = AlertFactory(organization=world.org, survey=survey)
    AlertFactory(organization=world.org, survey=survey, assignee=world.hr_admin.user)
    client = token_client(world.hr_admin)

    page = client.get("/api/v1/alerts/", {"limit": 1, "offset": 1})
    listed = client.get("/api/v1/alerts/", {"status": AlertStatus.OPEN})
    resolved = client.post(f"/api/v1/alerts/{unassigned.id}/resolve/")

    assert {a["assignee"] for a in listed.json()["results"]} == {None, world.hr_admin.user.username}
    assert page.json()["count"] == 2 and len(page.json()["results"]) == 1
    assert_documented(schema, "/api/v1/alerts/", "get", page)
    assert_documented(schema, "/api/v1/alerts/", "get", listed)
    assert_documented(schema, "/api/v1/alerts/{id}/resolve/", "post", resolved)


def test_alert_parameters_document_the_pagination(schema):
    operation = schema["paths"]["/api/v1/alerts/"]["get"]

    assert {p["name"] for p in operation["parameters"]} == {"status", "limit", "offset"}


# --- The other endpoints, and their errors ------------------------------------------------------


def test_authoring_and_collection_answers_match_the_schema(schema, world):
    client = token_client(world.cx_manager)
    body = {
        "title": "Checkout",
        "kind": "cx",
        "questions": [{"type": "csat", "text": "Satisfied?", "required": True}],
    }

    created = client.post("/api/v1/surveys/", json.dumps(body), "application/json")
    survey = created.json()
    published = client.post(f"/api/v1/surveys/{survey['id']}/publish/")
    answer = {"team": world.team.id, "answers": [{"question": survey["questions"][0]["id"]}]}
    answer["answers"][0]["value"] = 5
    stored = client.post(
        f"/api/v1/surveys/{survey['id']}/responses/", json.dumps(answer), "application/json"
    )
    team = client.post("/api/v1/teams/", json.dumps({"name": "Spa"}), "application/json")

    calls = [
        ("/api/v1/surveys/", "post", created),
        ("/api/v1/surveys/", "get", client.get("/api/v1/surveys/")),
        ("/api/v1/surveys/{id}/", "get", client.get(f"/api/v1/surveys/{survey['id']}/")),
        ("/api/v1/surveys/{id}/publish/", "post", published),
        ("/api/v1/surveys/{id}/responses/", "post", stored),
        ("/api/v1/teams/", "post", team),
        ("/api/v1/teams/", "get", client.get("/api/v1/teams/")),
    ]
    for path, method, response in calls:
        assert response.status_code in (200, 201), (path, response.json())
        assert_documented(schema, path, method, response)


def test_linkage_matches_the_schema(schema, world, scored):
    cx = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    csat = QuestionFactory(survey=cx, type="csat", order=1)
    for _ in range(5):
        response_with_answers(survey=cx, team=world.team, answers={csat: 4}, submitted_at=DAY)
    scores_rebuild(survey_id=cx.id)
    query = {"ex_survey": scored.id, "cx_survey": cx.id}

    response = token_client(world.hr_admin).get("/api/v1/linkage/", query)

    assert response.status_code == 200
    assert [pair["team"]["name"] for pair in response.json()["pairs"]] == ["Front desk"]
    assert_documented(schema, "/api/v1/linkage/", "get", response)


def test_error_answers_are_documented(schema, world, scored):
    outsider = token_client(world.outsider)
    staff = token_client(world.staff)
    hr = token_client(world.hr_admin)
    scores = "/api/v1/surveys/{id}/scores/"
    responses = "/api/v1/surveys/{id}/responses/"
    calls = [
        (scores, "get", Client().get(scores.format(id=scored.id))),  # 401
        (scores, "get", staff.get(scores.format(id=scored.id))),  # 403
        (scores, "get", outsider.get(scores.format(id=scored.id))),  # 404
        (scores, "get", hr.get(scores.format(id=scored.id), {"group_by": "x"})),  # 400
        (responses, "post", hr.post(responses.format(id=scored.id), "{}", "application/json")),
        (
            responses,
            "post",
            hr.post(responses.format(id=scored.id), "x" * (3 * 2**20), "application/json"),
        ),  # 413
    ]
    for path, method, response in calls:
        assert response.status_code >= 400
        assert_documented(schema, path, method, response)
    assert [response.status_code for *_, response in calls] == [401, 403, 404, 400, 400, 413]


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (path, method)
            assert ("404" in codes) == ("{id}" in path or path == "/api/v1/linkage/"), path
            assert ("400" in codes) == (method == "post" or "query" in _places(operation)), path
            assert ("413" in codes) == ("requestBody" in operation), (path, method)
    throttled = ["/api/v1/surveys/{id}/responses/", "/api/v1/surveys/{id}/participation/"]
    for path in throttled:
        (operation,) = schema["paths"][path].values()
        assert "Retry-After" in operation["responses"]["429"]["headers"]


def _places(operation: dict) -> set[str]:
    return {parameter["in"] for parameter in operation.get("parameters", [])}
