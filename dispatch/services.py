"""Writes that span bookings and work orders."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from dispatch.live import bump_board_version
from dispatch.models import Booking
from technicians.models import Technician
from workorders.errors import DomainError
from workorders.events import event_record
from workorders.models import Event, WorkOrder
from workorders.services import work_order_set_status
from workorders.status import TECHNICIAN_REPORTED, Status

# Leaving these statuses takes the job off the technician's lane.
RELEASES_BOOKING = frozenset({Status.NEW, Status.ON_HOLD, Status.CANCELLED})


class BookingConflict(DomainError):
    """The technician already holds a booking in that time range."""


def active_booking(work_order: WorkOrder) -> Booking | None:
    """The work order's active booking, row-locked (callers are inside a transaction).

    Only the booking row is locked: technician rows are locked separately, in id order,
    so that two dispatchers cannot deadlock."""
    return (
        Booking.objects.select_for_update(of=("self",))
        .filter(work_order=work_order, state=Booking.State.ACTIVE)
        .select_related("technician")
        .first()
    )


def booking_release(*, actor, booking: Booking, work_order: WorkOrder, summary: str) -> None:
    """Take a booking off its lane: kept as history, logged, announced to open boards."""
    Booking.objects.filter(pk=booking.pk).update(
        state=Booking.State.CANCELLED, updated_at=timezone.now()
    )
    event_record(
        actor=actor,
        kind=Event.Kind.UNASSIGNED,
        summary=summary,
        work_order=work_order,
        technician=booking.technician,
        before={"technician": str(booking.technician), "starts_at": booking.starts_at},
    )
    bump_board_version(timezone.localdate(booking.starts_at))


@transaction.atomic
def work_order_change_status(
    *, actor, work_order: WorkOrder, target: Status, hold_reason: str = "", reason: str = ""
) -> WorkOrder:
    """Status change from the office or the field; releases the booking when the job leaves the lane."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    booking = active_booking(work_order)
    if target == Status.SCHEDULED and booking is None:
        raise DomainError("Schedule a work order by assigning it on the board.")
    if target == Status.DISPATCHED and booking is None:
        raise DomainError(f"{work_order.number} has no technician to dispatch to.")
    work_order_set_status(
        actor=actor, work_order=work_order, target=target, hold_reason=hold_reason, reason=reason
    )
    if booking is not None and target in RELEASES_BOOKING:
        booking_release(
            actor=actor,
            booking=booking,
            work_order=work_order,
            summary=f"{work_order.number} taken off {booking.technician}'s day",
        )
    elif booking is not None:
        # The lane shows the job's status (en route, on site, done): refresh open boards.
        bump_board_version(timezone.localdate(booking.starts_at))
    return work_order


@transaction.atomic
def booking_create(
    *,
    actor,
    work_order: WorkOrder,
    technician: Technician,
    starts_at: datetime,
    travel_minutes: int = 0,
) -> Booking:
    """Book a work order for a technician at a fixed time (no rule checks: the board adds them)."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if active_booking(work_order) is not None:
        raise DomainError(f"{work_order.number} is already assigned.")
    ends_at = starts_at + timedelta(minutes=work_order.estimated_minutes)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                work_order=work_order,
                technician=technician,
                starts_at=starts_at,
                ends_at=ends_at,
                travel_minutes=travel_minutes,
                created_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError as error:
        raise BookingConflict(
            f"{technician} is already booked between {starts_at:%H:%M} and {ends_at:%H:%M}."
        ) from error
    if work_order.status != Status.SCHEDULED:
        work_order_set_status(actor=actor, work_order=work_order, target=Status.SCHEDULED)
    event_record(
        actor=actor,
        kind=Event.Kind.ASSIGNED,
        summary=f"{work_order.number} assigned to {technician} at {timezone.localtime(starts_at):%a %H:%M}",
        work_order=work_order,
        technician=technician,
        after={"technician": str(technician), "starts_at": starts_at, "ends_at": ends_at},
    )
    return booking


@transaction.atomic
def technician_report_status(
    *, actor, technician: Technician, work_order: WorkOrder, target: Status
) -> WorkOrder:
    """A technician reports progress on one of their own jobs from the phone."""
    if target not in TECHNICIAN_REPORTED:
        raise DomainError("Technicians can report en route, on site or completed only.")
    booking = active_booking(work_order)
    if booking is None or booking.technician_id != technician.pk:
        raise DomainError(f"{work_order.number} is not assigned to you.")
    if work_order.status == Status.SCHEDULED and target == Status.EN_ROUTE:
        # Setting off on a job the office has not dispatched yet dispatches it.
        work_order = work_order_change_status(
            actor=actor, work_order=work_order, target=Status.DISPATCHED
        )
    return work_order_change_status(actor=actor, work_order=work_order, target=target)
