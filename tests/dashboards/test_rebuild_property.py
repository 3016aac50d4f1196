"""Incremental scoring equals rebuild_scores, for any responses, order of scoring and re-deliveries."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards import scoring
from tests.dashboards.test_scoring import rollup_rows
from tests.factories import QuestionFactory, SurveyFactory, TeamFactory, response_with_answers

pytestmark = pytest.mark.django_db

TIMES = [dt.time(0, 0), dt.time(0, 0, 0, 500), dt.time(12, 0), dt.time(23, 59, 59, 999999)]
COMMENTS = ["", "Great team, I love it", "Awful rota, terrible", "It is Tuesday"]

response_strategy = st.fixed_dictionaries(
    {
        "team": st.sampled_from([0, 1, 2, None]),
        "other_location": st.booleans(),
        "day": st.integers(0, 2),
        "time": st.sampled_from(TIMES),
        "nps": st.one_of(st.none(), st.integers(0, 10)),
        "likert": st.one_of(st.none(), st.integers(1, 5)),
        "ces": st.one_of(st.none(), st.integers(1, 7)),
        "comment": st.sampled_from(COMMENTS),
    }
)


@pytest.fixture(autouse=True)
def _no_alerts(monkeypatch):
    # Rollups only: alert rules (tested with the alerts) would only slow each example down.
    monkeypatch.setattr(scoring, "_alerts_evaluate", lambda **kwargs: None)


@pytest.fixture
def teams(world):
    return [world.team, world.other_team, TeamFactory(organization=world.org, location=None)]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(response_strategy, min_size=1, max_size=12),
    time_zone=st.sampled_from(["UTC", "America/New_York"]),  # buckets follow the site's days
    data=st.data(),
)
def test_incremental_scoring_equals_rebuild(world, teams, settings, time_zone, specs, data):
    settings.TIME_ZONE = time_zone
    survey = SurveyFactory(organization=world.org)
    questions = {
        "nps": QuestionFactory(survey=survey, type="nps"),
        "likert": QuestionFactory(survey=survey, type="likert"),
        "ces": QuestionFactory(survey=survey, type="ces"),
        "comment": QuestionFactory(survey=survey, type="text", required=False),
    }
    pending: list[int] = []
    scored: list[int] = []
    for spec in specs:
        pending.append(_create(survey, questions, teams, spec).id)
        # Score some of the waiting responses (as workers would, in any order), re-deliver some.
        for _ in range(data.draw(st.integers(0, len(pending)))):
            response_id = pending.pop(data.draw(st.integers(0, len(pending) - 1)))
            scoring.response_score(response_id=response_id)
            scored.append(response_id)
        if scored and data.draw(st.booleans()):
            scoring.response_score(response_id=data.draw(st.sampled_from(scored)))
    for response_id in pending:
        scoring.response_score(response_id=response_id)
    incremental = rollup_rows(survey.id)

    scoring.scores_rebuild(survey_id=survey.id)
    assert rollup_rows(survey.id) == incremental
    assert sum(row[-1] for row in incremental[1]) == len(specs)  # every response counted once


def _create(survey, questions, teams, spec):
    team = teams[spec["team"]] if spec["team"] is not None else None
    location = teams[1].location if spec["other_location"] else (team.location if team else None)
    values = {
        key: spec[key] for key in ("nps", "likert", "ces", "comment") if spec[key] not in (None, "")
    }
    day = dt.date(2026, 3, 27) + dt.timedelta(days=spec["day"])
    submitted_at = dt.datetime.combine(day, spec["time"], tzinfo=dt.UTC)
    return response_with_answers(
        survey=survey,
        team=team,
        location=location,
        answers={questions[key]: value for key, value in values.items()},
        submitted_at=submitted_at,
    )
