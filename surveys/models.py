"""Organisation structure, survey authoring and distribution."""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

RESULTS_VERSIONS = ("results_version", "ex_results_version", "cx_results_version")


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    anonymity_threshold = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(3)],
        help_text="Smallest group whose results are shown. Never below 3.",
    )
    retention_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Purge free text and responses older than this. Off if empty.",
    )
    # Responses before this moment were purged (surveys.privacy): their rollups are the only
    # record left, so scoring must never recompute a day before it. Only ever moves forward.
    purged_before = models.DateTimeField(null=True, blank=True, editable=False)
    # Versions of what the organisation's dashboards show (surveys.signals.results_changed):
    # results_version moves on with every write to its structure, surveys, rounds and alerts;
    # ex_ and cx_results_version with every scored batch of its employee or customer surveys.
    # Dashboards are kept per version (dashboards.results_cache): an EX page follows
    # results_version and ex_results_version, so customers' answers do not make it computed
    # again. Only ever moved on by that UPDATE: save() leaves them alone, so an instance read
    # earlier never writes back an older one.
    results_version = models.PositiveBigIntegerField(default=0, editable=False)
    ex_results_version = models.PositiveBigIntegerField(default=0, editable=False)
    cx_results_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymity_threshold__gte=3), name="org_threshold_at_least_3"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in RESULTS_VERSIONS
            ]
        super().save(*args, **kwargs)


class Department(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_department_name")
        ]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_location_name")
        ]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="teams"
    )
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="teams"
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """Someone who works for the organisation; may or may not have a login."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="people")
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="people"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()
    is_lead = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="uniq_person_email")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Role(models.TextChoices):
    HR_ADMIN = "hr_admin", "HR admin"
    CX_MANAGER = "cx_manager", "CX manager"
    TEAM_LEAD = "team_lead", "Team lead"
    STAFF = "staff", "Staff"


class Membership(models.Model):
    """A user's one role in one organisation (team leads also name their team)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="uniq_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


class SurveyKind(models.TextChoices):
    EX = "ex", "Employee experience"
    CX = "cx", "Customer experience"


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    LIVE = "live", "Live"
    CLOSED = "closed", "Closed"


class Survey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(max_length=2, choices=SurveyKind.choices)
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True)
    thank_you = models.TextField(blank=True, default="Thank you for your feedback.")
    anonymous = models.BooleanField(default=True)
    language = models.CharField(max_length=8, default="en", help_text="Default language")
    # {"fr": {"title": "...", "intro": "...", "thank_you": "..."}}
    translations = models.JSONField(default=dict, blank=True)
    # Texts of languages taken off the survey, in the same shape: not offered, but adding the
    # language back restores them (as its questions keep theirs).
    translations_removed = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(
        max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    template_key = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever a question or a round of the survey is written (surveys.signals): the
    # submission path caches the survey's questions and rounds per process under it.
    revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "kind", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def languages(self) -> list[str]:
        return [self.language, *sorted(k for k in self.translations if k != self.language)]


class QuestionType(models.TextChoices):
    NPS = "nps", "0–10 likelihood (NPS / eNPS)"
    LIKERT = "likert", "1–5 agreement"
    CSAT = "csat", "1–5 satisfaction (CSAT)"
    CES = "ces", "1–7 effort (CES)"
    SINGLE = "single", "Single choice"
    MULTI = "multi", "Multiple choice"
    TEXT = "text", "Free text"


SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "likert": (1, 5),
    "csat": (1, 5),
    "ces": (1, 7),
}
SCALE_LABELS: dict[str, tuple[str, str]] = {
    "nps": ("Not at all likely", "Extremely likely"),
    "likert": ("Strongly disagree", "Strongly agree"),
    "csat": ("Very dissatisfied", "Very satisfied"),
    "ces": ("Very difficult", "Very easy"),
}
TEXT_MAX_LENGTH = 5000


class Driver(models.TextChoices):
    ENGAGEMENT = "engagement", "Engagement"
    RECOGNITION = "recognition", "Recognition"
    GROWTH = "growth", "Growth"
    MANAGER_SUPPORT = "manager_support", "Manager support"
    TOOLS = "tools", "Tools & resources"
    WORKLOAD = "workload", "Workload"
    WELLBEING = "wellbeing", "Wellbeing"
    PURPOSE = "purpose", "Purpose"
    TEAMWORK = "teamwork", "Teamwork"
    COMMUNICATION = "communication", "Communication"
    CUSTOMER_FOCUS = "customer_focus", "Customer focus"
    SERVICE = "service", "Service quality"


class ConditionOp(models.TextChoices):
    LTE = "lte", "is at most"
    GTE = "gte", "is at least"
    EQ = "eq", "equals"
    IN = "in", "is one of"


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=10, choices=QuestionType.choices)
    text = models.CharField(max_length=500)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True)
    driver = models.CharField(max_length=30, choices=Driver.choices, blank=True)
    is_outcome = models.BooleanField(
        default=False, help_text="The outcome (eNPS or engagement) that the drivers explain"
    )
    # Display logic: show only when an earlier answer meets the condition.
    condition_question = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="dependents"
    )
    condition_op = models.CharField(max_length=4, choices=ConditionOp.choices, blank=True)
    condition_value = models.JSONField(null=True, blank=True)
    # {"fr": {"text": "...", "help_text": "...", "choices": [...]}}
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["survey", "order"])]

    def __str__(self) -> str:
        return self.text

    @property
    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(self.type)

    @property
    def is_scored(self) -> bool:
        return self.type in SCALES


# --- Distribution ---------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """Invitation tokens are stored hashed: a database leak exposes no working link."""
    return hashlib.sha256(token.encode()).hexdigest()


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every quarter"


class PulseSchedule(models.Model):
    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="schedule")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    teams = models.ManyToManyField(Team, blank=True, help_text="Empty means the whole organisation")
    starts_on = models.DateField()
    next_run_at = models.DateTimeField(null=True, blank=True)
    remind_after_days = models.PositiveSmallIntegerField(null=True, blank=True, default=3)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.survey} · {self.get_frequency_display()}"


class Cycle(models.Model):
    """One round of a survey: a pulse's occurrence, or the single round of a one-off send."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="cycles")
    number = models.PositiveIntegerField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField(null=True, blank=True)
    closed = models.BooleanField(default=False)
    # A round of the survey's pulse: its next run closes it. A round sent by hand is never
    # closed by a run; the run invites its teams to it and it becomes the pulse's round.
    pulse = models.BooleanField(default=False)

    class Meta:
        ordering = ["survey", "number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="uniq_cycle_number"),
            # Two pulse ticks racing cannot leave two rounds of one survey open at once.
            models.UniqueConstraint(
                fields=["survey"], condition=Q(closed=False), name="one_open_cycle_per_survey"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} #{self.number}"


class Invitation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invitations")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, related_name="invitations")
    # The latest email's token (the one a queued email must still carry to be sent); the ones
    # before it are in InvitationToken.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "cycle", "person"], name="uniq_invitation_per_cycle"
            )
        ]
        indexes = [models.Index(fields=["survey", "team", "used_at"])]

    def __str__(self) -> str:
        return f"Invitation {self.pk} · {self.survey}"


class InvitationToken(models.Model):
    """A token an earlier email of the invitation carried, replaced by a reminder's. Every link
    a person was sent keeps working until the invitation is used or its round closes; like the
    latest, it is kept only as its SHA-256."""

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="earlier_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    replaced_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Earlier token of invitation {self.invitation_id}"


class CustomerLink(models.Model):
    """A public CX link for a team, a location or an agent. The URL carries a signed id."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="links"
    )
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True)
    agent = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="links"
    )
    label = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.label or f"{self.survey} · {self.team}"

    @property
    def scope_text(self) -> str:
        """ "Team: Front desk · Agent: Alex Bauer": what the link's answers are counted for."""
        parts = [
            f"{name}: {value}"
            for name, value in (
                ("Team", self.team),
                ("Location", self.location),
                ("Agent", self.agent.name if self.agent else None),
            )
            if value
        ]
        return " · ".join(parts)


# --- Audit ----------------------------------------------------------------------------------


class AuditLog(models.Model):
    """Who did what and when: API writes, views of raw responses and comments, exports, erasures.

    Written only through `config.audit.audit_record`. `actor` keeps the username as it was, so an
    entry still says who acted after the account is renamed or removed.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "created_at"], name="audit_org_created")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor or '-'} {self.action}"

    @property
    def object_label(self) -> str:
        """What the entry acted on, for people: "Person #3" ("surveys.person" is stored)."""
        if not self.object_type:
            return ""
        try:
            name = str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return f"{self.object_type} #{self.object_id}"  # a model since removed
        return f"{name[:1].upper()}{name[1:]} #{self.object_id}"

    @property
    def action_label(self) -> str:
        from config.audit import action_label  # config.audit imports this module

        return action_label(self.action)

    @property
    def detail_items(self) -> list[tuple[str, str]]:
        """The detail for people: a change ({"from": 5, "to": 7}) as "5 → 7", a list as "a, b",
        True as "yes"; by key, as PostgreSQL's jsonb keeps no order of its own (SQLite's does)."""
        return [(key, _detail_text(value)) for key, value in sorted((self.detail or {}).items())]


def _detail_text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return f"{_detail_text(value['from'])} → {_detail_text(value['to'])}"
    if isinstance(value, list):
        return ", ".join(_detail_text(item) for item in value)
    if value is None or value == "":
        return "none"
    return str(value)
