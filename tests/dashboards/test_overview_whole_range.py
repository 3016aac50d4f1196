"""The overview with "Period size: Whole range": its cards compare a period with the one before,
so they stay monthly, and the page says so next to them (the EX and CX pages do show the whole
range). Data: tests/dashboards/dashdata.py (March 2026: eNPS 7.7 over 13 respondents; CSAT 76.5
over 17)."""

from __future__ import annotations

import pytest

from dashboards.selectors.overview import WHOLE_RANGE_NOTE
from tests.dashboards.dashdata import MARCH_FILTER, ex_cx

pytestmark = pytest.mark.django_db

WHOLE_RANGE = {**MARCH_FILTER, "period": "all"}


@pytest.fixture
def data(world):
    return ex_cx(world)


def _card(response, key: str) -> dict:
    return next(card for card in response.context["cards"] if card["key"] == key)


@pytest.mark.parametrize(
    ("role", "key", "value"), [("hr_admin", "enps", 7.7), ("cx_manager", "csat", 76.5)]
)
def test_whole_range_cards_compare_months_and_say_so(data, login, role, key, value):
    response = login(getattr(data.world, role)).get("/dashboards/", WHOLE_RANGE)
    assert response.status_code == 200
    card = _card(response, key)
    assert (card["period"], card["value"]) == ("2026-03", value)
    assert card["spark_labels"] == ["2026-02", "2026-03"]
    assert response.context["period_note"] == WHOLE_RANGE_NOTE
    html = response.content.decode()
    assert 'id="period-note"' in html
    assert html.index('id="period-note"') < html.index(f'id="card-{key}"')  # next to the cards


def test_team_lead_is_told_too(data, login):
    response = login(data.world.team_lead).get("/dashboards/", WHOLE_RANGE)
    assert response.status_code == 200 and response.context["period_note"] == WHOLE_RANGE_NOTE


def test_weeks_are_refused_when_an_overview_survey_is_anonymous(data, login):
    """The EX pulse is anonymous: its cards cannot be weekly, so the overview is not."""
    response = login(data.world.hr_admin).get("/dashboards/", {**MARCH_FILTER, "period": "week"})
    assert response.status_code == 400
    assert "Some of the surveys on the overview are anonymous" in response.content.decode()
    data.ex.anonymous = False
    data.ex.save(update_fields=["anonymous"])
    response = login(data.world.hr_admin).get("/dashboards/", {**MARCH_FILTER, "period": "week"})
    assert response.status_code == 200 and response.context["period_note"] == ""


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_a_period_size_the_cards_use_needs_no_note(data, login, period):
    response = login(data.world.hr_admin).get("/dashboards/", {**MARCH_FILTER, "period": period})
    assert response.context["period_note"] == ""
    assert 'id="period-note"' not in response.content.decode()


def test_ex_page_keeps_the_whole_range(data, login):
    # Everyone in March (13): eNPS 7.7, one row for the whole range.
    response = login(data.world.hr_admin).get("/dashboards/ex/", WHOLE_RANGE)
    trends = next(table for table in response.context["tables"] if table.key == "trends")
    assert [row[:3] for row in trends.rows] == [["Whole range", 13, 7.7]]
    assert "period_note" not in response.context
