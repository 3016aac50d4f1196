from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0010_invitationtoken"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="invitation",
            name="previous_token_hash",
        ),
    ]
