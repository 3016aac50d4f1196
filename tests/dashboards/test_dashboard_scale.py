"""Query shapes chosen for a million answers (benchmarks/README.md) give the same pages.

Comments: counts summed from rollups, an anonymous survey's list read question by question.
Agents: listed once the selection is small enough to be a table.
"""

from __future__ import annotations

import pytest

from dashboards.selectors import comments as comment_selectors
from dashboards.selectors import cx as cx_selectors
from tests.dashboards.dashdata import MARCH, MARCH_FILTER, ex_cx, rebuild, store
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    return ex_cx(world)


def _page(response) -> list[str]:
    return [comment["value_text"] for comment in response.context["comments"]["page"]]


def test_anonymous_comments_page_through_questions_in_text_order(data, login, monkeypatch):
    """Front desk is the only team shown (Night shift and Kitchen are hidden). Its comments:
    question 1 "What would you change?": "<script>...", "=HYPERLINK(...)", "Great team spirit"
    (byte order: "<" 0x3C, "=" 0x3D, "G" 0x47); question 2 "Anything else?": "Also fine", "Zen".
    Two a page: [<script>, =HYPERLINK], [Great team spirit, Also fine], [Zen]."""
    later = QuestionFactory(survey=data.ex, type="text", text="Anything else?", required=False)
    later.order = data.comment.order + 1
    later.save()
    store(
        survey=data.ex,
        team=data.world.team,
        columns={data.enps: [9, 9], later: ["Zen", "Also fine"]},
        when=MARCH,
    )
    rebuild(data.ex)
    monkeypatch.setattr(comment_selectors, "PER_PAGE", 2)
    client = login(data.world.hr_admin)
    pages = [
        _page(client.get("/dashboards/ex/", {**MARCH_FILTER, "page": str(n)})) for n in (1, 2, 3)
    ]
    assert pages == [
        ["<script>alert(1)</script>", '=HYPERLINK("http://evil")'],
        ["Great team spirit", "Also fine"],
        ["Zen"],
    ]
    response = client.get("/dashboards/ex/", MARCH_FILTER)
    assert response.context["comments"]["counts"]["total"] == 5
    assert response.context["comments"]["page"].paginator.num_pages == 3
    # The team lead's pages (one team: read by team and sorted, not through the index) agree.
    lead = login(data.world.team_lead)
    assert [
        _page(lead.get("/dashboards/ex/", {**MARCH_FILTER, "page": str(n)})) for n in (1, 2, 3)
    ] == pages


def test_comment_counts_by_sentiment_come_from_rollups(data, login):
    """CX (not anonymous), Front desk: "Lovely" positive, "Rude and slow" and "Awful" negative."""
    response = login(data.world.cx_manager).get("/dashboards/cx/", MARCH_FILTER)
    counts = response.context["comments"]["counts"]
    assert (counts["total"], counts["positive"], counts["negative"]) == (3, 1, 2)


def test_agents_wait_for_a_team_when_the_organisation_is_large(data, login, monkeypatch):
    monkeypatch.setattr(cx_selectors, "AGENT_TABLE_PEOPLE", 1)  # Ann and Bob: 2 people
    client = login(data.world.cx_manager)
    whole = client.get("/dashboards/cx/", MARCH_FILTER)
    assert whole.context["agents_need_narrowing"] is True
    assert "Pick a team, department or location above" in whole.content.decode()
    one_team = client.get("/dashboards/cx/", {**MARCH_FILTER, "team": data.world.team.pk})
    assert one_team.context["agents_need_narrowing"] is False
    agents = {row[0]: row[1:] for row in one_team.context["by_agent"].rows}
    # Ann served Front desk's six customers: CSAT 5 5 4 3 2 1 -> 3 of 6 = 50.0.
    assert agents == {"Ann": [6, 50.0, 6]}
