"""Reads for alerts: the figures rules compare, periods, and what each member may see.

Figures come from dashboards.selectors.scores (rollups, with the anonymity rule already applied):
an alert never states a figure that the dashboards would hide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Avg,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone
from django.utils.text import Truncator

from dashboards.anonymity import threshold_for
from dashboards.forms import METRIC_TYPES
from dashboards.models import (
    Alert,
    AlertMetric,
    AlertRule,
    AlertScope,
    OutboxMessage,
    QuestionRollup,
    WebhookEndpoint,
)
from dashboards.reads import shared_reads
from dashboards.selectors import participation, scores
from dashboards.selectors.comments import comment_counts
from dashboards.selectors.common import Filters
from responses.models import Answer, Response, SentimentLabel
from surveys.models import (
    Cycle,
    Membership,
    Question,
    QuestionType,
    Role,
    Survey,
    SurveyKind,
    SurveyStatus,
)
from surveys.permissions import AUTHOR_ROLE_FOR_KIND, authorable_kinds

SCOPE_GROUP_BY = {
    AlertScope.ORGANIZATION: "none",
    AlertScope.DEPARTMENT: "department",
    AlertScope.TEAM: "team",
    AlertScope.LOCATION: "location",
}
# Metrics each kind of survey has (negative comments: both).
METRICS_FOR_KIND = {
    SurveyKind.EX: [
        AlertMetric.ENPS,
        AlertMetric.ENGAGEMENT,
        AlertMetric.PARTICIPATION,
        AlertMetric.NEGATIVE_COMMENT,
    ],
    SurveyKind.CX: [
        AlertMetric.NPS,
        AlertMetric.CSAT,
        AlertMetric.CES,
        AlertMetric.DETRACTOR,
        AlertMetric.NEGATIVE_COMMENT,
    ],
}
# The questions each metric reads (participation reads invitations): a rule for a survey that
# asks none of them could never fire. The scores' metrics read the dashboards' question type.
METRIC_QUESTION_TYPES = {
    **{metric: {question_type} for metric, question_type in METRIC_TYPES.items()},
    AlertMetric.DETRACTOR: {QuestionType.NPS, QuestionType.CSAT},
    AlertMetric.NEGATIVE_COMMENT: {QuestionType.TEXT},
}
# A question's text in an alert's message is cut after this many characters.
QUESTION_CHARS = 80
# The role that owns each kind's rules and alerts: the one that authors its surveys.
OWNER_ROLE = AUTHOR_ROLE_FOR_KIND


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: dt.date | None = None
    end: dt.date | None = None
    cycle_id: int | None = None


@dataclass(frozen=True)
class GroupFigure:
    """One scope group's figure in one period. `respondents` is what the threshold is held to."""

    key: str  # "org", "team:3", "department:2", "location:4"
    label: str
    team_id: int | None
    value: float | None
    respondents: int
    suppressed: bool

    def shown(self, threshold: int) -> bool:
        """May an alert state this figure: visible on the dashboards and >= threshold people."""
        return not self.suppressed and self.value is not None and self.respondents >= threshold


def survey_metrics(*, survey: Survey) -> list[str]:
    """The metrics of the survey's kind that its questions give a figure for, in menu order."""
    types = set(Question.objects.filter(survey=survey).values_list("type", flat=True))
    return [
        metric
        for metric in METRICS_FOR_KIND[survey.kind]
        if metric not in METRIC_QUESTION_TYPES or METRIC_QUESTION_TYPES[metric] & types
    ]


def is_protected(survey: Survey) -> bool:
    """An anonymous survey, employee or customer: alerts speak only of groups at or above the
    threshold, never of one response (no detractor follow-up, no quoted comment, no
    new-response webhook)."""
    return survey.anonymous


# --- Periods -------------------------------------------------------------------------------------


def period_containing(period: str, day: dt.date) -> Period:
    """The week (ISO, from Monday), month or quarter that contains `day`."""
    if period == "week":
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=6)
    else:
        months = 3 if period == "quarter" else 1
        first_month = (day.month - 1) // months * months + 1
        start = day.replace(month=first_month, day=1)
        next_month = first_month + months
        following = dt.date(start.year + (next_month > 12), (next_month - 1) % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
    label = scores.period_label(period, start)
    return Period(key=label, label=label, start=start, end=end)


def period_before(period: str, current: Period) -> Period:
    return period_containing(period, current.start - dt.timedelta(days=1))


def finished_cycles(*, survey: Survey) -> list[Period]:
    """The survey's last finished cycle and the one before it (participation is judged on
    finished cycles: mid-cycle, a low rate only means people have not answered yet)."""
    cycles = (
        Cycle.objects.filter(survey=survey)
        .filter(Q(closed=True) | Q(closes_at__lte=timezone.now()))
        .order_by("-number")[:2]
    )
    return [
        Period(key=f"cycle-{c.number}", label=f"Cycle {c.number}", cycle_id=c.id) for c in cycles
    ]


# --- Figures per scope group ---------------------------------------------------------------------


def _narrowing(rule: AlertRule) -> dict:
    """Only the rule's own department/team/location, when it names one."""
    ids = {
        AlertScope.DEPARTMENT: ("department_ids", rule.department_id),
        AlertScope.TEAM: ("team_ids", rule.team_id),
        AlertScope.LOCATION: ("location_ids", rule.location_id),
    }.get(rule.scope)
    return {ids[0]: [ids[1]]} if ids and ids[1] is not None else {}


def _group_identity(rule: AlertRule, group: dict | None, organization) -> tuple | None:
    """(key, label, team id) of a row's group, or None for the "No team"-style leftover."""
    if rule.scope == AlertScope.ORGANIZATION:
        return "org", organization.name, None
    if group is None or group["id"] is None:
        return None
    team_id = group["id"] if rule.scope == AlertScope.TEAM else None
    return f"{rule.scope}:{group['id']}", group["name"], team_id


def _figures(rule: AlertRule, survey: Survey, rows, value_of, respondents_of) -> dict:
    figures = {}
    for row in rows:
        identity = _group_identity(rule, row["group"], survey.organization)
        if identity is None:
            continue
        key, label, team_id = identity
        figures[key] = GroupFigure(
            key=key,
            label=label,
            team_id=team_id,
            value=value_of(row),
            respondents=respondents_of(row) or 0,
            suppressed=row["suppressed"],
        )
    return figures


def score_figures(*, rule: AlertRule, survey: Survey, period: Period) -> dict[str, GroupFigure]:
    """eNPS/NPS/CSAT/CES/engagement of each scope group in one period (one period per call, so
    a small neighbouring period never hides this one)."""
    rows = scores.metric_by_group(
        survey=survey,
        metric=rule.metric,
        group_by=SCOPE_GROUP_BY[rule.scope],
        period=rule.period,
        start=period.start,
        end=period.end,
        **_narrowing(rule),
    )
    return _figures(rule, survey, rows, lambda r: r["value"], lambda r: r["respondents"])


def participation_figures(*, rule: AlertRule, survey: Survey, period: Period) -> dict:
    """Participation % of each scope group in one cycle; `respondents` is the number invited."""
    rows = [
        row
        for row in participation.participation_by_group(
            survey=survey, group_by=SCOPE_GROUP_BY[rule.scope], by_cycle=True, **_narrowing(rule)
        )
        if row["cycle"]["id"] == period.cycle_id
    ]
    return _figures(rule, survey, rows, lambda r: r["rate"], lambda r: r["invited"])


def negative_comment_figures(*, rule: AlertRule, survey: Survey, period: Period) -> dict:
    """Number of negative comments of each scope group in one period (value), with respondents
    and suppression from the score cells. Only counts: no comment is read.

    A group's count is the comment list's for the same group and range (comment_counts), so
    it leaves out what the page leaves out: a hidden team's months, a team's month left out of
    its quarter, a team's cell left out of a location. Counting the group's rollup rows whole
    once counted a small hidden team's comment in its department, location and organisation.
    Groups an alert may not speak of get no count (None)."""
    group_by = SCOPE_GROUP_BY[rule.scope]
    threshold = threshold_for(survey.organization)
    at_most = _negatives_at_most(survey=survey, period=period, group_by=group_by)
    # One read of the breakdowns every group's comments are decided on, not one per group.
    with shared_reads():
        cells = scores.score_cells(
            survey=survey,
            group_by=group_by,
            period=rule.period,
            start=period.start,
            end=period.end,
            question_ids=(),  # suppression and respondents only
            **_narrowing(rule),
        )
        rows = [
            {
                "group": cell.group,
                "suppressed": cell.suppressed,
                "respondents": cell.respondents,
                "neg": _negatives(survey, period, group_by, cell, at_most=at_most)
                if not cell.suppressed and cell.respondents >= threshold
                else None,
            }
            for cell in cells
        ]
    return _figures(rule, survey, rows, lambda r: r["neg"], lambda r: r["respondents"])


def _negatives_at_most(*, survey: Survey, period: Period, group_by: str) -> dict:
    """{group id (the survey's for the organisation): negative comments in the period}, before
    anonymity leaves any out: an upper bound in one query, so that a group with none needs no
    count of its own (most groups, most of the time: rules run after every scored response)."""
    id_path = scores.GROUP_BY[group_by][0] if scores.GROUP_BY[group_by] else "survey_id"
    return dict(
        QuestionRollup.objects.filter(
            survey=survey,
            question__type=QuestionType.TEXT,
            day__gte=period.start,
            day__lte=period.end,
        )
        .values_list(id_path)
        .annotate(neg=Sum("neg"))
        .order_by()
    )


def _negatives(survey: Survey, period: Period, group_by: str, cell, *, at_most: dict) -> int:
    """The negative comments the dashboards count for the cell's group over the period."""
    group_id = cell.group["id"] if cell.group else survey.id
    if group_id is None or not at_most.get(group_id):
        return 0  # none to count, or the "No team"-style leftover (no alert speaks of it)
    narrowing = {} if cell.group is None else {f"{group_by}_ids": (group_id,)}
    filters = Filters(
        organization=survey.organization,
        survey=survey,
        start=period.start,
        end=period.end,
        period="all",
        **narrowing,
    )
    return comment_counts(filters=filters)[SentimentLabel.NEGATIVE]


def response_scope(*, rule: AlertRule, response: Response) -> tuple | None:
    """(key, label, team id) when the response falls in the rule's scope, else None."""
    team = response.team
    group = {
        AlertScope.ORGANIZATION: None,
        AlertScope.TEAM: team,
        AlertScope.DEPARTMENT: team.department if team else None,
        AlertScope.LOCATION: response.location,
    }[rule.scope]
    wanted = {
        AlertScope.TEAM: rule.team_id,
        AlertScope.DEPARTMENT: rule.department_id,
        AlertScope.LOCATION: rule.location_id,
    }.get(rule.scope)
    if rule.scope == AlertScope.ORGANIZATION:
        return "org", response.survey.organization.name, response.team_id
    if group is None or (wanted is not None and group.id != wanted):
        return None
    return f"{rule.scope}:{group.id}", group.name, response.team_id


def response_attribution(response: Response) -> str:
    """Where a response was attributed: "Front desk · Lisbon · agent Dana" (what is known), or
    "" when nothing is. Only for surveys that are not anonymous (one response's alerts)."""
    parts = [
        response.team and response.team.name,
        response.location and response.location.name,
        response.agent and f"agent {response.agent.name}",
    ]
    return " · ".join(part for part in parts if part)


def answer_label(answer: Answer) -> str:
    """A low answer with its question: 'NPS 2 (“How likely…”)', 'CSAT 1 (“How satisfied…”)'."""
    metric = "NPS" if answer.question.type == QuestionType.NPS else "CSAT"
    return (
        f"{metric} {answer.value_int} (“{Truncator(answer.question.text).chars(QUESTION_CHARS)}”)"
    )


def detractor_answers(*, response_id: int) -> list[Answer]:
    """The response's detractor answers: 0-6 on a 0-10 question, 1-2 on a CSAT question."""
    return list(
        Answer.objects.filter(response_id=response_id)
        .filter(
            Q(question__type=QuestionType.NPS, value_int__lte=6)
            | Q(question__type=QuestionType.CSAT, value_int__lte=2)
        )
        .filter(value_int__isnull=False)
        .select_related("question")
        .order_by("question__order", "question_id")
    )


def negative_comments(*, response_id: int) -> list[Answer]:
    return list(
        Answer.objects.filter(
            response_id=response_id,
            question__type=QuestionType.TEXT,
            sentiment_label=SentimentLabel.NEGATIVE,
        )
        .select_related("question")
        .order_by("question__order", "question_id")
    )


# What makes two rules raise the same alerts: the same survey (or every survey), metric,
# condition and its numbers, period and scope group (their names and owners may differ).
RULE_CONDITION = (
    "survey",
    "metric",
    "condition",
    "threshold",
    "drop_points",
    "period",
    "scope",
    "department",
    "team",
    "location",
)


def rule_condition(rule: AlertRule) -> tuple:
    """The rule's condition, its relations as ids."""
    return tuple(rule.serializable_value(name) for name in RULE_CONDITION)


def rule_same_condition(*, rule: AlertRule) -> AlertRule | None:
    """Another rule of the organisation and kind with the rule's condition (active or not),
    the oldest: a second one would raise each of its alerts twice."""
    return (
        AlertRule.objects.filter(
            organization_id=rule.organization_id,
            kind=rule.kind,
            **dict(zip(RULE_CONDITION, rule_condition(rule), strict=True)),
        )
        .exclude(pk=rule.pk)
        .order_by("id")
        .first()
    )


def rules_applying(*, organization_id, kind, survey_id) -> QuerySet[AlertRule]:
    """Active rules of the organisation and kind, for this survey or for every survey. The
    arguments may be values or OuterRef()s (an EXISTS on the survey row)."""
    return AlertRule.objects.filter(organization_id=organization_id, kind=kind, active=True).filter(
        Q(survey__isnull=True) | Q(survey_id=survey_id)
    )


def response_endpoints(*, organization_id, kind) -> QuerySet[WebhookEndpoint]:
    """Active endpoints that asked for every new response (values or OuterRef()s)."""
    return WebhookEndpoint.objects.filter(
        organization_id=organization_id, kind=kind, active=True, on_response=True
    )


def rules_for_survey(*, survey: Survey) -> QuerySet[AlertRule]:
    return (
        rules_applying(
            organization_id=survey.organization_id, kind=survey.kind, survey_id=survey.pk
        )
        .select_related("team", "department", "location")
        .prefetch_related("owners")
        .order_by("id")
    )


def surveys_with_rules(*, closed_within_days: int = 14) -> QuerySet[Survey]:
    """Live (or lately closed) surveys that some active rule applies to, for the periodic sweep."""
    org_wide = AlertRule.objects.filter(
        organization_id=OuterRef("organization_id"),
        kind=OuterRef("kind"),
        survey__isnull=True,
        active=True,
    )
    recent = timezone.now() - dt.timedelta(days=closed_within_days)
    return (
        Survey.objects.filter(Q(status=SurveyStatus.LIVE) | Q(closed_at__gte=recent))
        .filter(Exists(org_wide) | Q(alert_rules__active=True))
        .distinct()
    )


# --- What a member may see -----------------------------------------------------------------------


def owned_kinds(membership: Membership) -> list[str]:
    """The kinds whose rules, webhooks and alerts this member owns (none for team leads)."""
    return authorable_kinds(membership)


def alerts_for_member(*, membership: Membership) -> QuerySet[Alert]:
    """Owners see their kind's alerts; a team lead sees the alerts of their own team only."""
    alerts = Alert.objects.filter(organization_id=membership.organization_id)
    if membership.role == Role.TEAM_LEAD:
        if membership.team_id is None:
            return alerts.none()
        return alerts.filter(team_id=membership.team_id)
    return alerts.filter(survey__kind__in=owned_kinds(membership))


def alert_list(*, membership: Membership, status: str | None = None) -> QuerySet[Alert]:
    alerts = alerts_for_member(membership=membership)
    if status:
        alerts = alerts.filter(status=status)
    return alerts.select_related("rule", "survey", "assignee").order_by("-created_at", "-id")


def alert_response_times(*, alerts: QuerySet[Alert]) -> dict:
    """Mean time to first response and to resolution, over the alerts that have them."""

    def mean(end: str):
        return Avg(ExpressionWrapper(F(end) - F("created_at"), output_field=DurationField()))

    return alerts.aggregate(
        first_response=mean("first_response_at"), resolution=mean("resolved_at")
    )


def rules_for_member(*, membership: Membership) -> QuerySet[AlertRule]:
    return (
        AlertRule.objects.filter(
            organization_id=membership.organization_id, kind__in=owned_kinds(membership)
        )
        .select_related("survey", "team", "department", "location")
        .prefetch_related("owners")
    )


def webhooks_for_member(*, membership: Membership) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(
        organization_id=membership.organization_id, kind__in=owned_kinds(membership)
    )


def deliveries_for_member(*, membership: Membership, status: str | None = None) -> QuerySet:
    messages = OutboxMessage.objects.filter(
        organization_id=membership.organization_id, survey_kind__in=owned_kinds(membership)
    )
    if status:
        messages = messages.filter(status=status)
    return messages.select_related("alert", "endpoint").prefetch_related("deliveries")


def owner_choices(*, organization_id: int, kind: str):
    """Users who may own a kind's rules: members with that kind's owner role."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            memberships__organization_id=organization_id, memberships__role=OWNER_ROLE[kind]
        )
        .order_by("username")
    )
