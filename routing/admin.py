from django.contrib import admin

from routing.models import PlanRun


@admin.register(PlanRun)
class PlanRunAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "day", "status", "requested_by", "created_at", "elapsed_s"]
    list_filter = ["kind", "status", "day"]
    date_hierarchy = "day"
    # Runs are a record of what the optimizer was asked and answered: read-only here;
    # status changes go through the board (apply / discard).
    readonly_fields = [field.name for field in PlanRun._meta.fields] + ["technician_ids"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
