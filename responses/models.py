"""Collected responses and their answers.

An anonymous response keeps its team, location, cycle and day but nothing that leads back to a
person: no person, no invitation, no token, no IP, no user.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Left

from surveys.models import Cycle, Location, Person, Question, Survey, Team


class Channel(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    LINK = "link", "Customer link"
    API = "api", "API"
    IMPORT = "import", "Import"


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    cycle = models.ForeignKey(
        Cycle, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    # Who answered: only on a named EX survey. Which agent served: on any CX survey (the
    # dashboards show figures per agent for surveys that are not anonymous only).
    respondent = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    agent = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="served_responses"
    )
    channel = models.CharField(max_length=12, choices=Channel.choices)
    language = models.CharField(max_length=8, blank=True)
    submitted_at = models.DateTimeField(db_index=True)
    # Random value rendered into the form (or sent by an API client): a double click or a retried
    # request with the same key stores one response. Carries no information about the person.
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Set by the scoring worker; the reconcile task scores every response where this is NULL.
    scored_at = models.DateTimeField(null=True, blank=True)
    # In the rollups: set in the same transaction as the response's counts are added to them
    # (dashboards.scoring), or by a recompute or rebuild that counted it. A DB default, so rows
    # written by raw SQL (the one-statement insert, COPY) start uncounted.
    counted = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "submitted_at"]),
            models.Index(fields=["survey", "team", "submitted_at"]),
            models.Index(
                fields=["submitted_at"],
                name="response_unscored_idx",
                condition=models.Q(scored_at__isnull=True),
            ),
            # A rebuild marks the survey's uncounted responses counted.
            models.Index(
                fields=["survey"],
                name="response_uncounted_idx",
                condition=models.Q(counted=False),
            ),
            # A redelivered scoring task finds the responses marked in the same batch as its own.
            models.Index(fields=["survey", "scored_at"], name="response_survey_scored_idx"),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} · {self.survey_id}"


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value_int = models.SmallIntegerField(null=True, blank=True)
    value_text = models.TextField(blank=True)
    value_choices = models.JSONField(null=True, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, choices=SentimentLabel.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="uniq_answer_per_question"
            )
        ]
        indexes = [
            models.Index(fields=["question", "value_int"]),
            # An anonymous survey's comment list reads each question's comments in text order:
            # an index on the text's first 64 characters (a whole comment can be too long for an
            # index entry) makes a page a few index steps instead of a sort of every comment.
            models.Index(
                F("question"),
                Left("value_text", 64),
                F("id"),
                name="answer_comment_order",
                condition=~Q(value_text=""),
            ),
            # Comments still waiting for a sentiment score (a handful): the scoring task and
            # every rebuild look for them; without it each look scanned a million answers.
            models.Index(
                fields=["id"],
                name="answer_sentiment_pending",
                condition=Q(sentiment_score__isnull=True) & ~Q(value_text=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk} · q{self.question_id}"

    @property
    def display_value(self) -> str:
        if self.value_int is not None:
            return str(self.value_int)
        if self.value_choices:
            return ", ".join(self.value_choices)
        return self.value_text
