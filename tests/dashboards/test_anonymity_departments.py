"""Teams are hidden within their departments, so no department total, department filter or team
breakdown gives back a team hidden as another one's complement (docs/dashboards.md, Anonymity).

The organisation (threshold 5), one anonymous eNPS pulse, all in March 2026:

    North   Small 2 (eNPS 0 0)        Big 10 (10 x 8)
    South   East 6 (6 x 10)           West 8 (8 x 0)
    (an engagement item, favourable: Small 0%, Big 50%, East 100%, West 0%)

Among all four teams at once (the rule before departments), Small (2) is hidden and East (6, the
smallest other team) with it; but South (14) minus West (8) is East, and then the organisation
(26) minus Big, West and East is Small. Within departments, North hides Small and Big (North's
hidden teams must hold at least 5), South hides nothing, and every view agrees.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards.anonymity import PROTECTS_ANOTHER
from dashboards.selectors.drivers import driver_impact
from dashboards.selectors.participation import participation_by_group
from dashboards.selectors.scores import metric_by_group
from dashboards.selectors.tables import HIDDEN
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH_FILTER, rebuild, store
from tests.factories import (
    CycleFactory,
    DepartmentFactory,
    LocationFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
    invite_teams,
)

pytestmark = pytest.mark.django_db

MARCH = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}


@pytest.fixture
def org(world):
    north = DepartmentFactory(organization=world.org, name="North")
    south = DepartmentFactory(organization=world.org, name="South")
    teams = {
        name: TeamFactory(organization=world.org, department=department, name=name)
        for name, department in (
            ("Small", north),
            ("Big", north),
            ("East", south),
            ("West", south),
        )
    }
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    enps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    proud = QuestionFactory(survey=survey, type="likert", driver="engagement")
    for name, scores, agree in (
        ("Small", [0, 0], [1, 1]),
        ("Big", [8] * 10, [4] * 5 + [3] * 5),
        ("East", [10] * 6, [5] * 6),
        ("West", [0] * 8, [1] * 8),
    ):
        store(survey=survey, team=teams[name], columns={enps: scores, proud: agree})
    rebuild(survey)
    return {"survey": survey, "teams": teams, "north": north, "south": south, "world": world}


def _shown(rows) -> dict[str, float | None]:
    return {row["group"]["name"]: row["value"] for row in rows}


def test_a_departments_hidden_teams_hold_the_threshold_or_nothing(org):
    by_team = metric_by_group(survey=org["survey"], metric="enps", group_by="team", **MARCH)
    # North: Small (2) hidden, then Big so that North's hidden teams hold 12; South shows both.
    assert _shown(by_team) == {"Small": None, "Big": None, "East": 100.0, "West": -100.0}
    by_department = metric_by_group(
        survey=org["survey"], metric="enps", group_by="department", **MARCH
    )
    # North (12): 2 detractors, 10 passives; South (14): 6 promoters, 8 detractors.
    assert _shown(by_department) == {"North": -16.7, "South": -14.3}


def test_a_department_filter_hides_the_same_teams(org):
    for department in ("north", "south"):
        rows = metric_by_group(
            survey=org["survey"],
            metric="enps",
            group_by="team",
            department_ids=[org[department].id],
            **MARCH,
        )
        whole = metric_by_group(survey=org["survey"], metric="enps", group_by="team", **MARCH)
        names = {team.name for team in org["teams"].values() if team.department == org[department]}
        assert _shown(rows) == {
            name: value for name, value in _shown(whole).items() if name in names
        }


def test_a_team_hidden_in_its_department_is_hidden_alone_too(org):
    big = org["teams"]["Big"]
    (row,) = metric_by_group(survey=org["survey"], metric="enps", team_ids=[big.id], **MARCH)
    assert row["suppressed"] and row["value"] is None
    # Its department within it (a team filter grouped by department) is Big itself: hidden.
    (row,) = metric_by_group(
        survey=org["survey"], metric="enps", group_by="department", team_ids=[big.id], **MARCH
    )
    assert row["group"]["name"] == "North" and row["suppressed"] and row["value"] is None


def test_a_department_hidden_as_a_complement_hides_its_smallest_team(world):
    """Tiny (3) is hidden among departments, and Mid (13, the smallest other) with it. Mid's two
    teams are over the threshold each, but both shown they would add up to Mid, and the
    organisation minus Mid minus Large would be Tiny: so Mid one (6, its smallest) is hidden too,
    and Mid two (7) is shown. The organisation minus every team shown is Solo and Mid one
    together (9 people); Mid is never shown, so Mid minus Mid two is not there to subtract."""
    departments = {
        name: DepartmentFactory(organization=world.org, name=name)
        for name in ("Tiny", "Mid", "Large")
    }
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    enps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    for name, department, scores in (
        ("Solo", "Tiny", [0, 0, 0]),
        ("Mid one", "Mid", [10] * 6),
        ("Mid two", "Mid", [0] * 7),
        ("Large one", "Large", [9] * 10),
        ("Large two", "Large", [6] * 10),
    ):
        team = TeamFactory(organization=world.org, department=departments[department], name=name)
        store(survey=survey, team=team, columns={enps: scores})
    rebuild(survey)
    by_department = metric_by_group(survey=survey, metric="enps", group_by="department", **MARCH)
    assert _shown(by_department) == {"Tiny": None, "Mid": None, "Large": 0.0}
    by_team = metric_by_group(survey=survey, metric="enps", group_by="team", **MARCH)
    assert _shown(by_team) == {
        "Solo": None,
        "Mid one": None,
        "Mid two": -100.0,
        "Large one": 100.0,
        "Large two": -100.0,
    }


def test_answers_without_a_team_cost_one_team_not_a_department(world):
    """A customer link to no team took 1 answer: "No department" (1) is hidden, and the smallest
    department (Kitchen, 12) with it, as a complement; of Kitchen's teams only the smaller
    (Prep, 5) is hidden, so Grill (7, all promoters) and the rest stay on the page."""
    kitchen = DepartmentFactory(organization=world.org, name="Kitchen")
    floor = DepartmentFactory(organization=world.org, name="Floor")
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.CX, anonymous=False)
    nps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    for name, department, scores in (
        ("Prep", kitchen, [0] * 5),
        ("Grill", kitchen, [10] * 7),
        ("Bar", floor, [10] * 20),
    ):
        team = TeamFactory(organization=world.org, department=department, name=name)
        store(survey=survey, team=team, columns={nps: scores})
    store(survey=survey, team=None, columns={nps: [3]})
    rebuild(survey)
    by_department = metric_by_group(survey=survey, metric="nps", group_by="department", **MARCH)
    assert _shown(by_department) == {"Kitchen": None, "Floor": 100.0, "No department": None}
    by_team = metric_by_group(survey=survey, metric="nps", group_by="team", **MARCH)
    assert _shown(by_team) == {"Prep": None, "Grill": 100.0, "Bar": 100.0, "No team": None}


@pytest.mark.parametrize("from_answers", [False, True], ids=["rollups", "answers"])
def test_driver_impact_of_a_department_hidden_as_a_complement_shows_nothing(world, from_answers):
    """Tiny (3) is hidden among departments and Mid (30 in two teams, the smallest other) with it.
    Mid's driver table must not show its n and favourability: with the organisation's and
    Large's it would give Tiny's (it did, when a department was asked for as its teams). Large (40) shows its own: 40 pairs on y = 2x (r 1.0), 16 of 40 items at 4
    or 5 (40.0% favourable)."""
    from dashboards.models import PairOutcome

    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    outcome = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    item = QuestionFactory(survey=survey, type="likert", driver="recognition")
    departments = {}
    for name, teams in (("Tiny", [3]), ("Mid", [15, 15]), ("Large", [40])):
        departments[name] = DepartmentFactory(organization=world.org, name=name)
        for people in teams:
            team = TeamFactory(organization=world.org, department=departments[name])
            steady = [1 + i % 5 for i in range(people)]
            columns = {item: steady, outcome: [2 * x for x in steady]}
            store(survey=survey, team=team, columns=columns)
    rebuild(survey)
    if from_answers:  # the rollups' pairs against another outcome: read from the answers
        PairOutcome.objects.filter(survey=survey).delete()

    def impact(name):
        result = driver_impact(survey=survey, department_ids=[departments[name].id], **MARCH)
        [row] = result["drivers"]
        return result["status"], row["n"], row["impact"], row["favourable"]

    assert impact("Mid") == ("not enough data", 0, None, None)
    assert impact("Large") == ("ok", 40, 1.0, 40.0)


def test_the_ex_page_and_its_department_filter_hide_the_same_teams(org, login):
    """Big (engagement 50.0) is hidden on the organisation's EX page and on North's alone; East
    (100.0) is shown on both (South hides nothing), so neither page gives what the other hides."""
    client = login(org["world"].hr_admin)
    base = {**MARCH_FILTER, "survey": org["survey"].id}
    heatmaps = {}
    for name, params in (("all", base), ("north", {**base, "department": org["north"].id})):
        heatmap = heatmaps[name] = _heatmap(client.get("/dashboards/ex/", params))
        assert heatmap["Small"][1] == HIDDEN and heatmap["Big"][1] == PROTECTS_ANOTHER
        export = b"".join(
            client.get("/dashboards/export/ex.csv", params).streaming_content
        ).decode()
        assert "Big" in export and "50.0" not in export
    south = _heatmap(client.get("/dashboards/ex/", {**base, "department": org["south"].id}))
    assert heatmaps["all"]["East"][1] == south["East"][1] == 100.0


def _heatmap(page) -> dict[str, list]:
    table = next(table for table in page.context["tables"] if table.key == "heatmap")
    return {row[0]: row[1:] for row in table.rows}


# --- Participation follows the same rules -------------------------------------------------------


def _participation(survey, **filters) -> dict:
    return {
        row["group"]["name"]: row["responses"]
        for row in participation_by_group(survey=survey, **filters)
    }


def test_participation_hides_teams_within_their_departments(org):
    """Answered: Small 2 and Big 10 (North), East 6 and West 8 (South), all of 12 invited."""
    world, teams = org["world"], org["teams"]
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    answered = {"Small": 2, "Big": 10, "East": 6, "West": 8}
    invite_teams(
        survey=survey,
        cycle=CycleFactory(survey=survey, number=1),
        plan={teams[name]: (12, n) for name, n in answered.items()},
    )
    expected = {"Big": None, "East": 6, "Small": None, "West": 8}
    assert _participation(survey) == expected
    south = _participation(survey, department_ids=[org["south"].id])
    assert south == {"East": 6, "West": 8}
    assert _participation(survey, group_by="department") == {"North": 12, "South": 14}
    # North within Big alone is Big: hidden.
    assert _participation(survey, group_by="department", team_ids=[teams["Big"].id]) == {
        "North": None
    }


def test_participation_of_a_location_adds_up_the_teams_shown_there(world):
    """Cellar (2 answered, hidden with its complement Bar) and Kitchen (7) work at Hull: Hull's
    participation is Kitchen's, 7 of 10 (70.0), so Hull minus Kitchen is nobody."""
    drinks, food = (DepartmentFactory(organization=world.org, name=n) for n in ("Drinks", "Food"))
    hull, york = (LocationFactory(organization=world.org, name=n) for n in ("Hull", "York"))
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX)
    plan = {}
    for name, department, place, counts in (
        ("Cellar", drinks, hull, (4, 2)),
        ("Bar", drinks, york, (9, 6)),
        ("Kitchen", food, hull, (10, 7)),
    ):
        team = TeamFactory(organization=world.org, department=department, location=place, name=name)
        plan[team] = counts
    invite_teams(survey=survey, cycle=CycleFactory(survey=survey, number=1), plan=plan)
    rows = {
        row["group"]["name"]: row
        for row in participation_by_group(survey=survey, group_by="location")
    }
    assert (rows["Hull"]["invited"], rows["Hull"]["responses"], rows["Hull"]["rate"]) == (
        10,
        7,
        70.0,
    )
    assert rows["York"]["suppressed"] and rows["York"]["responses"] is None
