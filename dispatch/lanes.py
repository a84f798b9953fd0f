"""A technician's day as an ordered lane of stops, and the rules that judge it.

The server is the judge of every drop: it re-plans the lane from the order the
dispatcher chose, travel times and durations, then lists what is wrong with
the result. Hard problems stop the change; soft ones need a confirmation.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.utils import timezone

from dispatch.models import Booking
from routing.travel import LatLng, travel_minutes
from technicians.models import Technician
from technicians.selectors import (
    ShiftWindow,
    at_local,
    certification_problem,
    shift_on,
    time_off_overlapping,
)
from workorders.models import WorkOrder
from workorders.status import Status

# Jobs in these statuses have started (or ended): their times are facts, not plans.
STARTED = frozenset({Status.EN_ROUTE, Status.ON_SITE, Status.COMPLETED})
MOVABLE = frozenset({Status.NEW, Status.SCHEDULED, Status.DISPATCHED})
DEFAULT_DAY_START_HOUR = 8


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
        return (site.latitude, site.longitude) if site.has_coordinates else None


@dataclass
class LanePlan:
    technician: Technician
    day: date
    shift: ShiftWindow | None
    stops: list[Stop] = field(default_factory=list)

    @property
    def travel_total(self) -> int:
        return sum(stop.travel_minutes for stop in self.stops)

    @property
    def worked_minutes(self) -> int:
        return sum(stop.travel_minutes + stop.work_order.estimated_minutes for stop in self.stops)


def home_of(technician: Technician) -> LatLng:
    return (technician.home_latitude, technician.home_longitude)


def _ceil_minute(moment: datetime) -> datetime:
    floored = moment.replace(second=0, microsecond=0)
    return floored if floored == moment else floored + timedelta(minutes=1)


def lane_start(
    technician: Technician, day: date, shift: ShiftWindow | None, now: datetime
) -> datetime:
    start = (
        shift.starts_at
        if shift
        else at_local(day, datetime.min.time().replace(hour=DEFAULT_DAY_START_HOUR))
    )
    # Nothing new can start in the past.
    return max(start, _ceil_minute(now)) if timezone.localdate(now) == day else start


def plan_lane(technician: Technician, day: date, stops: list[Stop], now: datetime) -> LanePlan:
    """Give every movable stop its start and end: after the previous stop plus travel,
    not before the customer's window opens."""
    shift = shift_on(technician, day)
    cursor = lane_start(technician, day, shift, now)
    position: LatLng | None = home_of(technician)
    for stop in stops:
        stop.travel_minutes = travel_minutes(position, stop.location)
        if stop.fixed:
            stop.starts_at, stop.ends_at = stop.booking.starts_at, stop.booking.ends_at
        else:
            start = cursor + timedelta(minutes=stop.travel_minutes)
            window_start = stop.work_order.window_start
            if window_start and window_start > start and timezone.localdate(window_start) == day:
                start = window_start
            stop.starts_at = start
            stop.ends_at = start + timedelta(minutes=stop.work_order.estimated_minutes)
        cursor = max(cursor, stop.ends_at)
        position = stop.location or position
    return LanePlan(technician=technician, day=day, shift=shift, stops=stops)


def _hhmm(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def skill_problems(technician: Technician, work_order: WorkOrder, day: date) -> list[RuleProblem]:
    requirements = [
        (r.skill_id, r.skill.name, r.min_level) for r in work_order.required_skills.all()
    ]
    reason = certification_problem(technician, requirements, day)
    if reason is None:
        return []
    code = "expired_certification" if "expired" in reason else "missing_skill"
    return [RuleProblem(code, Severity.HARD, reason + ".", work_order.number)]


def stop_problems(plan: LanePlan, stop: Stop, now: datetime) -> list[RuleProblem]:
    """Everything wrong with one planned stop (skills are judged separately)."""
    tech, shift, wo = plan.technician, plan.shift, stop.work_order
    number = wo.number
    problems: list[RuleProblem] = []
    if shift is None:
        problems.append(
            RuleProblem(
                "off_shift", Severity.HARD, f"{tech} is off shift on {plan.day:%a %b %-d}.", number
            )
        )
    else:
        if stop.starts_at >= shift.ends_at:
            problems.append(
                RuleProblem(
                    "off_shift",
                    Severity.HARD,
                    f"{number} would start at {_hhmm(stop.starts_at)}, after {tech}'s shift ends at {_hhmm(shift.ends_at)}.",
                    number,
                )
            )
        elif stop.ends_at > shift.ends_at:
            over = int((stop.ends_at - shift.ends_at).total_seconds() // 60)
            problems.append(
                RuleProblem(
                    "overtime",
                    Severity.SOFT,
                    f"{number} ends at {_hhmm(stop.ends_at)}, {over} min past {tech}'s shift end.",
                    number,
                )
            )
    for absence in time_off_overlapping(tech, stop.starts_at, stop.ends_at):
        problems.append(
            RuleProblem(
                "time_off",
                Severity.HARD,
                f"{tech} is on {absence.get_kind_display().lower()} {_hhmm(absence.starts_at)}–{_hhmm(absence.ends_at)}"
                + (f" ({absence.reason})" if absence.reason else "")
                + ".",
                number,
            )
        )
    if wo.window_end and stop.starts_at > wo.window_end:
        problems.append(
            RuleProblem(
                "window_missed",
                Severity.SOFT,
                f"{number} would arrive at {_hhmm(stop.starts_at)}, after the customer's window closes at {_hhmm(wo.window_end)}.",
                number,
            )
        )
    if wo.responded_at is None and not wo.sla_paused and stop.starts_at > wo.response_due_at:
        late = int((stop.starts_at - wo.response_due_at).total_seconds() // 60)
        problems.append(
            RuleProblem(
                "sla_breach",
                Severity.SOFT,
                f"{number} will miss its SLA response due {_hhmm(wo.response_due_at)} by {late} min.",
                number,
            )
        )
    elif wo.resolved_at is None and not wo.sla_paused and stop.ends_at > wo.resolution_due_at:
        problems.append(
            RuleProblem(
                "sla_breach",
                Severity.SOFT,
                f"{number} will miss its SLA resolution due {_hhmm(wo.resolution_due_at)}.",
                number,
            )
        )
    return problems


def lane_problems(
    plan: LanePlan, now: datetime, before: dict[int, set[str]] | None = None
) -> list[RuleProblem]:
    """Problems of every movable stop; with `before`, only those the change introduced."""
    problems: list[RuleProblem] = []
    previous_end: datetime | None = None
    for stop in plan.stops:
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
        for problem in stop_problems(plan, stop, now):
            if before is None or problem.code not in before.get(stop.work_order.pk, set()):
                problems.append(problem)
    if plan.shift and plan.worked_minutes > float(plan.technician.max_daily_hours) * 60:
        hours = plan.worked_minutes / 60
        problems.append(
            RuleProblem(
                "overtime",
                Severity.SOFT,
                f"{plan.technician}'s day would hold {hours:.1f} h of work and travel, over the {plan.technician.max_daily_hours} h limit.",
            )
        )
    return problems


def problem_codes_by_order(plan: LanePlan, now: datetime) -> dict[int, set[str]]:
    return {
        stop.work_order.pk: {p.code for p in stop_problems(plan, stop, now)}
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
