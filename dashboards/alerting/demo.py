"""Alert rules for the demo organisation, so the inbox has something true to show."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from dashboards.alerting.services import alert_rules_evaluate
from dashboards.models import AlertCondition, AlertMetric, AlertPeriod, AlertRule, AlertScope
from responses.models import Answer
from surveys.models import Organization, Role, Survey, SurveyKind

# (kind, name, metric, condition, threshold, drop points, scope)
DEMO_RULES = [
    (SurveyKind.EX, "eNPS below zero in a team", AlertMetric.ENPS, AlertCondition.BELOW, 0, None, AlertScope.TEAM),
    (SurveyKind.EX, "Engagement fell 10 points", AlertMetric.ENGAGEMENT, AlertCondition.DROP, None, 10, AlertScope.TEAM),
    (SurveyKind.CX, "CSAT under 70% in a team", AlertMetric.CSAT, AlertCondition.BELOW, 70, None, AlertScope.TEAM),
    (SurveyKind.CX, "Detractor follow-up", AlertMetric.DETRACTOR, AlertCondition.BELOW, None, None, AlertScope.ORGANIZATION),
]  # fmt: skip
RECENT_DETRACTORS = 3


def demo_alert_rules_create(
    *, organization: Organization, owners: dict[str, AbstractBaseUser]
) -> int:
    """Create the demo rules, then evaluate them once over the latest data.

    1. One rule per line of DEMO_RULES, owned by the HR admin (EX) or the CX manager (CX).
    2. Evaluate each survey anchored on its most recent response, so the periods are the demo's.
    3. Evaluate the latest few CSAT detractors, so customer follow-ups are waiting in the inbox.
    """
    owner_for = {
        SurveyKind.EX: owners.get(Role.HR_ADMIN),
        SurveyKind.CX: owners.get(Role.CX_MANAGER),
    }
    for kind, name, metric, condition, threshold, drop, scope in DEMO_RULES:
        rule = AlertRule.objects.create(
            organization=organization,
            kind=kind,
            name=name,
            metric=metric,
            condition=condition,
            threshold=threshold,
            drop_points=drop,
            period=AlertPeriod.MONTH,
            scope=scope,
            created_by=owner_for[kind],
        )
        if owner_for[kind] is not None:
            rule.owners.add(owner_for[kind])
    for survey in Survey.objects.filter(organization=organization):
        latest = survey.responses.order_by("-submitted_at").values_list("id", flat=True).first()
        if latest is not None:
            alert_rules_evaluate(survey_id=survey.pk, response_id=latest)
    detractors = (
        Answer.objects.filter(
            response__survey__organization=organization,
            response__survey__anonymous=False,
            response__survey__kind=SurveyKind.CX,
            question__type="csat",
            value_int__lte=2,
        )
        .order_by("-response__submitted_at")
        .values_list("response__survey_id", "response_id")[:RECENT_DETRACTORS]
    )
    for survey_id, response_id in detractors:
        alert_rules_evaluate(survey_id=survey_id, response_id=response_id)
    return len(DEMO_RULES)
