"""From the database to an optimizer problem (VROOM-shaped dict) for one date.

Conventions (the optimizer only knows integers):
- Times are whole seconds since local midnight of the date, measured in real
  elapsed time (UTC arithmetic), so a DST day has 23 or 25 hours and travel
  times stay exact. `context["epoch"]` is that midnight in UTC.
- Job id = work order id, vehicle id = technician id.
- Skills are (skill, level) pairs encoded as skill_id * 10 + level; a technician
  gets every level up to the one of each certification valid on the date, a job
  the one level it needs, so "HVAC ≥ 2" matches HVAC 2…5 and nothing expired.
- Partial time off: time off touching the start or the end of the shift shortens
  the shift; time off in the middle becomes a break of exactly that span (the
  solver's breaks may fall en route, i.e. the drive is split around it). Time off
  covering the whole shift removes the technician.
- Fixed work: bookings of jobs underway (en route / on site) are the first job of
  their technician (`in_progress`); locked bookings keep technician and start
  (`pinned_vehicle` + `pinned_start`); completed bookings, and locked ones already
  started, are history: the technician's day resumes after the latest of them,
  from its site. For today nothing movable starts before `now`.

Bookings live in `dispatch`, which routing must not import: the caller passes them
as plain `BookingSnapshot` records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch

from routing.proposal import BaselineBooking, ClockSnapshot
from technicians.models import Technician
from technicians.selectors import at_local, shift_on, time_off_overlapping
from workorders.models import RequiredSkill, WorkOrder
from workorders.status import IN_PROGRESS, MOVABLE, Status

SKILL_LEVELS = 10  # room for levels 1…9 in the encoded skill number
# The optimizer serves the most priority first (routing/optimizer/README.md). A job's
# priority is its work order's priority (1 low … 4 emergency) plus the urgency of its SLA
# tier (how soon a response is due):
#   work order priority  1 → 0, 2 → 20, 3 → 50, 4 → 80
#   SLA response target  ≤ 4 h → +20, ≤ 24 h → +10, longer → +0      (capped at 100)
# so an emergency on a platinum contract (100) outranks a high-priority job on a
# standard one (50), and a two-job swap of normal jobs (2 × 20) never outweighs one
# emergency (80 or more).
PRIORITY = {1: 0, 2: 20, 3: 50, 4: 80}
TIER_URGENCY = ((4 * 60, 20), (24 * 60, 10))  # (response minutes at most, bonus)
# A job already booked was promised to a customer: the plan should keep it unless it
# cannot fit, so its drop penalty is raised (an unbooked emergency still outranks a
# booked normal job).
BOOKED_PRIORITY_BONUS = 50


@dataclass(frozen=True)
class BookingSnapshot:
    booking_id: int
    work_order_id: int
    technician_id: int
    starts_at: datetime
    ends_at: datetime
    locked: bool


@dataclass
class BuiltProblem:
    problem: dict
    baseline: dict
    context: dict
    excluded: list[dict] = field(default_factory=list)


def encode_skill(skill_id: int, level: int) -> int:
    return skill_id * SKILL_LEVELS + level


def technician_skills(technician: Technician, day: date) -> list[int]:
    codes = []
    for cert in technician.certifications.all():
        if cert.is_valid_on(day):
            codes.extend(encode_skill(cert.skill_id, level) for level in range(1, cert.level + 1))
    return sorted(codes)


def job_skills(requirements: list[RequiredSkill]) -> list[int]:
    return sorted(encode_skill(r.skill_id, r.min_level) for r in requirements)


def day_epoch(day: date) -> tuple[datetime, int]:
    """Local midnight of `day` in UTC and the day's length in seconds (23/24/25 h)."""
    start = at_local(day, datetime.min.time()).astimezone(UTC)
    end = at_local(day + timedelta(days=1), datetime.min.time()).astimezone(UTC)
    return start, int((end - start).total_seconds())


def to_seconds(moment: datetime, epoch: datetime) -> int:
    return math.floor((moment - epoch).total_seconds())


def _lonlat(lat: float, lng: float) -> list[float]:
    return [round(lng, 6), round(lat, 6)]


def job_priority(work_order: WorkOrder) -> int:
    """The optimizer's priority of a work order (see PRIORITY above)."""
    response = work_order.sla_policy.response_minutes
    bonus = next((extra for limit, extra in TIER_URGENCY if response <= limit), 0)
    return min(100, PRIORITY.get(work_order.priority, 20) + bonus)


def work_orders_for_planning(ids) -> dict[int, WorkOrder]:
    rows = (
        WorkOrder.objects.filter(pk__in=list(ids))
        .select_related("site", "sla_policy")
        .prefetch_related(
            Prefetch("required_skills", queryset=RequiredSkill.objects.select_related("skill"))
        )
    )
    return {wo.pk: wo for wo in rows}


def _job(work_order: WorkOrder, epoch: datetime, day_len: int) -> dict:
    site = work_order.site
    job: dict = {
        "id": work_order.pk,
        "location": _lonlat(site.latitude, site.longitude),
        "service": work_order.estimated_minutes * 60,
        "skills": job_skills(list(work_order.required_skills.all())),
        "priority": job_priority(work_order),
        "description": work_order.number or f"WO {work_order.pk}",
    }
    if work_order.window_start and work_order.window_end:
        start = max(0, to_seconds(work_order.window_start, epoch))
        end = min(day_len, to_seconds(work_order.window_end, epoch))
        if end >= start:
            job["time_windows"] = [[start, end]]
    extension: dict = {}
    if work_order.responded_at is None and work_order.response_due_at is not None:
        extension["sla_deadline"] = max(0, to_seconds(work_order.response_due_at, epoch))
    if extension:
        job["fieldops"] = extension
    return job


def _job_meta(work_order: WorkOrder, role: str, booking_id: int | None) -> dict:
    """What the proposal needs to describe and judge a job without the database."""
    return {
        "number": work_order.number,
        "summary": work_order.summary,
        "role": role,
        "minutes": work_order.estimated_minutes,
        "clock": ClockSnapshot.of(work_order).to_json(),
        "booking": booking_id,
    }


def _window_misses_day(work_order: WorkOrder, epoch: datetime, day_len: int) -> bool:
    if not (work_order.window_start and work_order.window_end):
        return False
    return (
        to_seconds(work_order.window_end, epoch) <= 0
        or to_seconds(work_order.window_start, epoch) >= day_len
    )


def build_problem(
    *,
    day: date,
    technicians: list[Technician],
    bookings: list[BookingSnapshot],
    unassigned: list[WorkOrder],
    now: datetime,
    sla_penalty: int | None = None,
) -> BuiltProblem:
    """Translate one date's technicians, their bookings and open jobs into a problem.

    `technicians` should come from `technicians_for_day(day)` (prefetched shifts,
    exceptions, time off, certifications). `bookings` are the active bookings of those
    technicians on `day`; `unassigned` the open work orders without a booking.
    """
    epoch, day_len = day_epoch(day)
    now_s = to_seconds(now, epoch)
    work_orders = work_orders_for_planning(
        [b.work_order_id for b in bookings] + [w.pk for w in unassigned]
    )
    excluded: list[dict] = []
    jobs: list[dict] = []
    vehicles: list[dict] = []
    job_meta: dict[str, dict] = {}
    baseline_bookings: list[dict] = []
    lanes: dict[int, list[BookingSnapshot]] = {}
    for booking in sorted(bookings, key=lambda b: b.starts_at):
        lanes.setdefault(booking.technician_id, []).append(booking)

    for tech in technicians:
        shift = shift_on(tech, day)
        lane = lanes.get(tech.pk, [])
        if shift is None:
            # Bookings of a technician who is off stay as they are; we do not plan them.
            for booking in lane:
                excluded.append(
                    {"work_order": booking.work_order_id, "reason": f"{tech} is not on shift"}
                )
            continue
        start_s = max(to_seconds(shift.starts_at, epoch), now_s)
        end_s = to_seconds(shift.ends_at, epoch)
        start_at = (tech.home_latitude, tech.home_longitude)
        breaks: list[dict] = []

        # History first: it moves the start of the technician's remaining day.
        in_progress: BookingSnapshot | None = None
        history_end = None
        for booking in lane:
            work_order = work_orders[booking.work_order_id]
            started = to_seconds(booking.starts_at, epoch) < start_s
            if work_order.status in IN_PROGRESS and in_progress is None:
                in_progress = booking
            elif (work_order.status not in MOVABLE or (booking.locked and started)) and (
                history_end is None or booking.ends_at > history_end
            ):
                history_end = booking.ends_at
                if work_order.site.has_coordinates:
                    start_at = (work_order.site.latitude, work_order.site.longitude)
        if history_end is not None:
            start_s = max(start_s, to_seconds(history_end, epoch))

        for off in time_off_overlapping(tech, shift.starts_at, shift.ends_at):
            off_start, off_end = to_seconds(off.starts_at, epoch), to_seconds(off.ends_at, epoch)
            if off_start <= start_s:
                start_s = max(start_s, off_end)
            elif off_end >= end_s:
                end_s = min(end_s, off_start)
            else:
                breaks.append(
                    {
                        "id": off.pk,
                        "time_windows": [[off_start, off_start]],
                        "service": off_end - off_start,
                        "description": off.get_kind_display(),
                    }
                )
        breaks = [b for b in breaks if start_s < b["time_windows"][0][0] < end_s]
        if start_s >= end_s:
            for booking in lane:
                if booking is not in_progress and work_orders[booking.work_order_id].status in (
                    MOVABLE
                ):
                    excluded.append(
                        {
                            "work_order": booking.work_order_id,
                            "reason": f"{tech} has no working time left on {day:%b %d}",
                        }
                    )
            continue

        if in_progress is not None:
            work_order = work_orders[in_progress.work_order_id]
            if work_order.status == Status.ON_SITE and work_order.site.has_coordinates:
                start_at = (work_order.site.latitude, work_order.site.longitude)
        vehicle = {
            "id": tech.pk,
            "start": _lonlat(*start_at),
            "end": _lonlat(tech.home_latitude, tech.home_longitude),
            "time_window": [start_s, end_s],
            "skills": technician_skills(tech, day),
            "description": str(tech),
            # Travel + service capped by the technician's daily hours (solver and checker).
            "fieldops": {"max_working_time": int(tech.max_daily_hours * 3600)},
        }
        if breaks:
            vehicle["breaks"] = breaks
        vehicles.append(vehicle)

        for booking in lane:
            work_order = work_orders[booking.work_order_id]
            if booking is in_progress:
                role = "in_progress"
            elif work_order.status not in MOVABLE or (
                booking.locked and to_seconds(booking.starts_at, epoch) < start_s
            ):
                continue  # history
            elif booking.locked:
                role = "pinned"
            else:
                role = "movable"
            if not work_order.site.has_coordinates:
                excluded.append({"work_order": work_order.pk, "reason": "site has no coordinates"})
                continue
            job = _job(work_order, epoch, day_len)
            job["priority"] = min(100, job["priority"] + BOOKED_PRIORITY_BONUS)
            extension = job.setdefault("fieldops", {})
            if role == "in_progress":
                extension.update(pinned_vehicle=tech.pk, in_progress=True)
                job.pop("time_windows", None)
                remaining = to_seconds(booking.ends_at, epoch) - start_s
                if work_order.status == Status.EN_ROUTE:
                    remaining = work_order.estimated_minutes * 60
                job["service"] = max(300, remaining)
            elif role == "pinned":
                extension.update(
                    pinned_vehicle=tech.pk, pinned_start=to_seconds(booking.starts_at, epoch)
                )
                job.pop("time_windows", None)
            jobs.append(job)
            job_meta[str(work_order.pk)] = _job_meta(work_order, role, booking.booking_id)
            baseline_bookings.append(
                BaselineBooking(
                    booking=booking.booking_id,
                    work_order=work_order.pk,
                    technician=tech.pk,
                    starts_at=booking.starts_at,
                    ends_at=booking.ends_at,
                    status=work_order.status,
                    locked=booking.locked,
                    role=role,
                ).to_json()
            )

    baseline_unassigned = []
    if vehicles:
        for listed in unassigned:
            work_order = work_orders.get(listed.pk)
            if work_order is None:
                continue
            if not work_order.site.has_coordinates:
                excluded.append({"work_order": work_order.pk, "reason": "site has no coordinates"})
                continue
            if _window_misses_day(work_order, epoch, day_len):
                continue
            jobs.append(_job(work_order, epoch, day_len))
            job_meta[str(work_order.pk)] = _job_meta(work_order, "unassigned", None)
            baseline_unassigned.append({"work_order": work_order.pk, "status": work_order.status})

    problem: dict = {
        "jobs": jobs,
        "vehicles": vehicles,
        "fieldops": {
            "road_factor": settings.TRAVEL_ROAD_FACTOR,
            "speed_kmh": settings.TRAVEL_SPEED_KMH,
        },
    }
    if sla_penalty is not None:
        problem["fieldops"]["sla_penalty"] = sla_penalty
    skill_labels = {
        str(encode_skill(r.skill_id, r.min_level)): f"{r.skill.name} ≥ {r.min_level}"
        for work_order in work_orders.values()
        for r in work_order.required_skills.all()
    }
    context = {
        "skills": skill_labels,
        "day": day.isoformat(),
        "epoch": epoch.isoformat(),
        "day_seconds": day_len,
        "now": now_s,
        "jobs": job_meta,
        "vehicles": {str(v["id"]): v["description"] for v in vehicles},
        "excluded": excluded,
    }
    baseline = {"bookings": baseline_bookings, "unassigned": baseline_unassigned}
    return BuiltProblem(problem=problem, baseline=baseline, context=context, excluded=excluded)


def attach_matrices(problem: dict, provider) -> dict:
    """Swap coordinates for `location_index`es into a routing-engine matrix.

    Only used with a real engine (OSRM): without one the optimizer computes the same
    great-circle matrices itself from the coordinates and `fieldops` factors.
    """
    points: list[tuple[float, float]] = []
    index: dict[tuple[float, float], int] = {}

    def slot(lonlat: list[float]) -> int:
        key = (lonlat[1], lonlat[0])
        if key not in index:
            index[key] = len(points)
            points.append(key)
        return index[key]

    result = {**problem, "jobs": [], "vehicles": []}
    for vehicle in problem["vehicles"]:
        vehicle = dict(vehicle)
        for key in ("start", "end"):
            if key in vehicle:
                vehicle[f"{key}_index"] = slot(vehicle[key])
        result["vehicles"].append(vehicle)
    for job in problem["jobs"]:
        job = dict(job)
        job["location_index"] = slot(job["location"])
        result["jobs"].append(job)
    matrix = provider.matrix(points)
    result["matrices"] = {"car": {"durations": matrix.seconds, "distances": matrix.metres}}
    return result
