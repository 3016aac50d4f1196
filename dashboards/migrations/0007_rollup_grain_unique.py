"""The rollups' grain as a unique key (NULL equal to NULL, PostgreSQL 15+): scoring adds each
response's counts with INSERT ... ON CONFLICT DO UPDATE instead of recomputing its whole bucket.
Each key replaces the (survey, team, day|month) index, whose columns lead it. Elsewhere (SQLite,
older PostgreSQL) Django skips the constraint and scoring recomputes buckets."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0006_rollup_fewer_indexes"),
        ("surveys", "0005_survey_revision"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="questionrollup",
            constraint=models.UniqueConstraint(
                fields=("survey", "team", "day", "question", "location"),
                name="qrollup_grain",
                nulls_distinct=False,
            ),
        ),
        migrations.AddConstraint(
            model_name="questionrollupmonth",
            constraint=models.UniqueConstraint(
                fields=("survey", "team", "month", "question", "location"),
                name="qrollupm_grain",
                nulls_distinct=False,
            ),
        ),
        migrations.AddConstraint(
            model_name="responserollup",
            constraint=models.UniqueConstraint(
                fields=("survey", "team", "day", "location", "cycle"),
                name="rrollup_grain",
                nulls_distinct=False,
            ),
        ),
        migrations.AddConstraint(
            model_name="responserollupmonth",
            constraint=models.UniqueConstraint(
                fields=("survey", "team", "month", "location", "cycle"),
                name="rrollupm_grain",
                nulls_distinct=False,
            ),
        ),
        migrations.RemoveIndex(
            model_name="questionrollup",
            name="qrollup_survey_team_day",
        ),
        migrations.RemoveIndex(
            model_name="questionrollupmonth",
            name="qrollupm_team_month",
        ),
        migrations.RemoveIndex(
            model_name="responserollup",
            name="rrollup_survey_team_day",
        ),
        migrations.RemoveIndex(
            model_name="responserollupmonth",
            name="rrollupm_team_month",
        ),
    ]
