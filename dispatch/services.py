"""Status changes that touch a work order's booking."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from dispatch.bookings import active_booking, booking_create, booking_release
from dispatch.eta import next_visit
from dispatch.live import bump_board_version
from dispatch.models import Booking
from notifications import services as texts
from technicians.models import Technician
from workorders.events import event_record
from workorders.models import Event, WorkOrder
from workorders.services import work_order_transition
from workorders.status import Status

# Leaving these statuses takes the job off the technician's lane.
RELEASES_BOOKING = frozenset({Status.NEW, Status.ON_HOLD, Status.CANCELLED})


@transaction.atomic
def work_order_change_status(
    *,
    actor,
    work_order: WorkOrder,
    target: Status,
    hold_reason: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> WorkOrder:
    """Status change from the office or the field; releases the booking when the job leaves the lane.

    `at`: when it happened, if not now (a phone replaying an action queued offline)."""
    work_order = (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("customer", "site")
        .get(pk=work_order.pk)
    )
    old_status = work_order.status
    booking = active_booking(work_order)
    if target == Status.SCHEDULED and booking is None:
        raise DomainError("Schedule a work order by assigning it on the board.")
    if target == Status.DISPATCHED and booking is None:
        raise DomainError(f"{work_order.number} has no technician to dispatch to.")
    work_order_transition(
        actor=actor,
        work_order=work_order,
        target=target,
        hold_reason=hold_reason,
        reason=reason,
        at=at,
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
    eta = None
    if target == Status.EN_ROUTE and booking is not None:
        visit = next_visit(booking.technician, timezone.now())
        if visit is not None and visit[0].work_order_id == work_order.pk:
            eta = visit[1][0]
    texts.work_order_status_changed(
        work_order=work_order,
        technician=booking.technician if booking is not None else None,
        old_status=old_status,
        new_status=target,
        eta_start=eta,
    )
    return work_order


@transaction.atomic
def work_order_book(
    *,
    actor,
    work_order: WorkOrder,
    technician: Technician,
    starts_at: datetime,
    travel_minutes: int = 0,
) -> Booking:
    """Book a work order for a technician at a fixed time, without the board's rules.

    Demo data and tests use it; everything a dispatcher does goes through
    `dispatch.assignment.board_assign`, which judges the lane first."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if active_booking(work_order) is not None:
        raise DomainError(f"{work_order.number} is already assigned.")
    booking = booking_create(
        actor=actor,
        work_order=work_order,
        technician=technician,
        starts_at=starts_at,
        travel_minutes=travel_minutes,
        cause=f"{work_order.number} booked",
    )
    if work_order.status != Status.SCHEDULED:
        work_order_transition(actor=actor, work_order=work_order, target=Status.SCHEDULED)
    event_record(
        actor=actor,
        kind=Event.Kind.ASSIGNED,
        summary=f"{work_order.number} assigned to {technician} at {timezone.localtime(starts_at):%a %H:%M}",
        work_order=work_order,
        technician=technician,
        after={"technician": str(technician), "starts_at": starts_at, "ends_at": booking.ends_at},
    )
    return booking
