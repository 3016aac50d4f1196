"""Rollups (mergeable counts per survey, question, team, location and day), alerts and deliveries.

Every figure on a dashboard is a SUM over rollup rows, so any period and any grouping is one SQL
aggregate, and a rollup row can always be recomputed from the source answers.
"""

from __future__ import annotations

from django.db import models

from surveys.models import Location, Question, Survey, Team

HISTOGRAM_FIELDS = [f"c{i}" for i in range(11)]


class QuestionRollup(models.Model):
    """Answers to one scored question from one team and location on one day.

    c0..c10 is the histogram of values (0-10 covers NPS, Likert, CSAT and CES), `total` the sum
    and `total_sq` the sum of squares, so means and variances merge by addition. For free-text
    questions `n` counts comments and pos/neu/neg their sentiment labels.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="rollups")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
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

    class Meta:
        indexes = [
            # Dashboards filter a survey by date range, then group by team/location/period.
            models.Index(fields=["survey", "day"], name="qrollup_survey_day"),
            models.Index(fields=["question", "team", "day"], name="qrollup_q_team_day"),
        ]

    def __str__(self) -> str:
        return f"q{self.question_id} t{self.team_id} {self.day}: n={self.n}"


class ResponseRollup(models.Model):
    """Number of responses (respondents) for one survey, team, location and day.

    This is the `respondents` figure every anonymity check compares to the threshold.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    responses = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["survey", "day"], name="rrollup_survey_day")]

    def __str__(self) -> str:
        return f"s{self.survey_id} t{self.team_id} {self.day}: {self.responses}"
