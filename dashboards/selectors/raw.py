"""Raw responses of a non-anonymous survey, one row per response, read with a database iterator,
under a dashboard's filters (date range, department, team, location).

The answers are read in one ordered pass (`.iterator()`, a server-side cursor on PostgreSQL) and
grouped by response as they stream, so an export of a million responses keeps one response in
memory at a time. Responses without any answer have nothing to export and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter

from dashboards.selectors.common import Filters, answers_in_scope
from dashboards.selectors.tables import Table

CHUNK = 2000
_RESPONSE_FIELDS = (
    "response_id",
    "response__submitted_at",
    "response__team__name",
    "response__location__name",
    "response__respondent__name",
    "response__respondent__email",
    "response__agent__name",
    "response__channel",
)
_HEADERS = [
    "Response",
    "Submitted",
    "Team",
    "Location",
    "Respondent",
    "Respondent email",
    "Agent",
    "Channel",
]


def _display(value_int, value_text, value_choices):
    if value_int is not None:
        return value_int
    if value_choices:
        return ", ".join(map(str, value_choices))
    return value_text


def raw_responses_table(*, filters: Filters) -> Table:
    """Every response of the filters' survey, range and team, department or location, with
    every answer. Callers check the survey is not anonymous."""
    survey = filters.survey
    if survey.anonymous:
        raise ValueError("Raw responses of an anonymous survey are never exported.")
    questions = list(survey.questions.order_by("order", "id").values_list("id", "text"))
    answers = (
        answers_in_scope(filters)
        .order_by("response_id")
        .values_list(*_RESPONSE_FIELDS, "question_id", "value_int", "value_text", "value_choices")
    )
    width = len(_RESPONSE_FIELDS)

    def rows() -> Iterator[list]:
        for _, group in groupby(answers.iterator(chunk_size=CHUNK), key=itemgetter(0)):
            group = list(group)
            values = {row[width]: _display(*row[width + 1 :]) for row in group}
            yield [
                *group[0][:width],
                *(values.get(question_id, "") for question_id, _ in questions),
            ]

    return Table(
        key="responses",
        caption=f"Responses: {survey.title}",
        headers=[*_HEADERS, *(text for _, text in questions)],
        rows=rows(),
    )
