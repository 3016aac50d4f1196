"""Every token an invitation's emails carried keeps working, not only the one before the latest.

Invitation.previous_token_hash kept one replaced token, so two reminders on, the first email's
link stopped. The replaced tokens now have a table of their own (InvitationToken); this moves the
one each invitation kept into it, and 0011 drops the column.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000


def previous_tokens_copy(apps, schema_editor):
    Invitation = apps.get_model("surveys", "Invitation")
    InvitationToken = apps.get_model("surveys", "InvitationToken")
    rows = (
        Invitation.objects.exclude(previous_token_hash="")
        .values_list("pk", "previous_token_hash")
        .order_by("pk")
    )
    batch = []
    for invitation_id, hashed in rows.iterator(chunk_size=BATCH):
        batch.append(InvitationToken(invitation_id=invitation_id, token_hash=hashed))
        if len(batch) == BATCH:
            InvitationToken.objects.bulk_create(batch)
            batch = []
    InvitationToken.objects.bulk_create(batch)


def previous_tokens_restore(apps, schema_editor):
    """Back to one kept token: the most recently replaced one."""
    Invitation = apps.get_model("surveys", "Invitation")
    InvitationToken = apps.get_model("surveys", "InvitationToken")
    latest = {}
    for invitation_id, hashed in (
        InvitationToken.objects.order_by("replaced_at", "pk")
        .values_list("invitation_id", "token_hash")
        .iterator(chunk_size=BATCH)
    ):
        latest[invitation_id] = hashed
    for invitation_id, hashed in latest.items():
        Invitation.objects.filter(pk=invitation_id).update(previous_token_hash=hashed)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0009_sessions_user_backend"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvitationToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("replaced_at", models.DateTimeField(auto_now_add=True)),
                (
                    "invitation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="earlier_tokens",
                        to="surveys.invitation",
                    ),
                ),
            ],
        ),
        migrations.RunPython(previous_tokens_copy, previous_tokens_restore),
    ]
