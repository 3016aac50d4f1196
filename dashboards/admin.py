from django.contrib import admin

from dashboards import models


@admin.register(models.QuestionRollup)
class QuestionRollupAdmin(admin.ModelAdmin):
    list_display = ["survey", "question", "team", "location", "day", "n", "total"]
    list_filter = ["survey"]
    date_hierarchy = "day"


@admin.register(models.ResponseRollup)
class ResponseRollupAdmin(admin.ModelAdmin):
    list_display = ["survey", "team", "location", "day", "cycle", "responses"]
    list_filter = ["survey"]
    date_hierarchy = "day"


@admin.register(models.QuestionRollupMonth)
class QuestionRollupMonthAdmin(admin.ModelAdmin):
    list_display = ["survey", "question", "team", "location", "month", "n", "total"]
    list_filter = ["survey"]
    date_hierarchy = "month"


@admin.register(models.ResponseRollupMonth)
class ResponseRollupMonthAdmin(admin.ModelAdmin):
    list_display = ["survey", "team", "location", "month", "cycle", "responses"]
    list_filter = ["survey"]
    date_hierarchy = "month"


@admin.register(models.PairOutcome)
class PairOutcomeAdmin(admin.ModelAdmin):
    list_display = ["survey", "question"]
    list_filter = ["survey__kind"]
    raw_id_fields = ["survey", "question"]


@admin.register(models.AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "kind", "metric", "condition", "scope", "active"]
    list_filter = ["kind", "metric", "active"]
    search_fields = ["name"]
    raw_id_fields = ["organization", "survey", "department", "team", "location", "created_by"]
    filter_horizontal = ["owners"]


class AlertNoteInline(admin.TabularInline):
    model = models.AlertNote
    extra = 0
    raw_id_fields = ["author"]


@admin.register(models.Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "organization",
        "metric",
        "scope_label",
        "period_label",
        "status",
        "created_at",
    ]
    list_filter = ["status", "metric"]
    date_hierarchy = "created_at"
    raw_id_fields = ["rule", "organization", "survey", "team", "response", "assignee"]
    inlines = [AlertNoteInline]


@admin.register(models.AlertNote)
class AlertNoteAdmin(admin.ModelAdmin):
    list_display = ["id", "alert", "author", "created_at"]
    list_filter = ["alert__organization", "alert__status"]
    date_hierarchy = "created_at"
    search_fields = ["body"]
    raw_id_fields = ["alert", "author"]


@admin.register(models.WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "organization", "kind", "on_alert", "on_response", "active"]
    list_filter = ["kind", "active"]
    raw_id_fields = ["organization", "created_by"]


class DeliveryAttemptInline(admin.TabularInline):
    model = models.DeliveryAttempt
    extra = 0
    readonly_fields = ["at", "ok", "status_code", "error", "duration_ms"]
    can_delete = False


@admin.register(models.OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "event", "target", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "kind", "event"]
    date_hierarchy = "created_at"
    raw_id_fields = ["organization", "endpoint", "alert"]
    inlines = [DeliveryAttemptInline]


@admin.register(models.DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["id", "message", "at", "ok", "status_code", "duration_ms"]
    list_filter = ["ok", "message__kind", "message__event"]
    date_hierarchy = "at"
    raw_id_fields = ["message"]
