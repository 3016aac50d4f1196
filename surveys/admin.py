from django.contrib import admin

from surveys import models


@admin.register(models.Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "anonymity_threshold", "retention_months", "created_at"]
    list_filter = ["anonymity_threshold", "retention_months"]
    search_fields = ["name"]


@admin.register(models.Department, models.Location)
class NamedAdmin(admin.ModelAdmin):
    list_display = ["name", "organization"]
    list_filter = ["organization"]
    search_fields = ["name"]


@admin.register(models.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "location", "organization"]
    list_filter = ["organization", "department", "location"]
    search_fields = ["name"]


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "team", "is_lead", "is_active", "organization"]
    list_filter = ["organization", "is_lead", "is_active", "team__department"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user", "team"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "team"]
    list_filter = ["organization", "role"]
    search_fields = ["user__username", "user__email"]


class QuestionInline(admin.TabularInline):
    model = models.Question
    fk_name = "survey"
    extra = 0
    fields = ["order", "type", "text", "required", "driver", "is_outcome"]


@admin.register(models.Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "status", "anonymous", "organization", "created_at"]
    list_filter = ["organization", "kind", "status", "anonymous"]
    search_fields = ["title"]
    inlines = [QuestionInline]


@admin.register(models.Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "survey", "type", "order", "driver", "is_outcome", "required"]
    list_filter = ["type", "driver", "is_outcome", "survey__kind"]
    search_fields = ["text"]


@admin.register(models.PulseSchedule)
class PulseScheduleAdmin(admin.ModelAdmin):
    list_display = ["survey", "frequency", "starts_on", "next_run_at", "active"]
    list_filter = ["frequency", "active"]


@admin.register(models.Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["survey", "number", "opens_at", "closes_at", "closed"]
    list_filter = ["closed"]


@admin.register(models.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["survey", "team", "cycle", "sent_at", "reminder_count", "used_at"]
    list_filter = ["survey", "team"]
    # The person is deliberately not listed next to used_at for anonymous surveys.
    exclude = ["token_hash"]


@admin.register(models.InvitationToken)
class InvitationTokenAdmin(admin.ModelAdmin):
    """The links of an invitation's earlier emails: when each was replaced, never the hash."""

    list_display = ["invitation", "replaced_at"]
    date_hierarchy = "replaced_at"
    exclude = ["token_hash"]
    raw_id_fields = ["invitation"]

    def has_add_permission(self, request) -> bool:
        return False  # only a reminder replaces a token


@admin.register(models.CustomerLink)
class CustomerLinkAdmin(admin.ModelAdmin):
    list_display = ["survey", "team", "location", "agent", "label", "active", "created_at"]
    list_filter = ["active", "survey"]


@admin.register(models.AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: an audit log nobody can edit from the admin."""

    list_display = ["created_at", "organization", "actor", "action", "object_type", "object_id"]
    list_filter = ["organization", "action"]
    search_fields = ["actor", "action", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
