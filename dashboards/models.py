"""Rollups (mergeable counts per survey, question, team, location and day), alerts and deliveries.

Every figure on a dashboard is a SUM over rollup rows, so any period and any grouping is one SQL
aggregate, and a rollup row can always be recomputed from the source answers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from dashboards.anonymity import WITHHELD_RESPONSE
from responses.models import Response
from surveys.models import (
    Cycle,
    Department,
    Location,
    Organization,
    Question,
    Survey,
    SurveyKind,
    Team,
)

HISTOGRAM_FIELDS = [f"c{i}" for i in range(11)]


# Rollup foreign keys have no database constraint (db_constraint=False): rollups are derived
# rows, rebuilt in bulk (~400,000 rows at a million answers), and the deferred constraint checks
# took as long as the INSERT itself (benchmarks/README.md). Deleting a survey, team, location or
# question still deletes its rollups: Django's ORM cascades, not the database.
ROLLUP_KEY = {"on_delete": models.CASCADE, "related_name": "+", "db_constraint": False}


class RollupScope(models.Model):
    """Whose answers a rollup row sums: one survey, one team and one location (either may be
    empty: responses without a team, or without a location)."""

    # No single-column indexes: every read starts with the survey (composite indexes below),
    # and each index costs a rebuild ~1.3 s per 270,000 rows. Deleting a team or location (rare)
    # scans the rollups instead.
    survey = models.ForeignKey(Survey, db_index=False, **ROLLUP_KEY)
    team = models.ForeignKey(Team, null=True, blank=True, db_index=False, **ROLLUP_KEY)
    location = models.ForeignKey(Location, null=True, blank=True, db_index=False, **ROLLUP_KEY)

    class Meta:
        abstract = True


class QuestionCounts(models.Model):
    """The mergeable counts of one question's answers (a day's or a month's).

    c0..c10 is the histogram of values (0-10 covers NPS, Likert, CSAT and CES), `total` the sum
    and `total_sq` the sum of squares, so means and variances merge by addition. For free-text
    questions `n` counts comments and pos/neu/neg their sentiment labels.

    pair_* are the moments of (this answer x, the same response's answer y to the survey's
    outcome question) over the responses that answered both: n, sums of x, y, x², y² and xy,
    against the outcome named by the survey's PairOutcome. Driver impact's correlation is then
    a SUM over rollups, not a join over answers (dashboards.selectors.drivers.driver_impact).
    """

    n = models.PositiveIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    total_sq = models.BigIntegerField(default=0)
    c0 = models.PositiveIntegerField(default=0)
    c1 = models.PositiveIntegerField(default=0)
    c2 = models.PositiveIntegerField(default=0)
    c3 = models.PositiveIntegerField(default=0)
    c4 = models.PositiveIntegerField(default=0)
    c5 = models.PositiveIntegerField(default=0)
    c6 = models.PositiveIntegerField(default=0)
    c7 = models.PositiveIntegerField(default=0)
    c8 = models.PositiveIntegerField(default=0)
    c9 = models.PositiveIntegerField(default=0)
    c10 = models.PositiveIntegerField(default=0)
    pos = models.PositiveIntegerField(default=0)
    neu = models.PositiveIntegerField(default=0)
    neg = models.PositiveIntegerField(default=0)
    pair_n = models.PositiveIntegerField(default=0)
    pair_x = models.BigIntegerField(default=0)
    pair_y = models.BigIntegerField(default=0)
    pair_xx = models.BigIntegerField(default=0)
    pair_yy = models.BigIntegerField(default=0)
    pair_xy = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


PAIR_FIELDS = ["pair_n", "pair_x", "pair_y", "pair_xx", "pair_yy", "pair_xy"]


class PairOutcome(models.Model):
    """The outcome question a survey's rollups hold pair moments against (QuestionCounts.pair_*).

    Written only by a survey's rebuild (dashboards.scoring.survey_rebuild, under the survey's
    exclusive lock) and read by the statements that add to the rollups, so the rollups' pairs
    always refer to one outcome. When an author picks another outcome, the pairs are stale
    until the rebuild that follows (queued on commit, and by the reconcile task): driver impact
    then correlates raw answers instead. No row: the rollups hold no pairs.
    """

    survey = models.OneToOneField(
        Survey, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    question = models.ForeignKey(
        Question, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

    def __str__(self) -> str:
        return f"s{self.survey_id}: pairs against q{self.question_id}"


class QuestionRollup(RollupScope, QuestionCounts):
    """Answers to one scored question from one team and location on one day."""

    # Not indexed: nothing reads a question's rollups across surveys (deleting one scans).
    question = models.ForeignKey(
        Question,
        on_delete=models.CASCADE,
        related_name="rollups",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField()

    class Meta:
        indexes = [
            # Dashboards filter a survey by date range, then group by team/location/period.
            models.Index(fields=["survey", "day"], name="qrollup_survey_day"),
        ]
        constraints = [
            # The grain, unique (NULL equal to NULL; PostgreSQL 15+): scoring adds a response's
            # counts with INSERT ... ON CONFLICT DO UPDATE. Its (survey, team, day) prefix serves a
            # bucket's rows (deleted on recompute) and a team's month (summed into its month row).
            models.UniqueConstraint(
                fields=["survey", "team", "day", "question", "location"],
                name="qrollup_grain",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"q{self.question_id} t{self.team_id} {self.day}: n={self.n}"


class ResponseCounts(models.Model):
    """How many responses one pulse round (a day's or a month's) brought.

    `cycle` is the round (NULL: no round). Each person answers a round at most once, so the
    largest round in a group bounds from below how many *people* answered: the anonymity
    threshold is checked against that, not against responses summed over rounds.
    """

    cycle = models.ForeignKey(
        Cycle,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responses = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class ResponseRollup(RollupScope, ResponseCounts):
    """Responses per survey, team, location, day and pulse round: what `respondents` and every
    anonymity check are computed from."""

    day = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["survey", "day"], name="rrollup_survey_day"),
        ]
        constraints = [
            # A bucket's row (deleted on recompute) and a team's month (summed into its month row).
            # The grain, unique (NULL equal to NULL; PostgreSQL 15+): scoring adds a response's
            # counts with INSERT ... ON CONFLICT DO UPDATE. Its (survey, team, day) prefix serves a
            # bucket's rows (deleted on recompute) and a team's month (summed into its month row).
            models.UniqueConstraint(
                fields=["survey", "team", "day", "location", "cycle"],
                name="rrollup_grain",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"s{self.survey_id} t{self.team_id} {self.day}: {self.responses}"


# Month rollups: the day rollups summed per calendar month (dashboards.monthly keeps them equal).
# At a million answers a team has a handful of answers a day, so day rows barely merge anything;
# a month row merges ~30 of them and a six-month dashboard reads thousands of rows, not 200,000.


class QuestionRollupMonth(RollupScope, QuestionCounts):
    """QuestionRollup rows of one calendar month, summed (`month` is its first day)."""

    question = models.ForeignKey(Question, **ROLLUP_KEY)
    month = models.DateField()

    class Meta:
        indexes = [
            # Dashboards read a survey's months in a range; a refresh replaces one team's month.
            models.Index(fields=["survey", "month"], name="qrollupm_survey_month"),
        ]
        constraints = [
            # The grain, unique (NULL equal to NULL; PostgreSQL 15+): scoring adds a response's
            # counts with INSERT ... ON CONFLICT DO UPDATE; its (survey, team, month) prefix serves
            # a team's month refreshed.
            models.UniqueConstraint(
                fields=["survey", "team", "month", "question", "location"],
                name="qrollupm_grain",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"q{self.question_id} t{self.team_id} {self.month:%Y-%m}: n={self.n}"


class ResponseRollupMonth(RollupScope, ResponseCounts):
    """ResponseRollup rows of one calendar month, summed (`month` is its first day)."""

    month = models.DateField()

    class Meta:
        indexes = [
            # Same reads as QuestionRollupMonth: a survey's months; one team's month refreshed.
            models.Index(fields=["survey", "month"], name="rrollupm_survey_month"),
        ]
        constraints = [
            # The grain, unique (NULL equal to NULL; PostgreSQL 15+): scoring adds a response's
            # counts with INSERT ... ON CONFLICT DO UPDATE; its (survey, team, month) prefix serves
            # a team's month refreshed.
            models.UniqueConstraint(
                fields=["survey", "team", "month", "location", "cycle"],
                name="rrollupm_grain",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"s{self.survey_id} t{self.team_id} {self.month:%Y-%m}: {self.responses}"


# --- Alerts and deliveries ------------------------------------------------------------------


class AlertMetric(models.TextChoices):
    ENPS = "enps", "eNPS (employees)"
    NPS = "nps", "NPS (customers)"
    CSAT = "csat", "CSAT"
    CES = "ces", "CES (mean effort)"
    ENGAGEMENT = "engagement", "Engagement index"
    PARTICIPATION = "participation", "Participation rate"
    DETRACTOR = "detractor", "Detractor response (customer follow-up)"
    NEGATIVE_COMMENT = "negative_comment", "Negative comment"


class AlertCondition(models.TextChoices):
    BELOW = "below", "falls below the threshold"
    DROP = "drop", "drops by at least X points against the previous period"


class AlertPeriod(models.TextChoices):
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class AlertScope(models.TextChoices):
    ORGANIZATION = "organization", "Whole organisation"
    DEPARTMENT = "department", "Department"
    TEAM = "team", "Team"
    LOCATION = "location", "Location"


class AlertRule(models.Model):
    """When to raise an alert, for whom. EX rules belong to HR admins, CX rules to CX managers.

    Scope department/team/location with the FK left empty means "each department/team/...".
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="alert_rules"
    )
    kind = models.CharField(max_length=2, choices=SurveyKind.choices)
    name = models.CharField(max_length=200)
    survey = models.ForeignKey(
        Survey,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        help_text="Empty means every survey of this kind.",
    )
    metric = models.CharField(max_length=20, choices=AlertMetric.choices)
    condition = models.CharField(
        max_length=10, choices=AlertCondition.choices, default=AlertCondition.BELOW
    )
    threshold = models.FloatField(null=True, blank=True)
    drop_points = models.FloatField(null=True, blank=True)
    period = models.CharField(max_length=10, choices=AlertPeriod.choices, default=AlertPeriod.MONTH)
    scope = models.CharField(
        max_length=12, choices=AlertScope.choices, default=AlertScope.ORGANIZATION
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="alert_rules"
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organization", "active"], name="alertrule_org_active")]

    def __str__(self) -> str:
        return self.name


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """One fired rule for one scope group and period (and one response, for per-response rules).

    `response_key` is the response id as text ("" for group alerts) so the unique constraint
    holds without NULLs and still holds after the response itself is purged.
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.SET_NULL, null=True, related_name="alerts")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="alerts")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="alerts")
    metric = models.CharField(max_length=20, choices=AlertMetric.choices)
    scope_key = models.CharField(max_length=40)
    scope_label = models.CharField(max_length=200)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    period_key = models.CharField(max_length=20)
    period_label = models.CharField(max_length=40)
    response_key = models.CharField(max_length=20, blank=True, default="")
    response = models.ForeignKey(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    value = models.FloatField(null=True, blank=True)
    previous_value = models.FloatField(null=True, blank=True)
    message = models.TextField()
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "scope_key", "period_key", "response_key"],
                name="uniq_alert_rule_scope_period",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status", "created_at"], name="alert_org_status")
        ]

    def __str__(self) -> str:
        return f"Alert {self.pk} · {self.scope_label} · {self.period_label}"

    @property
    def withholds_response(self) -> bool:
        """About one response of an anonymous survey: no longer raised, but one stored before
        shows neither the response nor its value or message (pages, API)."""
        return bool(self.response_key) and self.survey.anonymous

    @property
    def shown_message(self) -> str:
        """The message as pages and the API show it: never one quoting an anonymous response."""
        return WITHHELD_RESPONSE if self.withholds_response else self.message


class AlertNote(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note {self.pk} on alert {self.alert_id}"


class WebhookEndpoint(models.Model):
    """A receiver for alert (and, opt-in, new-response) events of one kind of survey."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhooks"
    )
    kind = models.CharField(max_length=2, choices=SurveyKind.choices)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    on_alert = models.BooleanField(default=True)
    on_response = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.url


class OutboxKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """An email or webhook to deliver, written in the same transaction as what caused it.

    A message is claimed by compare-and-set (pending -> sending, with a lease in
    `next_attempt_at`), so two workers never send it twice; a worker that dies mid-send leaves
    the lease to expire and the flush task takes the message up again.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey_kind = models.CharField(max_length=2, choices=SurveyKind.choices)
    kind = models.CharField(max_length=10, choices=OutboxKind.choices)
    event = models.CharField(max_length=40)
    target = models.CharField(max_length=500)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    response_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Scoring may run twice for one response: still one new-response webhook per endpoint.
            models.UniqueConstraint(
                fields=["endpoint", "response_id"],
                condition=models.Q(response_id__isnull=False),
                name="uniq_outbox_response_endpoint",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["organization", "created_at"], name="outbox_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} to {self.target}"


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Attempt {self.pk} · message {self.message_id} · {'ok' if self.ok else 'failed'}"
