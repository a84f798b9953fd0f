"""Urgent insertion: the least disruptive single place for one work order across the
lanes of everyone on shift, judged by the board's own planner and rules (booked
work orders are only ever pushed later), stored as a proposal like an optimizer run."""

import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from dispatch.ranking import Exclusion, Slot, search_lanes
from dispatch.rules import plannable_day_check
from dispatch.selectors import unassigned_work_orders
from routing import services as routing_services
from routing.models import PlanRun
from routing.problem import day_epoch, to_seconds
from routing.proposal import BaselineBooking, Change, Placement
from workorders.models import WorkOrder
from workorders.sla import forecast_breach

# Cost of an insertion, in minutes: added driving + every minute a booked job is
# pushed later (weighted like driving: both are time the day loses) + lateness past
# the urgent job's response due time (heavily: it is urgent) + a light preference for
# serving it sooner.
PUSH_WEIGHT = 1.0
URGENT_LATE_WEIGHT = 10.0
DELAY_WEIGHT = 0.25

REFUSAL_LABELS = {Exclusion.NO_SLOT: "no room in the day", Exclusion.NOT_QUALIFIED: "not qualified"}


@dataclass(frozen=True)
class UrgentSearch:
    best: Slot | None
    cost: float
    refusals: dict[str, int]
    considered: int


def disruption_cost(slot: Slot, now: datetime) -> float:
    """Least disruption first: added driving, minutes other jobs are pushed, the urgent
    job's own SLA lateness, and (a little) how long it waits."""
    inserted = slot.inserted
    breach = forecast_breach(
        inserted.work_order, arrival=inserted.starts_at, finish=inserted.ends_at
    )
    late = breach.late_minutes if breach is not None else 0.0
    delay = (slot.arrival - slot.tday.lane_start(now)).total_seconds() / 60
    return (
        slot.added_travel_minutes
        + PUSH_WEIGHT * slot.pushed_minutes
        + URGENT_LATE_WEIGHT * late
        + DELAY_WEIGHT * delay
    )


def movable_baseline(booking) -> BaselineBooking:
    """A movable booking (a `LaneBooking`) as a proposal's baseline records it."""
    return BaselineBooking(
        booking=booking.pk,
        work_order=booking.work_order.pk,
        technician=booking.technician_id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        status=booking.work_order.status,
        locked=booking.locked,
        role="movable",
    )


def moved_change(booking, after: Placement, reason: str = "") -> tuple[BaselineBooking, Change]:
    """A proposal's line for a booked job it moves (a `LaneBooking`), with its baseline;
    the reason defaults to how far it is pushed."""
    was = movable_baseline(booking)
    if not reason:
        pushed = math.ceil((after.starts_at - booking.starts_at).total_seconds() / 60)
        reason = f"pushed {pushed} min"
    wo = booking.work_order
    change = Change(
        work_order=wo.pk,
        number=wo.number,
        summary=wo.summary,
        action="moved",
        before=was.place,
        after=after,
        reason=reason,
    )
    return was, change


def _label(work_order: WorkOrder) -> str:
    return work_order.number or f"#{work_order.pk}"


def urgent_insertion_find(
    *, work_order: WorkOrder, day: date, now: datetime | None = None
) -> UrgentSearch:
    """Best single insertion of `work_order` into the lanes of everyone on shift."""
    now = now or timezone.now()
    if not work_order.site.has_coordinates:
        raise DomainError(f"{_label(work_order)} has no coordinates; set them on the site first.")
    options = search_lanes(
        work_order, day, now, key=lambda slot: disruption_cost(slot, now), keep_booked_times=True
    )
    refusals: dict[str, int] = {}
    for excluded in options.excluded:
        label = REFUSAL_LABELS.get(excluded.code)
        if label is not None:  # technicians off shift were never candidates
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
    plannable_day_check(day, timezone.localdate(now))
    work_order = (
        WorkOrder.objects.select_related("site")
        .prefetch_related("required_skills__skill")
        .get(pk=work_order.pk)
    )
    if not unassigned_work_orders().filter(pk=work_order.pk).exists():
        raise DomainError(f"{_label(work_order)} is already on the board.")
    search = urgent_insertion_find(work_order=work_order, day=day, now=now)
    best, reasons = search.best, search.refusals
    if best is None:
        detail = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
        raise DomainError(
            f"No technician on shift can take {_label(work_order)} on {day:%a %b %d}"
            + (f" ({detail})." if detail else ".")
        )
    epoch, day_len = day_epoch(day)
    technician = best.tday.technician
    starts_at = best.arrival
    changes = [
        Change(
            work_order=work_order.pk,
            number=work_order.number,
            summary=work_order.summary,
            action="new",
            before=None,
            after=Placement(
                technician.pk,
                starts_at,
                starts_at + timedelta(minutes=work_order.estimated_minutes),
                best.inserted.travel_minutes,
            ),
        )
    ]
    baseline_bookings = []
    for planned in best.moved:
        booking = planned.booking
        was, change = moved_change(
            booking,
            Placement(
                booking.technician_id,
                planned.starts_at,
                planned.starts_at + (booking.ends_at - booking.starts_at),
                planned.travel_minutes,
            ),
        )
        baseline_bookings.append(was.to_json())
        changes.append(change)
    elapsed = time.monotonic() - started
    metrics = {
        "technicians": search.considered,
        "added_travel_minutes": best.added_travel_minutes,
        "pushed_jobs": len(best.moved),
        "pushed_minutes": round(best.pushed_minutes),
        "sla_late": forecast_breach(work_order, arrival=starts_at, finish=best.inserted.ends_at)
        is not None,
        "cost": round(search.cost, 1),
        "refusals": reasons,
        "elapsed_ms": round(elapsed * 1000),
        "counts": {"new": 1, "moved": len(best.moved)},
    }
    return routing_services.plan_run_record_ready(
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
        proposal={"changes": [change.to_json() for change in changes], "metrics": metrics},
        parameters={
            "push_weight": PUSH_WEIGHT,
            "urgent_late_weight": URGENT_LATE_WEIGHT,
            "delay_weight": DELAY_WEIGHT,
        },
        elapsed_s=elapsed,
    )
