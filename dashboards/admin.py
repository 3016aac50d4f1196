from django.contrib import admin

from dashboards import models


@admin.register(models.QuestionRollup)
class QuestionRollupAdmin(admin.ModelAdmin):
    list_display = ["survey", "question", "team", "location", "day", "n", "total"]
    list_filter = ["survey"]
    date_hierarchy = "day"


@admin.register(models.ResponseRollup)
class ResponseRollupAdmin(admin.ModelAdmin):
    list_display = ["survey", "team", "location", "day", "responses"]
    list_filter = ["survey"]
    date_hierarchy = "day"
