"""Accepting or discarding an optimizer proposal (a succeeded `routing.PlanRun`).

Accepting compares every change with the board as it is now: a change whose booking
or work order moved, or whose new place is no longer free (another booking, time
off added since), is refused and listed; the others are applied together.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import DomainError
from dispatch.bookings import (
    BookingConflict,
    PlannedTime,
    booking_create,
    booking_move,
    booking_restore,
    bookings_park,
    parked_booking_release,
)
from dispatch.live import bump_board_version
from dispatch.models import Booking
from dispatch.rules import plannable_day_check
from routing.models import PlanRun
from routing.proposal import MOVE_ACTIONS, BaselineBooking, Change, Placement
from technicians.models import Technician, TimeOff
from workorders.events import event_record
from workorders.models import Event, WorkOrder
from workorders.services import work_order_transition
from workorders.status import MOVABLE, Status


@dataclass
class ApplyOutcome:
    applied: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"applied": self.applied, "refused": self.refused}


def _status_text(work_order: WorkOrder) -> str:
    return f"is now {work_order.get_status_display().lower()}"


def _stale_reason(
    work_order: WorkOrder | None, booking: Booking | None, was: BaselineBooking | None
) -> str | None:
    """Why a change can no longer be applied, or None when the job is as the run saw it."""
    if work_order is None:
        return "the work order no longer exists"
    if was is None:
        if booking is not None:
            return f"was assigned to {booking.technician} since the plan was made"
        if work_order.status != Status.NEW:
            return _status_text(work_order)
        return None
    if booking is None:
        if work_order.status in (Status.NEW, Status.ON_HOLD) or work_order.is_closed:
            return _status_text(work_order)
        return "was taken off the board since the plan was made"
    if booking.pk != was.booking or booking.technician_id != was.technician:
        return f"was reassigned to {booking.technician} since the plan was made"
    if booking.starts_at != was.starts_at:
        return f"was moved to {timezone.localtime(booking.starts_at):%H:%M} since the plan was made"
    if work_order.status not in MOVABLE:
        return _status_text(work_order)
    if booking.locked:
        return "was locked since the plan was made"
    return None


def _time_off_reason(target: Placement, absences: list[TimeOff], name: str) -> str | None:
    for absence in absences:
        if (
            absence.technician_id == target.technician
            and absence.starts_at < target.ends_at
            and absence.ends_at > target.starts_at
        ):
            return (
                f"{name} is on {absence.get_kind_display().lower()} "
                f"{timezone.localtime(absence.starts_at):%H:%M}–{timezone.localtime(absence.ends_at):%H:%M} "
                "(added since the plan was made)"
            )
    return None


def _label(work_order: WorkOrder) -> str:
    return work_order.number or f"#{work_order.pk}"


def _describe(
    tech_names: dict[int, str], technician: int | None, starts_at: datetime | None
) -> str:
    if technician is None or starts_at is None:
        return "unassigned"
    return f"{tech_names.get(technician, '?')} {timezone.localtime(starts_at):%H:%M}"


@transaction.atomic
def plan_run_apply(*, actor, run: PlanRun) -> ApplyOutcome:
    """Apply a proposal in one transaction; changes the board made stale are refused.

    Locks the work orders (by id), their active bookings and the technicians (by id), in
    the same order as a drop on the board so the two never deadlock, compares each
    change with the run's baseline and with time off, parks every accepted booking (so the no-overlap constraint never sees two versions of one
    lane), then moves or creates each at its new place: a slot taken since the run
    (the constraint refuses it) refuses only that change.
    """
    run = PlanRun.objects.select_for_update().get(pk=run.pk)
    if run.status != PlanRun.Status.SUCCEEDED:
        raise DomainError(f"This plan is {run.get_status_display().lower()}; it cannot be applied.")
    plannable_day_check(run.day, timezone.localdate())
    changes = [
        change
        for change in map(Change.from_json, run.proposal.get("changes", []))
        if change.action in MOVE_ACTIONS
    ]
    tech_ids = sorted({p.technician for c in changes for p in (c.before, c.after) if p is not None})
    wo_ids = sorted(c.work_order for c in changes)
    # The board's lock order: work orders, their bookings, then technicians by id.
    work_orders = {
        wo.pk: wo
        for wo in WorkOrder.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk__in=wo_ids)
        .order_by("pk")
    }
    current = {
        b.work_order_id: b
        for b in Booking.objects.select_for_update(of=("self",))
        .select_related("technician")
        .filter(work_order_id__in=wo_ids, state=Booking.State.ACTIVE)
        .order_by("pk")
    }
    techs = {
        t.pk: t
        for t in Technician.objects.select_for_update().filter(pk__in=tech_ids).order_by("pk")
    }
    tech_names = {pk: str(t) for pk, t in techs.items()}
    targets = [c.after for c in changes if c.after is not None]
    absences = list(
        TimeOff.objects.filter(technician_id__in=tech_ids).filter(
            Q(starts_at__lt=max((t.ends_at for t in targets), default=timezone.now()))
            & Q(ends_at__gt=min((t.starts_at for t in targets), default=timezone.now()))
        )
    )
    baseline = {
        b.work_order: b for b in map(BaselineBooking.from_json, run.baseline.get("bookings", []))
    }
    outcome = ApplyOutcome()

    accepted: list[Change] = []
    for change in changes:
        reason = _stale_reason(
            work_orders.get(change.work_order),
            current.get(change.work_order),
            baseline.get(change.work_order),
        )
        if reason is None and change.after is not None:
            reason = _time_off_reason(
                change.after, absences, tech_names.get(change.after.technician, "?")
            )
        if reason:
            outcome.refused.append(f"{change.number or change.work_order}: {reason}")
        else:
            accepted.append(change)

    # Park first: swaps between lanes need every old slot free before any new one.
    parked = bookings_park([current[c.work_order] for c in accepted if c.before is not None])
    cause = f"plan run #{run.pk}"
    for change in sorted(accepted, key=lambda c: c.after.starts_at.isoformat() if c.after else ""):
        work_order = work_orders[change.work_order]
        booking = current.get(work_order.pk)
        before, target = change.before, change.after
        summary = (
            f"{_label(work_order)}: "
            f"{_describe(tech_names, before and before.technician, before and before.starts_at)} → "
            f"{_describe(tech_names, target and target.technician, target and target.starts_at)}"
        )
        if target is None:
            parked_booking_release(booking=booking, work_order=work_order, cause=cause)
            work_order_transition(
                actor=actor, work_order=work_order, target=Status.NEW, reason="optimizer plan"
            )
            _log(actor, run, work_order, booking.technician, summary, change, change.reason)
            outcome.applied.append(summary)
            continue
        technician = techs[target.technician]
        try:
            if booking is not None:
                booking_move(
                    booking=booking,
                    work_order=work_order,
                    before=parked[booking.pk],
                    technician=technician,
                    starts_at=target.starts_at,
                    ends_at=target.ends_at,
                    travel_minutes=target.travel_minutes,
                    cause=cause,
                )
            else:
                booking_create(
                    actor=actor,
                    work_order=work_order,
                    technician=technician,
                    starts_at=target.starts_at,
                    travel_minutes=target.travel_minutes,
                    cause=cause,
                )
        except BookingConflict:
            outcome.refused.append(
                f"{_label(work_order)}: "
                f"{_describe(tech_names, target.technician, target.starts_at)} is now taken by another booking"
            )
            if booking is not None:
                _restore_or_release(actor, booking, work_order, parked[booking.pk], outcome, cause)
            continue
        new_technician = before is None or before.technician != target.technician
        if work_order.status == Status.NEW:
            work_order_transition(actor=actor, work_order=work_order, target=Status.SCHEDULED)
        elif work_order.status == Status.DISPATCHED and new_technician:
            # The new technician has not been sent the job yet.
            work_order_transition(
                actor=actor,
                work_order=work_order,
                target=Status.SCHEDULED,
                reason="reassigned by plan",
            )
        _log(actor, run, work_order, technician, summary, change, "")
        outcome.applied.append(summary)

    PlanRun.objects.filter(pk=run.pk).update(
        status=PlanRun.Status.APPLIED,
        decided_by=actor if actor is not None and actor.is_authenticated else None,
        decided_at=timezone.now(),
        outcome=outcome.as_json(),
    )
    bump_board_version(run.day)
    return outcome


def _log(
    actor, run: PlanRun, work_order, technician, summary: str, change: Change, why: str
) -> None:
    event_record(
        actor=actor,
        kind=Event.Kind.PLAN_APPLIED,
        summary=summary,
        work_order=work_order,
        technician=technician,
        before=change.before.to_json() if change.before else None,
        after=change.after.to_json() if change.after else None,
        reason=f"plan run #{run.pk}" + (f": {why}" if why else ""),
    )


def _restore_or_release(
    actor, booking: Booking, work_order: WorkOrder, was: PlannedTime, outcome, cause: str
) -> None:
    """Put a refused change's booking back where it was; if that slot is gone too, unassign."""
    if booking_restore(booking=booking):
        return
    parked_booking_release(booking=booking, work_order=work_order, cause=cause)
    work_order_transition(
        actor=actor, work_order=work_order, target=Status.NEW, reason="optimizer plan conflict"
    )
    outcome.refused.append(
        f"{_label(work_order)}: its old slot was taken too, so it is back with the unassigned jobs"
    )


@transaction.atomic
def plan_run_discard(*, actor, run: PlanRun) -> PlanRun:
    run = PlanRun.objects.select_for_update().get(pk=run.pk)
    if run.status != PlanRun.Status.SUCCEEDED:
        raise DomainError(
            f"This plan is {run.get_status_display().lower()}; it cannot be discarded."
        )
    run.status = PlanRun.Status.DISCARDED
    run.decided_by = actor if actor is not None and actor.is_authenticated else None
    run.decided_at = timezone.now()
    run.save(update_fields=["status", "decided_by", "decided_at"])
    return run
