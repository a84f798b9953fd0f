"""A technician's day as an ordered lane of stops, and the rules that judge it.

The server is the judge of every drop: it re-plans the lane from the order the
dispatcher chose, travel times and durations, then lists what is wrong with
the result. Hard problems stop the change; soft ones need a confirmation.

The ranking evaluates thousands of candidate lanes per request, so everything a
plan needs about a technician's day is read once into a `TechnicianDay`.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dispatch.models import Booking
from routing.travel import LatLng, travel_minutes
from technicians.models import Technician, TimeOff
from technicians.selectors import ShiftWindow, at_local, certification_problem, local_zone, shift_on
from workorders.models import WorkOrder
from workorders.status import Status

# Jobs in these statuses have started (or ended): their times are facts, not plans.
STARTED = frozenset({Status.EN_ROUTE, Status.ON_SITE, Status.COMPLETED})
MOVABLE = frozenset({Status.NEW, Status.SCHEDULED, Status.DISPATCHED})
DEFAULT_DAY_START = time(8)

type Requirements = list[tuple[int, str, int]]


class Severity(StrEnum):
    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True)
class RuleProblem:
    code: str
    severity: Severity
    message: str
    work_order_number: str = ""

    @property
    def hard(self) -> bool:
        return self.severity == Severity.HARD


class TravelMemo:
    """Travel minutes between points, each pair computed once per request."""

    def __init__(self) -> None:
        self._known: dict[tuple[LatLng, LatLng], int] = {}

    def minutes(self, origin: LatLng | None, destination: LatLng | None) -> int:
        if origin is None or destination is None:
            return 0
        key = (origin, destination)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = travel_minutes(origin, destination)
        return known


@dataclass
class TechnicianDay:
    """What the rules need to know about one technician on one day."""

    technician: Technician
    day: date
    shift: ShiftWindow | None
    absences: list[TimeOff]
    home: LatLng
    max_minutes: float
    zone: ZoneInfo

    @classmethod
    def of(cls, technician: Technician, day: date) -> "TechnicianDay":
        shift = shift_on(technician, day)
        if shift is not None:
            # Bookings come from the database in UTC; comparing like with like is faster.
            shift = ShiftWindow(shift.starts_at.astimezone(UTC), shift.ends_at.astimezone(UTC))
        return cls(
            technician=technician,
            day=day,
            shift=shift,
            absences=list(technician.time_off.all()),
            home=(technician.home_latitude, technician.home_longitude),
            max_minutes=float(technician.max_daily_hours) * 60,
            zone=local_zone(),
        )

    def hhmm(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%H:%M}"

    def lane_start(self, now: datetime) -> datetime:
        start = self.shift.starts_at if self.shift else at_local(self.day, DEFAULT_DAY_START)
        # Nothing new can start in the past.
        return (
            max(start, _ceil_minute(now)) if now.astimezone(self.zone).date() == self.day else start
        )


@dataclass
class Stop:
    """One job on a lane. `booking` is None for the job being dropped in."""

    work_order: WorkOrder
    booking: Booking | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    travel_minutes: int = 0

    @property
    def fixed(self) -> bool:
        """Started jobs and locked bookings keep their times when the lane is re-planned."""
        if self.booking is None:
            return False
        return self.booking.locked or self.work_order.status in STARTED

    @property
    def location(self) -> LatLng | None:
        site = self.work_order.site
        return (site.latitude, site.longitude) if site.latitude is not None else None

    def copy(self) -> "Stop":
        return Stop(self.work_order, self.booking)


@dataclass
class LanePlan:
    tday: TechnicianDay
    stops: list[Stop] = field(default_factory=list)

    @property
    def technician(self) -> Technician:
        return self.tday.technician

    @property
    def travel_total(self) -> int:
        return sum(stop.travel_minutes for stop in self.stops)

    @property
    def worked_minutes(self) -> int:
        return sum(stop.travel_minutes + stop.work_order.estimated_minutes for stop in self.stops)


def _ceil_minute(moment: datetime) -> datetime:
    floored = moment.replace(second=0, microsecond=0)
    return floored if floored == moment else floored + timedelta(minutes=1)


def plan_lane(
    tday: TechnicianDay,
    stops: list[Stop],
    now: datetime,
    travel: TravelMemo | None = None,
    first: int = 0,
    cursor: datetime | None = None,
    position: LatLng | None = None,
    keep_booked_times: bool = False,
) -> LanePlan:
    """Give every movable stop its start and end: after the previous stop plus travel,
    not before the customer's window opens.

    The board packs a lane (every movable stop as early as it can be); with
    `keep_booked_times` booked stops only ever move later, which is the least
    disruptive way to fit one more job in. With `first`, stops before it are taken
    as already planned and `cursor`/`position` say where their day ends."""
    travel = travel or TravelMemo()
    if first == 0:
        cursor, position = tday.lane_start(now), tday.home
    for stop in stops[first:]:
        stop.travel_minutes = travel.minutes(position, stop.location)
        if stop.fixed:
            stop.starts_at, stop.ends_at = stop.booking.starts_at, stop.booking.ends_at
        else:
            start = cursor + timedelta(minutes=stop.travel_minutes)
            window_start = stop.work_order.window_start
            if (
                window_start
                and window_start > start
                and window_start.astimezone(tday.zone).date() == tday.day
            ):
                start = window_start
            if keep_booked_times and stop.booking is not None:
                start = max(start, stop.booking.starts_at)
            stop.starts_at = start
            stop.ends_at = start + timedelta(minutes=stop.work_order.estimated_minutes)
        cursor = max(cursor, stop.ends_at)
        position = stop.location or position
    return LanePlan(tday=tday, stops=stops)


def requirements_of(work_order: WorkOrder) -> Requirements:
    return [
        (r.skill_id, r.skill.name, r.min_level)
        for r in work_order.required_skills.select_related("skill")
    ]


def skill_problems(
    technician: Technician, work_order: WorkOrder, requirements: Requirements, day: date
) -> list[RuleProblem]:
    reason = certification_problem(technician, requirements, day)
    if reason is None:
        return []
    code = "expired_certification" if "expired" in reason else "missing_skill"
    return [RuleProblem(code, Severity.HARD, reason + ".", work_order.number)]


def stop_problems(tday: TechnicianDay, stop: Stop, hard_only: bool = False) -> list[RuleProblem]:
    """Everything wrong with one planned stop (skills are judged separately)."""
    tech, shift, wo = tday.technician, tday.shift, stop.work_order
    number = wo.number
    problems: list[RuleProblem] = []
    if shift is None:
        problems.append(
            RuleProblem(
                "off_shift", Severity.HARD, f"{tech} is off shift on {tday.day:%a %b %-d}.", number
            )
        )
    elif stop.starts_at >= shift.ends_at:
        problems.append(
            RuleProblem(
                "off_shift",
                Severity.HARD,
                f"{number} would start at {tday.hhmm(stop.starts_at)}, after {tech}'s shift ends at {tday.hhmm(shift.ends_at)}.",
                number,
            )
        )
    elif stop.ends_at > shift.ends_at and not hard_only:
        over = int((stop.ends_at - shift.ends_at).total_seconds() // 60)
        problems.append(
            RuleProblem(
                "overtime",
                Severity.SOFT,
                f"{number} ends at {tday.hhmm(stop.ends_at)}, {over} min past {tech}'s shift end.",
                number,
            )
        )
    for absence in tday.absences:
        if absence.starts_at < stop.ends_at and absence.ends_at > stop.starts_at:
            reason = f" ({absence.reason})" if absence.reason else ""
            problems.append(
                RuleProblem(
                    "time_off",
                    Severity.HARD,
                    f"{tech} is on {absence.get_kind_display().lower()} {tday.hhmm(absence.starts_at)}–{tday.hhmm(absence.ends_at)}{reason}.",
                    number,
                )
            )
    if hard_only:
        return problems
    if wo.window_end and stop.starts_at > wo.window_end:
        problems.append(
            RuleProblem(
                "window_missed",
                Severity.SOFT,
                f"{number} would arrive at {tday.hhmm(stop.starts_at)}, after the customer's window closes at {tday.hhmm(wo.window_end)}.",
                number,
            )
        )
    paused = wo.sla_paused_since is not None
    if wo.responded_at is None and not paused and stop.starts_at > wo.response_due_at:
        late = int((stop.starts_at - wo.response_due_at).total_seconds() // 60)
        problems.append(
            RuleProblem(
                "sla_breach",
                Severity.SOFT,
                f"{number} will miss its SLA response due {tday.hhmm(wo.response_due_at)} by {late} min.",
                number,
            )
        )
    elif wo.resolved_at is None and not paused and stop.ends_at > wo.resolution_due_at:
        problems.append(
            RuleProblem(
                "sla_breach",
                Severity.SOFT,
                f"{number} will miss its SLA resolution due {tday.hhmm(wo.resolution_due_at)}.",
                number,
            )
        )
    return problems


def lane_problems(
    plan: LanePlan,
    before: dict[int, set[str]] | None = None,
    first: int = 0,
    hard_only: bool = False,
) -> list[RuleProblem]:
    """Problems of every movable stop from `first` on; with `before`, only those the
    change introduced."""
    problems: list[RuleProblem] = []
    previous_end = plan.stops[first - 1].ends_at if first else None
    for stop in plan.stops[first:]:
        if previous_end and stop.starts_at < previous_end:
            problems.append(
                RuleProblem(
                    "overlap",
                    Severity.HARD,
                    f"{stop.work_order.number} would overlap a job that cannot move.",
                    stop.work_order.number,
                )
            )
        previous_end = max(previous_end or stop.ends_at, stop.ends_at)
        if stop.fixed:
            continue
        for problem in stop_problems(plan.tday, stop, hard_only):
            if before is None or problem.code not in before.get(stop.work_order.pk, set()):
                problems.append(problem)
    if not hard_only and plan.tday.shift and plan.worked_minutes > plan.tday.max_minutes:
        problems.append(
            RuleProblem(
                "overtime",
                Severity.SOFT,
                f"{plan.technician}'s day would hold {plan.worked_minutes / 60:.1f} h of work and travel, over the {plan.technician.max_daily_hours} h limit.",
            )
        )
    return problems


def problem_codes_by_order(plan: LanePlan) -> dict[int, set[str]]:
    return {
        stop.work_order.pk: {p.code for p in stop_problems(plan.tday, stop)}
        for stop in plan.stops
        if not stop.fixed
    }


def leading_fixed(stops: list[Stop]) -> int:
    """How many stops at the head of the lane have started; nothing can go before them."""
    count = 0
    for stop in stops:
        if stop.work_order.status in STARTED:
            count += 1
        else:
            break
    return count
