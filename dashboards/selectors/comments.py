"""Comments (free-text answers) with their sentiment, for the EX and CX dashboards.

On an anonymous survey a comment is listed only when its team (the group) is shown, i.e. has at
least the threshold of respondents in the filtered range and is not hidden as a complement, and
never next to the respondent's other answers: a comment row carries its text, question, team,
sentiment and month, nothing that joins it to the rest of its response.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet

from dashboards.selectors.common import Filters, answers_in_scope
from dashboards.selectors.figures import scope_range
from dashboards.selectors.scores import score_cells
from dashboards.selectors.tables import Table
from responses.models import SentimentLabel
from surveys.models import QuestionType

PER_PAGE = 20
_FIELDS = (
    "id",
    "value_text",
    "sentiment_label",
    "sentiment_score",
    "question__text",
    "question__driver",
    "response__team__name",
    "response__submitted_at",
)


def visible_team_filter(filters: Filters) -> tuple[Q, int]:
    """(condition on the answer's team, number of teams hidden) for an anonymous survey: only
    teams whose figures the scores API shows for the same range and narrowing."""
    cells = score_cells(
        survey=filters.survey, group_by="team", period="all", **scope_range(filters)
    )
    shown = [cell.group["id"] for cell in cells if not cell.suppressed]
    condition = Q(response__team_id__in=[team for team in shown if team is not None])
    if None in shown:
        condition |= Q(response__team__isnull=True)
    return condition, sum(1 for cell in cells if cell.suppressed)


def comments_queryset(*, filters: Filters) -> tuple[QuerySet, int]:
    """Every comment the filters allow, and how many teams were left out for anonymity."""
    answers = (
        answers_in_scope(filters).filter(question__type=QuestionType.TEXT).exclude(value_text="")
    )
    hidden_teams = 0
    if filters.survey.anonymous:
        condition, hidden_teams = visible_team_filter(filters)
        answers = answers.filter(condition)
    return answers, hidden_teams


def _narrowed(
    answers: QuerySet, *, filters: Filters, sentiment: str, driver: str, search: str
) -> QuerySet:
    if sentiment:
        answers = answers.filter(sentiment_label=sentiment)
    if driver:
        answers = answers.filter(question__driver=driver)
    if search:
        answers = answers.filter(value_text__icontains=search)
    if filters.survey.anonymous:
        # Not by time or response: two comments of one response must not sit side by side.
        return answers.order_by("question__order", "question_id", "value_text", "id")
    return answers.order_by("-response__submitted_at", "-id")


def comment_list(
    *, filters: Filters, sentiment: str = "", driver: str = "", search: str = "", page: int = 1
) -> dict:
    """One page of comments (newest first; by question and text when anonymous), with the
    sentiment counts of the whole selection."""
    answers, hidden_teams = comments_queryset(filters=filters)
    counts = answers.aggregate(
        total=Count("id"),
        **{label: Count("id", filter=Q(sentiment_label=label)) for label in SentimentLabel.values},
    )
    selected = _narrowed(
        answers, filters=filters, sentiment=sentiment, driver=driver, search=search
    )
    paginator = Paginator(selected.values(*_FIELDS), PER_PAGE)
    return {
        "page": paginator.get_page(page),
        "counts": counts,
        "hidden_teams": hidden_teams,
        "anonymous": filters.survey.anonymous,
    }


def comments_table(
    *, filters: Filters, sentiment: str = "", driver: str = "", search: str = ""
) -> Table:
    """All the selected comments, for exports: rows come from a database iterator."""
    answers, _ = comments_queryset(filters=filters)
    selected = _narrowed(
        answers, filters=filters, sentiment=sentiment, driver=driver, search=search
    )

    def rows() -> Iterator[list]:
        for row in selected.values_list(*_FIELDS[1:]).iterator(chunk_size=2000):
            text, label, score, question, driver_key, team, submitted = row
            when = submitted.strftime("%Y-%m") if filters.survey.anonymous else submitted
            yield [when, team or "No team", question, driver_key, label, score, text]

    return Table(
        key="comments",
        caption="Comments",
        headers=["When", "Team", "Question", "Driver", "Sentiment", "Sentiment score", "Comment"],
        rows=rows(),
    )
