"""Issue 4: alert rules scoped to a department (the audit found organisation, team and location
scopes tested, department not). February 2026, eNPS of an anonymous EX survey, threshold 5:

    Rooms department:  Front desk  10 8 7 3 2   (1 promoter, 2 detractors)
                       Night shift 10 10 10 9 7 (4 promoters)
                       together: 10 people, 5 promoters, 2 detractors -> (5 - 2) / 10 = 30.0
    Kitchen department: Kitchen    0 0 0 0 0    -> -100.0
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards import scoring
from dashboards.alerting.services import alert_rules_evaluate
from tests.factories import (
    AlertRuleFactory,
    DepartmentFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
    response_with_answers,
)

pytestmark = pytest.mark.django_db

FEB = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def departments(world):
    rooms = DepartmentFactory(organization=world.org, name="Rooms")
    world.team.department = world.other_team.department = rooms
    world.team.save()
    world.other_team.save()
    kitchen = TeamFactory(organization=world.org, name="Kitchen")
    survey = SurveyFactory(organization=world.org, kind="ex", anonymous=True)
    nps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    for team, values in (
        (world.team, [10, 8, 7, 3, 2]),
        (world.other_team, [10, 10, 10, 9, 7]),
        (kitchen, [0, 0, 0, 0, 0]),
    ):
        for value in values:
            last = response_with_answers(
                survey=survey, team=team, answers={nps: value}, submitted_at=FEB
            )
    scoring.survey_rebuild(survey_id=survey.id)
    return survey, rooms, kitchen.department, last


def _rule(world, **fields):
    return AlertRuleFactory(organization=world.org, owners=[world.hr_admin.user], **fields)


def test_department_rule_judges_the_department_as_a_whole(world, departments):
    survey, rooms, _, last = departments
    fires = _rule(world, scope="department", department=rooms, threshold=40)
    _rule(world, scope="department", department=rooms, threshold=30)  # 30.0 is not below 30

    alerts = alert_rules_evaluate(survey_id=survey.id, response_id=last.id)

    assert [(a.rule, a.value, a.scope_key, a.scope_label) for a in alerts] == [
        (fires, 30.0, f"department:{rooms.id}", "Rooms")
    ]
    assert alerts[0].team is None  # a department alert is not any one team's


def test_department_rule_without_a_department_looks_at_each(world, departments):
    survey, rooms, kitchen_department, last = departments
    each = _rule(world, scope="department", threshold=0)

    alerts = alert_rules_evaluate(survey_id=survey.id, response_id=last.id)

    assert [(a.rule, a.value, a.scope_key) for a in alerts] == [
        (each, -100.0, f"department:{kitchen_department.id}")
    ]
    # Re-running raises nothing new: one open alert per rule, scope and period.
    assert alert_rules_evaluate(survey_id=survey.id, response_id=last.id) == []
