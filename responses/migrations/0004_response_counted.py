"""Response.counted: whether the response's counts are in the rollups (dashboards.scoring adds a
response's counts once and sets it in the same transaction). Every existing row is counted:
until now a response's counts went into the rollups whenever its bucket was recomputed, and
every bucket with responses has been. So the column is added with a database default of true
(no table rewrite), which then becomes false for new rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0003_answer_sentiment_pending"),
        ("surveys", "0005_survey_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="counted",
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AlterField(
            model_name="response",
            name="counted",
            field=models.BooleanField(db_default=False, default=False),
        ),
        # A rebuild marks a survey's uncounted responses counted.
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=models.Q(("counted", False)),
                fields=["survey"],
                name="response_uncounted_idx",
            ),
        ),
        # A redelivered scoring task finds the responses marked in the same batch as its own.
        migrations.AddIndex(
            model_name="response",
            index=models.Index(fields=["survey", "scored_at"], name="response_survey_scored_idx"),
        ),
    ]
