"""Where a job fits in a technician's day, and who should take it.

`job_slots` tries every position in one lane with the board's own planner and
rules. The ranking (“Who should take this?”) first sorts technicians by what taking
the job would break (`Standing`): nothing; only this job's own SLA or window; or a
rule of the day (more hours than the technician's limit, work past the shift end,
other visits pushed past their SLA or window). Within a standing it orders by earliest
feasible arrival, added travel, SLA slack and spare capacity. A technician who would
break a rule of the day is never above one who would not. The urgent insertion in
`planning.urgent` uses the same slots with a disruption cost.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import IntEnum, StrEnum

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
from dispatch.rules import (
    ProblemCode,
    RuleProblem,
    hours_text,
    lane_problems,
    problem_codes_by_work_order,
    requirements_of,
    skill_problems,
)
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


class Standing(IntEnum):
    """What taking the job would break, best first: the ranking's first key."""

    CLEAN = 0  # nothing
    LATE_ITSELF = 1  # this job's own SLA or customer window; nobody else is affected
    BREAKS_DAY = 2  # the technician's hours or shift, or other visits' SLA or window


STANDING_WORDS = {
    Standing.CLEAN: "breaks no rule",
    Standing.LATE_ITSELF: "this job would be late",
    Standing.BREAKS_DAY: "breaks a rule of the day",
}


@dataclass(frozen=True)
class Note:
    """One line of a candidate's notes: problems of one kind, counted."""

    text: str
    serious: bool  # it lowers the candidate's standing to BREAKS_DAY


def minutes_text(minutes: int) -> str:
    """`95` → "1 h 35 min", `-20` → "−20 min": the ranking speaks in hours and minutes."""
    sign, minutes = ("−" if minutes < 0 else ""), abs(int(minutes))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{sign}{rest} min"
    return f"{sign}{hours} h" + (f" {rest:02d} min" if rest else "")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def judge(
    work_order_number: str, problems: list[RuleProblem], technician: Technician
) -> tuple[Standing, list[Note]]:
    """The standing of a candidate's plan and its notes, from the soft problems the
    insertion would leave (problems the lane already had are not the job's doing,
    except the day's length, which the job makes longer)."""
    notes: list[Note] = []
    own = [p for p in problems if p.work_order_number == work_order_number]
    others = [p for p in problems if p.work_order_number not in ("", work_order_number)]
    long_day = [p for p in problems if p.code == ProblemCode.OVERTIME and not p.work_order_number]
    if long_day:
        notes.append(
            Note(
                f"Longer day than {technician}'s {hours_text(technician.max_daily_hours)} limit",
                True,
            )
        )
    past_shift = [p for p in own + others if p.code == ProblemCode.OVERTIME]
    if past_shift:
        notes.append(
            Note(_plural(len(past_shift), "job ends", "jobs end") + " after the shift", True)
        )
    for code, what in (
        (ProblemCode.SLA_BREACH, "their SLA"),
        (ProblemCode.WINDOW_MISSED, "their customer window"),
    ):
        pushed = {p.work_order_number for p in others if p.code == code}
        if pushed:
            notes.append(
                Note(
                    f"Pushes {_plural(len(pushed), 'other visit', 'other visits')} past {what}",
                    True,
                )
            )
    for problem in own:
        if problem.code in (
            ProblemCode.SLA_BREACH,
            ProblemCode.WINDOW_MISSED,
            ProblemCode.WINDOW_OTHER_DAY,
        ):
            notes.append(Note(problem.message, False))
    if any(note.serious for note in notes):
        return Standing.BREAKS_DAY, notes
    return (Standing.LATE_ITSELF if notes else Standing.CLEAN), notes


@dataclass(frozen=True)
class Candidate:
    technician: Technician
    position: int
    arrival: datetime
    added_travel_minutes: int
    sla_slack_minutes: int | None
    remaining_capacity_minutes: int
    lane_fingerprint: str
    standing: Standing = Standing.CLEAN
    notes: tuple[Note, ...] = ()
    why: str = ""  # the candidate's place in the order, in words

    @property
    def sla_slack_text(self) -> str:
        if self.sla_slack_minutes is None:
            return "no SLA due"
        if self.sla_slack_minutes < 0:
            return f"{minutes_text(-self.sla_slack_minutes)} late"
        return f"{minutes_text(self.sla_slack_minutes)} to spare"

    @property
    def capacity_text(self) -> str:
        if self.remaining_capacity_minutes < 0:
            return f"{minutes_text(-self.remaining_capacity_minutes)} over"
        return f"{minutes_text(self.remaining_capacity_minutes)} left"

    @property
    def standing_text(self) -> str:
        return STANDING_WORDS[self.standing]


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
    lanes: dict[int, list[LaneBooking]]  # each lane as read
    travel: TravelMemo


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
    return LaneOptions(
        best=best, excluded=excluded, fingerprints=fingerprints, lanes=lanes, travel=travel
    )


ORDER_IN_WORDS = (
    "First those who break no rule, then those for whom only this job would be late, "
    "then those who would break a rule of the day; within each: earliest arrival, "
    "then least added driving, then most time to spare before the SLA is due, "
    "then most of the day left."
)


def rank_key(candidate: Candidate) -> tuple:
    return (
        candidate.standing,
        candidate.arrival,
        candidate.added_travel_minutes,
        -(candidate.sla_slack_minutes or 0),
        -candidate.remaining_capacity_minutes,
    )


def _why(candidate: Candidate, first: Candidate | None) -> str:
    """Why a candidate stands where it does, next to the first of the list."""
    if first is None:
        return f"First: {candidate.standing_text}, arrives earliest of those who do."
    if candidate.standing > first.standing:
        return f"Below: {candidate.standing_text}."
    later = int((candidate.arrival - first.arrival).total_seconds() // 60)
    if later > 0:
        return f"Arrives {minutes_text(later)} after the first."
    travel = candidate.added_travel_minutes - first.added_travel_minutes
    if travel > 0:
        return f"Same arrival, {travel} min more driving."
    return "Same arrival and driving; less time to spare or less of the day left."


def rank_technicians(work_order: WorkOrder, day: date, now: datetime | None = None) -> Ranking:
    now = now or timezone.now()
    work_order = WorkOrder.objects.select_related("site", "sla_policy").get(pk=work_order.pk)
    options = search_lanes(work_order, day, now)
    candidates = []
    for slot in options.best.values():
        technician = slot.tday.technician
        plan = LanePlan(slot.tday, slot.bookings)  # already planned by the search
        # The lane without the job, as planned now: what was already wrong stays out of
        # the notes (the job did not cause it).
        before = [
            p
            for p in planned_from(options.lanes.get(technician.pk, []))
            if p.work_order.pk != work_order.pk
        ]
        before_codes = problem_codes_by_work_order(
            plan_lane(slot.tday, before, now, options.travel)
        )
        warnings = [p for p in lane_problems(plan, before=before_codes) if not p.hard]
        standing, notes = judge(work_order.number, warnings, technician)
        candidates.append(
            Candidate(
                technician=technician,
                position=slot.position,
                arrival=slot.arrival,
                added_travel_minutes=slot.added_travel_minutes,
                sla_slack_minutes=slot.sla_slack_minutes(),
                remaining_capacity_minutes=slot.remaining_capacity_minutes(),
                lane_fingerprint=options.fingerprints[technician.pk],
                standing=standing,
                notes=tuple(notes),
            )
        )
    candidates.sort(key=rank_key)
    first = candidates[0] if candidates else None
    candidates = [replace(c, why=_why(c, None if c is first else first)) for c in candidates]
    return Ranking(work_order=work_order, day=day, candidates=candidates, excluded=options.excluded)
