"""Optimizer proposals on the board: start a run, apply or discard it, urgent insertion.

Bookings live here in `dispatch`, so everything that reads lanes for the optimizer
or writes the optimizer's answer back into bookings is in this module; `routing`
builds problems, solves them and describes proposals without knowing bookings.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from dispatch.board import bookings_by_technician
from dispatch.live import bump_board_version
from dispatch.models import Booking
from dispatch.ranking import Slot, search_lanes
from routing import services as routing_services
from routing.models import PlanRun
from routing.problem import (
    MOVABLE,
    BookedVisit,
    BuiltProblem,
    build_problem,
    day_epoch,
    to_seconds,
)
from routing.proposal import MOVE_ACTIONS
from technicians.models import Technician
from technicians.selectors import (
    day_bounds,
    shift_on,
    technicians_for_day,
)
from workorders.errors import DomainError
from workorders.events import event_record
from workorders.models import Event, WorkOrder
from workorders.services import work_order_set_status
from workorders.status import Status

# ----------------------------------------------------------------------------- inputs


def technicians_on_shift(day: date, *, team: str = "") -> list[Technician]:
    techs = technicians_for_day(day)
    if team:
        techs = techs.filter(team=team)
    return [tech for tech in techs if shift_on(tech, day) is not None]


def unassigned_work_orders(day: date) -> QuerySet[WorkOrder]:
    """New work orders without an active booking whose window (if any) touches `day`."""
    start, end = day_bounds(day)
    booked = Booking.objects.filter(work_order=OuterRef("pk"), state=Booking.State.ACTIVE)
    return (
        WorkOrder.objects.filter(status=Status.NEW)
        .exclude(Exists(booked))
        .filter(
            Q(window_start__isnull=True) | Q(window_start__lt=end, window_end__gt=start),
        )
        .order_by("pk")
    )


def plan_inputs(
    *, day: date, technician_ids: list[int] | None = None, now: datetime | None = None
) -> BuiltProblem:
    """Read the date's lanes and open jobs and build the optimizer problem."""
    now = now or timezone.now()
    techs = technicians_for_day(day)
    if technician_ids is not None:
        techs = techs.filter(pk__in=technician_ids)
    techs = list(techs.order_by("pk"))
    lanes = bookings_by_technician(day, [t.pk for t in techs])
    bookings = [
        BookedVisit(
            booking_id=b.pk,
            work_order_id=b.work_order_id,
            technician_id=b.technician_id,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            locked=b.locked,
        )
        for lane in lanes.values()
        for b in lane
    ]
    return build_problem(
        day=day,
        technicians=techs,
        bookings=bookings,
        unassigned=list(unassigned_work_orders(day)),
        now=now,
    )


def plan_run_start(
    *,
    actor,
    day: date,
    technician_ids: list[int] | None = None,
    team: str = "",
    time_limit_s: int = routing_services.DEFAULT_TIME_LIMIT_S,
    now: datetime | None = None,
) -> PlanRun:
    """Snapshot the board for `day` and queue an optimizer run (solved by a worker).

    Without explicit technicians: everyone on shift that day (of `team` when given).
    """
    if technician_ids is None:
        technician_ids = [t.pk for t in technicians_on_shift(day, team=team)]
    if not technician_ids:
        raise DomainError(
            f"Nobody is on shift on {day:%a %b %d}" + (f" in {team}." if team else ".")
        )
    if not 1 <= time_limit_s <= routing_services.MAX_TIME_LIMIT_S:
        raise DomainError(
            f"The time limit must be between 1 and {routing_services.MAX_TIME_LIMIT_S} seconds."
        )
    built = plan_inputs(day=day, technician_ids=technician_ids, now=now)
    return routing_services.plan_run_create(
        actor=actor,
        day=day,
        technician_ids=technician_ids,
        built=built,
        time_limit_s=time_limit_s,
        parameters={"team": team} if team else None,
    )


# ----------------------------------------------------------------------------- apply


@dataclass
class ApplyOutcome:
    applied: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"applied": self.applied, "refused": self.refused}


def _stale_reason(
    change: dict, work_order: WorkOrder | None, booking: Booking | None, was: dict | None
) -> str | None:
    """Why a move can no longer be applied, or None when the job is as the run saw it."""
    if work_order is None:
        return "the work order no longer exists"
    if was is None:
        if booking is not None:
            return f"was assigned to {booking.technician} since the plan was made"
        if work_order.status != Status.NEW:
            return f"is now {work_order.get_status_display().lower()}"
        return None
    if booking is None:
        if work_order.status in (Status.COMPLETED, Status.CANCELLED, Status.ON_HOLD, Status.NEW):
            return f"is now {work_order.get_status_display().lower()}"
        return "was taken off the board since the plan was made"
    if booking.pk != was["booking"] or booking.technician_id != was["technician"]:
        return f"was reassigned to {booking.technician} since the plan was made"
    if booking.starts_at != datetime.fromisoformat(was["starts_at"]):
        return f"was moved to {timezone.localtime(booking.starts_at):%H:%M} since the plan was made"
    if work_order.status not in MOVABLE:
        return f"is now {work_order.get_status_display().lower()}"
    if booking.locked:
        return "was locked since the plan was made"
    return None


def _label(work_order: WorkOrder) -> str:
    return work_order.number or f"#{work_order.pk}"


def _describe(tech_names: dict[int, str], part: dict | None) -> str:
    if part is None:
        return "unassigned"
    start = timezone.localtime(datetime.fromisoformat(part["starts_at"]))
    return f"{tech_names.get(part['technician'], '?')} {start:%H:%M}"


@transaction.atomic
def plan_run_apply(*, actor, run: PlanRun) -> ApplyOutcome:
    """Apply a proposal in one transaction; moves the board changed since are refused.

    Locks the technicians (by id), the work orders (by id) and their active bookings,
    compares each move with the run's baseline, parks every accepted booking (state
    cancelled, so the no-overlap constraint never sees two versions of one lane), then
    re-activates or creates each one at its new place in a savepoint: a slot taken by
    a booking made after the run (the constraint refuses it) refuses only that move.
    """
    run = PlanRun.objects.select_for_update().get(pk=run.pk)
    if run.status != PlanRun.Status.SUCCEEDED:
        raise DomainError(f"This plan is {run.get_status_display().lower()}; it cannot be applied.")
    changes = [c for c in run.proposal.get("changes", []) if c["action"] in MOVE_ACTIONS]
    tech_ids = sorted(
        {part["technician"] for c in changes for part in (c["from"], c["to"]) if part is not None}
    )
    techs = {
        t.pk: t
        for t in Technician.objects.select_for_update().filter(pk__in=tech_ids).order_by("pk")
    }
    tech_names = {pk: str(t) for pk, t in techs.items()}
    wo_ids = sorted(c["work_order"] for c in changes)
    work_orders = {
        wo.pk: wo
        for wo in WorkOrder.objects.select_for_update().filter(pk__in=wo_ids).order_by("pk")
    }
    current = {
        b.work_order_id: b
        for b in Booking.objects.select_for_update()
        .select_related("technician")
        .filter(work_order_id__in=wo_ids, state=Booking.State.ACTIVE)
        .order_by("pk")
    }
    baseline = {b["work_order"]: b for b in run.baseline.get("bookings", [])}
    outcome = ApplyOutcome()

    accepted: list[dict] = []
    for change in changes:
        wo_id = change["work_order"]
        reason = _stale_reason(
            change, work_orders.get(wo_id), current.get(wo_id), baseline.get(wo_id)
        )
        if reason:
            outcome.refused.append(f"{change.get('number') or wo_id}: {reason}")
        else:
            accepted.append(change)

    # Park first: swaps between lanes need every old slot free before any new one.
    parked = [current[c["work_order"]] for c in accepted if c["from"] is not None]
    if parked:
        Booking.objects.filter(pk__in=[b.pk for b in parked]).update(
            state=Booking.State.CANCELLED, updated_at=timezone.now()
        )
    for booking in parked:
        booking.state = Booking.State.CANCELLED

    def start_key(change: dict) -> str:
        return change["to"]["starts_at"] if change["to"] else ""

    actor_or_none = actor if actor is not None and actor.is_authenticated else None
    for change in sorted(accepted, key=start_key):
        work_order = work_orders[change["work_order"]]
        booking = current.get(work_order.pk)
        before = change["from"]
        target = change["to"]
        summary = f"{_label(work_order)}: {_describe(tech_names, before)} → {_describe(tech_names, target)}"
        if target is None:
            work_order_set_status(
                actor=actor, work_order=work_order, target=Status.NEW, reason="optimizer plan"
            )
            event_record(
                actor=actor,
                kind=Event.Kind.PLAN_APPLIED,
                summary=summary,
                work_order=work_order,
                technician=booking.technician if booking else None,
                before=before,
                after=None,
                reason=f"plan run #{run.pk}: {change.get('reason', '')}",
            )
            outcome.applied.append(summary)
            continue
        starts = datetime.fromisoformat(target["starts_at"])
        ends = datetime.fromisoformat(target["ends_at"])
        try:
            with transaction.atomic():
                if booking is not None:
                    booking.technician = techs[target["technician"]]
                    booking.starts_at, booking.ends_at = starts, ends
                    booking.travel_minutes = target["travel_minutes"]
                    booking.state = Booking.State.ACTIVE
                    booking.save()
                else:
                    booking = Booking.objects.create(
                        work_order=work_order,
                        technician=techs[target["technician"]],
                        starts_at=starts,
                        ends_at=ends,
                        travel_minutes=target["travel_minutes"],
                        created_by=actor_or_none,
                    )
        except IntegrityError:
            outcome.refused.append(
                f"{_label(work_order)}: {_describe(tech_names, target)} is now taken by another booking"
            )
            if booking is not None and before is not None:
                _restore_or_release(actor, booking, work_order, before, outcome)
            continue
        new_tech = before is None or before["technician"] != target["technician"]
        if work_order.status == Status.NEW:
            work_order_set_status(actor=actor, work_order=work_order, target=Status.SCHEDULED)
        elif work_order.status == Status.DISPATCHED and new_tech:
            # The new technician has not been sent the job yet.
            work_order_set_status(
                actor=actor,
                work_order=work_order,
                target=Status.SCHEDULED,
                reason="reassigned by plan",
            )
        event_record(
            actor=actor,
            kind=Event.Kind.PLAN_APPLIED,
            summary=summary,
            work_order=work_order,
            technician=techs[target["technician"]],
            before=before,
            after=target,
            reason=f"plan run #{run.pk}",
        )
        outcome.applied.append(summary)

    now = timezone.now()
    PlanRun.objects.filter(pk=run.pk).update(
        status=PlanRun.Status.APPLIED,
        decided_by=actor_or_none,
        decided_at=now,
        outcome=outcome.as_json(),
    )
    bump_board_version(run.day)
    return outcome


def _restore_or_release(
    actor, booking: Booking, work_order: WorkOrder, before: dict, outcome
) -> None:
    """Put a refused move's booking back where it was; if that slot is gone too, unassign."""
    try:
        with transaction.atomic():
            booking.refresh_from_db()
            booking.state = Booking.State.ACTIVE
            booking.save(update_fields=["state", "updated_at"])
    except IntegrityError:
        work_order_set_status(
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


# ----------------------------------------------------------------------------- urgent


# Cost of an insertion, in minutes: added driving + every minute a booked job is
# pushed later (weighted like driving: both are time the day loses) + lateness past
# the urgent job's response due time (heavily: it is urgent) + a light preference for
# serving it sooner.
PUSH_WEIGHT = 1.0
URGENT_LATE_WEIGHT = 10.0
DELAY_WEIGHT = 0.25


@dataclass(frozen=True)
class UrgentSearch:
    best: Slot | None
    cost: float
    refusals: dict[str, int]
    considered: int


def disruption_cost(slot: Slot, now: datetime) -> float:
    """Least disruption first: added driving, minutes other jobs are pushed, the urgent
    job's own SLA lateness, and (a little) how long it waits."""
    wo = slot.inserted.work_order
    late = 0.0
    if wo.responded_at is None and slot.arrival > wo.response_due_at:
        late = (slot.arrival - wo.response_due_at).total_seconds() / 60
    delay = (slot.arrival - slot.tday.lane_start(now)).total_seconds() / 60
    return (
        slot.added_travel_minutes
        + PUSH_WEIGHT * slot.pushed_minutes
        + URGENT_LATE_WEIGHT * late
        + DELAY_WEIGHT * delay
    )


def urgent_insertion_find(
    *, work_order: WorkOrder, day: date, now: datetime | None = None
) -> UrgentSearch:
    """Best single insertion of `work_order` into the lanes of everyone on shift, judged
    by the board's own planner and rules; booked jobs are only ever pushed later."""
    now = now or timezone.now()
    if not work_order.site.has_coordinates:
        raise DomainError(f"{_label(work_order)} has no coordinates; set them on the site first.")
    options = search_lanes(
        work_order, day, now, key=lambda slot: disruption_cost(slot, now), keep_booked_times=True
    )
    refusals: dict[str, int] = {}
    for excluded in options.excluded:
        if excluded.reason.startswith("Off shift"):
            continue
        label = (
            "no room in the day"
            if excluded.reason.startswith("No feasible slot")
            else "not qualified"
        )
        refusals[label] = refusals.get(label, 0) + 1
    considered = len(options.best) + sum(refusals.values())
    if not options.best:
        return UrgentSearch(best=None, cost=math.inf, refusals=refusals, considered=considered)
    best = min(options.best.values(), key=lambda slot: disruption_cost(slot, now))
    return UrgentSearch(
        best=best, cost=disruption_cost(best, now), refusals=refusals, considered=considered
    )


@transaction.atomic
def urgent_insertion_propose(
    *, actor, work_order: WorkOrder, day: date, now: datetime | None = None
) -> PlanRun:
    """Find the least disruptive place for an urgent job; store it as a proposal run."""
    started = time.monotonic()
    now = now or timezone.now()
    work_order = (
        WorkOrder.objects.select_related("site")
        .prefetch_related("required_skills__skill")
        .get(pk=work_order.pk)
    )
    if (
        work_order.status != Status.NEW
        or Booking.objects.filter(work_order=work_order, state=Booking.State.ACTIVE).exists()
    ):
        raise DomainError(f"{_label(work_order)} is already on the board.")
    search = urgent_insertion_find(work_order=work_order, day=day, now=now)
    best, reasons, considered = search.best, search.refusals, search.considered
    if best is None:
        detail = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        raise DomainError(
            f"No technician on shift can take {_label(work_order)} on {day:%a %b %d}"
            + (f" ({detail})." if detail else ".")
        )
    epoch, day_len = day_epoch(day)
    technician = best.tday.technician
    starts_at, travel = best.arrival, best.inserted.travel_minutes
    pushes = [(stop.booking, stop.starts_at, stop.travel_minutes) for stop in best.moved]
    ends = starts_at + timedelta(minutes=work_order.estimated_minutes)
    changes = [
        {
            "work_order": work_order.pk,
            "number": work_order.number,
            "summary": work_order.summary,
            "action": "new",
            "from": None,
            "to": {
                "technician": technician.pk,
                "starts_at": starts_at.astimezone(UTC).isoformat(),
                "ends_at": ends.astimezone(UTC).isoformat(),
                "travel_minutes": travel,
            },
            "reason": "",
        }
    ]
    baseline_bookings = []
    for booking, new_start, pushed_travel in pushes:
        wo = booking.work_order
        was = {
            "booking": booking.pk,
            "work_order": wo.pk,
            "technician": booking.technician_id,
            "starts_at": booking.starts_at.astimezone(UTC).isoformat(),
            "ends_at": booking.ends_at.astimezone(UTC).isoformat(),
            "status": wo.status,
            "locked": booking.locked,
            "role": "movable",
        }
        baseline_bookings.append(was)
        changes.append(
            {
                "work_order": wo.pk,
                "number": wo.number,
                "summary": wo.summary,
                "action": "moved",
                "from": {k: was[k] for k in ("technician", "starts_at", "booking")},
                "to": {
                    "technician": booking.technician_id,
                    "starts_at": new_start.astimezone(UTC).isoformat(),
                    "ends_at": (new_start + (booking.ends_at - booking.starts_at))
                    .astimezone(UTC)
                    .isoformat(),
                    "travel_minutes": pushed_travel,
                },
                "reason": f"pushed {math.ceil((new_start - booking.starts_at).total_seconds() / 60)} min",
            }
        )
    pushed = best.pushed_minutes
    elapsed = time.monotonic() - started
    late = work_order.responded_at is None and starts_at > work_order.response_due_at
    metrics = {
        "technicians": considered,
        "added_travel_minutes": best.added_travel_minutes,
        "pushed_jobs": len(pushes),
        "pushed_minutes": round(pushed),
        "sla_late": late,
        "cost": round(search.cost, 1),
        "refusals": reasons,
        "elapsed_ms": round(elapsed * 1000),
        "counts": {"new": 1, "moved": len(pushes)},
    }
    run = routing_services.plan_run_record_ready(
        actor=actor,
        kind=PlanRun.Kind.URGENT,
        day=day,
        technician_ids=[technician.pk],
        work_order=work_order,
        problem={"work_order": work_order.pk, "now": to_seconds(now, epoch)},
        context={"day": day.isoformat(), "epoch": epoch.isoformat(), "day_seconds": day_len},
        baseline={
            "bookings": baseline_bookings,
            "unassigned": [{"work_order": work_order.pk, "status": work_order.status}],
        },
        solution={"technician": technician.pk, "starts_at": starts_at.isoformat()},
        proposal={"changes": changes, "metrics": metrics},
        parameters={
            "push_weight": PUSH_WEIGHT,
            "urgent_late_weight": URGENT_LATE_WEIGHT,
            "delay_weight": DELAY_WEIGHT,
        },
        elapsed_s=elapsed,
    )
    return run
