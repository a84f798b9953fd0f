"""Assigning, moving and unassigning jobs on the board.

Every change locks the rows of the technicians involved (in id order, so two
dispatchers cannot deadlock), checks the lanes are still what the dispatcher
saw, re-plans them, judges the result, then writes. The exclusion constraint on
bookings is the last line of defence if anything slips past.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from dispatch.board import LaneBooking, bookings_by_technician, lane_token, stops_from_bookings
from dispatch.lanes import (
    MOVABLE,
    RuleProblem,
    Stop,
    TechnicianDay,
    lane_problems,
    leading_fixed,
    plan_lane,
    problem_codes_by_order,
    requirements_of,
    skill_problems,
)
from dispatch.live import bump_board_version
from dispatch.models import Booking
from dispatch.services import active_booking, booking_release
from technicians.models import Technician
from technicians.roles import Role, has_role
from technicians.selectors import technicians_for_day
from workorders.errors import DomainError
from workorders.events import event_record
from workorders.models import Event, WorkOrder
from workorders.services import work_order_set_status
from workorders.status import Status

OVERRIDE_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


class LaneConflict(DomainError):
    """Someone else changed the lane since the dispatcher looked at it."""


class AssignmentRefused(DomainError):
    """Hard problems: nothing changed. Managers may override with a reason."""

    def __init__(self, problems: list[RuleProblem], overridable: bool):
        self.problems, self.overridable = problems, overridable
        super().__init__(" ".join(p.message for p in problems))


class NeedsConfirmation(DomainError):
    """Soft problems: the dispatcher must confirm."""

    def __init__(self, problems: list[RuleProblem]):
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


@dataclass
class AssignOutcome:
    booking: Booking
    technician_ids: set[int]
    accepted_problems: list[RuleProblem] = field(default_factory=list)
    overridden: bool = False


def may_override(actor) -> bool:
    return has_role(actor, OVERRIDE_ROLES)


def _lock_technicians(ids: set[int]) -> None:
    list(
        Technician.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _check_tokens(day: date, lanes: dict[int, list[LaneBooking]], expected: dict[int, str]) -> None:
    for technician_id, token in expected.items():
        if token and lane_token(lanes.get(technician_id, [])) != token:
            name = Technician.objects.get(pk=technician_id)
            raise LaneConflict(
                f"{name}'s day changed a moment ago (another dispatcher?). The board has been refreshed; please try again."
            )


def _write_lane(stops: list[Stop], technician: Technician, actor) -> Booking | None:
    """Persist a planned lane. Movable bookings are parked first so that, row by row,
    the exclusion constraint only ever sees the final, non-overlapping times."""
    movable = [s for s in stops if s.booking is not None and not s.fixed]
    Booking.objects.filter(pk__in=[s.booking.pk for s in movable]).update(
        state=Booking.State.CANCELLED
    )
    created = None
    for stop in stops:
        if stop.fixed:
            continue
        if stop.booking is None:
            created = Booking.objects.create(
                work_order=stop.work_order,
                technician=technician,
                starts_at=stop.starts_at,
                ends_at=stop.ends_at,
                travel_minutes=stop.travel_minutes,
                created_by=actor if actor is not None and actor.is_authenticated else None,
            )
        else:
            Booking.objects.filter(pk=stop.booking.pk).update(
                starts_at=stop.starts_at,
                ends_at=stop.ends_at,
                travel_minutes=stop.travel_minutes,
                state=Booking.State.ACTIVE,
                updated_at=timezone.now(),
            )
    return created


def _reason_text(problems: list[RuleProblem], override_reason: str) -> str:
    parts = []
    if problems:
        parts.append("Accepted: " + " ".join(p.message for p in problems))
    if override_reason:
        parts.append("Override: " + override_reason)
    return " ".join(parts)


@transaction.atomic
def board_assign(
    *,
    actor,
    work_order: WorkOrder,
    technician: Technician,
    day: date,
    position: int,
    expected_tokens: dict[int, str] | None = None,
    confirm: bool = False,
    override_reason: str = "",
    now: datetime | None = None,
) -> AssignOutcome:
    """Put `work_order` at `position` in `technician`'s lane on `day` (queue → lane,
    lane → lane or a reorder within a lane)."""
    now = now or timezone.now()
    work_order = (
        WorkOrder.objects.select_for_update()
        .select_related("site", "sla_policy")
        .get(pk=work_order.pk)
    )
    if work_order.status not in MOVABLE:
        raise DomainError(
            f"{work_order.number} is {work_order.get_status_display().lower()}; it cannot be moved."
        )
    old = active_booking(work_order)
    source_id = old.technician_id if old else None
    old_day = timezone.localdate(old.starts_at) if old else None
    _lock_technicians({technician.pk} | ({source_id} if source_id else set()))
    technician = technicians_for_day(day).get(pk=technician.pk)
    tday = TechnicianDay.of(technician, day)
    lanes = bookings_by_technician(day, {technician.pk, source_id} - {None})
    _check_tokens(day, lanes, expected_tokens or {})

    before_lane = lanes.get(technician.pk, [])
    before_codes = problem_codes_by_order(plan_lane(tday, stops_from_bookings(before_lane), now))
    stops = stops_from_bookings([b for b in before_lane if b.work_order_id != work_order.pk])
    position = max(leading_fixed(stops), min(position, len(stops)))
    stops.insert(position, Stop(work_order=work_order))
    plan = plan_lane(tday, stops, now)
    requirements = requirements_of(work_order)
    problems = skill_problems(technician, work_order, requirements, day) + lane_problems(
        plan, before=before_codes
    )
    hard = [p for p in problems if p.hard]
    soft = [p for p in problems if not p.hard]
    overridden = False
    if hard:
        if any(p.code == "overlap" for p in hard) or not (
            override_reason.strip() and may_override(actor)
        ):
            raise AssignmentRefused(
                hard, overridable=may_override(actor) and not any(p.code == "overlap" for p in hard)
            )
        overridden = True
    if soft and not (confirm or overridden):
        raise NeedsConfirmation(soft)

    if old is not None:
        Booking.objects.filter(pk=old.pk).update(
            state=Booking.State.CANCELLED, updated_at=timezone.now()
        )
    try:
        with transaction.atomic():
            booking = _write_lane(plan.stops, technician, actor)
            if source_id and source_id != technician.pk:
                source = technicians_for_day(day).get(pk=source_id)
                rest = stops_from_bookings(
                    [b for b in lanes.get(source_id, []) if b.work_order_id != work_order.pk]
                )
                _write_lane(
                    plan_lane(TechnicianDay.of(source, day), rest, now).stops, source, actor
                )
    except IntegrityError as error:
        raise LaneConflict(
            f"{technician} is already booked at that time; the board has been refreshed."
        ) from error

    if work_order.status == Status.NEW or (
        work_order.status == Status.DISPATCHED and source_id != technician.pk
    ):
        work_order_set_status(actor=actor, work_order=work_order, target=Status.SCHEDULED)
    _log_assignment(
        actor, work_order, old, booking, soft + (hard if overridden else []), override_reason
    )
    if overridden:
        event_record(
            actor=actor,
            kind=Event.Kind.OVERRIDE,
            summary=f"{work_order.number}: hard rule overridden for {technician}",
            work_order=work_order,
            technician=technician,
            after={"problems": [p.message for p in hard]},
            reason=override_reason.strip(),
        )
    bump_board_version(day, *([old_day] if old_day else []))
    return AssignOutcome(
        booking=booking,
        technician_ids={technician.pk} | ({source_id} if source_id else set()),
        accepted_problems=soft,
        overridden=overridden,
    )


def _log_assignment(
    actor,
    work_order: WorkOrder,
    old: Booking | None,
    new: Booking,
    accepted: list[RuleProblem],
    override_reason: str,
) -> None:
    after = {"technician": str(new.technician), "starts_at": new.starts_at, "ends_at": new.ends_at}
    when = f"{timezone.localtime(new.starts_at):%a %H:%M}"
    if old is None:
        kind, summary, before = (
            Event.Kind.ASSIGNED,
            f"{work_order.number} assigned to {new.technician} at {when}",
            None,
        )
    else:
        before = {
            "technician": str(old.technician),
            "starts_at": old.starts_at,
            "ends_at": old.ends_at,
        }
        if old.technician_id == new.technician_id:
            kind, summary = (
                Event.Kind.RESCHEDULED,
                f"{work_order.number} moved to {when} on {new.technician}'s day",
            )
        else:
            kind, summary = (
                Event.Kind.REASSIGNED,
                f"{work_order.number} reassigned from {old.technician} to {new.technician} at {when}",
            )
    event_record(
        actor=actor,
        kind=kind,
        summary=summary,
        work_order=work_order,
        technician=new.technician,
        before=before,
        after=after,
        reason=_reason_text(accepted, override_reason.strip()),
    )


@transaction.atomic
def board_unassign(
    *, actor, work_order: WorkOrder, expected_token: str = "", now: datetime | None = None
) -> set[int]:
    """Take a job off its lane back to the queue and close the gap it leaves."""
    now = now or timezone.now()
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    booking = active_booking(work_order)
    if booking is None:
        raise DomainError(f"{work_order.number} is not assigned.")
    if work_order.status not in MOVABLE:
        raise DomainError(
            f"{work_order.number} is {work_order.get_status_display().lower()}; it cannot be unassigned."
        )
    day = timezone.localdate(booking.starts_at)
    _lock_technicians({booking.technician_id})
    lanes = bookings_by_technician(day, [booking.technician_id])
    if expected_token:
        _check_tokens(day, lanes, {booking.technician_id: expected_token})
    booking_release(
        actor=actor,
        booking=booking,
        work_order=work_order,
        summary=f"{work_order.number} taken off {booking.technician}'s day, back to the queue",
    )
    technician = technicians_for_day(day).get(pk=booking.technician_id)
    rest = stops_from_bookings([b for b in lanes.get(technician.pk, []) if b.pk != booking.pk])
    _write_lane(plan_lane(TechnicianDay.of(technician, day), rest, now).stops, technician, actor)
    work_order_set_status(actor=actor, work_order=work_order, target=Status.NEW)
    return {technician.pk}
