"""Starting an optimizer run from the board: read the day's lanes and open work
orders, build the problem (`routing.problem`), and queue it for a worker."""

from datetime import date, datetime

from django.utils import timezone

from core.errors import DomainError
from dispatch.rules import plannable_day_check
from dispatch.selectors import bookings_by_technician, technicians_on_shift, unassigned_for_day
from routing import services as routing_services
from routing.models import PlanRun
from routing.problem import BookingSnapshot, BuiltProblem, build_problem
from technicians.selectors import technicians_for_day


def plan_inputs(
    *, day: date, technician_ids: list[int] | None = None, now: datetime | None = None
) -> BuiltProblem:
    """Read the date's lanes and open work orders and build the optimizer problem."""
    now = now or timezone.now()
    techs = technicians_for_day(day)
    if technician_ids is not None:
        techs = techs.filter(pk__in=technician_ids)
    techs = list(techs.order_by("pk"))
    lanes = bookings_by_technician(day, [t.pk for t in techs])
    bookings = [
        BookingSnapshot(
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
        unassigned=list(unassigned_for_day(day)),
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
    plannable_day_check(day, timezone.localdate(now or timezone.now()))
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
