from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"

    def ready(self) -> None:
        from dashboards import (
            lookups,  # noqa: F401 - registers __anyof
            signals,  # noqa: F401 - connects the outcome and alert receivers
        )
