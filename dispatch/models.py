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

    class Meta:
        ordering = ["technician_id", "starts_at"]
        indexes = [
            models.Index(
                fields=["starts_at", "ends_at"],
                condition=Q(state="active"),
                name="booking_active_time",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
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
