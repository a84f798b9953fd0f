from django.contrib import admin

from workorders.models import (
    Customer,
    Event,
    RequiredSkill,
    Site,
    SLAPause,
    SLAPolicy,
    WorkOrder,
    WorkOrderPhoto,
)


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email", "sms_consent"]
    search_fields = ["name", "phone", "email"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["customer", "label", "address", "latitude", "longitude"]
    search_fields = ["address", "customer__name"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["tier", "response_minutes", "resolution_minutes", "calendar"]


class RequiredSkillInline(admin.TabularInline):
    model = RequiredSkill
    extra = 0


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "summary", "customer", "status", "priority", "resolution_due_at"]
    list_filter = ["status", "priority", "job_type", "sla_policy"]
    search_fields = ["number", "summary", "customer__name"]
    inlines = [RequiredSkillInline]
    # Status and the SLA clock change only through services, which log events.
    readonly_fields = [
        "number",
        "status",
        "hold_reason",
        "sla_started_at",
        "response_due_at",
        "response_at_risk_at",
        "resolution_due_at",
        "resolution_at_risk_at",
        "responded_at",
        "resolved_at",
        "sla_paused_since",
        "sla_paused_minutes",
    ]


@admin.register(RequiredSkill)
class RequiredSkillAdmin(admin.ModelAdmin):
    list_display = ["work_order", "skill", "min_level"]


@admin.register(WorkOrderPhoto)
class WorkOrderPhotoAdmin(admin.ModelAdmin):
    list_display = ["work_order", "caption", "uploaded_at"]


@admin.register(SLAPause)
class SLAPauseAdmin(admin.ModelAdmin):
    list_display = ["work_order", "started_at", "ended_at", "reason", "business_minutes"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only, written by services only."""

    list_display = ["occurred_at", "kind", "summary", "actor"]
    list_filter = ["kind"]
    search_fields = ["summary", "work_order__number"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
