"""Dashboard filters. They travel in the query string (GET), so every view can be bookmarked.

The forms only validate. Missing values are filled with defaults before binding, so the form the
page shows is exactly the filter it used.
"""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Hidden, Layout, Row, Submit
from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from dashboards.anonymity import WEEKS_NOT_ANONYMOUS_PAGE, WEEKS_NOT_ON_OVERVIEW
from responses.models import SentimentLabel
from surveys.models import Department, Driver, Location, Organization, Survey, SurveyKind, Team

PERIOD_CHOICES = [
    ("week", "Week"),
    ("month", "Month"),
    ("quarter", "Quarter"),
    ("all", "Whole range"),
]
DEFAULT_PERIOD = "month"
DEFAULT_MONTHS = 6
MAX_DAYS = 366 * 5
MAX_WEEKLY_DAYS = 366 * 2
# Pages shift periods (previous period, lag, next period): dates near year 1 or 9999 would step
# outside the calendar (a 500), and no feedback is that old or that far ahead.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)

# The question type each metric reads (dashboards.selectors.scores picks the question itself).
METRIC_TYPES = {"enps": "nps", "nps": "nps", "engagement": "likert", "csat": "csat", "ces": "ces"}
EX_METRIC_CHOICES = [("enps", "eNPS"), ("engagement", "Engagement")]
CX_METRIC_CHOICES = [("csat", "CSAT"), ("nps", "NPS"), ("ces", "CES")]
LAG_CHOICES = [("0", "Same period"), ("1", "Customers one period later")]
LINK_PERIOD_CHOICES = [("all", "Whole range"), ("month", "Month"), ("quarter", "Quarter")]


def default_start(end: dt.date) -> dt.date:
    """First day of the month DEFAULT_MONTHS - 1 months before `end`: six whole months shown."""
    month_index = end.year * 12 + end.month - 1 - (DEFAULT_MONTHS - 1)
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


def with_defaults(data, **defaults) -> dict[str, str]:
    """The query string as a plain dict, each missing or blank key set to its default."""
    values = {key: data.get(key, "") for key in data}
    for key, value in defaults.items():
        if not values.get(key) and value is not None:
            values[key] = str(value)
    return values


def _filter_helper(*rows: list[str]) -> FormHelper:
    helper = FormHelper()
    helper.form_method = "get"
    helper.disable_csrf = True
    helper.form_class = "filters no-print"
    helper.layout = Layout(
        *(Row(*(Column(name, css_class="col-6 col-md") for name in row)) for row in rows),
        Submit("", "Apply filters", css_class="btn-sm"),
    )
    return helper


class _DateRangeMixin:
    def clean(self):
        cleaned = super().clean()
        for name in ("start", "end"):
            value = cleaned.get(name)
            if value and not FIRST_DAY <= value <= LAST_DAY:
                self.add_error(name, f"Pick a date from {FIRST_DAY.year} to {LAST_DAY.year}.")
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("end", "The end date must be on or after the start date.")
            elif (end - start).days > MAX_DAYS:
                self.add_error("start", "Pick a range of at most five years.")
            elif cleaned.get("period") == "week" and (end - start).days > MAX_WEEKLY_DAYS:
                self.add_error(
                    "period", "Weekly figures cover at most two years: pick a larger period."
                )
        return cleaned


class FastSelect(forms.Select):
    """A <select> whose options are written in Python (escaped by format_html_join).

    Django draws every <option> through a template; the dashboards' filter bar has a select of
    every team (200 in a large organisation), and drawing it that way was a fifth of each
    dashboard page's time. Same markup, one string join.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        picked = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (key, _SELECTED if key in picked else "", label)
                for key, label in ((str(v), label) for v, label in self.choices)
            ),
        )
        return format_html("<select{}>\n{}\n</select>", flatatt(final_attrs), options)


_SELECTED = mark_safe(" selected")  # noqa: S308 - a constant


class _ListedChoices(ModelChoiceIterator):
    """A model choice field's choices read by one plain query.

    Django reads them through QuerySet.iterator(), which on PostgreSQL opens a server-side
    cursor (DECLARE ... WITH HOLD, FETCH, CLOSE: three round trips, the result materialised
    at the DECLARE's commit) for a list of a few hundred teams: twelve round trips for the
    filter bar's four lists, ~1.5 ms of each dashboard page (of ~10 ms for the whole bar)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """ModelChoiceField whose choices are read by one plain query (_ListedChoices), drawn by
    FastSelect."""

    iterator = _ListedChoices
    widget = FastSelect


class DashboardFilterForm(_DateRangeMixin, forms.Form):
    """Survey, date range and period size, and one department, team or location."""

    survey = ListedModelChoiceField(queryset=Survey.objects.none(), required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, label="Period size")
    department = ListedModelChoiceField(
        queryset=Department.objects.none(), required=False, empty_label="All departments"
    )
    team = ListedModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="All teams"
    )
    location = ListedModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="All locations"
    )

    def __init__(
        self,
        data,
        *,
        organization: Organization,
        kinds: tuple[str, ...] = tuple(SurveyKind.values),
        default_survey: Survey | None = None,
        with_survey: bool = True,
        today: dt.date | None = None,
        only_team: Team | None = None,
    ):
        """`only_team`: the one team the user may see (a team lead's), see _narrow_to."""
        end = today or timezone.localdate()
        defaults = {
            "survey": default_survey.pk if default_survey else None,
            "end": end.isoformat(),
            "start": default_start(end).isoformat(),
            "period": DEFAULT_PERIOD,
        }
        super().__init__(with_defaults(data, **defaults))
        self.organization = organization
        self.fields["survey"].queryset = Survey.objects.filter(
            organization=organization, kind__in=kinds
        ).order_by("-created_at", "-id")
        self.fields["survey"].empty_label = "No survey yet" if default_survey is None else None
        self.fields["department"].queryset = Department.objects.filter(organization=organization)
        self.fields["team"].queryset = Team.objects.filter(organization=organization)
        self.fields["location"].queryset = Location.objects.filter(organization=organization)
        first_row = ["start", "end", "period"]
        if with_survey:
            first_row.insert(0, "survey")
        else:  # the overview reads one survey per headline card
            del self.fields["survey"]
        second_row = ["department", "team", "location"]
        if only_team is not None:
            second_row = self._narrow_to(only_team)
        self.helper = _filter_helper(first_row, second_row)

    def _narrow_to(self, team: Team) -> list[str]:
        """A team lead's bar offers their team only: no "All teams", and no department or
        location pickers (their team fixes both; any other could only lead to a refusal).

        The fields still accept the organisation's ids: filters_from_form refuses another
        team's with a 403 that says why, rather than the form calling a real team "not a valid
        choice". A department or location the URL names stays in the bar, its value and any
        error in sight."""
        self.fields["team"].empty_label = None
        named = [name for name in ("department", "location") if self.data.get(name)]
        owned = {"team": team, **{name: getattr(team, name) for name in named}}
        for name, own in owned.items():
            field = self.fields[name]
            choices = [(own.pk, field.label_from_instance(own))] if own else []
            if field.empty_label is not None:
                choices.insert(0, ("", field.empty_label))
            field.widget.choices = choices
        return ["team", *named]

    def clean(self):
        cleaned = super().clean()
        team, department = cleaned.get("team"), cleaned.get("department")
        if team and department and team.department_id != department.pk:
            self.add_error("team", f"{team} is not in {department}.")
        survey = cleaned.get("survey")
        if survey is not None and survey.anonymous and cleaned.get("period") == "week":
            self.add_error("period", WEEKS_NOT_ANONYMOUS_PAGE)
        elif (
            "survey" not in self.fields
            and cleaned.get("period") == "week"
            and Survey.objects.filter(organization=self.organization, anonymous=True).exists()
        ):  # the overview: its cards read the organisation's latest surveys
            self.add_error("period", WEEKS_NOT_ON_OVERVIEW)
        return cleaned


class LinkFilterForm(_DateRangeMixin, forms.Form):
    """The EX→CX link: which EX and CX surveys, which metric on each side, period and lag.

    The same form validates the page and the linkage API, so both accept the same values.
    """

    ex_survey = ListedModelChoiceField(queryset=Survey.objects.none(), label="Employee survey")
    cx_survey = ListedModelChoiceField(queryset=Survey.objects.none(), label="Customer survey")
    ex_metric = forms.ChoiceField(choices=EX_METRIC_CHOICES, label="Employee metric")
    cx_metric = forms.ChoiceField(choices=CX_METRIC_CHOICES, label="Customer metric")
    period = forms.ChoiceField(choices=LINK_PERIOD_CHOICES, label="Period size")
    lag = forms.TypedChoiceField(choices=LAG_CHOICES, coerce=int, label="Compare with")
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data, *, organization: Organization, defaults: dict | None = None):
        values = {"ex_metric": "enps", "cx_metric": "csat", "period": "all", "lag": "0"}
        values.update(defaults or {})
        super().__init__(with_defaults(data, **values))
        surveys = Survey.objects.filter(organization=organization).order_by("-created_at", "-id")
        self.fields["ex_survey"].queryset = surveys.filter(kind=SurveyKind.EX)
        self.fields["cx_survey"].queryset = surveys.filter(kind=SurveyKind.CX)
        self.helper = _filter_helper(
            ["ex_survey", "ex_metric", "cx_survey", "cx_metric"], ["period", "lag", "start", "end"]
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lag") and cleaned.get("period") == "all":
            self.add_error("lag", "A lag needs periods: pick month or quarter.")
        for side in ("ex", "cx"):
            survey, metric = cleaned.get(f"{side}_survey"), cleaned.get(f"{side}_metric")
            if (
                survey
                and metric
                and not survey.questions.filter(type=METRIC_TYPES[metric]).exists()
            ):
                label = dict(EX_METRIC_CHOICES + CX_METRIC_CHOICES)[metric]
                self.add_error(f"{side}_metric", f"“{survey}” has no {label} question.")
        return cleaned


class CommentFilterForm(forms.Form):
    """Narrows the comment list: sentiment, driver, text search, page."""

    sentiment = forms.ChoiceField(
        choices=[("", "Any sentiment"), *SentimentLabel.choices], required=False
    )
    driver = forms.ChoiceField(choices=[("", "Any driver"), *Driver.choices], required=False)
    q = forms.CharField(max_length=100, required=False, label="Search comments", strip=True)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, keep: dict[str, str] | None = None):
        super().__init__(data)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.form_class = "filters no-print"
        # The dashboard filters ride along as hidden fields, so filtering comments keeps them.
        self.helper.layout = Layout(
            *(Hidden(name, value) for name, value in (keep or {}).items()),
            Row(
                Column("sentiment", css_class="col-6 col-md"),
                Column("driver", css_class="col-6 col-md"),
                Column("q", css_class="col-12 col-md-5"),
            ),
            Submit("", "Filter comments", css_class="btn-sm"),
        )


class FollowUpPageForm(forms.Form):
    """Which page of the CX page's detractor follow-ups (newest first): its Older and Newer
    links keep the other filters."""

    follow_ups_page = forms.IntegerField(min_value=1, required=False, label="Follow-up page")
