"""GET /api/v1/surveys/{id}/scores/ against a hand-built survey whose figures are worked out here.

Front desk (12 respondents, all on Tue 10 Feb 2026, ISO week 2026-W07):
    NPS   10 answers: 0, 6 | 7, 7, 8, 8 | 9, 9, 10, 10      -> (4 - 2) / 10 = 20.0
    CSAT  12 answers: 1, 2, 3, 4x4, 5x5                      -> 9/12 = 75.0, mean 47/12 = 3.92
    CES   12 answers: 3, 3, 4, 4, 5, 5, 6, 6, 6, 7, 7, 7     -> mean 63/12 = 5.25, 8/12 = 66.7
    Likert (engagement) 12: 1, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5 -> 58.3 / 25.0 / 16.7
Night shift: 3 respondents, NPS 0 each (under the threshold of 5: suppressed).
Back office: 5 respondents, NPS 10 each (hidden too: Night shift's 3 alone could be subtracted).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dashboards.scoring import scores_rebuild
from dashboards.selectors.drivers import driver_favourability, driver_impact
from dashboards.selectors.participation import participation_by_group
from dashboards.selectors.scores import metric_by_group, survey_scores
from surveys.models import SurveyKind
from tests.factories import QuestionFactory, SurveyFactory, TeamFactory, response_with_answers

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)
FRONT_DESK = {
    "nps": [0, 6, 7, 7, 8, 8, 9, 9, 10, 10, None, None],
    "csat": [1, 2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5],
    "ces": [3, 3, 4, 4, 5, 5, 6, 6, 6, 7, 7, 7],
    "likert": [1, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5],
}


@pytest.fixture
def scored(world):
    """The survey described in the module docstring, with its rollups built."""
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    questions = {
        "nps": QuestionFactory(survey=survey, type="nps", order=1),
        "csat": QuestionFactory(survey=survey, type="csat", order=2),
        "ces": QuestionFactory(survey=survey, type="ces", order=3),
        "likert": QuestionFactory(survey=survey, type="likert", order=4, driver="engagement"),
    }
    for i in range(12):
        answers = {
            questions[k]: values[i] for k, values in FRONT_DESK.items() if values[i] is not None
        }
        response_with_answers(survey=survey, team=world.team, answers=answers, submitted_at=DAY)
    for _ in range(3):
        response_with_answers(
            survey=survey, team=world.other_team, answers={questions["nps"]: 0}, submitted_at=DAY
        )
    survey.back_office = TeamFactory(organization=world.org, name="Back office")
    for _ in range(5):
        response_with_answers(
            survey=survey, team=survey.back_office, answers={questions["nps"]: 10}, submitted_at=DAY
        )
    scores_rebuild(survey_id=survey.id)
    survey.q = questions
    return survey


def url(survey, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("api-survey-scores", args=[survey.id]) + (f"?{query}" if query else "")


def front_desk_questions(q) -> list[dict]:
    return [
        {
            "question": q["nps"].id,
            "type": "nps",
            "n": 10,
            "score": 20.0,
            "promoters": 4,
            "passives": 4,
            "detractors": 2,
        },
        {"question": q["csat"].id, "type": "csat", "n": 12, "score": 75.0, "mean": 3.92},
        {"question": q["ces"].id, "type": "ces", "n": 12, "mean": 5.25, "pct_easy": 66.7},
        {
            "question": q["likert"].id,
            "type": "likert",
            "n": 12,
            "favourable": 58.3,
            "neutral": 25.0,
            "unfavourable": 16.7,
        },
    ]


def test_scores_by_team_match_hand_figures_with_complementary_suppression(world, login, scored):
    body = login(world.hr_admin).get(url(scored, group_by="team")).json()
    assert body == {
        "survey": scored.id,
        "group_by": "team",
        "period": "all",
        "threshold": 5,
        "results": [
            {
                "group": {"id": scored.back_office.id, "name": "Back office"},
                "period": "all",
                "respondents": 5,
                "suppressed": True,
            },
            {
                "group": {"id": world.team.id, "name": "Front desk"},
                "period": "all",
                "respondents": 12,
                "suppressed": False,
                "questions": front_desk_questions(scored.q),
                "engagement": 58.3,
            },
            {
                "group": {"id": world.other_team.id, "name": "Night shift"},
                "period": "all",
                "respondents": 3,
                "suppressed": True,
            },
        ],
    }


def test_whole_survey_adds_every_team(world, login, scored):
    body = login(world.hr_admin).get(url(scored)).json()
    (result,) = body["results"]
    assert (result["group"], result["respondents"], result["suppressed"]) == (None, 20, False)
    # NPS over 18 answers: promoters 4 + 5 = 9, passives 4, detractors 2 + 3 = 5 -> 4/18 = 22.2
    assert result["questions"][0] == {
        "question": scored.q["nps"].id,
        "type": "nps",
        "n": 18,
        "score": 22.2,
        "promoters": 9,
        "passives": 4,
        "detractors": 5,
    }
    assert result["questions"][1:] == front_desk_questions(scored.q)[1:]
    assert result["engagement"] == 58.3


@pytest.mark.parametrize(
    ("period", "label"), [("week", "2026-W07"), ("month", "2026-02"), ("quarter", "2026-Q1")]
)
def test_periods_are_labelled(world, login, scored, period, label):
    scored.anonymous = False  # weeks are for surveys that are not anonymous
    scored.save(update_fields=["anonymous"])
    body = login(world.hr_admin).get(url(scored, period=period)).json()
    assert [r["period"] for r in body["results"]] == [label]
    assert body["results"][0]["respondents"] == 20


def test_iso_week_of_late_december_belongs_to_next_year(world, login):
    survey = SurveyFactory(organization=world.org, anonymous=False)
    question = QuestionFactory(survey=survey, type="nps")
    for day in (
        dt.datetime(2025, 12, 30, 12, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC),
    ):
        for _ in range(5):
            response_with_answers(
                survey=survey, team=world.team, answers={question: 9}, submitted_at=day
            )
    scores_rebuild(survey_id=survey.id)
    body = login(world.hr_admin).get(url(survey, period="week")).json()
    assert [(r["period"], r["respondents"]) for r in body["results"]] == [
        ("2026-W01", 5),
        ("2026-W02", 5),
    ]
    months = login(world.hr_admin).get(url(survey, period="month")).json()["results"]
    assert [r["period"] for r in months] == ["2025-12", "2026-01"]


def test_start_and_end_filter_by_day(world, login, scored):
    scored.anonymous = False
    scored.save(update_fields=["anonymous"])
    body = login(world.hr_admin).get(url(scored, start="2026-02-11", end="2026-03-01")).json()
    assert body["results"] == []
    body = login(world.hr_admin).get(url(scored, start="2026-02-10", end="2026-02-10")).json()
    assert body["results"][0]["respondents"] == 20


def test_an_anonymous_survey_is_read_by_whole_months(world, login, scored):
    """Its answers are all on 10 February: 11 February - 1 March covers February and March."""
    body = login(world.hr_admin).get(url(scored, start="2026-02-11", end="2026-03-01")).json()
    assert body["results"][0]["respondents"] == 20
    assert login(world.hr_admin).get(url(scored, start="2026-03-01")).json()["results"] == []


def test_weeks_of_an_anonymous_survey_are_refused(world, login, scored):
    response = login(world.hr_admin).get(url(scored, period="week"))
    assert response.status_code == 400
    assert "whole months" in response.json()["period"][0]


def test_single_group_under_threshold_is_suppressed(world, login):
    survey = SurveyFactory(organization=world.org)
    question = QuestionFactory(survey=survey, type="nps")
    for _ in range(4):
        response_with_answers(survey=survey, team=world.team, answers={question: 10})
    scores_rebuild(survey_id=survey.id)
    body = login(world.hr_admin).get(url(survey)).json()
    assert body["results"] == [
        {"group": None, "period": "all", "respondents": 4, "suppressed": True}
    ]


def test_threshold_follows_the_organisation(world, login, scored):
    world.org.anonymity_threshold = 3
    world.org.save()
    body = login(world.hr_admin).get(url(scored, group_by="team")).json()
    assert body["threshold"] == 3
    assert [r["suppressed"] for r in body["results"]] == [False, False, False]
    night = body["results"][2]
    assert night["questions"][0]["score"] == -100.0  # three detractors


def test_no_responses_gives_no_results(world, login):
    survey = SurveyFactory(organization=world.org)
    QuestionFactory(survey=survey, type="nps")
    body = login(world.hr_admin).get(url(survey, group_by="location")).json()
    assert body["results"] == []


def test_group_by_department_and_location(world, login, scored):
    body = login(world.hr_admin).get(url(scored, group_by="department")).json()
    by_name = {r["group"]["name"]: r for r in body["results"]}
    assert by_name[world.team.department.name]["respondents"] == 12
    assert by_name[world.team.department.name]["questions"] == front_desk_questions(scored.q)
    body = login(world.hr_admin).get(url(scored, group_by="location")).json()
    assert {r["group"]["id"]: r["respondents"] for r in body["results"]} == {
        world.team.location_id: 12,
        world.other_team.location_id: 3,
        scored.back_office.location_id: 5,
    }


# --- Permissions and bad input ------------------------------------------------------------------


def test_team_lead_sees_only_their_team(world, login, scored):
    body = login(world.team_lead).get(url(scored, group_by="team")).json()
    assert [r["group"]["name"] for r in body["results"]] == ["Front desk"]
    assert body["results"][0]["questions"] == front_desk_questions(scored.q)
    total = login(world.team_lead).get(url(scored)).json()["results"]
    assert [(r["respondents"], r["suppressed"]) for r in total] == [(12, False)]


def test_cx_manager_cannot_read_ex_scores_but_reads_cx(world, login, scored):
    client = login(world.cx_manager)
    assert client.get(url(scored)).status_code == 403
    cx = SurveyFactory(organization=world.org, kind=SurveyKind.CX)
    assert client.get(url(cx)).status_code == 200
    assert login(world.hr_admin).get(url(cx)).status_code == 403


def test_staff_is_forbidden(world, login, scored):
    assert login(world.staff).get(url(scored)).status_code == 403


def test_other_organisation_gets_404(world, login, scored):
    response = login(world.outsider).get(url(scored))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_anonymous_is_refused(client, scored):
    assert client.get(url(scored)).status_code in (401, 403)


def test_wrong_method(world, login, scored):
    assert login(world.hr_admin).post(url(scored)).status_code == 405


def test_bad_parameters_give_field_errors(world, login, scored):
    client = login(world.hr_admin)
    response = client.get(url(scored, group_by="person", period="day"))
    assert response.status_code == 400
    assert set(response.json()) == {"group_by", "period"}
    response = client.get(url(scored, start="yesterday"))
    assert response.status_code == 400 and "start" in response.json()
    response = client.get(url(scored, start="2026-03-01", end="2026-02-01"))
    assert response.status_code == 400
    assert response.json() == {"end": ["End must be on or after start."]}


def test_a_narrowing_filter_is_refused_not_ignored(world, login, scored):
    """QA: `?team=5` answered the whole organisation's figures, as if narrowed to the team."""
    client = login(world.hr_admin)
    response = client.get(url(scored, team=world.team.id))
    assert response.status_code == 400
    assert response.json() == {
        "team": [
            "The scores are not filtered by team: group_by=team, department or location gives "
            "each group's figures."
        ]
    }
    response = client.get(url(scored, location=1, department=2, group_by="team"))
    assert response.status_code == 400 and set(response.json()) == {"department", "location"}
    assert client.get(url(scored, group_by="team", _="1700000000")).status_code == 200


def test_token_authentication(world, client, scored):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.hr_admin.user)
    response = client.get(url(scored), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


# --- Selectors the dashboards and alerts build on -----------------------------------------------


def test_filter_on_the_grouping_dimension_does_not_unhide_a_complement(world, scored):
    # Back office alone has 5 respondents, but it hides Night shift's 3 from subtraction.
    body = survey_scores(survey=scored, group_by="team", team_ids=[scored.back_office.id])
    assert [(r["respondents"], r["suppressed"]) for r in body["results"]] == [(5, True)]


def test_filtered_total_is_hidden_when_the_rest_could_be_subtracted(world, scored):
    # Front desk (12) leaves 8 others: fine. Front desk + Back office (17) leave Night shift's 3.
    alone = survey_scores(survey=scored, team_ids=[world.team.id])["results"]
    assert [(r["respondents"], r["suppressed"]) for r in alone] == [(12, False)]
    both = survey_scores(survey=scored, team_ids=[world.team.id, scored.back_office.id])["results"]
    assert [(r["respondents"], r["suppressed"]) for r in both] == [(17, True)]


def test_metric_by_group_gives_one_value_per_group(world, scored):
    rows = metric_by_group(survey=scored, metric="enps", group_by="team")
    assert [
        (r["group"]["name"], r["value"], r["n"], r["respondents"], r["suppressed"]) for r in rows
    ] == [
        ("Back office", None, None, 5, True),
        ("Front desk", 20.0, 10, 12, False),
        ("Night shift", None, None, 3, True),
    ]
    assert rows[1]["period"] == "all" and rows[1]["period_start"] is None


@pytest.mark.parametrize(
    ("metric", "value", "n"),
    [("csat", 75.0, 12), ("ces", 5.25, 12), ("engagement", 58.3, 12), ("nps", 22.2, 18)],
)
def test_metric_by_group_metrics(scored, metric, value, n):
    (row,) = metric_by_group(survey=scored, metric=metric, period="month")
    assert (row["value"], row["n"], row["period"], row["period_start"]) == (
        value,
        n,
        "2026-02",
        dt.date(2026, 2, 1),
    )


def test_metric_by_group_favourability_of_one_question(scored):
    (row,) = metric_by_group(
        survey=scored, metric="favourability", question_id=scored.q["likert"].id
    )
    assert row["value"] == 58.3


def test_metric_by_group_rejects_unknown_metric(scored):
    with pytest.raises(ValueError, match="Unknown metric"):
        metric_by_group(survey=scored, metric="happiness")


def test_driver_favourability_per_group(world, scored):
    rows = driver_favourability(survey=scored, group_by="team")
    front = next(r for r in rows if r["group"]["id"] == world.team.id)
    assert front["drivers"] == {"engagement": {"favourable": 58.3, "n": 12}}
    assert all(r["drivers"] == {} for r in rows if r["suppressed"])


def test_participation_per_team(world, scored):
    from tests.factories import InvitationFactory, PersonFactory

    used = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)
    for team, invited, answered in (
        (world.team, 15, 12),
        (world.other_team, 4, 3),
        (scored.back_office, 6, 5),
    ):
        for i in range(invited):
            person = PersonFactory(organization=world.org, team=team)
            InvitationFactory(survey=scored, person=person, used_at=used if i < answered else None)
    rows = {r["group"]["name"]: r for r in participation_by_group(survey=scored)}
    # 12 of 15 = 80.0%; Night shift (3 responses) is hidden, and Back office with it.
    assert rows["Front desk"] == {
        "group": {"id": world.team.id, "name": "Front desk"},
        "cycle": None,
        "invited": 15,
        "responses": 12,
        "rate": 80.0,
        "suppressed": False,
    }
    assert (rows["Night shift"]["rate"], rows["Night shift"]["suppressed"]) == (None, True)
    assert rows["Back office"]["suppressed"] is True


def _driver_survey(world):
    """25 respondents: x = 1..5 five times each; outcome y = 2x.

    A = x (r = 1, 40% favourable); D = 6 - x (r = -1, 40%); E = 1,1,2,2,3 for x = 1..5:
    r(E, x) = sum((x-3)(E-1.8)) / sqrt(sum((x-3)^2) sum((E-1.8)^2)) = 5 / sqrt(10 * 2.8) = 0.94,
    0% favourable; B = 3 always (no variation); C = x for the first 10 only (n = 10).
    Focus: A 1.0 x (100 - 40) = 60 < E 0.94 x (100 - 0) = 94 -> E.
    """
    survey = SurveyFactory(organization=world.org)
    outcome = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    items = {
        name: QuestionFactory(survey=survey, type="likert", driver=driver)
        for name, driver in (
            ("A", "growth"),
            ("B", "tools"),
            ("C", "workload"),
            ("D", "recognition"),
            ("E", "purpose"),
        )
    }
    for i in range(25):
        x = 1 + i % 5
        values = {"A": x, "B": 3, "D": 6 - x, "E": [1, 1, 2, 2, 3][x - 1]}
        if i < 10:
            values["C"] = x
        answers = {items[k]: v for k, v in values.items()} | {outcome: 2 * x}
        response_with_answers(survey=survey, team=world.team, answers=answers, submitted_at=DAY)
    scores_rebuild(survey_id=survey.id)
    return survey, outcome, items


def test_driver_impact_ranks_drivers_and_picks_focus(world):
    survey, outcome, items = _driver_survey(world)
    result = driver_impact(survey=survey)
    assert result["outcome"]["question"] == outcome.id
    assert (result["respondents"], result["min_n"], result["status"]) == (25, 25, "ok")
    rows = [
        (r["question"], r["n"], r["impact"], r["favourable"], r["note"], r["focus"])
        for r in result["drivers"]
    ]
    assert rows == [
        (items["A"].id, 25, 1.0, 40.0, "", False),
        (items["E"].id, 25, 0.94, 0.0, "", True),
        (items["D"].id, 25, -1.0, 40.0, "", False),
        (items["B"].id, 25, None, 0.0, "no variation", False),
        (items["C"].id, 10, None, 40.0, "not enough data", False),
    ]
    assert result["focus"] == items["E"].id
    assert [r["strength"] for r in result["drivers"]] == ["strong", "strong", "strong", "", ""]


@pytest.mark.parametrize(
    ("r", "strength"),
    [
        (1.0, "strong"),
        (0.5, "strong"),
        (-0.6, "strong"),
        (0.49, "moderate"),
        (0.3, "moderate"),
        (-0.33, "moderate"),
        (0.29, "weak"),
        (0.0, "weak"),
    ],
)
def test_driver_strength_reads_the_correlations_size(r, strength):
    """The "Focus here" note once called r = 0.33 a strong link."""
    from dashboards.selectors.drivers import _strength

    assert _strength(r) == strength


def test_driver_impact_needs_25_respondents(world):
    survey, _, _ = _driver_survey(world)
    result = driver_impact(survey=survey, team_ids=[world.other_team.id])
    assert result["status"] == "not enough data"
    assert {r["note"] for r in result["drivers"]} == {"not enough data"}
    assert result["focus"] is None
    assert driver_impact(survey=survey, end=dt.date(2026, 1, 31))["status"] == "not enough data"
    assert driver_impact(survey=survey, start=dt.date(2026, 2, 10))["status"] == "ok"
    # An anonymous survey is read by whole months: 1-9 February is February.
    assert driver_impact(survey=survey, end=dt.date(2026, 2, 9))["status"] == "ok"


def test_driver_impact_shows_nothing_of_a_hidden_selection(world):
    """Four respondents (threshold 5): no item's favourability, no correlation; the export once
    listed one person's answers as "% favourable" for a team on one day."""
    survey = SurveyFactory(organization=world.org)
    outcome = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    item = QuestionFactory(survey=survey, type="likert", driver="growth")
    for x in (1, 2, 4, 5):
        answers = {item: x, outcome: 2 * x}
        response_with_answers(survey=survey, team=world.team, answers=answers, submitted_at=DAY)
    scores_rebuild(survey_id=survey.id)
    result = driver_impact(survey=survey)
    assert result["status"] == "not enough data" and result["focus"] is None
    [row] = result["drivers"]
    assert (row["favourable"], row["impact"], row["n"]) == (None, None, 0)
    # The same survey over five respondents: the selection is shown, favourability with it.
    response_with_answers(
        survey=survey, team=world.team, answers={item: 5, outcome: 10}, submitted_at=DAY
    )
    scores_rebuild(survey_id=survey.id)
    [row] = driver_impact(survey=survey)["drivers"]
    assert row["favourable"] == 60.0 and row["impact"] is None  # under 25: no correlation


def test_driver_impact_without_outcome_question(world, scored):
    assert driver_impact(survey=scored)["status"] == "no outcome question"
