from django.contrib import admin

from dispatch.models import Booking


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["work_order", "technician", "starts_at", "ends_at", "state", "locked"]
    list_filter = ["state", "locked"]
    # Assignments go through the board so the rules run and the event log records them.
    readonly_fields = [
        "work_order",
        "technician",
        "starts_at",
        "ends_at",
        "travel_minutes",
        "state",
        "created_by",
    ]

    def has_add_permission(self, request) -> bool:
        return False
