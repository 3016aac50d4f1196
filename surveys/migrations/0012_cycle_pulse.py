"""Cycle.pulse: a pulse's run closes only its own rounds, never one sent by hand.

Which open rounds a pulse opened: those with a planned close (a pulse round is created with
closes_at, its next run; a round sent by hand has none until it closes) of a survey that has a
pulse. Closed rounds stay unmarked: where they came from is not recorded, and no run acts on them.
"""

from django.db import migrations, models


def pulse_rounds_mark(apps, schema_editor):
    Cycle = apps.get_model("surveys", "Cycle")
    Cycle.objects.filter(
        closed=False, closes_at__isnull=False, survey__schedule__isnull=False
    ).update(pulse=True)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0011_remove_invitation_previous_token_hash"),
    ]

    operations = [
        migrations.AddField(
            model_name="cycle",
            name="pulse",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(pulse_rounds_mark, migrations.RunPython.noop),
    ]
