"""Comments (free-text answers) with their sentiment, for the EX and CX dashboards.

On an anonymous survey a comment is listed only when its team's month (the group and period) is
shown, i.e. has at least the threshold of respondents and is not hidden as a complement, and
never next to the respondent's other answers: a comment row carries its text, question, team,
sentiment and month, nothing that joins it to the rest of its response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.db.models.functions import Left

from dashboards.models import QuestionRollup
from dashboards.monthly import month_end, rollup_sums
from dashboards.selectors.common import Filters, answers_in_scope
from dashboards.selectors.figures import scope_range
from dashboards.selectors.scores import (
    _cells_by_month,
    _month_cells,
    _narrowing,
    _population,
    day_bounds,
    score_cells,
)
from dashboards.selectors.tables import Table
from responses.models import SentimentLabel
from surveys.models import Question, QuestionType

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


def _shown_cells(filters: Filters) -> tuple[set[tuple], int]:
    """Keys (month, team) of the month cells whose figures the scores show for the same range
    and narrowing (an anonymous survey's months: a team's month too small to show lists no
    comment even when the team's range is shown), and how many teams show no month."""
    cells = score_cells(
        survey=filters.survey,
        group_by="team",
        period="month",
        question_ids=(),  # suppression only: no histograms
        **scope_range(filters),
    )
    shown = {(cell.period_start, cell.group["id"]) for cell in cells if not cell.suppressed}
    teams = {cell.group["id"] for cell in cells}
    return shown, len(teams - {team for _, team in shown})


def _answers_in(shown: set[tuple]) -> Q:
    """The shown cells as a condition on an answer: submitted in the month, in one of its shown
    teams (None: the group of responses without a team)."""
    return _cells_by_month(
        shown, "response__team_id", lambda month: day_bounds(month, month_end(month))
    )


def comments_queryset(*, filters: Filters) -> tuple[QuerySet, int]:
    """Every comment the filters allow, and how many teams were left out for anonymity."""
    answers, _, hidden_teams = _comments(filters)
    return answers, hidden_teams


def comment_counts(*, filters: Filters) -> dict:
    """The comments the filters allow, by sentiment ({"total", "positive", "neutral",
    "negative"}): the counts the comment list shows over them, from the rollups. Alerts on
    negative comments count these too, so an alert never counts a comment the page hides."""
    _, rollups, _ = _comments(filters)
    return _counts(filters, rollups)


def _comments(filters: Filters) -> tuple[QuerySet, Callable[[str], Q], int]:
    """The comments the filters allow, the same selection as a condition on rollup rows (for
    counting them; a function of their date field, "day" or "month"), and how many teams were
    left out for anonymity."""
    answers = (
        answers_in_scope(filters).filter(question__type=QuestionType.TEXT).exclude(value_text="")
    )
    if not filters.survey.anonymous:
        return answers, lambda field: Q(question__type=QuestionType.TEXT), 0
    shown, hidden_teams = _shown_cells(filters)
    in_cells = _month_cells(shown, "team")
    return (
        answers.filter(_answers_in(shown)),
        lambda field: Q(question__type=QuestionType.TEXT) & in_cells(field),
        hidden_teams,
    )


def _counts(filters: Filters, rollups: Callable[[str], Q], *, driver: str = "") -> dict:
    """Comments by sentiment, summed from the rollups (a text question's row counts its
    comments in `n` and their labels in pos/neu/neg): the same selection as the comment list
    without reading a comment (a scan of every comment in range took seconds at 1M answers).
    Comments not scored yet count from their scoring, a moment after they arrive."""
    population = _population(
        survey=filters.survey,
        start=None,
        end=None,
        narrowing=_narrowing(filters.team_ids, filters.department_ids, filters.location_ids),
    ) & (Q(question__driver=driver) if driver else Q())
    rows = rollup_sums(
        QuestionRollup,
        survey_id=filters.survey.pk,
        start=filters.start,
        end=filters.end,
        where=lambda field: population & rollups(field),
        values=["survey_id"],
        keys=lambda field: {},
        sums={"total": "n", "positive": "pos", "neutral": "neu", "negative": "neg"},
    )
    totals = {"total": 0, **{label: 0 for label in SentimentLabel.values}}
    for row in rows:
        for key in totals:
            totals[key] += row[key] or 0
    return totals


class _Counted:
    """A Paginator's rows whose total comes from the rollups (no COUNT over the comments)."""

    def __init__(self, rows: QuerySet, count: int) -> None:
        self.rows, self.total = rows, count

    def count(self) -> int:
        return self.total

    def __getitem__(self, part: slice) -> list[dict]:
        return list(self.rows[part])


class _QuestionMajor(_Counted):
    """The comments of an anonymous survey, question by question, for the Paginator.

    Each question's comments are read in text order through answer_comment_order (an index on
    question, the text's first 64 characters and id), so a page costs a few index steps, not a
    sort of every comment in range; `count()` comes from the rollups. For a few teams
    (`indexed=False`) their comments are fewer than the index steps to find them: they are
    fetched by team and sorted (the same order).
    """

    def __init__(self, answers: QuerySet, questions: list[int], count: int, *, indexed: bool):
        super().__init__(answers, count)
        self.questions = questions
        self.order = (
            (Left("value_text", 64), "value_text", "id") if indexed else ("value_text", "id")
        )

    def __getitem__(self, part: slice) -> list[dict]:
        rows: list[dict] = []
        for question in self.questions:
            wanted = part.stop - len(rows)
            rows += list(
                self.rows.filter(question_id=question)
                .order_by(*self.order)
                .values(*_FIELDS)[:wanted]
            )
            if len(rows) >= part.stop:
                break
        return rows[part.start : part.stop]


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
    sentiment counts of the whole selection and how many of them the comment filters keep."""
    answers, rollups, hidden_teams = _comments(filters)
    counts = _counts(filters, rollups)
    selected = _narrowed(
        answers, filters=filters, sentiment=sentiment, driver=driver, search=search
    )
    selection = _counts(filters, rollups, driver=driver) if driver else counts
    count = selection[sentiment or "total"]
    if search:  # free text: only the comments themselves can be counted
        paginator = Paginator(selected.values(*_FIELDS), PER_PAGE)
    elif filters.survey.anonymous:
        questions = Question.objects.filter(survey=filters.survey, type=QuestionType.TEXT)
        if driver:
            questions = questions.filter(driver=driver)
        ids = list(questions.order_by("order", "id").values_list("id", flat=True))
        pages = _QuestionMajor(selected, ids, count, indexed=filters.team_ids is None)
        paginator = Paginator(pages, PER_PAGE)
    else:
        paginator = Paginator(_Counted(selected.values(*_FIELDS), count), PER_PAGE)
    return {
        "page": paginator.get_page(page),
        "counts": counts,
        # How many the sentiment, driver or search filters keep (None: no such filter)
        "matching": paginator.count if sentiment or driver or search else None,
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
