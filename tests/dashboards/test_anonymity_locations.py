"""Teams against locations: the cells of a team filter grouped by location, or of a location
filter grouped by team, are decided for the whole team x location table at once
(dashboards.anonymity.two_way_suppressed), so no row's complement is shown in its column.

One anonymous eNPS pulse in March 2026 (threshold 5), two teams working at two locations:

                Leeds          York           team
    Tills       2 x 0          6 x 10         8: 6 promoters, 2 detractors -> 50.0
    Stock       6 x 9          6 x 0          12: 6 and 6                  -> 0.0
    location    8 -> 50.0      12 -> 0.0

Row by row (the rule before), Tills hides Leeds (2) and York (6, its complement), but York's
own breakdown by team hides nothing: Tills at York (6) is shown there, and Tills (8) minus it is
Tills at Leeds, 2 people. For the whole table, Tills at Leeds hidden needs its row and its
column closed (Tills at York, Stock at Leeds), and then a cycle of hidden cells through it (Stock
at York): all four cells are hidden in every team x location view; the teams' and locations' own
totals stay shown.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dashboards.anonymity import two_way_suppressed
from dashboards.selectors.scores import metric_by_group
from surveys.models import SurveyKind
from tests.dashboards.dashdata import MARCH_FILTER, rebuild, store
from tests.factories import LocationFactory, QuestionFactory, SurveyFactory, TeamFactory

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
    return {row["group"]["name"]: row["value"] for row in rows}


def test_no_team_x_location_view_gives_back_a_small_cell(world):
    survey, teams, places = _table(world, tills_at_leeds=2)
    for place in places.values():
        rows = metric_by_group(
            survey=survey, metric="enps", group_by="team", location_ids=[place.id], **MARCH
        )
        assert _values(rows) == {"Tills": None, "Stock": None}
    for team in teams.values():
        rows = metric_by_group(
            survey=survey, metric="enps", group_by="location", team_ids=[team.id], **MARCH
        )
        assert _values(rows) == {"Leeds": None, "York": None}
    (both,) = metric_by_group(
        survey=survey,
        metric="enps",
        team_ids=[teams["Tills"].id],
        location_ids=[places["York"].id],
        **MARCH,
    )
    assert both["suppressed"] and both["value"] is None


def test_the_teams_and_locations_own_totals_stay_shown(world):
    survey, _, _ = _table(world, tills_at_leeds=2)
    by_team = metric_by_group(survey=survey, metric="enps", group_by="team", **MARCH)
    assert _values(by_team) == {"Tills": 50.0, "Stock": 0.0}
    by_location = metric_by_group(survey=survey, metric="enps", group_by="location", **MARCH)
    assert _values(by_location) == {"Leeds": 50.0, "York": 0.0}


def test_a_table_without_a_small_cell_is_shown_whole(world):
    """Tills at Leeds 6 x 0: every cell has 6, nothing is hidden anywhere."""
    survey, _, places = _table(world, tills_at_leeds=6)
    rows = metric_by_group(
        survey=survey, metric="enps", group_by="team", location_ids=[places["York"].id], **MARCH
    )
    assert _values(rows) == {"Tills": 100.0, "Stock": -100.0}


def test_the_ex_page_of_a_location_hides_the_teams_there(world, login):
    """York's heatmap by team: Tills there is 100% favourable (6 x 5), Stock 0% (6 x 2); both
    hidden, in the page and its export."""
    survey, _, places = _table(world, tills_at_leeds=2)
    client = login(world.hr_admin)
    params = {**MARCH_FILTER, "survey": survey.id, "location": places["York"].id}
    page = client.get("/dashboards/ex/", params)
    heatmap = next(t for t in page.context["tables"] if t.key == "heatmap")
    rows = {row[0]: row[1:] for row in heatmap.rows}
    assert rows["Tills"][1:] == rows["Stock"][1:]  # both without figures
    export = b"".join(client.get("/dashboards/export/ex.csv", params).streaming_content).decode()
    assert "100.0" not in page.content.decode() and "100.0" not in export


# --- The rule on its own, by hand --------------------------------------------------------------


def _own(key):
    return ("own", key)


def test_a_small_cell_is_hidden_on_a_cycle_of_hidden_cells():
    cells = {("T1", "L1"): 2, ("T1", "L2"): 6, ("T2", "L1"): 6, ("T2", "L2"): 6, ("T3", "L2"): 9}
    hidden = two_way_suppressed(cells, threshold=5, row_vertex=_own, column_vertex=_own)
    # T3 (only at L2) stays shown: the cycle T1-L1-T2-L2 does not need it.
    assert hidden == {("T1", "L1"), ("T1", "L2"), ("T2", "L1"), ("T2", "L2")}


def test_the_only_cycle_through_a_small_cell_can_take_every_cell():
    """A at X and Y, B at X and Z, C at Y and Z: the one cycle through A-Y is all six cells."""
    cells = {("A", "X"): 10, ("A", "Y"): 2, ("B", "X"): 8, ("B", "Z"): 7, ("C", "Y"): 9}
    cells[("C", "Z")] = 9
    hidden = two_way_suppressed(cells, threshold=5, row_vertex=_own, column_vertex=_own)
    assert hidden == set(cells)


def test_cells_of_a_hidden_team_share_its_departments_total():
    """T2 (3, hidden in its breakdown) has every cell hidden; its cells join the total of the
    hidden teams of its department, not a total of their own."""
    cells = {("T1", "L1"): 9, ("T1", "L2"): 8, ("T2", "L1"): 1, ("T2", "L2"): 2}

    def row_vertex(team):
        return _own(team) if team == "T1" else ("hidden in", "D")

    hidden = two_way_suppressed(cells, threshold=5, row_vertex=row_vertex, column_vertex=_own)
    # Columns L1 (1 hidden) and L2 (2 hidden) close with T1's cells; then T1-L1-D-L2 is a cycle.
    assert hidden == set(cells)


def test_nothing_small_hides_nothing():
    cells = {("T1", "L1"): 5, ("T2", "L1"): 7, ("T2", "L2"): 0}
    assert two_way_suppressed(cells, threshold=5, row_vertex=_own, column_vertex=_own) == set()
