from django.contrib import admin

from responses import models


class AnswerInline(admin.TabularInline):
    model = models.Answer
    extra = 0
    readonly_fields = [
        "question",
        "value_int",
        "value_text",
        "value_choices",
        "sentiment_score",
        "sentiment_label",
    ]
    can_delete = False


@admin.register(models.Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "survey", "team", "location", "channel", "submitted_at", "scored_at"]
    list_filter = ["channel", "survey__kind", "survey"]
    date_hierarchy = "submitted_at"
    inlines = [AnswerInline]
    raw_id_fields = ["respondent", "agent", "cycle"]


@admin.register(models.Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["id", "response", "question", "value_int", "sentiment_label"]
    list_filter = ["sentiment_label", "question__type"]
    raw_id_fields = ["response", "question"]
