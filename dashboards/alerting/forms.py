"""Forms for alert rules, webhook endpoints and the inbox's actions. They validate; services act."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import URLValidator

from dashboards.alerting.selectors import (
    METRICS_FOR_KIND,
    RULE_CONDITION,
    owner_choices,
    rule_same_condition,
    survey_metrics,
)
from dashboards.alerting.targets import target_refusal
from dashboards.anonymity import NO_FOLLOW_UP_RULE, WEEKS_NOT_ANONYMOUS_RULE
from dashboards.models import AlertCondition, AlertMetric, AlertRule, AlertScope, WebhookEndpoint
from surveys.forms import IdsChoiceField
from surveys.models import Department, Location, Survey, Team

# Range of each metric's figure (what a threshold can be).
METRIC_RANGE = {
    AlertMetric.ENPS: (-100, 100),
    AlertMetric.NPS: (-100, 100),
    AlertMetric.CSAT: (0, 100),
    AlertMetric.CES: (1, 7),
    AlertMetric.ENGAGEMENT: (0, 100),
    AlertMetric.PARTICIPATION: (0, 100),
}
SCOPE_FIELDS = {
    AlertScope.DEPARTMENT: "department",
    AlertScope.TEAM: "team",
    AlertScope.LOCATION: "location",
}
NOTE_MAX_LENGTH = 5000


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = ["name", *RULE_CONDITION, "owners", "active"]
        help_texts = {
            "survey": "Detractor follow-ups skip anonymous surveys (a rule for one of them alone "
            "is refused).",
            "threshold": "For “falls below”: eNPS/NPS −100…100, CSAT, engagement and "
            "participation in %, CES 1…7.",
            "drop_points": "For “drops by”: points against the previous period (or cycle).",
            "period": "Participation is judged per finished cycle instead.",
            "department": "With scope Department: empty means each department.",
            "team": "With scope Team: empty means each team.",
            "location": "With scope Location: empty means each location.",
        }
        widgets = {"owners": forms.CheckboxSelectMultiple}
        field_classes = {"owners": IdsChoiceField}

    def __init__(self, *args, organization, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["survey"].queryset = Survey.objects.filter(organization=organization, kind=kind)
        self.fields["survey"].empty_label = "Every survey of this kind"
        self.fields["metric"].choices = [
            (value, label)
            for value, label in AlertMetric.choices
            if value in METRICS_FOR_KIND[kind]
        ]
        self.fields["department"].queryset = Department.objects.filter(organization=organization)
        self.fields["team"].queryset = Team.objects.filter(organization=organization)
        self.fields["location"].queryset = Location.objects.filter(organization=organization)
        self.fields["owners"].queryset = owner_choices(organization_id=organization.id, kind=kind)
        self.fields["owners"].required = True
        self.fields["owners"].help_text = "They get an email for every alert of this rule."

    def clean(self):
        data = super().clean()
        metric = data.get("metric")
        survey = data.get("survey")
        if survey is not None and metric:
            self._clean_survey_metric(survey, metric)
            if metric == AlertMetric.DETRACTOR and survey.anonymous:
                self.add_error("survey", NO_FOLLOW_UP_RULE)
        weekly_figure = metric not in (AlertMetric.DETRACTOR, AlertMetric.PARTICIPATION)
        if data.get("period") == "week" and weekly_figure:
            # A rule on every survey of its kind reads each one: none may be anonymous.
            anonymous = (
                survey.anonymous
                if survey is not None
                else self.fields["survey"].queryset.filter(anonymous=True).exists()
            )
            if anonymous:
                self.add_error("period", WEEKS_NOT_ANONYMOUS_RULE)
        if metric in METRIC_RANGE:
            self._clean_condition(data, metric)
        elif metric:
            # Detractor responses and negative comments need no figure to compare.
            data.update(condition=AlertCondition.BELOW, threshold=None, drop_points=None)
        scope = data.get("scope")
        for scope_value, field in SCOPE_FIELDS.items():
            if scope != scope_value:
                data[field] = None
        if not self.errors:
            self._clean_same_condition(data)
        return data

    def _clean_same_condition(self, data: dict) -> None:
        """Two rules with one condition raise every alert twice: name the one there is."""
        rule = AlertRule(
            pk=self.instance.pk,
            organization_id=self.instance.organization_id,
            kind=self.kind,
            **{field: data.get(field) for field in RULE_CONDITION},
        )
        twin = rule_same_condition(rule=rule)
        if twin is not None:
            paused = "" if twin.active else " (paused)"
            self.add_error(
                None,
                f"The rule “{twin.name}”{paused} already has this condition (same survey, "
                "metric, threshold, period and scope): a second rule would raise each of its "
                "alerts twice. Edit that rule instead, adding owners to it.",
            )

    def _clean_survey_metric(self, survey: Survey, metric: str) -> None:
        """A rule on a metric its survey does not measure would save and never fire."""
        measured = survey_metrics(survey=survey)
        if metric in measured:
            return
        names = ", ".join(AlertMetric(m).label for m in measured) or "none of these metrics"
        self.add_error(
            "metric",
            f"“{survey}” has no question for {AlertMetric(metric).label}, so this rule could "
            f"never fire. It measures: {names}.",
        )

    def _clean_condition(self, data: dict, metric: str) -> None:
        low, high = METRIC_RANGE[metric]
        if data.get("condition") == AlertCondition.DROP:
            drop = data.get("drop_points")
            if drop is None or not 0 < drop <= high - low:
                self.add_error(
                    "drop_points", f"Enter a number of points above 0 and at most {high - low}."
                )
            data["threshold"] = None
            return
        threshold = data.get("threshold")
        if threshold is None or not low <= threshold <= high:
            self.add_error("threshold", f"Enter a threshold from {low} to {high}.")
        data["drop_points"] = None


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label="URL",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Receives a signed JSON POST: check X-Tandem-Signature (HMAC-SHA256 of the body).",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "on_alert", "on_response"]
        labels = {"on_alert": "Send new alerts", "on_response": "Send every new response"}
        help_texts = {"on_response": "Never for anonymous surveys."}

    def clean_url(self):
        url = self.cleaned_data["url"]
        if refusal := target_refusal(url):
            raise forms.ValidationError(refusal)
        return url

    def clean(self):
        data = super().clean()
        if not data.get("on_alert") and not data.get("on_response"):
            raise forms.ValidationError("Choose at least one kind of event to send.")
        return data


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note", max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="Closing note (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
