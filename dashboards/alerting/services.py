"""Alert rules evaluated after scoring, and the writes that follow an alert.

    alert_rules_evaluate(*, survey_id, response_id=None) -> list[Alert]   (the worker, after scoring)
    alert_rules_sweep() -> int                                            (beat: finished cycles)
    follow_up_open(*, response_id, user) -> (Alert | None, bool)          (the CX page, by hand)

An alert is created once per rule, scope group and period (and response, for per-response
rules): the unique constraint makes re-runs harmless. Its emails and webhooks are written to the
outbox in the same transaction, so an alert is never without its notifications. The inbox's
actions (acknowledge, assign, notes, resolve) are in dashboards.alerting.actions; the opt-in
new-response webhooks in dashboards.alerting.webhooks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dashboards.alerting import selectors
from dashboards.alerting.outbox import outbox_enqueue
from dashboards.alerting.selectors import GroupFigure, Period
from dashboards.alerting.serializers import alert_payload, alert_url
from dashboards.anonymity import threshold_for
from dashboards.models import (
    Alert,
    AlertCondition,
    AlertMetric,
    AlertNote,
    AlertPeriod,
    AlertRule,
    AlertScope,
    OutboxKind,
    OutboxMessage,
    WebhookEndpoint,
)
from responses.models import Response
from surveys.models import Survey, SurveyKind

logger = logging.getLogger(__name__)

ALERT_EVENT = "alert.created"
QUOTE_LENGTH = 300


@dataclass(frozen=True)
class Finding:
    """What a rule found: one scope group in one period (and one response, or none)."""

    scope_key: str
    scope_label: str
    team_id: int | None
    period: Period
    value: float | None
    message: str
    previous_value: float | None = None
    response_id: int | None = None


def alert_rules_evaluate(*, survey_id: int, response_id: int | None = None) -> list[Alert]:
    """Evaluate the active rules that apply to a survey, after scoring. Returns the new alerts.

    1. Load the survey and (when given) the response; its day anchors the period, else today.
    2. Each active rule of the survey's organisation and kind (for this survey or for every
       survey) yields findings: per scope group for metrics, per response for detractors and
       negative comments. An anonymous survey (EX or CX) gets no per-response finding: its
       negative comments are counted per group, and detractor rules skip it.
    3. Each finding becomes an alert unless that rule, scope and period already has one.
       Rules with one condition (saved before the form refused that) are evaluated once, as
       their oldest: one alert, to all their owners, not one per rule.
    """
    survey = Survey.objects.select_related("organization").filter(id=survey_id).first()
    if survey is None:
        return []
    rules = list(selectors.rules_for_survey(survey=survey))
    if not rules:
        return []  # the usual case, once per scored response: nothing more to load
    response = None
    if response_id is not None:
        response = _response_with_scope(response_id, survey=survey)
    day = timezone.localdate(response.submitted_at) if response else timezone.localdate()
    created = []
    for twins in _same_conditions(rules):
        for finding in _findings(twins[0], survey, response, day):
            alert = _alert_create(twins=twins, survey=survey, finding=finding)
            if alert is not None:
                created.append(alert)
    if created:
        logger.info("alerts: survey %s raised %s alert(s)", survey_id, len(created))
    return created


def _response_with_scope(response_id: int, **more) -> Response | None:
    """The response with what its alerts' scope and message name (team, department, location,
    agent, organisation)."""
    return (
        Response.objects.select_related(
            "team__department", "location", "agent", "survey__organization"
        )
        .filter(id=response_id, **more)
        .first()
    )


def _same_conditions(rules: list[AlertRule]) -> list[list[AlertRule]]:
    """The rules grouped by condition (selectors.RULE_CONDITION), each group oldest first."""
    groups: dict[tuple, list[AlertRule]] = {}
    for rule in sorted(rules, key=lambda rule: rule.id):
        groups.setdefault(selectors.rule_condition(rule), []).append(rule)
    return list(groups.values())


def survey_has_listeners(*, survey_id: int) -> bool:
    """Whether a scored response of this survey can raise an alert or call a webhook: an active
    rule for it (or for all surveys of its kind), or, outside anonymous surveys, an active
    new-response endpoint. One query; lets the worker skip both lookups per response."""
    on_survey = {"organization_id": OuterRef("organization_id"), "kind": OuterRef("kind")}
    survey = (
        Survey.objects.filter(id=survey_id)
        .annotate(
            has_rules=Exists(selectors.rules_applying(**on_survey, survey_id=OuterRef("id"))),
            has_hooks=Exists(selectors.response_endpoints(**on_survey)),
        )
        .only("kind", "anonymous")
        .first()
    )
    if survey is None:
        return False
    return survey.has_rules or (survey.has_hooks and not selectors.is_protected(survey))


def alert_rules_sweep() -> int:
    """Evaluate every survey with active rules (catches cycles that finished without a response)."""
    return sum(
        len(alert_rules_evaluate(survey_id=survey_id))
        for survey_id in selectors.surveys_with_rules().values_list("id", flat=True)
    )


# --- Findings per rule kind ----------------------------------------------------------------------


def _findings(rule: AlertRule, survey: Survey, response, day) -> list[Finding]:
    if rule.metric == AlertMetric.DETRACTOR:
        return _detractor_findings(rule, survey, response, day)
    if rule.metric == AlertMetric.NEGATIVE_COMMENT:
        if selectors.is_protected(survey):
            return _comment_group_findings(rule, survey, day)
        return _comment_response_findings(rule, response, day)
    if rule.metric == AlertMetric.PARTICIPATION:
        cycles = selectors.finished_cycles(survey=survey)
        figures = selectors.participation_figures
        return _threshold_findings(rule, survey, cycles, figures) if cycles else []
    size = _period_size(rule, survey)
    current = selectors.period_containing(size, day)
    periods = [current, selectors.period_before(size, current)]
    return _threshold_findings(rule, survey, periods, selectors.score_figures)


def _period_size(rule: AlertRule, survey: Survey) -> str:
    """The rule's period, but a month for a weekly rule on an anonymous survey (reported by
    whole months; such rules are refused now, one saved before is read monthly)."""
    if rule.period == AlertPeriod.WEEK and survey.anonymous:
        return AlertPeriod.MONTH
    return rule.period


def _threshold_findings(rule: AlertRule, survey: Survey, periods: list[Period], figures_of):
    """Below a threshold, or a drop of at least X points from the previous period.

    Only groups shown on the dashboards with at least `threshold` respondents count; a drop
    needs that in both periods.
    """
    limit = rule.threshold if rule.condition == AlertCondition.BELOW else rule.drop_points
    if limit is None:
        return []  # an incomplete rule (edited outside the form) compares nothing
    threshold = threshold_for(survey.organization)
    current = figures_of(rule=rule, survey=survey, period=periods[0])
    if rule.condition == AlertCondition.BELOW:
        return [
            _finding(rule, figure, periods[0], _below_message(rule, survey, figure, periods[0]))
            for figure in current.values()
            if figure.shown(threshold) and figure.value < rule.threshold
        ]
    if len(periods) < 2:
        return []
    before = figures_of(rule=rule, survey=survey, period=periods[1])
    findings = []
    for key, figure in current.items():
        old = before.get(key)
        if not (figure.shown(threshold) and old is not None and old.shown(threshold)):
            continue
        if round(old.value - figure.value, 6) >= rule.drop_points:
            message = _drop_message(rule, survey, figure, old, periods)
            findings.append(_finding(rule, figure, periods[0], message, previous=old.value))
    return findings


def _comment_group_findings(rule: AlertRule, survey: Survey, day) -> list[Finding]:
    """Anonymous (EX or CX): a group with >= 1 negative comment in the period and >= threshold
    respondents. The message gives a count, never a comment."""
    threshold = threshold_for(survey.organization)
    period = selectors.period_containing(_period_size(rule, survey), day)
    figures = selectors.negative_comment_figures(rule=rule, survey=survey, period=period)
    return [
        _finding(
            rule,
            figure,
            period,
            f"{figure.value:g} negative comment(s) in {figure.label} in {period.label} "
            f"({figure.respondents} respondents). Comments are not quoted: the survey is anonymous.",
        )
        for figure in figures.values()
        if figure.shown(threshold) and figure.value >= 1
    ]


def _comment_response_findings(rule: AlertRule, response, day) -> list[Finding]:
    scope = response and selectors.response_scope(rule=rule, response=response)
    if not scope:
        return []
    answers = selectors.negative_comments(response_id=response.id)
    if not answers:
        return []
    scope = _attributed(scope, response)
    quote = answers[0].value_text[:QUOTE_LENGTH]
    message = f"Negative comment in {scope[1]} on “{answers[0].question.text}”: “{quote}”"
    return [_response_finding(rule, response, scope, day, answers[0].sentiment_score, message)]


def _detractor_findings(rule: AlertRule, survey: Survey, response, day) -> list[Finding]:
    if survey.kind != SurveyKind.CX or selectors.is_protected(survey):
        return []  # one customer's answers on an anonymous survey are never singled out
    scope = response and selectors.response_scope(rule=rule, response=response)
    if not scope:
        return []
    answers = selectors.detractor_answers(response_id=response.id)
    if not answers:
        return []
    scope = _attributed(scope, response)
    scored = "; ".join(selectors.answer_label(answer) for answer in answers)
    message = f"Detractor response, served by {scope[1]}: {scored}. Follow up with the customer."
    return [_response_finding(rule, response, scope, day, answers[0].value_int, message)]


def _attributed(scope: tuple, response) -> tuple:
    """The scope of a per-response alert named by where the response was attributed (team,
    location, agent), whatever the rule's scope: the organisation's name on every detractor
    alert said nothing. The key stays the rule's group (one alert per response either way)."""
    key, label, team_id = scope
    return key, selectors.response_attribution(response) or label, team_id


def _finding(rule, figure: GroupFigure, period: Period, message: str, previous=None) -> Finding:
    return Finding(
        scope_key=figure.key,
        scope_label=figure.label,
        team_id=figure.team_id,
        period=period,
        value=figure.value,
        previous_value=previous,
        message=message,
    )


def _response_finding(rule, response, scope, day, value, message: str) -> Finding:
    key, label, team_id = scope
    return Finding(
        scope_key=key,
        scope_label=label,
        team_id=team_id,
        period=selectors.period_containing(rule.period, day),
        value=value,
        message=message,
        response_id=response.id,
    )


def _figure_text(rule: AlertRule, value: float) -> str:
    percent = rule.metric in (AlertMetric.CSAT, AlertMetric.ENGAGEMENT, AlertMetric.PARTICIPATION)
    return f"{value:g}%" if percent else f"{value:g}"


def _metric_named(rule: AlertRule, survey: Survey) -> str:
    """The metric with the survey it is read from ("Engagement index on “eNPS pulse”"): an
    organisation's surveys can each have one, and a rule on every survey raises alerts for
    several."""
    return f"{rule.get_metric_display()} on “{survey.title}”"


def _below_message(rule: AlertRule, survey: Survey, figure: GroupFigure, period: Period) -> str:
    return (
        f"{_metric_named(rule, survey)} for {figure.label} in {period.label} is "
        f"{_figure_text(rule, figure.value)} ({figure.respondents} people), below "
        f"{_figure_text(rule, rule.threshold)}."
    )


def _drop_message(
    rule: AlertRule, survey: Survey, figure: GroupFigure, old: GroupFigure, periods
) -> str:
    return (
        f"{_metric_named(rule, survey)} for {figure.label} fell from "
        f"{_figure_text(rule, old.value)} in {periods[1].label} to "
        f"{_figure_text(rule, figure.value)} in {periods[0].label} "
        f"({old.value - figure.value:.1f} points; alert at {rule.drop_points:g})."
    )


# --- Creating an alert with its notifications ----------------------------------------------------


def _alert_create(
    *, twins: list[AlertRule], survey: Survey, finding: Finding, opened_by=None
) -> Alert | None:
    """Create the alert of the first of `twins` (rules with one condition) and its outbox
    messages in one transaction; None if one of them already has it, or if the response's
    follow-up was opened by hand. `opened_by`: the member who opened it by hand (follow_up_open),
    its assignee; the rule is then unsaved when none applies (the alert has none)."""
    rule = twins[0]
    identity = {
        "scope_key": finding.scope_key,
        "period_key": finding.period.key,
        "response_key": str(finding.response_id or ""),
    }
    if rule.pk is not None and Alert.objects.filter(rule__in=twins, **identity).exists():
        return None
    if opened_by is None and rule.metric == AlertMetric.DETRACTOR and _opened_by_hand(finding):
        return None
    identity["rule"] = rule if rule.pk is not None else None
    now = timezone.now()
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                **identity,
                organization_id=survey.organization_id,
                survey=survey,
                metric=rule.metric,
                scope_label=finding.scope_label[:200],
                team_id=finding.team_id,
                period_label=finding.period.label,
                response_id=finding.response_id,
                value=finding.value,
                previous_value=finding.previous_value,
                message=finding.message,
                created_at=now,
                assignee=opened_by,
                first_response_at=now if opened_by is not None else None,
            )
            if opened_by is not None:
                who = opened_by.get_username()
                body = f"Follow-up opened by {who} from the customer dashboard; assigned to {who}."
                AlertNote.objects.create(alert=alert, author=opened_by, body=body, created_at=now)
            messages = _alert_messages_write(alert=alert, twins=twins)
            outbox_enqueue(message_ids=[message.id for message in messages])
    except IntegrityError:
        return None  # a concurrent evaluation raised it first
    return alert


def _alert_messages_write(*, alert: Alert, twins: list[AlertRule]) -> list[OutboxMessage]:
    """One email per owner (of any of the rules with the alert's condition) with an address,
    one webhook per active alert endpoint of the kind."""
    rule = twins[0]
    common = {
        "organization_id": alert.organization_id,
        "survey_kind": alert.survey.kind,
        "event": ALERT_EVENT,
        "alert": alert,
    }
    subject = f"[Tandem] {rule.name}: {alert.scope_label}, {alert.period_label}"
    body = f"{alert.message}\n\nSurvey: {alert.survey.title}\nOpen the alert: {alert_url(alert)}\n"
    emails = sorted(
        {owner.email for twin in twins if twin.pk for owner in twin.owners.all() if owner.email}
    )
    messages = [
        OutboxMessage(
            **common,
            kind=OutboxKind.EMAIL,
            target=email,
            payload={"subject": subject, "body": body},
        )
        for email in emails
    ]
    endpoints = WebhookEndpoint.objects.filter(
        organization_id=alert.organization_id, kind=alert.survey.kind, active=True, on_alert=True
    )
    payload = {"event": ALERT_EVENT, "alert": alert_payload(alert)}
    messages += [
        OutboxMessage(**common, kind=OutboxKind.WEBHOOK, target=e.url, endpoint=e, payload=payload)
        for e in endpoints
    ]
    return OutboxMessage.objects.bulk_create(messages)


# --- A follow-up opened by hand ------------------------------------------------------------------


def follow_up_open(*, response_id: int, user) -> tuple[Alert | None, bool]:
    """The detractor follow-up alert of one response, opened by a CX manager (the CX page's
    "Open follow-up"): (the alert, whether it is new), or (None, False) when the response has
    no detractor answer. Callers check the response is of a non-anonymous CX survey of the
    member's organisation.

    1. Under a lock on the response, a detractor alert about it already there is the one (a
       second click, a colleague's, a rule's): nothing is created.
    2. Else the alert is built as a detractor rule's (_detractor_findings: scope, period, value
       and message): of the oldest active detractor rule for the survey whose scope holds the
       response, emailed to its owners; with none, of no rule, for the organisation and the
       response's month. Webhooks as for every new alert.
    3. It is assigned to `user`, who has responded to it (first_response_at), with a note
       saying who opened it.
    """
    with transaction.atomic():
        # Alerts of no rule have no unique constraint to fall back on: two clicks wait here.
        list(Response.objects.select_for_update().filter(pk=response_id).values_list("pk"))
        existing = _follow_up_of(response_id=response_id)
        if existing is not None:
            return existing, False
        response = _response_with_scope(response_id)
        survey = response.survey
        day = timezone.localdate(response.submitted_at)
        rules = selectors.rules_for_survey(survey=survey).filter(metric=AlertMetric.DETRACTOR)
        for twins in [*_same_conditions(list(rules)), [_rule_of_none(survey)]]:
            findings = _detractor_findings(twins[0], survey, response, day)
            if findings:
                alert = _alert_create(
                    twins=twins, survey=survey, finding=findings[0], opened_by=user
                )
                if alert is None:  # a rule raised it meanwhile
                    return _follow_up_of(response_id=response_id), False
                return alert, True
    return None, False


def _follow_up_of(*, response_id: int) -> Alert | None:
    """The latest detractor alert about the response (a rule's or opened by hand): the one the
    CX page links the response's row to."""
    return (
        Alert.objects.filter(response_id=response_id, metric=AlertMetric.DETRACTOR)
        .order_by("-id")
        .first()
    )


def _opened_by_hand(finding: Finding) -> bool:
    """Whether the finding's response has a detractor alert of no rule (opened by hand, or of
    a deleted rule): a rule then raises no second one."""
    return Alert.objects.filter(
        rule__isnull=True,
        metric=AlertMetric.DETRACTOR,
        response_key=str(finding.response_id),
    ).exists()


def _rule_of_none(survey: Survey) -> AlertRule:
    """What a follow-up opened by hand is built by when no detractor rule holds the response:
    an unsaved rule with the form's defaults (the whole organisation, by month)."""
    return AlertRule(
        organization=survey.organization,
        kind=survey.kind,
        name="Detractor follow-up",
        metric=AlertMetric.DETRACTOR,
        scope=AlertScope.ORGANIZATION,
        period=AlertPeriod.MONTH,
    )
