"""The CX page's "By team": best score first, ties by name, hidden teams last (chart, table and
export alike). Figures worked out by hand from tests/dashboards/dashdata.py."""

from __future__ import annotations

import csv
import io

import pytest

from dashboards.anonymity import NOT_ENOUGH, PROTECTS_ANOTHER
from surveys.models import Role
from tests.dashboards.dashdata import MARCH_FILTER, ex_cx, rebuild, store
from tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    """dashdata's CSAT (Front desk 50.0 of 6, Night shift 83.3 of 6, Kitchen 100.0 of 5) and:
    Deli 6: CSAT 5 5 5 5 4 1 -> 5/6 = 83.3 (a tie with Night shift)
    Bakery 7: CSAT 5 5 5 5 5 4 4 -> 100.0
    Annex 2: CSAT 5 5 -> under the threshold (5), hidden; the smallest other team, Kitchen (5),
    is hidden with it so that Annex cannot be worked out from the organisation's total."""
    data = ex_cx(world)
    for name, answers in (
        ("Deli", [5, 5, 5, 5, 4, 1]),
        ("Bakery", [5, 5, 5, 5, 5, 4, 4]),
        ("Annex", [5, 5]),
    ):
        team = TeamFactory(organization=world.org, name=name)
        store(survey=data.cx, team=team, columns={data.csat: answers})
    rebuild(data.cx)
    return data


ORDER = ["Bakery", "Deli", "Night shift", "Front desk", "Annex", "Kitchen"]


def test_by_team_is_best_first_ties_by_name_hidden_last(data, login):
    response = login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER)
    assert response.status_code == 200
    table = response.context["by_team"]
    assert [row[0] for row in table.rows] == ORDER
    assert [row[2] for row in table.rows] == [
        100.0,
        83.3,
        83.3,
        50.0,
        NOT_ENOUGH,
        PROTECTS_ANOTHER,
    ]
    chart = table.chart
    assert chart["labels"] == [*ORDER[:4], "Annex (hidden)", "Kitchen (hidden)"]
    assert chart["datasets"][0]["data"] == [100.0, 83.3, 83.3, 50.0, None, None]


def test_by_team_export_is_in_the_page_order(data, login):
    export = login(data.world.cx_manager).get("/dashboards/export/cx.csv", MARCH_FILTER)
    text = b"".join(export.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    start = rows.index(["By team"]) + 2  # past the caption and the header
    assert [row[0] for row in rows[start : start + len(ORDER)]] == ORDER


def test_organisation_stays_first_above_a_better_team(data, login):
    bakery = data.world.org.teams.get(name="Bakery")
    lead = MembershipFactory(organization=data.world.org, role=Role.TEAM_LEAD, team=bakery)
    table = login(lead).get("/dashboards/cx/", MARCH_FILTER).context["by_team"]
    # The organisation's bar is the reference, first whatever the scores: 32 customers, 4 or 5
    # from 3 (Front desk) + 5 (Night shift) + 5 (Kitchen) + 5 (Deli) + 7 (Bakery) + 2 (Annex)
    # = 27 -> 27/32 = 84.4, below Bakery's 100.0.
    assert [row[:3] for row in table.rows] == [["Organisation", 32, 84.4], ["Bakery", 7, 100.0]]
    assert table.chart["reference"] == [0]
