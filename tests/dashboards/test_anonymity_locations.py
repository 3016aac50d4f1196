"""Locations are built from team x location cells, each kept or left out of every location
figure (dashboards.selectors.scores._location_cells), so neither a location's total minus its
teams nor teams against locations give back a small group (docs/dashboards.md, Anonymity).

One anonymous pulse in March 2026 (threshold 5), two teams working at two locations:

                Leeds            York             team (its own breakdown: both shown)
    Tills       2 x 0            6 x 10           8: 6 promoters, 2 detractors -> 50.0
    Stock       6 x 9            6 x 0            12: 6 and 6                  -> 0.0

Row by row (the rule before), Tills at York (6) was shown in York's breakdown by team, and
Tills (8) minus it is Tills at Leeds, 2 people. Now Tills at Leeds (2) is left out of every
location figure, and Tills at York with it (Tills's left-out cells must hold 0 or 5): Leeds is
Stock at Leeds (6 x 9 -> 100.0), York is Stock at York (6 x 0 -> -100.0). Tills (8) minus its
kept cells (none) is 8 people; Leeds (6) minus Stock at Leeds is nobody.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards.anonymity import PROTECTS_ANOTHER
from dashboards.selectors.scores import metric_by_group
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH_FILTER, rebuild, store
from tests.factories import (
    DepartmentFactory,
    LocationFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

MARCH = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}


def _table(world, *, tills_at_leeds: int):
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    enps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    proud = QuestionFactory(survey=survey, type="likert", driver="engagement")
    places = {
        name: LocationFactory(organization=world.org, name=name) for name in ("Leeds", "York")
    }
    teams = {name: TeamFactory(organization=world.org, name=name) for name in ("Tills", "Stock")}
    for team, place, scores, agree in (
        ("Tills", "Leeds", [0] * tills_at_leeds, 1),
        ("Tills", "York", [10] * 6, 5),
        ("Stock", "Leeds", [9] * 6, 4),
        ("Stock", "York", [0] * 6, 2),
    ):
        columns = {enps: scores, proud: [agree] * len(scores)}
        store(survey=survey, team=teams[team], location=places[place], columns=columns)
    rebuild(survey)
    return survey, teams, places


def _values(rows) -> dict:
    return {row["group"]["name"]: (row["respondents"], row["value"]) for row in rows}


def test_locations_hold_the_team_cells_kept(world):
    survey, _, _ = _table(world, tills_at_leeds=2)
    by_location = metric_by_group(survey=survey, metric="enps", group_by="location", **MARCH)
    assert _values(by_location) == {"Leeds": (6, 100.0), "York": (6, -100.0)}
    by_team = metric_by_group(survey=survey, metric="enps", group_by="team", **MARCH)
    assert _values(by_team) == {"Tills": (8, 50.0), "Stock": (12, 0.0)}


def test_no_team_x_location_view_gives_back_a_small_cell(world):
    survey, teams, places = _table(world, tills_at_leeds=2)
    york = metric_by_group(
        survey=survey, metric="enps", group_by="team", location_ids=[places["York"].id], **MARCH
    )
    assert _values(york) == {"Tills": (6, None), "Stock": (6, -100.0)}
    tills = metric_by_group(
        survey=survey, metric="enps", group_by="location", team_ids=[teams["Tills"].id], **MARCH
    )
    assert _values(tills) == {"Leeds": (2, None), "York": (6, None)}
    (both,) = metric_by_group(
        survey=survey,
        metric="enps",
        team_ids=[teams["Tills"].id],
        location_ids=[places["York"].id],
        **MARCH,
    )
    assert both["suppressed"] and both["value"] is None


def test_a_table_without_a_small_cell_is_shown_whole(world):
    """Tills at Leeds 6 x 0: every cell has 6, nothing is left out anywhere."""
    survey, _, places = _table(world, tills_at_leeds=6)
    rows = metric_by_group(
        survey=survey, metric="enps", group_by="team", location_ids=[places["York"].id], **MARCH
    )
    assert _values(rows) == {"Tills": (6, 100.0), "Stock": (6, -100.0)}
    by_location = metric_by_group(survey=survey, metric="enps", group_by="location", **MARCH)
    assert _values(by_location) == {"Leeds": (12, 0.0), "York": (12, 0.0)}


def test_a_location_minus_its_shown_teams_is_nobody(world):
    """One team per location, as staff usually are: Cellar (2) at Hull, hidden with its
    complement Bar (6) in Drinks; Kitchen (7) also at Hull, in Food. Hull's figure holds
    Kitchen only, so Hull minus Kitchen is nobody (it was Cellar, 2 people)."""
    drinks, food = (DepartmentFactory(organization=world.org, name=n) for n in ("Drinks", "Food"))
    hull, york = (LocationFactory(organization=world.org, name=n) for n in ("Hull", "York"))
    survey = SurveyFactory(organization=world.org, kind=SurveyKind.EX, anonymous=True)
    enps = QuestionFactory(survey=survey, type="nps", is_outcome=True)
    for name, department, place, scores in (
        ("Cellar", drinks, hull, [0, 0]),
        ("Bar", drinks, york, [10] * 6),
        ("Kitchen", food, hull, [9] * 7),
    ):
        team = TeamFactory(organization=world.org, department=department, location=place, name=name)
        store(survey=survey, team=team, columns={enps: scores})
    rebuild(survey)
    by_team = metric_by_group(survey=survey, metric="enps", group_by="team", **MARCH)
    assert _values(by_team) == {"Cellar": (2, None), "Bar": (6, None), "Kitchen": (7, 100.0)}
    by_location = metric_by_group(survey=survey, metric="enps", group_by="location", **MARCH)
    assert _values(by_location) == {"Hull": (7, 100.0), "York": (6, None)}


def test_the_ex_page_of_a_location_hides_the_teams_left_out(world, login):
    """York's heatmap by team: Tills there is 100% favourable (6 x 5), left out; Stock there
    0% (6 x 2), shown. The page and its export never show Tills's 100.0."""
    survey, _, places = _table(world, tills_at_leeds=2)
    client = login(world.hr_admin)
    params = {**MARCH_FILTER, "survey": survey.id, "location": places["York"].id}
    page = client.get("/dashboards/ex/", params)
    heatmap = next(t for t in page.context["tables"] if t.key == "heatmap")
    rows = {row[0]: row[1:] for row in heatmap.rows}
    assert rows["Stock"][1] == 0.0 and rows["Tills"][1] == PROTECTS_ANOTHER
    export = b"".join(client.get("/dashboards/export/ex.csv", params).streaming_content).decode()
    tills = [line for line in export.splitlines() if line.startswith("Tills,")]
    assert tills and not any("100.0" in line for line in tills)
