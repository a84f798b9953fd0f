"""Assigning, moving and unassigning work orders on the board.

Every change locks the rows of the technicians involved (in id order, so two
dispatchers cannot deadlock), checks the lanes are still what the dispatcher
saw (their fingerprints), re-plans them, judges the result, then writes through
`dispatch.bookings`. The exclusion constraint on bookings is the last line of
defence if anything slips past.

A drop, top to bottom: `board.views.board_assign_view` → `board_assign` →
`selectors.bookings_by_technician` / `lane_fingerprint` → `lanes.plan_lane` →
`rules.*_problems` → `bookings.lanes_write` → `live.bump_board_version`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from dispatch.bookings import active_booking, booking_release, lanes_write
from dispatch.lanes import PlannedBooking, TechnicianDay, leading_fixed, plan_lane, planned_from
from dispatch.models import Booking
from dispatch.rules import (
    RuleProblem,
    day_problems,
    lane_problems,
    override_allowed,
    problem_codes_by_work_order,
    requirements_of,
    skill_problems,
)
from dispatch.selectors import LaneBooking, bookings_by_technician, lane_fingerprint
from technicians.models import Technician
from technicians.selectors import technicians_for_day
from workorders.events import event_record
from workorders.models import Event, WorkOrder
from workorders.services import work_order_transition
from workorders.status import MOVABLE, Status


class LaneConflict(DomainError):
    """Someone else changed the lane since the dispatcher looked at it."""


class AssignmentRefused(DomainError):
    """Hard problems: nothing changed. Managers may override some with a reason."""

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


def _lock_technicians(ids: set[int]) -> None:
    list(
        Technician.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _check_fingerprints(lanes: dict[int, list[LaneBooking]], expected: dict[int, str]) -> None:
    for technician_id, fingerprint in expected.items():
        if fingerprint and lane_fingerprint(lanes.get(technician_id, [])) != fingerprint:
            name = Technician.objects.filter(pk=technician_id).first() or "A technician"
            raise LaneConflict(
                f"{name}'s day changed a moment ago (another dispatcher?). The board has been refreshed; please try again."
            )


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
    expected_fingerprints: dict[int, str] | None = None,
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
    involved = {technician.pk} | ({source_id} if source_id else set())
    _lock_technicians(involved)
    technicians = {t.pk: t for t in technicians_for_day(day).filter(pk__in=involved)}
    technician = technicians[technician.pk]
    expected_fingerprints = expected_fingerprints or {}
    lanes = bookings_by_technician(day, involved | set(expected_fingerprints))
    _check_fingerprints(lanes, expected_fingerprints)

    tday = TechnicianDay.of(technician, day)
    before_lane = lanes.get(technician.pk, [])
    before_codes = problem_codes_by_work_order(plan_lane(tday, planned_from(before_lane), now))
    planned = planned_from([b for b in before_lane if b.work_order_id != work_order.pk])
    position = max(leading_fixed(planned), min(position, len(planned)))
    planned.insert(position, PlannedBooking(work_order=work_order))
    plan = plan_lane(tday, planned, now)
    problems = (
        day_problems(day, timezone.localdate(now), work_order.number)
        + skill_problems(technician, work_order, requirements_of(work_order), day)
        + lane_problems(plan, before=before_codes)
    )
    hard = [p for p in problems if p.hard]
    soft = [p for p in problems if not p.hard]
    overridden = False
    if hard:
        if not (override_reason.strip() and override_allowed(actor, hard)):
            raise AssignmentRefused(hard, overridable=override_allowed(actor, hard))
        overridden = True
    if soft and not (confirm or overridden):
        raise NeedsConfirmation(soft)

    written = [(technician, plan.bookings)]
    source = technicians.get(source_id) if source_id != technician.pk else None
    if source is not None:  # an inactive technician's lane keeps its gap
        rest = planned_from(
            [b for b in lanes.get(source_id, []) if b.work_order_id != work_order.pk]
        )
        written.append((source, plan_lane(TechnicianDay.of(source, day), rest, now).bookings))
    cause = f"{work_order.number} placed on the board"
    booking = lanes_write(actor=actor, lanes=written, moving=old, cause=cause)

    if work_order.status == Status.NEW or (
        work_order.status == Status.DISPATCHED and source_id != technician.pk
    ):
        work_order_transition(actor=actor, work_order=work_order, target=Status.SCHEDULED)
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
            after={"problems": [p.message for p in hard], "codes": [p.code for p in hard]},
            reason=override_reason.strip(),
        )
    return AssignOutcome(
        booking=booking,
        technician_ids=involved,
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
    before = None
    if old is None:
        kind, summary = (
            Event.Kind.ASSIGNED,
            f"{work_order.number} assigned to {new.technician} at {when}",
        )
    else:
        before = {
            "technician": str(old.technician),
            "starts_at": old.starts_at,
            "ends_at": old.ends_at,
        }
        if old.technician_id == new.technician_id:
            kind = Event.Kind.RESCHEDULED
            summary = f"{work_order.number} moved to {when} on {new.technician}'s day"
        else:
            kind = Event.Kind.REASSIGNED
            summary = f"{work_order.number} reassigned from {old.technician} to {new.technician} at {when}"
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
    *, actor, work_order: WorkOrder, expected_fingerprint: str = "", now: datetime | None = None
) -> set[int]:
    """Take a work order off its lane back to the queue and close the gap it leaves."""
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
    if expected_fingerprint:
        _check_fingerprints(lanes, {booking.technician_id: expected_fingerprint})
    booking_release(
        actor=actor,
        booking=booking,
        work_order=work_order,
        summary=f"{work_order.number} taken off {booking.technician}'s day, back to the queue",
    )
    technician = technicians_for_day(day).get(pk=booking.technician_id)
    rest = planned_from([b for b in lanes.get(technician.pk, []) if b.pk != booking.pk])
    lanes_write(
        actor=actor,
        lanes=[(technician, plan_lane(TechnicianDay.of(technician, day), rest, now).bookings)],
        cause=f"{work_order.number} taken off the lane",
    )
    work_order_transition(actor=actor, work_order=work_order, target=Status.NEW)
    return {technician.pk}
