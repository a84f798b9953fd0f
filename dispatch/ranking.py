"""“Who should take this?”: every technician who can legally do a job on a day,
ranked by earliest feasible arrival, added travel, SLA slack and spare capacity,
with each component shown, and the others listed with the reason they cannot."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from dispatch.board import bookings_by_technician, lane_token, stops_from_bookings
from dispatch.lanes import (
    RuleProblem,
    Stop,
    lane_problems,
    leading_fixed,
    plan_lane,
    skill_problems,
)
from technicians.models import Technician
from technicians.selectors import shift_on, technicians_for_day
from workorders.models import WorkOrder


@dataclass(frozen=True)
class Candidate:
    technician: Technician
    position: int
    arrival: datetime
    added_travel_minutes: int
    sla_slack_minutes: int | None
    remaining_capacity_minutes: int
    warnings: list[RuleProblem]
    lane_token: str


@dataclass(frozen=True)
class Excluded:
    technician: Technician
    reason: str


@dataclass(frozen=True)
class Ranking:
    work_order: WorkOrder
    day: date
    candidates: list[Candidate]
    excluded: list[Excluded]


def _best_slot(
    technician: Technician, day: date, work_order: WorkOrder, lane, now: datetime
) -> Candidate | str:
    base_stops = [s for s in stops_from_bookings(lane) if s.work_order.pk != work_order.pk]
    base_plan = plan_lane(technician, day, [Stop(s.work_order, s.booking) for s in base_stops], now)
    base_travel = base_plan.travel_total
    best: Candidate | None = None
    last_reason = "no feasible slot"
    for position in range(leading_fixed(base_stops), len(base_stops) + 1):
        stops = [Stop(s.work_order, s.booking) for s in base_stops]
        stops.insert(position, Stop(work_order))
        plan = plan_lane(technician, day, stops, now)
        problems = lane_problems(plan, now)
        hard = [p for p in problems if p.hard]
        if hard:
            last_reason = hard[0].message
            continue
        inserted = stops[position]
        due = (
            work_order.response_due_at
            if work_order.responded_at is None
            else work_order.resolution_due_at
        )
        slack = int((due - inserted.starts_at).total_seconds() // 60) if due else None
        capacity = int(float(technician.max_daily_hours) * 60) - plan.worked_minutes
        candidate = Candidate(
            technician=technician,
            position=position,
            arrival=inserted.starts_at,
            added_travel_minutes=plan.travel_total - base_travel,
            sla_slack_minutes=slack,
            remaining_capacity_minutes=capacity,
            warnings=[p for p in problems if not p.hard],
            lane_token=lane_token(lane),
        )
        if best is None or _score(candidate) < _score(best):
            best = candidate
    if best is None:
        return f"No feasible slot: {last_reason}"
    return best


def _score(candidate: Candidate) -> tuple:
    return (
        candidate.arrival,
        candidate.added_travel_minutes,
        -(candidate.sla_slack_minutes or 0),
        -candidate.remaining_capacity_minutes,
    )


def rank_technicians(work_order: WorkOrder, day: date, now: datetime | None = None) -> Ranking:
    now = now or timezone.now()
    technicians = list(technicians_for_day(day).order_by("display_name", "pk"))
    lanes = bookings_by_technician(day, [t.pk for t in technicians])
    candidates, excluded = [], []
    for technician in technicians:
        skills = skill_problems(technician, work_order, day)
        if skills:
            excluded.append(Excluded(technician, skills[0].message))
            continue
        if shift_on(technician, day) is None:
            excluded.append(Excluded(technician, f"Off shift on {day:%a %b %-d}."))
            continue
        result = _best_slot(technician, day, work_order, lanes.get(technician.pk, []), now)
        if isinstance(result, str):
            excluded.append(Excluded(technician, result))
        else:
            candidates.append(result)
    candidates.sort(key=_score)
    return Ranking(work_order=work_order, day=day, candidates=candidates, excluded=excluded)
