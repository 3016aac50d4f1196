"""Sessions signed in before `config.sessions.UserBackend` stay signed in.

Django keeps the path of the backend that signed a session in (`_auth_user_backend`) and signs
the session out when that path is not in AUTHENTICATION_BACKENDS. Sessions that name Django's
`ModelBackend` are rewritten to name its subclass, which reads the same users the same way. Only
unexpired sessions are read; undecodable ones are left as they are (Django ignores them too).
"""

from django.db import migrations
from django.utils import timezone

OLD = "django.contrib.auth.backends.ModelBackend"
NEW = "config.sessions.UserBackend"
BATCH = 500


def _rename(old: str, new: str):
    def rename(apps, schema_editor):
        from django.contrib.sessions.backends.db import SessionStore

        Session = apps.get_model("sessions", "Session")
        store = SessionStore()
        changed = []
        sessions = Session.objects.filter(expire_date__gt=timezone.now()).only("session_data")
        for session in sessions.iterator(chunk_size=BATCH):
            data = store.decode(session.session_data)
            if data.get("_auth_user_backend") != old:
                continue
            data["_auth_user_backend"] = new
            session.session_data = store.encode(data)
            changed.append(session)
            if len(changed) >= BATCH:
                Session.objects.bulk_update(changed, ["session_data"])
                changed = []
        Session.objects.bulk_update(changed, ["session_data"])

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0008_invitation_previous_token_hash"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(_rename(OLD, NEW), _rename(NEW, OLD), elidable=True)]
