from django.contrib import admin

from technicians.models import (
    Certification,
    ShiftException,
    ShiftPattern,
    Skill,
    Technician,
    TimeOff,
)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0


class ShiftPatternInline(admin.TabularInline):
    model = ShiftPattern
    extra = 0


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["display_name", "team", "phone", "active", "max_daily_hours"]
    list_filter = ["active", "team"]
    search_fields = ["display_name", "user__username", "phone"]
    inlines = [CertificationInline, ShiftPatternInline]
    readonly_fields = ["photo", "photo_thumbnail"]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["technician", "skill", "level", "expires_on"]
    list_filter = ["skill", "level"]


@admin.register(ShiftPattern)
class ShiftPatternAdmin(admin.ModelAdmin):
    list_display = ["technician", "weekday", "starts_at", "ends_at"]


@admin.register(ShiftException)
class ShiftExceptionAdmin(admin.ModelAdmin):
    list_display = ["technician", "date", "is_off", "starts_at", "ends_at"]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["technician", "kind", "starts_at", "ends_at", "reason"]
    list_filter = ["kind"]
