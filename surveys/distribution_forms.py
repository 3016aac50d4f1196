"""Forms of the distribution pages: who to send to, the pulse schedule, a customer link."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone

from surveys.distribution import LATEST_PULSE_START, pulse_reminder_error, pulse_start_error
from surveys.forms import IdsChoiceField
from surveys.models import (
    Department,
    Frequency,
    Location,
    Organization,
    Person,
    PulseSchedule,
    Team,
)


def _teams(organization: Organization) -> forms.ModelMultipleChoiceField:
    return IdsChoiceField(
        queryset=Team.objects.filter(organization=organization).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class SendForm(forms.Form):
    """Who to send to. Nothing is sent until the review page posts it back with `confirm`."""

    whole_org = forms.BooleanField(required=False, label="The whole organisation")
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["teams"] = _teams(organization)
        self.fields["teams"].label = "Or these teams"
        self.fields["departments"] = IdsChoiceField(
            queryset=Department.objects.filter(organization=organization),
            widget=forms.CheckboxSelectMultiple,
            required=False,
            label="Every team of these departments",
        )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("whole_org", "teams", "departments")):
            raise forms.ValidationError("Pick the whole organisation or at least one team.")
        return cleaned

    def chosen_teams(self) -> list[Team] | None:
        """None means everyone; otherwise the teams ticked and those of the departments ticked."""
        if self.cleaned_data["whole_org"]:
            return None
        chosen = Q(pk__in=self.cleaned_data["teams"] or [])
        chosen |= Q(department__in=self.cleaned_data["departments"] or [])
        return list(Team.objects.filter(chosen, organization=self.organization).order_by("pk"))


class PulseScheduleForm(forms.Form):
    frequency = forms.ChoiceField(choices=Frequency.choices)
    starts_on = forms.DateField(
        label="First round on", widget=forms.DateInput(attrs={"type": "date"})
    )
    remind_after_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=30,
        label="Remind those who have not answered after (days)",
        help_text="Before the next round opens (at most 6 days for a weekly pulse). "
        "Leave empty for no scheduled reminder.",
    )
    active = forms.BooleanField(required=False, initial=True, label="Running")

    def __init__(self, *args, organization: Organization, schedule: PulseSchedule | None, **kw):
        if schedule is not None:
            kw.setdefault(
                "initial",
                {
                    "frequency": schedule.frequency,
                    "starts_on": schedule.starts_on,
                    "remind_after_days": schedule.remind_after_days,
                    "active": schedule.active,
                    # As strings, like posted data: the team picker compares them so.
                    "teams": [str(pk) for pk in schedule.teams.values_list("pk", flat=True)],
                },
            )
        super().__init__(*args, **kw)
        self.schedule = schedule
        latest = timezone.localdate() + LATEST_PULSE_START
        self.fields["starts_on"].widget.attrs["max"] = latest.isoformat()
        self.fields["teams"] = _teams(organization)
        self.fields["teams"].label = "Teams"
        self.fields["teams"].help_text = "None ticked means the whole organisation."

    def clean(self):
        data = super().clean()
        if "frequency" in data and "remind_after_days" in data:
            reminder = data["remind_after_days"]
            error = pulse_reminder_error(frequency=data["frequency"], remind_after_days=reminder)
            if error:
                self.add_error("remind_after_days", error)
        return data

    def clean_starts_on(self):
        """A new start date cannot be past; a saved one may be (it sets the pulse's rhythm).
        None may be more than a year ahead."""
        starts_on = self.cleaned_data["starts_on"]
        today = timezone.localdate()
        kept = self.schedule is not None and starts_on == self.schedule.starts_on
        if starts_on < today and not kept:
            raise forms.ValidationError(
                "The first round cannot be in the past: pick today or a later date."
            )
        if error := pulse_start_error(starts_on=starts_on, today=today):
            raise forms.ValidationError(error)
        return starts_on


class CustomerLinkForm(forms.Form):
    label = forms.CharField(
        max_length=200, required=False, help_text="Where the link or QR code is used."
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        required=False,
        help_text="Leave empty to use the team's location. A team at a location takes only that one.",
    )
    agent = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="Agent (person who served)"
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = organization.teams.order_by("name")
        self.fields["location"].queryset = organization.locations.order_by("name")
        # Who can serve customers: active people in a team (not, say, HR with no team).
        self.fields["agent"].queryset = (
            organization.people.filter(is_active=True, team__isnull=False)
            .select_related("team")
            .order_by("name", "pk")
        )
        self.fields["agent"].label_from_instance = lambda person: f"{person.name} ({person.team})"
