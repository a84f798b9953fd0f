"""The rules that judge a lane: every problem has a code (which decides) and a
message (which informs). Nothing here matches on message text.

Hard problems stop a change; soft ones need the dispatcher's confirmation. Which
hard problems a manager may override with a written reason is decided here, in
`override_allowed`, and nowhere else.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from core.errors import DomainError
from dispatch.days import FIRST_DAY, LAST_DAY, day_in_range
from dispatch.lanes import LanePlan, PlannedBooking, TechnicianDay
from technicians.models import Technician
from technicians.roles import Role, has_role
from technicians.selectors import CertificationIssue, certification_problem
from workorders.models import WorkOrder
from workorders.sla import SLATarget, forecast_breach

type Requirements = list[tuple[int, str, int]]


class ProblemCode(StrEnum):
    MISSING_SKILL = "missing_skill"
    EXPIRED_CERTIFICATION = "expired_certification"
    OFF_SHIFT = "off_shift"
    TIME_OFF = "time_off"
    OVERLAP = "overlap"
    PAST_DAY = "past_day"
    DAY_OUT_OF_RANGE = "day_out_of_range"
    OVERTIME = "overtime"
    WINDOW_MISSED = "window_missed"
    WINDOW_OTHER_DAY = "window_other_day"
    SLA_BREACH = "sla_breach"


HARD = frozenset(
    {
        ProblemCode.MISSING_SKILL,
        ProblemCode.EXPIRED_CERTIFICATION,
        ProblemCode.OFF_SHIFT,
        ProblemCode.TIME_OFF,
        ProblemCode.OVERLAP,
        ProblemCode.PAST_DAY,
        ProblemCode.DAY_OUT_OF_RANGE,
    }
)
# Two jobs at once is physically impossible: no reason makes it possible. A day no
# board covers cannot be shown, so nothing may be planned on it either.
NEVER_OVERRIDDEN = frozenset({ProblemCode.OVERLAP, ProblemCode.DAY_OUT_OF_RANGE})
OVERRIDE_ROLES = frozenset({Role.MANAGER, Role.ADMIN})

CERTIFICATION_CODES = {
    CertificationIssue.MISSING: ProblemCode.MISSING_SKILL,
    CertificationIssue.LEVEL_TOO_LOW: ProblemCode.MISSING_SKILL,
    CertificationIssue.EXPIRED: ProblemCode.EXPIRED_CERTIFICATION,
}


@dataclass(frozen=True)
class RuleProblem:
    code: ProblemCode
    message: str
    work_order_number: str = ""

    @property
    def hard(self) -> bool:
        return self.code in HARD


def hours_text(hours: Decimal | float) -> str:
    """`Decimal("8.00")` → "8 h", `7.5` → "7.5 h"."""
    return f"{Decimal(str(hours)).normalize():f} h"


def may_override(actor) -> bool:
    """Whether `actor` may override hard problems at all (offered in the dialog)."""
    return has_role(actor, OVERRIDE_ROLES)


def override_allowed(actor, problems: list[RuleProblem]) -> bool:
    """Whether `actor` may override these hard problems with a written reason."""
    return may_override(actor) and not any(p.code in NEVER_OVERRIDDEN for p in problems)


def requirements_of(work_order: WorkOrder) -> Requirements:
    return [
        (r.skill_id, r.skill.name, r.min_level)
        for r in work_order.required_skills.select_related("skill")
    ]


def skill_problems(
    technician: Technician, work_order, requirements: Requirements, day: date
) -> list[RuleProblem]:
    problem = certification_problem(technician, requirements, day)
    if problem is None:
        return []
    return [
        RuleProblem(CERTIFICATION_CODES[problem.issue], problem.message + ".", work_order.number)
    ]


def day_problems(day: date, today: date, number: str = "") -> list[RuleProblem]:
    """A day no board covers, or a day that is over, cannot get new plans."""
    if not day_in_range(day):
        return [
            RuleProblem(
                ProblemCode.DAY_OUT_OF_RANGE,
                f"{day.isoformat()} has no board: boards cover {FIRST_DAY} to {LAST_DAY}.",
                number,
            )
        ]
    if day < today:
        return [
            RuleProblem(
                ProblemCode.PAST_DAY, f"{day:%a %b %-d} is over; its plan cannot change.", number
            )
        ]
    return []


class DayRefused(DomainError):
    """A plan run or urgent insertion for a day no plan may be made for: nothing changed."""

    def __init__(self, problem: RuleProblem):
        self.code = problem.code
        super().__init__(problem.message)


def plannable_day_check(day: date, today: date) -> None:
    """Plans (optimizer runs, urgent insertion, accepting either) obey the drops' day
    rules; they have no override, so a day that is over refuses them outright."""
    for problem in day_problems(day, today):
        raise DayRefused(problem)


def booking_problems(
    tday: TechnicianDay, planned: PlannedBooking, hard_only: bool = False
) -> list[RuleProblem]:
    """Everything wrong with one planned booking (skills are judged separately)."""
    tech, shift, wo = tday.technician, tday.shift, planned.work_order
    number = wo.number
    problems: list[RuleProblem] = []
    if shift is None:
        problems.append(
            RuleProblem(
                ProblemCode.OFF_SHIFT, f"{tech} is off shift on {tday.day:%a %b %-d}.", number
            )
        )
    elif planned.starts_at >= shift.ends_at:
        problems.append(
            RuleProblem(
                ProblemCode.OFF_SHIFT,
                f"{number} would start at {tday.hhmm(planned.starts_at)}, after {tech}'s shift ends at {tday.hhmm(shift.ends_at)}.",
                number,
            )
        )
    elif planned.ends_at > shift.ends_at and not hard_only:
        over = int((planned.ends_at - shift.ends_at).total_seconds() // 60)
        problems.append(
            RuleProblem(
                ProblemCode.OVERTIME,
                f"{number} ends at {tday.hhmm(planned.ends_at)}, {over} min past {tech}'s shift end.",
                number,
            )
        )
    for absence in tday.absences:
        if absence.starts_at < planned.ends_at and absence.ends_at > planned.starts_at:
            reason = f" ({absence.reason})" if absence.reason else ""
            problems.append(
                RuleProblem(
                    ProblemCode.TIME_OFF,
                    f"{tech} is on {absence.get_kind_display().lower()} {tday.hhmm(absence.starts_at)}–{tday.hhmm(absence.ends_at)}{reason}.",
                    number,
                )
            )
    if hard_only:
        return problems
    problems += _window_problems(tday, planned)
    breach = forecast_breach(wo, arrival=planned.starts_at, finish=planned.ends_at)
    if breach is not None:
        if breach.target == SLATarget.RESPONSE:
            text = f"{number} will miss its SLA response due {tday.hhmm(breach.due_at)} by {breach.late_minutes} min."
        else:
            text = f"{number} will miss its SLA resolution due {tday.hhmm(breach.due_at)}."
        problems.append(RuleProblem(ProblemCode.SLA_BREACH, text, number))
    return problems


def _window_problems(tday: TechnicianDay, planned: PlannedBooking) -> list[RuleProblem]:
    wo, number = planned.work_order, planned.work_order.number
    if not (wo.window_start and wo.window_end):
        return []
    opens, closes = wo.window_start.astimezone(tday.zone), wo.window_end.astimezone(tday.zone)
    if opens.date() > tday.day or closes.date() < tday.day:
        return [
            RuleProblem(
                ProblemCode.WINDOW_OTHER_DAY,
                f"{number}'s customer window is {opens:%a %b %-d %H:%M}–{closes:%H:%M}, not on {tday.day:%a %b %-d}.",
                number,
            )
        ]
    if planned.starts_at > wo.window_end:
        return [
            RuleProblem(
                ProblemCode.WINDOW_MISSED,
                f"{number} would arrive at {tday.hhmm(planned.starts_at)}, after the customer's window closes at {tday.hhmm(wo.window_end)}.",
                number,
            )
        ]
    return []


def lane_problems(
    plan: LanePlan,
    before: dict[int, set[ProblemCode]] | None = None,
    first: int = 0,
    hard_only: bool = False,
) -> list[RuleProblem]:
    """Problems of every movable booking from `first` on; with `before`, only those
    the change introduced."""
    problems: list[RuleProblem] = []
    previous_end: datetime | None = plan.bookings[first - 1].ends_at if first else None
    for planned in plan.bookings[first:]:
        if previous_end and planned.starts_at < previous_end:
            problems.append(
                RuleProblem(
                    ProblemCode.OVERLAP,
                    f"{planned.work_order.number} would overlap a job that cannot move.",
                    planned.work_order.number,
                )
            )
        previous_end = max(previous_end or planned.ends_at, planned.ends_at)
        if planned.fixed:
            continue
        for problem in booking_problems(plan.tday, planned, hard_only):
            if before is None or problem.code not in before.get(planned.work_order.pk, set()):
                problems.append(problem)
    if not hard_only and plan.tday.shift and plan.worked_minutes > plan.tday.max_minutes:
        problems.append(
            RuleProblem(
                ProblemCode.OVERTIME,
                f"{plan.technician}'s day would hold {plan.worked_minutes / 60:.1f} h of work and travel, over the {hours_text(plan.technician.max_daily_hours)} limit.",
            )
        )
    return problems


def problem_codes_by_work_order(plan: LanePlan) -> dict[int, set[ProblemCode]]:
    return {
        planned.work_order.pk: {p.code for p in booking_problems(plan.tday, planned)}
        for planned in plan.bookings
        if not planned.fixed
    }
