from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q

from technicians.models import Technician
from workorders.models import WorkOrder


class TstzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()  # only used inside the constraint expression


class Booking(models.Model):
    """A work order given to a technician for a planned time range.

    Cancelled bookings stay as history; only active ones take up the lane, and
    the exclusion constraint guarantees that no technician holds two active
    bookings that overlap, whatever the application code does.
    """

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="bookings")
    technician = models.ForeignKey(Technician, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    travel_minutes = models.PositiveIntegerField(
        default=0, help_text="Planned drive time before this booking starts."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    locked = models.BooleanField(
        default=False, help_text="Locked bookings are left where they are by the optimizer."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What actually happened, reported from the technician's phone (facts, never plans).
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["technician_id", "starts_at"]
        indexes = [
            models.Index(
                fields=["starts_at", "ends_at"],
                condition=Q(state="active"),
                name="booking_active_time",
            ),
            # A technician's day (the phone's pages and the ETA of every position post)
            # without reading every technician's bookings of that day, nor their past
            # ones: days are read as ends_at > the day's start and starts_at < its end.
            models.Index(
                fields=["technician", "ends_at"],
                condition=Q(state="active"),
                name="booking_active_technician",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(en_route_at__isnull=True)
                | Q(arrived_at__isnull=True)
                | Q(arrived_at__gte=F("en_route_at")),
                name="booking_arrived_after_en_route",
            ),
            models.CheckConstraint(
                condition=Q(arrived_at__isnull=True)
                | Q(finished_at__isnull=True)
                | Q(finished_at__gte=F("arrived_at")),
                name="booking_finished_after_arrival",
            ),
            models.UniqueConstraint(
                fields=["work_order"],
                condition=Q(state="active"),
                name="booking_one_active_per_work_order",
            ),
            ExclusionConstraint(
                name="booking_no_overlap_per_technician",
                expressions=[
                    ("technician", RangeOperators.EQUAL),
                    (TstzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(state="active"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_order.number} → {self.technician} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class PhoneAction(models.Model):
    """A technician's action from the phone, applied once.

    The phone gives every action an id before sending it; offline it queues the action
    and replays it later, possibly twice. The row is written in the same transaction
    as the action, and the unique id makes a second application impossible."""

    class Kind(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", "Acknowledged"
        EN_ROUTE = "en_route", "En route"
        ON_SITE = "on_site", "On site"
        COMPLETE = "complete", "Completed"
        HOLD = "hold", "On hold"
        CANNOT_COMPLETE = "cannot_complete", "Could not complete"
        PHOTO = "photo", "Photo"

    action_id = models.UUIDField(unique=True)
    technician = models.ForeignKey(Technician, on_delete=models.PROTECT, related_name="+")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(help_text="When the technician did it (queued offline).")
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["applied_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.work_order_id} ({self.action_id})"


class PositionFix(models.Model):
    """One position a technician's phone reported: today's trail. Pruned after
    POSITION_TRAIL_DAYS by a beat task; the latest is also on `Technician.last_*`."""

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="+")
    latitude = models.FloatField()
    longitude = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["technician_id", "recorded_at"]
        indexes = [
            models.Index(fields=["technician", "recorded_at"]),
            models.Index(fields=["recorded_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="position_fix_on_earth",
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0),
                name="position_fix_accuracy_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician_id} at {self.latitude:.5f},{self.longitude:.5f} {self.recorded_at:%H:%M:%S}"


class FieldAlert(models.Model):
    """Something from the field the dispatcher must look at, shown on the board until
    dismissed: a job the technician could not complete, a job running over, a
    technician who became unavailable."""

    class Kind(models.TextChoices):
        CANNOT_COMPLETE = "cannot_complete", "Could not complete"
        OVERRUN = "overrun", "Running over"
        UNAVAILABLE = "unavailable", "Technician unavailable"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    technician = models.ForeignKey(Technician, on_delete=models.PROTECT, related_name="+")
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    plan_run = models.ForeignKey(
        "routing.PlanRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["day"], condition=Q(dismissed_at__isnull=True), name="alert_open")
        ]
        constraints = [
            # The overrun sweep runs every minute: one alert per booking, however often.
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(kind="overrun"),
                name="alert_one_overrun_per_booking",
            ),
        ]

    def __str__(self) -> str:
        return self.message
