"""Hand-built dashboard data for the dashboard tests: responses stored, rollups rebuilt from them.

`ex_cx(world)` builds, in March 2026 (threshold 5):

EX survey "Pulse" (anonymous): eNPS (outcome), engagement item, recognition item, comment.
    Front desk  6 people: eNPS 10 10 9 8 6 3     engagement 5 4 4 3 2 5   recognition 4 4 2 2 3 5
    Night shift 5 people: eNPS 9 9 9 7 0         engagement 5 5 4 4 1     recognition 1 2 3 4 5
    Kitchen     2 people: eNPS 0 0               engagement 1 1           recognition 1 1
  Kitchen (2) is under the threshold; hidden alone it could be worked out as
  organisation - Front desk - Night shift, so Night shift (the smallest other team) is hidden too.
  Front desk: eNPS (3 - 2) / 6 = 16.7, engagement 4/6 = 66.7, recognition 3/6 = 50.0.
  Everyone (13): eNPS promoters 6, detractors 5 -> 1/13 = 7.7; engagement 8/13 = 61.5.

CX survey "CSAT" (not anonymous), agents Ann and Bob:
    Front desk  6: CSAT 5 5 4 3 2 1 -> 50.0     (Ann served all six)
    Night shift 6: CSAT 5 5 5 5 4 1 -> 83.3     (Bob served all six)
    Kitchen     5: CSAT 4 4 4 4 4   -> 100.0    (no agent)
  Everyone (17): 4 or 5 in 3 + 5 + 5 = 13 -> 76.5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from dashboards.scoring import survey_rebuild
from dashboards.selectors.common import Filters
from surveys.models import Person, Question, Survey, SurveyKind, Team
from tests.factories import (
    PersonFactory,
    QuestionFactory,
    SurveyFactory,
    TeamFactory,
    response_with_answers,
)

MARCH = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
MARCH_FILTER = {"start": "2026-03-01", "end": "2026-03-31", "period": "month"}


def store(
    *, survey: Survey, team: Team | None, columns: dict[Question, list], when=MARCH, **fields
) -> None:
    """One response per position of the columns: {question: [answer of person 1, person 2, ...]}."""
    lengths = {len(values) for values in columns.values()}
    assert len(lengths) == 1, "every column needs one answer per person"
    for index in range(lengths.pop()):
        answers = {
            question: values[index]
            for question, values in columns.items()
            if values[index] is not None
        }
        response_with_answers(
            survey=survey, team=team, answers=answers, submitted_at=when, **fields
        )


def march_filters(survey: Survey) -> Filters:
    """MARCH_FILTER's filters of a survey, for the whole organisation (as the selectors take them)."""
    return Filters(
        organization=survey.organization,
        survey=survey,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        period="month",
    )


def rebuild(*surveys: Survey) -> None:
    for survey in surveys:
        survey_rebuild(survey_id=survey.id)


@dataclass
class ExCx:
    world: object
    kitchen: Team
    ex: Survey
    cx: Survey
    enps: Question
    engagement: Question
    recognition: Question
    comment: Question
    csat: Question
    cx_comment: Question
    ann: Person
    bob: Person


def ex_cx(world) -> ExCx:
    org = world.org
    kitchen = TeamFactory(organization=org, name="Kitchen")
    ex = SurveyFactory(organization=org, kind=SurveyKind.EX, title="Pulse", anonymous=True)
    enps = QuestionFactory(
        survey=ex, type="nps", text="Recommend us as an employer?", is_outcome=True
    )
    engagement = QuestionFactory(
        survey=ex, type="likert", text="I am proud to work here", driver="engagement"
    )
    recognition = QuestionFactory(
        survey=ex, type="likert", text="I get recognition", driver="recognition"
    )
    comment = QuestionFactory(survey=ex, type="text", text="What would you change?", required=False)
    store(
        survey=ex,
        team=world.team,
        columns={
            enps: [10, 10, 9, 8, 6, 3],
            engagement: [5, 4, 4, 3, 2, 5],
            recognition: [4, 4, 2, 2, 3, 5],
            comment: [
                "Great team spirit",
                None,
                '=HYPERLINK("http://evil")',
                None,
                "<script>alert(1)</script>",
                None,
            ],
        },
    )
    store(
        survey=ex,
        team=world.other_team,
        columns={
            enps: [9, 9, 9, 7, 0],
            engagement: [5, 5, 4, 4, 1],
            recognition: [1, 2, 3, 4, 5],
            comment: ["Night shift secret", None, None, None, None],
        },
    )
    store(
        survey=ex,
        team=kitchen,
        columns={
            enps: [0, 0],
            engagement: [1, 1],
            recognition: [1, 1],
            comment: ["Kitchen secret", None],
        },
    )
    cx = SurveyFactory(organization=org, kind=SurveyKind.CX, title="CSAT", anonymous=False)
    csat = QuestionFactory(survey=cx, type="csat", text="How satisfied were you?", is_outcome=True)
    cx_comment = QuestionFactory(survey=cx, type="text", text="Tell us more", required=False)
    ann = PersonFactory(organization=org, team=world.team, name="Ann")
    bob = PersonFactory(organization=org, team=world.other_team, name="Bob")
    store(
        survey=cx,
        team=world.team,
        agent=ann,
        columns={
            csat: [5, 5, 4, 3, 2, 1],
            cx_comment: ["Lovely", None, None, None, "Rude and slow", "Awful"],
        },
    )
    store(survey=cx, team=world.other_team, agent=bob, columns={csat: [5, 5, 5, 5, 4, 1]})
    store(survey=cx, team=kitchen, columns={csat: [4, 4, 4, 4, 4]})
    rebuild(ex, cx)
    return ExCx(
        world, kitchen, ex, cx, enps, engagement, recognition, comment, csat, cx_comment, ann, bob
    )


def signed_in(membership) -> Client:
    """A test client signed in as the member."""
    client = Client()
    client.force_login(membership.user)
    return client


def main_of(response) -> str:
    """A page's main content (the navigation bar holds the user's name and a CSRF token)."""
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<main id="main"') :]


class CacheDown(LocMemCache):
    """A cache that cannot be reached: every read and write raises."""

    def __init__(self):
        super().__init__("down", {})

    def get(self, *args, **kwargs):
        raise ConnectionError("cache down")

    set = add = get_many = get
