"""The work orders behind a dashboard number: one selector, keyed by the figure's name.

Every figure on the dashboard links here with its filters, so the list is built from
the same SQL conditions as the count (dashboard.sql and workorders.clock).
"""

from collections.abc import Callable

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from dashboard import kpis, sql
from dashboard.filters import DashboardFilters
from dispatch.models import Booking
from workorders.clock import SLATarget, clock_annotation, target_conditions
from workorders.models import Event, WorkOrder
from workorders.status import Status


def _visits(f: DashboardFilters, condition: Q | None = None) -> Exists:
    visits = Booking.objects.filter(sql.visit_scope(f), work_order=OuterRef("pk"))
    if condition is not None:
        visits = visits.filter(condition)
    return Exists(visits)


def _arrivals(f: DashboardFilters, condition: Q | None = None) -> Exists:
    visits = Booking.objects.filter(sql.arrived_visits(f), work_order=OuterRef("pk")).annotate(
        arrival_at=sql.ARRIVAL
    )
    if condition is not None:
        visits = visits.filter(condition)
    return Exists(visits)


def _wrong_skill(f: DashboardFilters, *, later: bool = False) -> Exists:
    visits = Booking.objects.filter(sql.wrong_skill_visits(f, later=later))
    if later:
        visits = visits.filter(starts_at__gte=f.ends_at)
    return Exists(
        visits.filter(work_order=OuterRef("pk"))
        .annotate(visit_day=sql.local_day("starts_at"))
        .filter(sql.lacks_valid_certification())
    )


def _overridden(f: DashboardFilters) -> Exists:
    return Exists(
        Event.objects.filter(
            kind=Event.Kind.OVERRIDE,
            work_order=OuterRef("pk"),
            occurred_at__gte=f.starts_at,
            occurred_at__lt=f.ends_at,
        )
    )


def _target(target: SLATarget, state: str) -> Callable[[DashboardFilters], Q]:
    def condition(f: DashboardFilters) -> Q:
        return sql.cohort(f) & getattr(target_conditions(target), state)

    return condition


def _at_risk_now(target: SLATarget) -> Callable[[DashboardFilters], Q]:
    def condition(f: DashboardFilters) -> Q:
        return sql.work_order_scope(f) & kpis.at_risk_now(target)

    return condition


COMPLETED = Q(status=Status.COMPLETED)
NEVER_BOOKED = ~Q(Exists(Booking.objects.filter(work_order=OuterRef("pk"))))


def _follow_up_decided(f: DashboardFilters) -> Q:
    return sql.cohort(f) & COMPLETED & sql.follow_up_window_closed(f.now)


CONDITIONS: dict[str, Callable[[DashboardFilters], Q]] = {
    "received": sql.cohort,
    "response_met": _target(SLATarget.RESPONSE, "met"),
    "response_breached": _target(SLATarget.RESPONSE, "breached"),
    "response_pending": lambda f: (
        sql.cohort(f)
        & (
            target_conditions(SLATarget.RESPONSE).pending
            | target_conditions(SLATarget.RESPONSE).at_risk
        )
    ),
    "resolution_met": _target(SLATarget.RESOLUTION, "met"),
    "resolution_breached": _target(SLATarget.RESOLUTION, "breached"),
    "resolution_pending": lambda f: (
        sql.cohort(f)
        & (
            target_conditions(SLATarget.RESOLUTION).pending
            | target_conditions(SLATarget.RESOLUTION).at_risk
        )
    ),
    "response_at_risk_now": _at_risk_now(SLATarget.RESPONSE),
    "resolution_at_risk_now": _at_risk_now(SLATarget.RESOLUTION),
    "breached": lambda f: sql.cohort(f) & kpis.breached_condition(),
    "assigned": lambda f: sql.cohort(f) & ~NEVER_BOOKED,
    "waiting_assignment": lambda f: (
        sql.cohort(f) & kpis.open_now() & NEVER_BOOKED & Q(responded_at__isnull=True)
    ),
    "arrived": lambda f: sql.cohort(f) & Q(responded_at__isnull=False),
    "waiting_arrival": lambda f: sql.cohort(f) & kpis.waiting_for_arrival(),
    "completed": lambda f: sql.cohort(f) & COMPLETED,
    "fixed_first_time": lambda f: _follow_up_decided(f) & ~Q(sql.follow_up_exists()),
    "not_fixed_first_time": lambda f: _follow_up_decided(f) & Q(sql.follow_up_exists()),
    "follow_up_window_open": lambda f: (
        sql.cohort(f) & COMPLETED & ~sql.follow_up_window_closed(f.now)
    ),
    "repeat_visits": lambda f: sql.cohort(f) & Q(sql.is_repeat_visit()),
    "arrivals": lambda f: Q(_arrivals(f)),
    "on_time": lambda f: Q(_arrivals(f, sql.arrival_on_time())),
    "late_arrival": lambda f: Q(_arrivals(f, Q(arrival_at__gt=F("work_order__window_end")))),
    "early_arrival": lambda f: Q(_arrivals(f, Q(arrival_at__lt=F("work_order__window_start")))),
    "arrival_on_planned_time": lambda f: Q(_arrivals(f, ~sql.ARRIVAL_RECORDED)),
    "technician_visits": lambda f: Q(_visits(f)),
    "wrong_skill": lambda f: Q(_wrong_skill(f)),
    "wrong_skill_later": lambda f: Q(_wrong_skill(f, later=True)),
    "overrides": lambda f: sql.work_order_scope(f) & Q(_overridden(f)),
}


class UnknownFigure(ValueError):
    pass


def drilldown_work_orders(kpi: str, f: DashboardFilters) -> QuerySet[WorkOrder]:
    """The work orders counted by figure `kpi` under filters `f`."""
    if kpi == "breached":
        return kpis.breaches(f, limit=None)
    try:
        condition = CONDITIONS[kpi]
    except KeyError:
        raise UnknownFigure(f"“{kpi}” is not a dashboard figure.") from None
    return (
        WorkOrder.objects.annotate(**clock_annotation(f.now))
        .filter(condition(f))
        .select_related("customer", "site", "sla_policy")
        .order_by("-created_at", "-pk")
    )
