"""The board reacts to the field: a job running over, a technician unavailable from now.

Both move a technician's remaining (not started, unlocked) jobs of the day, one by
one, to the least disruptive slot found by the ranking's slot search
(`ranking.job_slots`, the board's own planner and rules; booked jobs are only pushed
later), each placement seeing the ones before it. The result is stored as one
proposal (`routing.PlanRun`, like an urgent insertion) that the dispatcher accepts or
discards on the board; accepting goes through `planning.apply.plan_run_apply`, which
refuses whatever the board changed meanwhile.
"""

import dataclasses
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from dispatch.lanes import TechnicianDay, TravelMemo, is_overrun
from dispatch.models import Booking, FieldAlert
from dispatch.ranking import Slot, job_slots
from dispatch.rules import requirements_of, skill_problems
from dispatch.selectors import LaneBooking, bookings_by_technician
from field.phone import field_alert_raise
from planning.urgent import disruption_cost, movable_baseline, moved_change
from routing import services as routing_services
from routing.models import PlanRun
from routing.problem import day_epoch, to_seconds
from routing.proposal import Change, Placement
from technicians.models import Technician, TimeOff
from technicians.selectors import day_bounds, technicians_for_day
from technicians.services import time_off_add
from workorders.models import WorkOrder
from workorders.status import MOVABLE, Status


def _place(booking: LaneBooking, technician_id: int, planned) -> LaneBooking:
    return dataclasses.replace(
        booking,
        technician_id=technician_id,
        starts_at=planned.starts_at,
        ends_at=planned.ends_at,
        travel_minutes=planned.travel_minutes,
    )


def _propose(
    *,
    actor,
    technician: Technician,
    purpose: str,
    keep_technician: bool,
    busy_until: datetime | None,
    now: datetime,
) -> PlanRun:
    started = time.monotonic()
    day = timezone.localdate(now)
    technicians = list(technicians_for_day(day).order_by("display_name", "pk"))
    lanes = bookings_by_technician(day, [t.pk for t in technicians])
    own = lanes.get(technician.pk, [])
    moving = [b for b in own if b.work_order.status in MOVABLE and not b.locked]
    if not moving:
        raise DomainError(f"{technician} has no job left today that can move.")
    staying = [b for b in own if b not in moving]
    if busy_until is not None:
        # The job running over is planned to have ended; plan from when it may end.
        staying = [
            dataclasses.replace(b, ends_at=max(b.ends_at, busy_until))
            if b.work_order.status == Status.ON_SITE
            else b
            for b in staying
        ]
    lanes[technician.pk] = staying
    candidates = [t for t in technicians if keep_technician or t.pk != technician.pk]
    tdays = {t.pk: TechnicianDay.of(t, day) for t in candidates}
    models = {
        wo.pk: wo
        for wo in WorkOrder.objects.filter(pk__in=[b.work_order_id for b in moving])
        .select_related("site")
        .prefetch_related("required_skills__skill")
    }
    travel = TravelMemo()
    original = {b.pk: b for lane in lanes.values() for b in lane} | {b.pk: b for b in moving}
    placed: dict[int, LaneBooking] = {}  # booking pk → where the proposal puts it
    unplaced: dict[int, str] = {}
    searched = 0
    for booking in moving:
        work_order = models[booking.work_order_id]
        requirements = requirements_of(work_order)
        best: Slot | None = None
        reason = "no technician on shift is qualified"
        for tech in candidates:
            tday = tdays[tech.pk]
            if tday.shift is None or skill_problems(tech, work_order, requirements, day):
                continue
            searched += 1
            found, why = job_slots(
                tday,
                booking.work_order,
                lanes.get(tech.pk, []),
                now,
                travel,
                keep_booked_times=True,
            )
            if not found:
                reason = f"no room: {why}"
                continue
            slot = min(found, key=lambda s: disruption_cost(s, now))
            if best is None or disruption_cost(slot, now) < disruption_cost(best, now):
                best = slot
        if best is None:
            unplaced[booking.pk] = reason
            if keep_technician:  # it stays where it is; later placements must see it
                lane = [*lanes.get(technician.pk, []), booking]
                lanes[technician.pk] = sorted(lane, key=lambda b: b.starts_at)
            continue
        target = best.tday.technician.pk
        lane = []
        for planned in best.bookings:
            moved = booking if planned.booking is None else planned.booking
            now_placed = _place(moved, target, planned)
            lane.append(now_placed)
            if planned.booking is None or planned.moved:
                placed[moved.pk] = now_placed
        lanes[target] = lane

    changes, baseline = [], []
    for booking_id, place in placed.items():
        was = original[booking_id]
        if (was.technician_id, was.starts_at) == (place.technician_id, place.starts_at):
            continue
        before, change = moved_change(
            was,
            Placement(place.technician_id, place.starts_at, place.ends_at, place.travel_minutes),
            reason="" if was.technician_id == place.technician_id else purpose,
        )
        baseline.append(before.to_json())
        changes.append(change)
    for booking in moving:
        if booking.pk not in unplaced or keep_technician:
            continue
        wo = booking.work_order
        before = movable_baseline(booking)
        baseline.append(before.to_json())
        changes.append(
            Change(
                work_order=wo.pk,
                number=wo.number,
                summary=wo.summary,
                action="unassign",
                before=before.place,
                after=None,
                reason=f"back to the queue: {unplaced[booking.pk]}",
            )
        )
    if not any(c.action in ("moved", "unassign") for c in changes):
        raise DomainError(
            f"Nothing better was found for {technician}'s remaining jobs: they stay as planned."
        )
    epoch, day_len = day_epoch(day)
    elapsed = time.monotonic() - started
    moved = [c for c in changes if c.action == "moved"]
    metrics = {
        "technicians": len(candidates),
        "added_travel_minutes": 0,
        "pushed_jobs": len(moved),
        "pushed_minutes": 0,
        "sla_late": False,
        "cost": 0,
        "refusals": {"without a better place": len(unplaced)} if unplaced else {},
        "elapsed_ms": round(elapsed * 1000),
        "counts": {"new": 0, "moved": len(moved), "unassign": len(changes) - len(moved)},
        "purpose": purpose,
        "slots_searched": searched,
    }
    return routing_services.plan_run_record_ready(
        actor=actor,
        kind=PlanRun.Kind.URGENT,
        day=day,
        technician_ids=sorted({c.after.technician for c in moved} | {technician.pk}),
        problem={"technician": technician.pk, "now": to_seconds(now, epoch)},
        context={"day": day.isoformat(), "epoch": epoch.isoformat(), "day_seconds": day_len},
        baseline={"bookings": baseline, "unassigned": []},
        solution={"placed": len(moved), "unplaced": len(unplaced)},
        proposal={"changes": [c.to_json() for c in changes], "metrics": metrics},
        parameters={"purpose": purpose, "technician": technician.pk},
        elapsed_s=elapsed,
    )


@transaction.atomic
def overrun_propose(*, actor, alert: FieldAlert, now: datetime | None = None) -> PlanRun:
    """Ranked new places for the later jobs of a technician whose job runs over."""
    now = now or timezone.now()
    alert = FieldAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.kind != FieldAlert.Kind.OVERRUN or alert.dismissed_at is not None:
        raise DomainError("That alert is not an open overrun.")
    booking = alert.booking
    estimate = booking.work_order.estimated_minutes
    # Assume the job needs another quarter of its estimate (at least 15 minutes) from now.
    busy_until = now + timedelta(minutes=max(15, round(estimate * 0.25)))
    run = _propose(
        actor=actor,
        technician=alert.technician,
        purpose=f"{booking.work_order.number} runs over",
        keep_technician=True,
        busy_until=busy_until,
        now=now,
    )
    alert.plan_run = run
    alert.save(update_fields=["plan_run"])
    return run


@transaction.atomic
def technician_unavailable_from_now(
    *, actor, technician: Technician, reason: str, now: datetime | None = None
) -> PlanRun:
    """A sick call: the technician is off from now to the end of the day (time off,
    logged, alerted) and their remaining jobs are proposed to the others."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the technician is unavailable, e.g. “called in sick”.")
    technician = Technician.objects.select_for_update().get(pk=technician.pk)
    _, end_of_day = day_bounds(timezone.localdate(now))
    if TimeOff.objects.filter(technician=technician, starts_at__lte=now, ends_at__gt=now).exists():
        raise DomainError(f"{technician} is already marked off now.")
    time_off_add(
        actor=actor,
        technician=technician,
        kind=TimeOff.Kind.SICK,
        starts_at=now,
        ends_at=end_of_day,
        reason=f"unavailable from {timezone.localtime(now):%H:%M}: {reason}"[:200],
    )
    try:
        run = _propose(
            actor=actor,
            technician=technician,
            purpose=f"{technician} unavailable",
            keep_technician=False,
            busy_until=None,
            now=now,
        )
    except DomainError:
        run = None  # nothing left to move: the time off alone is the change
    field_alert_raise(
        actor=actor,
        kind=FieldAlert.Kind.UNAVAILABLE,
        technician=technician,
        message=f"{technician} is unavailable from {timezone.localtime(now):%H:%M}: {reason}",
        plan_run=run,
        now=now,
    )
    return run


def overrun_alerts_raise(*, now: datetime | None = None) -> int:
    """Alert dispatchers to every job on site past OVERRUN_FRACTION of its estimate,
    once per booking (a unique constraint: the sweep runs every minute)."""
    now = now or timezone.now()
    candidates = (
        Booking.objects.filter(
            state=Booking.State.ACTIVE,
            work_order__status=Status.ON_SITE,
            arrived_at__isnull=False,
            arrived_at__lt=now,
        )
        .exclude(pk__in=FieldAlert.objects.filter(kind=FieldAlert.Kind.OVERRUN).values("booking"))
        .select_related("work_order", "technician")
    )
    raised = 0
    for booking in candidates:
        lane_booking = LaneBooking(
            booking.pk,
            booking.technician_id,
            booking.work_order_id,
            booking.starts_at,
            booking.ends_at,
            booking.travel_minutes,
            booking.locked,
            booking.work_order,
            arrived_at=booking.arrived_at,
        )
        if not is_overrun(lane_booking, now):
            continue
        minutes = round((now - booking.arrived_at).total_seconds() / 60)
        try:
            with transaction.atomic():
                field_alert_raise(
                    actor=None,
                    kind=FieldAlert.Kind.OVERRUN,
                    technician=booking.technician,
                    work_order=booking.work_order,
                    booking=booking,
                    message=(
                        f"{booking.work_order.number} at {booking.technician}: on site {minutes} min "
                        f"of {booking.work_order.estimated_minutes} estimated "
                        f"(over {settings.OVERRUN_FRACTION:.0%})"
                    ),
                    now=now,
                )
        except IntegrityError:
            continue  # another sweep raised it a moment ago
        raised += 1
    return raised
