"""What every dashboard shares: the resolved filters, default survey, the periods of a range."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum

from dashboards.anonymity import threshold_for, whole_months
from dashboards.forms import METRIC_TYPES
from dashboards.models import ResponseRollup, ResponseRollupMonth
from dashboards.reads import shared
from dashboards.selectors.scores import day_bounds
from responses.models import Answer
from surveys.models import Driver, Membership, Organization, Question, QuestionType, Survey
from surveys.permissions import team_scope

PERIOD_MONTHS = {"month": 1, "quarter": 3}
MAX_ID = 2**63 - 1  # the largest primary key a database can hold
_ANSWER_NARROWING = {
    "team_ids": "response__team_id__in",
    "department_ids": "response__team__department_id__in",
    "location_ids": "response__location_id__in",
}


@dataclass(frozen=True)
class Filters:
    """A validated dashboard filter, already narrowed to what the user may see."""

    organization: Organization
    survey: Survey | None
    start: dt.date | None
    end: dt.date | None
    period: str
    team_ids: tuple[int, ...] | None = None
    department_ids: tuple[int, ...] | None = None
    location_ids: tuple[int, ...] | None = None

    @property
    def threshold(self) -> int:
        return threshold_for(self.organization)

    def narrowing(self) -> dict:
        """The population keywords of every scores selector (see dashboards.selectors.scores)."""
        return {
            "team_ids": self.team_ids,
            "department_ids": self.department_ids,
            "location_ids": self.location_ids,
        }

    @property
    def narrowed(self) -> bool:
        """Whether the filter picks part of the organisation (a team, department or location)."""
        return any(ids is not None for ids in self.narrowing().values())

    def whole(self) -> Filters:
        """The same survey, range and period for the whole organisation: the comparison shown
        beside a narrowed selection. Safe to show with it: a narrowed total is already hidden
        when the rest of the organisation holds 1..threshold-1 people (scores.py), so the two
        never give a small group away by subtraction."""
        return replace(self, team_ids=None, department_ids=None, location_ids=None)

    def scope(self, survey: Survey | None = None) -> dict:
        """survey, start, end and the narrowing: the keywords score selectors take."""
        return {
            "survey": survey or self.survey,
            "start": self.start,
            "end": self.end,
            **self.narrowing(),
        }


def filters_from_form(*, cleaned: dict, membership: Membership) -> Filters:
    """The form's values as Filters. A team lead sees their own team only: asking for another
    team, or a department or location other than their team's, is refused (403, with this reason
    on the page) rather than silently changed, so a shared link never shows a team lead something
    other than what its URL says."""
    team, department, location = (
        cleaned.get("team"),
        cleaned.get("department"),
        cleaned.get("location"),
    )
    if team_scope(membership) is not None:
        own = membership.team
        asked = ((team, own.pk), (department, own.department_id), (location, own.location_id))
        if any(choice is not None and choice.pk != own_id for choice, own_id in asked):
            raise PermissionDenied("Team leads see their own team only.")
        team, department = own, None
    survey, start, end = cleaned.get("survey"), cleaned.get("start"), cleaned.get("end")
    if survey is not None and survey.anonymous:
        start, end = whole_months(start, end)  # what its figures cover (and its comments)
    return Filters(
        organization=membership.organization,
        survey=survey,
        start=start,
        end=end,
        period=cleaned.get("period") or "all",
        team_ids=(team.pk,) if team else None,
        department_ids=(department.pk,) if department else None,
        location_ids=(location.pk,) if location else None,
    )


def answers_in_scope(filters: Filters) -> QuerySet[Answer]:
    """The survey's answers inside the date range and the team/department/location narrowing
    (for the few figures rollups cannot give: comments, agents, follow-ups)."""
    answers = Answer.objects.filter(
        day_bounds(filters.start, filters.end), response__survey=filters.survey
    )
    for key, ids in filters.narrowing().items():
        if ids is not None:
            answers = answers.filter(**{_ANSWER_NARROWING[key]: ids})
    return answers


def surveys_outside_org(params, names: tuple[str, ...], *, organization_id: int) -> bool:
    """Whether a survey id given in `params` is not one of the organisation's surveys (the pages
    and the API answer 404 then; a non-number is left to the form, as a 400)."""
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    ids = {int(params[name]) for name in names if str(params.get(name, "")).isdecimal()}
    if any(pk > MAX_ID for pk in ids):
        return True  # exists nowhere (and SQLite cannot even compare it)
    found = Survey.objects.filter(pk__in=ids, organization_id=organization_id).count()
    return found != len(ids)


def default_survey(
    *,
    organization: Organization,
    kinds: tuple[str, ...],
    questions: Q | None = None,
    team_id: int | None = None,
) -> Survey | None:
    """The survey a dashboard opens on: of these kinds (with a question matching `questions`),
    the one answered most recently (by `team_id`'s people, for a team lead), else the newest.
    The order of the surveys is read once per request (the overview asks for five metrics)."""
    ranked = shared(
        ("surveys_ranked", organization.pk, tuple(kinds), team_id),
        lambda: _surveys_ranked(organization=organization, kinds=kinds, team_id=team_id),
    )
    if questions is not None and ranked:
        having = set(
            Question.objects.filter(questions, survey_id__in=[s.pk for s in ranked]).values_list(
                "survey_id", flat=True
            )
        )
        ranked = [survey for survey in ranked if survey.pk in having]
    return ranked[0] if ranked else None


def _surveys_ranked(
    *, organization: Organization, kinds: tuple[str, ...], team_id: int | None
) -> list[Survey]:
    """The surveys of these kinds, the one a dashboard opens on first: those answered (by
    `team_id`'s people), the most recently answered first (ties: the busiest), then the others,
    the newest first. Two subqueries per survey row: organisations have tens of surveys, not
    thousands."""
    surveys = Survey.objects.filter(organization=organization, kind__in=kinds)
    answers = ResponseRollup.objects.filter(survey_id=OuterRef("pk"))
    # The total from month rows (the sums of the day rows): a busy survey has ~40,000 day rows.
    months = ResponseRollupMonth.objects.filter(survey_id=OuterRef("pk"))
    if team_id is not None:
        answers = answers.filter(team_id=team_id)
        months = months.filter(team_id=team_id)
    last_day = answers.order_by("-day").values("day")[:1]
    total = months.order_by().values("survey_id").annotate(n=Sum("responses")).values("n")
    ranked = list(
        surveys.annotate(last_day=Subquery(last_day), total=Subquery(total)).order_by(
            F("last_day").desc(nulls_last=True),
            F("total").desc(nulls_last=True),
            "-created_at",
            "-id",
        )
    )
    for survey in ranked:
        survey.organization = organization  # read as the page's threshold: no query for it
    return ranked


def default_survey_for_metric(
    *, organization: Organization, kind: str, metric: str, team_id: int | None = None
) -> Survey | None:
    """default_survey among the surveys that have the metric's question; for engagement, those
    with engagement-tagged items first (an eNPS pulse's extra items are not an engagement index)."""
    choices = [Q(type=METRIC_TYPES[metric])]
    if metric == "engagement":
        choices.insert(0, Q(type=QuestionType.LIKERT, driver=Driver.ENGAGEMENT))
    for questions in choices:
        survey = default_survey(
            organization=organization, kinds=(kind,), questions=questions, team_id=team_id
        )
        if survey is not None:
            return survey
    return None


def period_floor(period: str, day: dt.date) -> dt.date:
    """The first day of the week (Monday), month or quarter holding `day`."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, day.month, 1)


def period_shift(period: str, start: dt.date, steps: int) -> dt.date:
    """The start of the period `steps` periods after (or before) the one starting on `start`."""
    if period == "week":
        return start + dt.timedelta(weeks=steps)
    index = start.year * 12 + start.month - 1 + steps * PERIOD_MONTHS[period]
    return dt.date(index // 12, index % 12 + 1, 1)


def period_starts(*, period: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Every period overlapping start..end, in order (empty for period "all")."""
    if period == "all":
        return []
    starts, current = [], period_floor(period, start)
    while current <= end:
        starts.append(current)
        current = period_shift(period, current, 1)
    return starts


def period_end(period: str, start: dt.date) -> dt.date:
    return period_shift(period, start, 1) - dt.timedelta(days=1)
