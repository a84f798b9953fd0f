"""Every write of `Booking` rows, and nothing else.

Placing and re-planning lanes (the board's drops), releasing a booking, applying an
optimizer plan and the demo data all come through here; `tests/dispatch/test_booking_writes.py`
fails if any other module writes booking rows.

Each change of a booking's planned time or technician goes through
`_planned_time_changed`, and each release through `_released`: the two hooks where
open boards are told and the customer's texts are queued (`notifications.services`,
in the same transaction, so a rolled-back change never texts anybody).

Callers are inside a transaction and hold the locks (work order, technicians in id
order); these functions only write.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from dispatch.lanes import PlannedBooking
from dispatch.live import bump_board_version
from dispatch.models import Booking
from notifications import services as texts
from technicians.models import Technician
from workorders.events import event_record
from workorders.models import Event, WorkOrder


class BookingConflict(DomainError):
    """The technician already holds a booking in that time range."""


@dataclass(frozen=True)
class PlannedTime:
    technician_id: int
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, booking) -> "PlannedTime":
        return cls(booking.technician_id, booking.starts_at, booking.ends_at)

    @property
    def day(self) -> date:
        return timezone.localdate(self.starts_at)


def _actor_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _planned_time_changed(
    *,
    booking: Booking,
    work_order: WorkOrder,
    technician: Technician,
    before: PlannedTime | None,
    cause: str,
) -> None:
    """The one place a booking's new planned time is announced: to open boards, and
    to the customer (booked / rescheduled / delay texts are decided there)."""
    after = PlannedTime.of(booking)
    if before == after:
        return
    bump_board_version(after.day, *([before.day] if before else []))
    texts.visit_planned(
        work_order=work_order,
        technician=technician,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        cause=cause,
        previous_starts_at=before.starts_at if before else None,
    )


def _released(*, booking: Booking, work_order: WorkOrder, cause: str) -> None:
    bump_board_version(PlannedTime.of(booking).day)
    texts.visit_released(work_order=work_order, cause=cause)


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
    """Take a booking off its lane: kept as history, logged, announced."""
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
    _released(booking=booking, work_order=work_order, cause=summary)


def lanes_write(
    *,
    actor,
    lanes: list[tuple[Technician, list[PlannedBooking]]],
    moving: Booking | None = None,
    cause: str,
) -> Booking | None:
    """Persist re-planned lanes; returns the booking created for the one being placed.

    `moving` is the placed work order's previous booking (another lane or another
    place in this one): it is kept as history and the new booking takes its place.
    Every movable booking is parked first so that, row by row, the exclusion
    constraint only ever sees the final, non-overlapping times. A slot taken
    meanwhile raises `BookingConflict` (the caller's transaction rolls back)."""
    now = timezone.now()
    previous = {
        planned.booking.pk: PlannedTime.of(planned.booking)
        for _, plan in lanes
        for planned in plan
        if planned.booking is not None and not planned.fixed
    }
    parked = [*previous, *([moving.pk] if moving else [])]
    Booking.objects.filter(pk__in=parked).update(state=Booking.State.CANCELLED, updated_at=now)
    created = None
    try:
        with transaction.atomic():
            for technician, plan in lanes:
                for planned in plan:
                    if planned.fixed:
                        continue
                    if planned.booking is None:
                        created = Booking.objects.create(
                            work_order_id=planned.work_order.pk,
                            technician=technician,
                            starts_at=planned.starts_at,
                            ends_at=planned.ends_at,
                            travel_minutes=planned.travel_minutes,
                            created_by=_actor_or_none(actor),
                        )
                    else:
                        Booking.objects.filter(pk=planned.booking.pk).update(
                            starts_at=planned.starts_at,
                            ends_at=planned.ends_at,
                            travel_minutes=planned.travel_minutes,
                            state=Booking.State.ACTIVE,
                            updated_at=now,
                        )
    except IntegrityError as error:
        raise BookingConflict(
            "That time was taken a moment ago (another dispatcher?); the board has been refreshed."
        ) from error
    changed = [
        (technician, planned)
        for technician, plan in lanes
        for planned in plan
        if not planned.fixed
        and (
            planned.booking is None
            or PlannedTime(technician.pk, planned.starts_at, planned.ends_at)
            != previous[planned.booking.pk]
        )
    ]
    # The hook reads customers and windows: one query for every changed booking.
    work_orders = WorkOrder.objects.select_related("customer").in_bulk(
        [planned.work_order.pk for _, planned in changed]
    )
    for technician, planned in changed:
        if planned.booking is None:
            booking, before = created, PlannedTime.of(moving) if moving else None
        else:
            before = previous[planned.booking.pk]
            booking = Booking(
                pk=planned.booking.pk,
                work_order_id=planned.work_order.pk,
                technician=technician,
                starts_at=planned.starts_at,
                ends_at=planned.ends_at,
            )
        _planned_time_changed(
            booking=booking,
            work_order=work_orders[planned.work_order.pk],
            technician=technician,
            before=before,
            cause=cause,
        )
    return created


def booking_create(
    *,
    actor,
    work_order: WorkOrder,
    technician: Technician,
    starts_at: datetime,
    travel_minutes: int = 0,
    cause: str,
) -> Booking:
    """Book a work order at a fixed time, without the board's rules (demo data and
    plans that were judged already). The caller sets the work order's status."""
    ends_at = starts_at + timedelta(minutes=work_order.estimated_minutes)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                work_order=work_order,
                technician=technician,
                starts_at=starts_at,
                ends_at=ends_at,
                travel_minutes=travel_minutes,
                created_by=_actor_or_none(actor),
            )
    except IntegrityError as error:
        raise BookingConflict(
            f"{technician} is already booked between {timezone.localtime(starts_at):%H:%M} and {timezone.localtime(ends_at):%H:%M}."
        ) from error
    _planned_time_changed(
        booking=booking, work_order=work_order, technician=technician, before=None, cause=cause
    )
    return booking


def bookings_park(bookings: list[Booking]) -> dict[int, PlannedTime]:
    """Take bookings off their lanes for a moment (inside the caller's transaction) so a
    plan can swap them around; each is then moved, restored or released."""
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        state=Booking.State.CANCELLED, updated_at=timezone.now()
    )
    for booking in bookings:
        booking.state = Booking.State.CANCELLED
    return {b.pk: PlannedTime.of(b) for b in bookings}


def booking_move(
    *,
    booking: Booking,
    work_order: WorkOrder,
    before: PlannedTime,
    technician: Technician,
    starts_at: datetime,
    ends_at: datetime,
    travel_minutes: int,
    cause: str,
) -> None:
    """Re-activate a parked booking at its new place (raises `BookingConflict`)."""
    booking.technician = technician
    booking.starts_at, booking.ends_at = starts_at, ends_at
    booking.travel_minutes = travel_minutes
    booking.state = Booking.State.ACTIVE
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as error:
        raise BookingConflict(f"{technician} is already booked at that time.") from error
    _planned_time_changed(
        booking=booking, work_order=work_order, technician=technician, before=before, cause=cause
    )


def booking_restore(*, booking: Booking) -> bool:
    """Put a parked booking back where it was; False when its slot is gone meanwhile."""
    try:
        with transaction.atomic():
            booking.refresh_from_db()
            booking.state = Booking.State.ACTIVE
            booking.save(update_fields=["state", "updated_at"])
    except IntegrityError:
        return False
    return True


def parked_booking_release(*, booking: Booking, work_order: WorkOrder, cause: str) -> None:
    """A parked booking the plan takes off the board: it stays cancelled, announced."""
    _released(booking=booking, work_order=work_order, cause=cause)


@dataclass(frozen=True)
class ImportedBooking:
    """A booking written in bulk: demo history, benchmark fixtures."""

    work_order: WorkOrder
    technician: Technician
    starts_at: datetime
    ends_at: datetime
    travel_minutes: int
    booked_at: datetime | None = None  # when it was really booked (time to assign)
    # What the phone recorded (facts), when the imported visit has them.
    en_route_at: datetime | None = None
    arrived_at: datetime | None = None
    finished_at: datetime | None = None


def bookings_import(*, actor, rows: list[ImportedBooking]) -> list[Booking]:
    """Write bookings in bulk (thousands of rows: demo history, benchmark fixtures). No
    hook runs: imported work is announced to neither boards nor customers. The
    database constraints still hold (no overlaps, one active booking per work order)."""
    bookings = Booking.objects.bulk_create(
        [
            Booking(
                work_order=row.work_order,
                technician=row.technician,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                travel_minutes=row.travel_minutes,
                created_by=_actor_or_none(actor),
                en_route_at=row.en_route_at,
                arrived_at=row.arrived_at,
                finished_at=row.finished_at,
            )
            for row in rows
        ],
        batch_size=5000,
    )
    dated = []
    for booking, row in zip(bookings, rows, strict=True):
        if row.booked_at is not None:
            # created_at is auto_now_add: set when the job was really booked.
            booking.created_at = row.booked_at
            booking.updated_at = row.finished_at or row.booked_at
            dated.append(booking)
    Booking.objects.bulk_update(dated, ["created_at", "updated_at"], batch_size=1000)
    return bookings


# --- Facts from the field (the technician's phone) ---------------------------------
#
# Planned times above are plans; these are what actually happened. Kept apart so the
# customer-texts wiring can hook `_actual_recorded` and `_eta_changed` without touching
# the planning paths.

ACTUAL_FIELDS = ("acknowledged_at", "en_route_at", "arrived_at", "finished_at")


def _actual_recorded(*, booking: Booking, field: str, at: datetime) -> None:
    """The one place an actual time is announced: the lane shows actual against planned."""
    bump_board_version(PlannedTime.of(booking).day)


def _eta_changed(*, booking: Booking, eta: tuple[datetime, datetime]) -> None:
    """The next visit's expected (arrival, end) was recomputed from a fresh position.

    Nothing changes on the board; the customer's texts compare it with what the
    customer was told and send a delay text when it moved far enough (an ETA they
    just decided on costs one read)."""
    texts.visit_eta_recomputed(
        work_order=booking.work_order,
        technician=booking.technician,
        starts_at=eta[0],
        ends_at=eta[1],
        cause="ETA from the technician's position",
    )


def booking_record_actual(*, booking: Booking, field: str, at: datetime) -> Booking:
    """Write one actual time on a booking (the caller holds the booking's row lock).

    Times never go backwards: an action replayed late with the phone's own clock is
    placed no earlier than the facts already recorded (a check constraint insists)."""
    if field not in ACTUAL_FIELDS:
        raise ValueError(f"{field} is not an actual-time field of a booking")
    order = ACTUAL_FIELDS.index(field)
    earlier = [getattr(booking, name) for name in ACTUAL_FIELDS[1:order]]  # not the ack
    at = max([at, *(moment for moment in earlier if moment is not None)])
    Booking.objects.filter(pk=booking.pk).update(**{field: at})
    setattr(booking, field, at)
    _actual_recorded(booking=booking, field=field, at=at)
    return booking


def booking_eta_announce(*, booking: Booking, eta: tuple[datetime, datetime]) -> None:
    """Pass a recomputed ETA of `booking` to its hook (no row is written)."""
    _eta_changed(booking=booking, eta=eta)
