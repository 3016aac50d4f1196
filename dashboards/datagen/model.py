"""The latent model behind synthetic EX and CX data.

1. Each team has a latent *health* per month: a base level, a small random walk and, for a few
   teams, a trend (a decline or a recovery).
2. An employee's answers start from their team's health that month plus personal noise (their
   *mood*); a customer's start from the team's health the month before (service follows how the
   staff are doing, with a lag), plus noise. So a team's EX and CX move together.
3. A scored answer maps mood plus item noise onto its scale. Comments come from pools written in
   three tones and are picked by the same mood, so sentiment agrees with the scores. Display logic
   is respected: a hidden question is never answered.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from dashboards.datagen.text import COMMENTS
from dashboards.scoring import comment_sentiment
from responses.conditions import condition_met
from surveys.models import SCALES, Question, QuestionType

# An answer row: (question_id, value_int, value_text, value_choices, sentiment_score, label).
AnswerRow = tuple[int, int | None, str, list | None, float | None, str]


@dataclass(frozen=True, slots=True)
class ResponseRow:
    survey_id: int
    team_id: int | None
    location_id: int | None
    cycle_id: int | None
    respondent_id: int | None
    agent_id: int | None
    channel: str
    language: str
    submitted_at: datetime
    answers: list[AnswerRow]


# --- The latent model ---------------------------------------------------------------------


def health_series(
    *,
    rng: random.Random,
    months: int,
    base: float,
    trend: float = 0.0,
    trend_from: int = 0,
    step: float = 0.1,
) -> list[float]:
    """A team's health per month: `base`, a random walk, and `trend` per month from `trend_from`."""
    values, walk = [], 0.0
    for month in range(months):
        walk += rng.gauss(0, step)
        values.append(base + walk + trend * max(0, month - trend_from))
    return values


def customer_health(series: Sequence[float], month: int) -> float:
    """What customers feel in `month`: how the staff were the month before.

    So when a team's health falls, its employee scores fall first and its customer scores
    follow a month later (what an early warning looks for)."""
    return series[max(0, month - 1)]


# Centre and spread of each scale for a mood of 0 (a so-so team): mood 1 is a great team.
_SCALE_SHAPE = {"nps": (7.2, 2.2), "likert": (3.5, 1.0), "csat": (4.0, 0.9), "ces": (5.0, 1.3)}
ITEM_NOISE = 0.6
MOOD_NOISE = 0.6


def scale_value(question_type: str, z: float) -> int:
    centre, spread = _SCALE_SHAPE[question_type]
    low, high = SCALES[question_type]
    return min(high, max(low, int(centre + spread * z + 0.5)))


def tone(z: float) -> str:
    if z > 0.35:
        return "positive"
    return "negative" if z < -0.35 else "neutral"


@lru_cache(maxsize=4096)
def pool_sentiment(text: str) -> tuple[float, str]:
    """Sentiment of a pool comment, scored once: the pools are small, the data sets are not."""
    return comment_sentiment(text)


@dataclass
class Respondent:
    """Answers a survey the way one employee or customer of a given mood would."""

    rng: random.Random
    kind: str  # "ex" or "cx": which comment pools to draw from
    comment_rate: float = 0.35

    def answers(
        self, *, questions: Sequence[Question], mood: float, offsets: dict[str, float] | None = None
    ) -> list[AnswerRow]:
        rows: list[AnswerRow] = []
        values: dict[int, object] = {}
        for question in questions:
            if question.condition_question_id and not condition_met(question, values):
                continue
            row = self._answer(question, mood + (offsets or {}).get(question.driver, 0.0))
            if row is not None:
                rows.append(row)
                values[question.id] = _plain_value(row)
        return rows

    def _answer(self, question: Question, mood: float) -> AnswerRow | None:
        rng, kind = self.rng, question.type
        if kind in SCALES:
            return (
                question.id,
                scale_value(kind, mood + rng.gauss(0, ITEM_NOISE)),
                "",
                None,
                None,
                "",
            )
        if kind == QuestionType.TEXT:
            # Customers asked "what went wrong?" after a low score mostly do say.
            rate = 0.6 if question.condition_question_id else self.comment_rate
            if rng.random() >= rate:
                return None
            text = rng.choice(COMMENTS[self.kind][tone(mood + rng.gauss(0, 0.3))])
            return (question.id, None, text, None, *pool_sentiment(text))
        if not question.required and rng.random() < 0.25:
            return None
        choices = list(question.choices or ())
        if not choices:
            return None
        if kind == QuestionType.MULTI:
            picked = rng.sample(choices, k=min(len(choices), rng.choice((1, 1, 2, 2, 3))))
            return (question.id, None, "", picked, None, "")
        # Single-choice lists run from the best answer to the worst ("Great" ... "Struggling").
        position = (0.5 - mood * 0.45 + rng.gauss(0, 0.2)) * len(choices)
        choice = choices[min(len(choices) - 1, max(0, int(position)))]
        return (question.id, None, "", [choice], None, "")


def _plain_value(row: AnswerRow) -> object:
    if row[1] is not None:
        return row[1]
    if row[3] is not None:
        return row[3]
    return row[2]
