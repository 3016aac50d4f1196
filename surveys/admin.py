from django.contrib import admin

from surveys import models
from surveys.privacy import retention_set
from surveys.services import anonymity_threshold_set, member_remove, member_save


@admin.register(models.Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "anonymity_threshold", "retention_months", "created_at"]
    list_filter = ["anonymity_threshold", "retention_months"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        # The settings the organisation's audit log follows go through their services, which
        # record a change (the admin's view runs in one transaction).
        if change:
            stored = models.Organization.objects.get(pk=obj.pk)
            user = request.user
            anonymity_threshold_set(
                organization=stored, threshold=obj.anonymity_threshold, user=user, request=request
            )
            retention_set(
                organization=stored, months=obj.retention_months, user=user, request=request
            )
        super().save_model(request, obj, form, change)


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

    # Roles given, changed and taken away here are recorded in the organisation's audit log.
    def save_model(self, request, obj, form, change):
        member_save(membership=obj, user=request.user, request=request)

    def delete_model(self, request, obj):
        member_remove(membership=obj, user=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("organization"):
            member_remove(membership=membership, user=request.user, request=request)


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
