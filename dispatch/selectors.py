from datetime import date

from django.db.models import QuerySet

from dispatch.models import Booking
from technicians.models import Technician
from technicians.selectors import day_bounds
from workorders.models import WorkOrder


def technician_bookings(technician: Technician, day: date) -> QuerySet[Booking]:
    start, end = day_bounds(day)
    return (
        Booking.objects.filter(
            technician=technician, state=Booking.State.ACTIVE, starts_at__lt=end, ends_at__gt=start
        )
        .select_related("work_order__customer", "work_order__site")
        .order_by("starts_at")
    )


def technician_owns_work_order(technician: Technician, work_order_id: int) -> bool:
    return Booking.objects.filter(
        technician=technician, work_order_id=work_order_id, state=Booking.State.ACTIVE
    ).exists()


def booked_technicians(work_order: WorkOrder, extra: set[int]) -> set[int]:
    """Technicians whose lanes a change to `work_order` touches: its current one plus `extra`."""
    booked = Booking.objects.filter(work_order=work_order, state=Booking.State.ACTIVE)
    return set(booked.values_list("technician_id", flat=True)) | extra
