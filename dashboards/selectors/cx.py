"""The customer-experience dashboard: NPS/CSAT/CES trends, breakdowns by team, location and
agent, and detractor follow-ups (non-anonymous surveys only)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from dashboards import metrics
from dashboards.anonymity import NOT_ENOUGH, PROTECTS_ANOTHER, suppressed_groups
from dashboards.models import Alert, AlertMetric
from dashboards.selectors.common import Filters, answers_in_scope
from dashboards.selectors.figures import NO_DATA, breakdown, present_metrics, series
from dashboards.selectors.raw import CHUNK
from dashboards.selectors.scores import metric_question, scored_questions
from dashboards.selectors.tables import Table
from responses.models import Answer
from surveys.models import Person, QuestionType

CX_METRICS = [("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES")]
FIGURE = {"nps": "score", "csat": "score", "ces": "mean"}
FOLLOW_UPS = 50  # detractor follow-ups a page
_FOLLOW_UP_FIELDS = (
    "response_id",
    "response__submitted_at",
    "response__team__name",
    "response__agent__name",
)
# People who could have served the customers in the selection. Above this, the page asks for a
# team (or department, location) before listing agents: a table of thousands of agents helps
# nobody, and at 1M answers building it read every answer in range (~1 s) and drew 5,000 rows.
AGENT_TABLE_PEOPLE = 200


def agents_need_narrowing(filters: Filters) -> bool:
    people = Person.objects.filter(organization=filters.organization)
    for lookup, ids in (
        ("team_id__in", filters.team_ids),
        ("team__department_id__in", filters.department_ids),
        ("team__location_id__in", filters.location_ids),
    ):
        if ids is not None:
            people = people.filter(**{lookup: ids})
    return people.count() > AGENT_TABLE_PEOPLE


def agent_breakdown(*, filters: Filters, metric_list: list[tuple[str, str]]) -> Table:
    """Figures per agent who served the customer. Rollups carry no agent, so this one reads the
    answers, still as one grouped SQL query (a histogram by conditional counts per agent)."""
    questions = scored_questions(survey=filters.survey)
    question_of = {m: metric_question(questions=questions, metric=m) for m, _ in metric_list}
    types = {q["id"]: q["type"] for q in questions}
    rows = (
        answers_in_scope(filters)
        .filter(
            response__agent__isnull=False,
            question_id__in=question_of.values(),
            value_int__isnull=False,
        )
        .values("response__agent_id", "response__agent__name", "question_id")
        .annotate(**{f"c{value}": Count("id", filter=Q(value_int=value)) for value in range(11)})
        .order_by()
    )
    respondents = dict(
        answers_in_scope(filters)
        .filter(
            response__agent__isnull=False,
            question_id__in=question_of.values(),
            value_int__isnull=False,
        )
        .values_list("response__agent_id")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    )
    names, hists = {}, {}
    for row in rows:
        names[row["response__agent_id"]] = row["response__agent__name"]
        hists[(row["response__agent_id"], row["question_id"])] = metrics.histogram(row)
    hidden = suppressed_groups(respondents, threshold=filters.threshold)
    headers = ["Agent", "Responses"]
    for _, label in metric_list:
        headers += [label, f"{label} n"]
    table = Table(key="agents", caption="By agent", headers=headers)
    for agent in sorted(respondents, key=lambda agent: names[agent]):
        cells = [names[agent], respondents[agent]]
        for metric, _ in metric_list:
            question = question_of[metric]
            if agent in hidden:
                small = respondents[agent] < filters.threshold
                cells += [NOT_ENOUGH if small else PROTECTS_ANOTHER, ""]
            elif (agent, question) in hists:
                figures = metrics.question_figures(types[question], hists[(agent, question)])
                cells += [figures[FIGURE[metric]], figures["n"]]
            else:
                cells += [NO_DATA, 0]
        table.rows.append(cells)
    return table


def _low_answers(filters: Filters) -> QuerySet[Answer]:
    """The detractor answers in the selection: 0-6 on a 0-10 question, 1-2 on CSAT (the alert
    rules' definition)."""
    return (
        answers_in_scope(filters)
        .filter(
            Q(question__type=QuestionType.NPS, value_int__lte=6)
            | Q(question__type=QuestionType.CSAT, value_int__lte=2)
        )
        .filter(value_int__isnull=False)
    )


def _follow_up_items(low: QuerySet[Answer], *, stream: bool = False) -> Iterator[dict]:
    """One item per response of `low`, newest first, with its low answers and its follow-up
    alert (the latest detractor alert about it, or None).

    One ordered pass over the answers, grouped by response as they come: `stream` reads them
    with a database iterator, so that an export of every follow-up keeps one response in memory
    at a time (a page's 50 are read at once: a server-side cursor costs round trips)."""
    alert = Alert.objects.filter(
        response_id=OuterRef("response_id"), metric=AlertMetric.DETRACTOR
    ).order_by("-id")
    rows = (
        low.annotate(
            alert_id=Subquery(alert.values("id")[:1]),
            alert_status=Subquery(alert.values("status")[:1]),
        )
        .values(*_FOLLOW_UP_FIELDS, "question__text", "value_int", "alert_id", "alert_status")
        .order_by("-response__submitted_at", "-response_id", "question__order", "question_id")
    )
    read = rows.iterator(chunk_size=CHUNK) if stream else rows
    for _, group in groupby(read, key=itemgetter("response_id")):
        answers = list(group)
        first = answers[0]
        item = {field: first[field] for field in _FOLLOW_UP_FIELDS}
        item["answers"] = [
            {"question__text": a["question__text"], "value_int": a["value_int"]} for a in answers
        ]
        alert_id = first["alert_id"]
        item["alert"] = {"id": alert_id, "status": first["alert_status"]} if alert_id else None
        yield item


def detractor_follow_ups(*, filters: Filters, page: int = 1) -> dict:
    """One page (FOLLOW_UPS, newest first) of the detractor responses of a non-anonymous
    survey, with their low answers and follow-up alerts. `count` is of responses, not answers;
    `page` is the Paginator's page (a number past the last gives the last)."""
    if filters.survey.anonymous:
        return {"available": False, "items": [], "count": 0, "page": None}
    low = _low_answers(filters)
    # DISTINCT over the response's own columns: one row per response however many of its
    # answers are low (the ordering's columns are among them, as DISTINCT requires).
    responses = (
        low.values("response_id", "response__submitted_at")
        .distinct()
        .order_by("-response__submitted_at", "-response_id")
    )
    shown = Paginator(responses, FOLLOW_UPS).get_page(page)
    ids = [row["response_id"] for row in shown.object_list]
    items = list(_follow_up_items(low.filter(response_id__in=ids))) if ids else []
    return {"available": True, "items": items, "count": shown.paginator.count, "page": shown}


def follow_ups_table(*, filters: Filters) -> Table:
    """Every follow-up of the selection, for the exports (not only the page's): the rows are
    read as the file streams."""

    def rows() -> Iterator[list]:
        for item in _follow_up_items(_low_answers(filters), stream=True):
            yield [
                item["response_id"],
                item["response__submitted_at"],
                item["response__team__name"] or "No team",
                item["response__agent__name"] or "",
                "; ".join(f"{a['question__text']}: {a['value_int']}" for a in item["answers"]),
                item["alert"]["status"] if item["alert"] else "",
            ]

    return Table(
        key="follow-ups",
        caption="Detractor follow-ups",
        headers=["Response", "Submitted", "Team", "Agent", "Low answers", "Alert status"],
        rows=rows(),
    )


def cx_dashboard(*, filters: Filters, follow_ups_page: int = 1) -> dict:
    metric_list = present_metrics(filters, CX_METRICS)
    trends = series(filters=filters, metrics=metric_list, caption="Score trends", key="trends")
    by_team = breakdown(
        filters=filters,
        metrics=metric_list,
        group_by="team",
        caption="By team",
        key="teams",
        by_score=True,
    )
    by_location = breakdown(
        filters=filters,
        metrics=metric_list,
        group_by="location",
        caption=_by_location_caption(filters),
        key="locations",
    )
    by_location.sheet = "By location"  # the caption, cut at 31 characters, could end in "'"
    # Anonymous: no table per agent (cx.html says why); a team's, location's or month's
    # suppression cannot be kept across the agents who serve them.
    too_many = not filters.survey.anonymous and agents_need_narrowing(filters)
    by_agent = (
        Table(key="agents", caption="By agent", headers=["Agent", "Responses"])
        if too_many or filters.survey.anonymous
        else agent_breakdown(filters=filters, metric_list=metric_list)
    )
    follow_ups = detractor_follow_ups(filters=filters, page=follow_ups_page)
    tables = [trends, by_team, by_location, by_agent]
    if follow_ups["available"]:
        tables.append(follow_ups_table(filters=filters))
    return {
        "metrics": metric_list,
        "trends": trends,
        "respondents": sum(row[1] for row in trends.rows),
        "by_team": by_team,
        "by_location": by_location,
        "by_agent": by_agent,
        "agents_need_narrowing": too_many,
        "follow_ups": follow_ups,
        "has_comments": filters.survey.questions.filter(type=QuestionType.TEXT).exists(),
        "tables": tables,
    }


def _by_location_caption(filters: Filters) -> str:
    """A location's row within chosen teams is those teams' customers there, not the whole
    site's (a team lead read "Seattle Waterfront 775" beside the CX manager's 3,476)."""
    if filters.team_ids:
        whose = "the selected team's" if len(filters.team_ids) == 1 else "the selected teams'"
    elif filters.department_ids:
        whose = "the selected department's"
    else:
        return "By location"
    return f"By location: {whose} responses at each location"
