"""Where a job fits in a technician's day, and who should take it.

`job_slots` tries every position in one lane with the board's own planner and
rules. The ranking (“Who should take this?”) orders technicians by earliest
feasible arrival, added travel, SLA slack and spare capacity; the urgent
insertion in `planning.urgent` uses the same slots with a disruption cost.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from django.utils import timezone

from dispatch.lanes import (
    LanePlan,
    PlannedBooking,
    TechnicianDay,
    TravelMemo,
    leading_fixed,
    plan_lane,
    planned_from,
)
from dispatch.rules import RuleProblem, lane_problems, requirements_of, skill_problems
from dispatch.selectors import LaneBooking, bookings_by_technician, lane_fingerprint
from technicians.models import Technician
from technicians.selectors import technicians_for_day
from workorders.models import WorkOrder


@dataclass
class Slot:
    """A feasible place for a job in one lane: the lane as it would be planned."""

    tday: TechnicianDay
    position: int
    bookings: list[PlannedBooking]
    added_travel_minutes: int

    @property
    def inserted(self) -> PlannedBooking:
        return self.bookings[self.position]

    @property
    def arrival(self) -> datetime:
        return self.inserted.starts_at

    @property
    def moved(self) -> list[PlannedBooking]:
        """Bookings whose time the insertion changes."""
        return [planned for planned in self.bookings if planned.moved]

    @property
    def pushed_minutes(self) -> float:
        return sum(
            max(0.0, (s.starts_at - s.booking.starts_at).total_seconds() / 60) for s in self.moved
        )

    def sla_slack_minutes(self) -> int | None:
        wo = self.inserted.work_order
        due = wo.response_due_at if wo.responded_at is None else wo.resolution_due_at
        return int((due - self.arrival).total_seconds() // 60) if due else None

    def remaining_capacity_minutes(self) -> int:
        return int(self.tday.max_minutes) - LanePlan(self.tday, self.bookings).worked_minutes


def _hard_keys(problems: list[RuleProblem]) -> set[tuple[str, str]]:
    return {(p.work_order_number, p.code) for p in problems if p.hard}


def job_slots(
    tday: TechnicianDay,
    work_order: WorkOrder,
    lane: list[LaneBooking],
    now: datetime,
    travel: TravelMemo,
    keep_booked_times: bool = False,
    earliest_only: bool = False,
) -> tuple[list[Slot], str]:
    """Every position where `work_order` fits without a hard problem, and the last
    reason a position was refused. Stops before the insertion point keep the base
    plan's times, so each position re-plans only the tail of the lane.

    With `earliest_only` the search stops once the day before a position already ends
    after the earliest arrival found: no later position can arrive earlier."""
    base = [p for p in planned_from(lane) if p.work_order.pk != work_order.pk]
    base_plan = plan_lane(tday, base, now, travel, keep_booked_times=keep_booked_times)
    base_travel = base_plan.travel_total
    already_wrong: set[tuple[str, str]] | None = None  # the lane's own problems, on demand
    first_movable = leading_fixed(base)
    cursor, position = tday.lane_start(now), tday.origin(now)
    for planned in base[:first_movable]:
        cursor, position = max(cursor, planned.ends_at), tday.leg_origin(planned, position, now)
    found: list[Slot] = []
    last_reason = "the day is full"
    for insert_at in range(first_movable, len(base) + 1):
        if earliest_only and found and cursor > min(slot.arrival for slot in found):
            break
        bookings = (
            base[:insert_at] + [PlannedBooking(work_order)] + [p.copy() for p in base[insert_at:]]
        )
        plan = plan_lane(
            tday,
            bookings,
            now,
            travel,
            first=insert_at,
            cursor=cursor,
            position=position,
            keep_booked_times=keep_booked_times,
        )
        hard = lane_problems(plan, first=insert_at, hard_only=True)
        if hard:
            if already_wrong is None:
                already_wrong = _hard_keys(lane_problems(base_plan, hard_only=True))
            hard = [p for p in hard if (p.work_order_number, p.code) not in already_wrong]
        if hard:
            last_reason = hard[0].message
        else:
            found.append(Slot(tday, insert_at, bookings, plan.travel_total - base_travel))
        if insert_at < len(base):
            planned = base[insert_at]
            cursor, position = max(cursor, planned.ends_at), tday.leg_origin(planned, position, now)
    return found, last_reason


@dataclass(frozen=True)
class Candidate:
    technician: Technician
    position: int
    arrival: datetime
    added_travel_minutes: int
    sla_slack_minutes: int | None
    remaining_capacity_minutes: int
    warnings: list[RuleProblem]
    lane_fingerprint: str


class Exclusion(StrEnum):
    NOT_QUALIFIED = "not_qualified"
    OFF_SHIFT = "off_shift"
    NO_SLOT = "no_slot"


@dataclass(frozen=True)
class Excluded:
    technician: Technician
    code: Exclusion
    reason: str


@dataclass(frozen=True)
class Ranking:
    work_order: WorkOrder
    day: date
    candidates: list[Candidate]
    excluded: list[Excluded]


def earliest_arrival(slot: Slot) -> tuple:
    return (
        slot.arrival,
        slot.added_travel_minutes,
        -(slot.sla_slack_minutes() or 0),
        -slot.remaining_capacity_minutes(),
    )


@dataclass(frozen=True)
class LaneOptions:
    """Per-technician outcome of a search over lanes."""

    best: dict[int, Slot]
    excluded: list[Excluded]
    fingerprints: dict[int, str]  # of each lane as read, the work order itself included


def search_lanes(
    work_order: WorkOrder,
    day: date,
    now: datetime,
    key: Callable[[Slot], object] = earliest_arrival,
    keep_booked_times: bool = False,
) -> LaneOptions:
    """The best slot of every technician who can legally take `work_order` on `day`."""
    # The earliest-arrival order can stop scanning a lane early; other orders cannot.
    earliest_only = key is earliest_arrival
    requirements = requirements_of(work_order)
    technicians = list(technicians_for_day(day).order_by("display_name", "pk"))
    lanes = bookings_by_technician(day, [t.pk for t in technicians])
    travel = TravelMemo()
    best: dict[int, Slot] = {}
    excluded: list[Excluded] = []
    for technician in technicians:
        skills = skill_problems(technician, work_order, requirements, day)
        if skills:
            excluded.append(Excluded(technician, Exclusion.NOT_QUALIFIED, skills[0].message))
            continue
        tday = TechnicianDay.of(technician, day)
        if tday.shift is None:
            excluded.append(
                Excluded(technician, Exclusion.OFF_SHIFT, f"Off shift on {day:%a %b %-d}.")
            )
            continue
        found, reason = job_slots(
            tday,
            work_order,
            lanes.get(technician.pk, []),
            now,
            travel,
            keep_booked_times,
            earliest_only,
        )
        if found:
            best[technician.pk] = min(found, key=key)
        else:
            excluded.append(Excluded(technician, Exclusion.NO_SLOT, f"No feasible slot: {reason}"))
    fingerprints = {pk: lane_fingerprint(lanes.get(pk, [])) for pk in best}
    return LaneOptions(best=best, excluded=excluded, fingerprints=fingerprints)


def rank_technicians(work_order: WorkOrder, day: date, now: datetime | None = None) -> Ranking:
    now = now or timezone.now()
    work_order = WorkOrder.objects.select_related("site", "sla_policy").get(pk=work_order.pk)
    options = search_lanes(work_order, day, now)
    candidates = []
    for slot in sorted(options.best.values(), key=earliest_arrival):
        plan = LanePlan(slot.tday, slot.bookings)  # already planned by the search
        candidates.append(
            Candidate(
                technician=slot.tday.technician,
                position=slot.position,
                arrival=slot.arrival,
                added_travel_minutes=slot.added_travel_minutes,
                sla_slack_minutes=slot.sla_slack_minutes(),
                remaining_capacity_minutes=slot.remaining_capacity_minutes(),
                warnings=[p for p in lane_problems(plan) if not p.hard],
                lane_fingerprint=options.fingerprints[slot.tday.technician.pk],
            )
        )
    return Ranking(work_order=work_order, day=day, candidates=candidates, excluded=options.excluded)
