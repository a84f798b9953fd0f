"""The dashboard's panels: one SQL query each, aggregated in PostgreSQL.

Every function takes the parsed filters and returns plain data for the page, the
charts and the CSV export. No panel loops over work orders in Python; the only
Python arithmetic is on the handful of aggregated rows (ratios, totals).
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest

from dashboard import sql
from dashboard.filters import DashboardFilters
from dispatch.models import Booking
from notifications.models import OutboundMessage
from routing.models import PlanRun
from technicians.models import Technician
from workorders.clock import SLATarget, clock_annotation, target_conditions
from workorders.models import Event, SLAPause, WorkOrder
from workorders.status import Status

BREACH_LIST_LIMIT = 20


def ratio(part: float | None, whole: float | None) -> float | None:
    return None if not whole else (part or 0) / whole


@dataclass(frozen=True)
class TargetCounts:
    met: int
    breached: int
    pending: int
    at_risk_now: int

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def attainment(self) -> float | None:
        return ratio(self.met, self.decided)


@dataclass(frozen=True)
class TierRow:
    tier_id: int | None
    tier: str
    received: int
    response: TargetCounts
    resolution: TargetCounts


def _target_aggregates(in_range: Q, open_now: Q) -> dict:
    aggregates = {}
    for target in SLATarget:
        c = target_conditions(target)
        aggregates |= {
            f"{target}_met": Count("pk", filter=in_range & c.met),
            f"{target}_breached": Count("pk", filter=in_range & c.breached),
            f"{target}_pending": Count("pk", filter=in_range & (c.at_risk | c.pending)),
            f"{target}_at_risk_now": Count("pk", filter=open_now & c.at_risk),
        }
    return aggregates


def _target_counts(row: dict, target: SLATarget) -> TargetCounts:
    return TargetCounts(
        met=row[f"{target}_met"],
        breached=row[f"{target}_breached"],
        pending=row[f"{target}_pending"],
        at_risk_now=row[f"{target}_at_risk_now"],
    )


def sla_by_tier(f: DashboardFilters) -> list[TierRow]:
    """Met / breached / still running per target and tier for work received in the range,
    and what is at risk right now among all open work (whenever it was received)."""
    in_range = Q(created_at__gte=f.starts_at, created_at__lt=f.ends_at)
    open_now = ~Q(status__in=[Status.COMPLETED, Status.CANCELLED])
    rows = (
        WorkOrder.objects.annotate(**clock_annotation(f.now))
        .filter(sql.work_order_scope(f) & (in_range | open_now))
        .values("sla_policy_id", "sla_policy__tier", "sla_policy__response_minutes")
        .annotate(received=Count("pk", filter=in_range), **_target_aggregates(in_range, open_now))
        .order_by("sla_policy__response_minutes", "sla_policy__tier")
    )
    return [
        TierRow(
            tier_id=row["sla_policy_id"],
            tier=row["sla_policy__tier"],
            received=row["received"],
            response=_target_counts(row, SLATarget.RESPONSE),
            resolution=_target_counts(row, SLATarget.RESOLUTION),
        )
        for row in rows
    ]


def sla_total(rows: list[TierRow]) -> TierRow:
    def total(target: str) -> TargetCounts:
        counts = [getattr(row, target) for row in rows]
        return TargetCounts(
            met=sum(c.met for c in counts),
            breached=sum(c.breached for c in counts),
            pending=sum(c.pending for c in counts),
            at_risk_now=sum(c.at_risk_now for c in counts),
        )

    return TierRow(
        tier_id=None,
        tier="All tiers",
        received=sum(row.received for row in rows),
        response=total("response"),
        resolution=total("resolution"),
    )


@dataclass(frozen=True)
class DayTierPoint:
    day: date
    tier_id: int
    tier: str
    resolution_met: int
    resolution_breached: int
    response_met: int
    response_breached: int

    @property
    def resolution_attainment(self) -> float | None:
        return ratio(self.resolution_met, self.resolution_met + self.resolution_breached)

    @property
    def response_attainment(self) -> float | None:
        return ratio(self.response_met, self.response_met + self.response_breached)


def sla_per_day(f: DashboardFilters) -> list[DayTierPoint]:
    """Attainment per day received and tier (days without decided targets are left out)."""
    response, resolution = (target_conditions(t) for t in SLATarget)
    rows = (
        WorkOrder.objects.annotate(**clock_annotation(f.now))
        .filter(sql.cohort(f))
        .annotate(day=sql.local_day("created_at"))
        .values("day", "sla_policy_id", "sla_policy__tier")
        .annotate(
            resolution_met=Count("pk", filter=resolution.met),
            resolution_breached=Count("pk", filter=resolution.breached),
            response_met=Count("pk", filter=response.met),
            response_breached=Count("pk", filter=response.breached),
        )
        .order_by("day", "sla_policy_id")
    )
    return [
        DayTierPoint(
            day=row["day"],
            tier_id=row["sla_policy_id"],
            tier=row["sla_policy__tier"],
            resolution_met=row["resolution_met"],
            resolution_breached=row["resolution_breached"],
            response_met=row["response_met"],
            response_breached=row["response_breached"],
        )
        for row in rows
    ]


def breach_lateness():
    """Minutes past the later-missed due time (negative when neither target was missed)."""
    return Greatest(
        sql.MinutesBetween(F("response_due_at"), Coalesce(F("responded_at"), F("sla_clock"))),
        sql.MinutesBetween(F("resolution_due_at"), Coalesce(F("resolved_at"), F("sla_clock"))),
    )


def breached_condition() -> Q:
    response, resolution = (target_conditions(t) for t in SLATarget)
    return response.breached | resolution.breached


def breaches(f: DashboardFilters, limit: int | None = BREACH_LIST_LIMIT):
    """Breached work orders, latest first by minutes late, with their pauses and reasons."""
    reasons = (
        SLAPause.objects.filter(work_order=OuterRef("pk"))
        .values("work_order")
        .annotate(text=StringAgg("reason", delimiter=Value("; "), order_by="started_at"))
        .values("text")
    )
    pauses = (
        SLAPause.objects.filter(work_order=OuterRef("pk"))
        .values("work_order")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        WorkOrder.objects.annotate(**clock_annotation(f.now))
        .filter(sql.cohort(f) & breached_condition())
        .annotate(
            minutes_late=breach_lateness(),
            pause_reasons=Subquery(reasons),
            pause_count=Coalesce(Subquery(pauses), 0),
        )
        .select_related("customer", "sla_policy")
        .order_by("-minutes_late", "pk")
    )
    return qs[:limit] if limit else qs


@dataclass(frozen=True)
class Durations:
    count: int
    median_minutes: float | None
    p90_minutes: float | None


@dataclass(frozen=True)
class Speed:
    assign: Durations
    arrive: Durations


def first_booked_at() -> Subquery:
    return Subquery(
        Booking.objects.filter(work_order=OuterRef("pk"))
        .order_by("created_at")
        .values("created_at")[:1]
    )


def speed(f: DashboardFilters) -> Speed:
    """Received → first booking (time to assign) and received → first on-site report."""
    to_assign = sql.MinutesBetween(F("created_at"), F("first_booked_at"))
    to_arrive = sql.MinutesBetween(F("created_at"), F("responded_at"))
    assigned, arrived = Q(first_booked_at__isnull=False), Q(responded_at__isnull=False)
    row = (
        WorkOrder.objects.filter(sql.cohort(f))
        .annotate(first_booked_at=first_booked_at())
        .aggregate(
            assigned=Count("pk", filter=assigned),
            assign_median=sql.Percentile(to_assign, 0.5, filter=assigned),
            assign_p90=sql.Percentile(to_assign, 0.9, filter=assigned),
            arrived=Count("pk", filter=arrived),
            arrive_median=sql.Percentile(to_arrive, 0.5, filter=arrived),
            arrive_p90=sql.Percentile(to_arrive, 0.9, filter=arrived),
        )
    )
    return Speed(
        assign=Durations(row["assigned"], row["assign_median"], row["assign_p90"]),
        arrive=Durations(row["arrived"], row["arrive_median"], row["arrive_p90"]),
    )


@dataclass(frozen=True)
class Quality:
    completed: int
    fixed_first_time: int
    repeat_visits: int
    received: int

    @property
    def first_time_fix_rate(self) -> float | None:
        return ratio(self.fixed_first_time, self.completed)

    @property
    def repeat_rate(self) -> float | None:
        return ratio(self.repeat_visits, self.received)


def quality(f: DashboardFilters) -> Quality:
    completed = Q(status=Status.COMPLETED)
    row = WorkOrder.objects.filter(sql.cohort(f)).aggregate(
        received=Count("pk"),
        completed=Count("pk", filter=completed),
        fixed_first_time=Count("pk", filter=completed & ~Q(sql.follow_up_exists())),
        repeat_visits=Count("pk", filter=Q(sql.is_repeat_visit())),
    )
    return Quality(**row)


@dataclass(frozen=True)
class Arrivals:
    with_window: int
    on_time: int
    early: int
    late: int
    planned: bool = sql.ARRIVAL_IS_PLANNED

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.on_time, self.with_window)


def arrivals(f: DashboardFilters) -> Arrivals:
    row = (
        Booking.objects.filter(sql.arrived_visits(f))
        .annotate(arrival_at=sql.ARRIVAL)
        .aggregate(
            with_window=Count("pk"),
            on_time=Count("pk", filter=sql.arrival_on_time()),
            early=Count("pk", filter=Q(arrival_at__lt=F("work_order__window_start"))),
            late=Count("pk", filter=Q(arrival_at__gt=F("work_order__window_end"))),
        )
    )
    return Arrivals(**row)


@dataclass(frozen=True)
class TechnicianTotals:
    jobs: int
    wrench_minutes: float
    drive_minutes: float
    shift_minutes: float
    shift_days: int

    @property
    def utilisation(self) -> float | None:
        return ratio(self.wrench_minutes, self.shift_minutes)

    @property
    def jobs_per_day(self) -> float | None:
        return ratio(self.jobs, self.shift_days)

    @property
    def drive_share(self) -> float | None:
        return ratio(self.drive_minutes, self.drive_minutes + self.wrench_minutes)


@dataclass(frozen=True)
class TechnicianRow(TechnicianTotals):
    """One technician's figures (the totals row has the same, without who)."""

    technician_id: int = 0
    name: str = ""
    team: str = ""


SHIFT_SQL = """
    SELECT {select}
    FROM generate_series(%s::date, %s::date, interval '1 day') AS d(day)
    LEFT JOIN technicians_shiftexception se
      ON se.technician_id = technicians_technician.id AND se.date = d.day::date
    LEFT JOIN technicians_shiftpattern sp
      ON sp.technician_id = technicians_technician.id
     AND sp.weekday = EXTRACT(ISODOW FROM d.day)::int - 1
    WHERE (se.id IS NOT NULL AND NOT se.is_off) OR (se.id IS NULL AND sp.id IS NOT NULL)
"""
SHIFT_MINUTES = (
    "COALESCE(SUM(EXTRACT(EPOCH FROM COALESCE(se.ends_at - se.starts_at,"
    " sp.ends_at - sp.starts_at)) / 60.0), 0)"
)


def _shift(f: DashboardFilters, select: str, output_field):
    return RawSQL(
        f"({SHIFT_SQL.format(select=select)})",
        (f.start.isoformat(), f.end.isoformat()),
        output_field=output_field,
    )


def technicians(f: DashboardFilters) -> list[TechnicianRow]:
    """Per technician over the range: visits, wrench time (booked job time), drive time,
    and rostered shift time (weekly pattern with dated exceptions; time off not deducted).

    Two queries: the range's visits grouped by technician (one pass over the bookings'
    time index), and the technicians with their rostered time; joined on the id."""
    visits = {
        row["technician_id"]: row
        for row in Booking.objects.filter(sql.visit_scope(f))
        .values("technician_id")
        .annotate(
            jobs=Count("pk"),
            wrench=Sum(sql.MinutesBetween(F("starts_at"), F("ends_at"))),
            drive=Sum("travel_minutes"),
        )
        .order_by()
    }
    techs = Technician.objects.all()
    if f.team:
        techs = techs.filter(team=f.team)
    if f.technician:
        techs = techs.filter(pk=f.technician)
    rows = (
        techs.annotate(
            shift_minutes=_shift(f, SHIFT_MINUTES, FloatField()),
            shift_days=_shift(f, "COUNT(*)", IntegerField()),
        )
        .filter(Q(active=True) | Q(pk__in=list(visits)))
        .order_by("display_name", "pk")
        .values("pk", "display_name", "team", "shift_minutes", "shift_days")
    )
    empty = {"jobs": 0, "wrench": 0.0, "drive": 0}
    return [
        TechnicianRow(
            technician_id=row["pk"],
            name=row["display_name"],
            team=row["team"],
            jobs=visits.get(row["pk"], empty)["jobs"],
            wrench_minutes=float(visits.get(row["pk"], empty)["wrench"] or 0),
            drive_minutes=float(visits.get(row["pk"], empty)["drive"] or 0),
            shift_minutes=float(row["shift_minutes"]),
            shift_days=row["shift_days"],
        )
        for row in rows
    ]


def technician_totals(rows: list[TechnicianRow]) -> TechnicianTotals:
    return TechnicianTotals(
        jobs=sum(r.jobs for r in rows),
        wrench_minutes=sum(r.wrench_minutes for r in rows),
        drive_minutes=sum(r.drive_minutes for r in rows),
        shift_minutes=sum(r.shift_minutes for r in rows),
        shift_days=sum(r.shift_days for r in rows),
    )


def wrong_skill_visit_count(f: DashboardFilters) -> int:
    return (
        Booking.objects.filter(sql.wrong_skill_visits(f))
        .annotate(visit_day=sql.local_day("starts_at"))
        .filter(sql.lacks_valid_certification())
        .count()
    )


@dataclass(frozen=True)
class Activity:
    overrides: int
    plans_applied: int
    texts: dict = field(default_factory=dict)


def activity(f: DashboardFilters) -> Activity:
    """Overrides (event log, for the filtered work) and optimizer runs accepted (all runs:
    a plan covers a whole day, so tier / customer / skill filters do not apply). Two
    small counting queries."""
    overrides = Event.objects.filter(
        kind=Event.Kind.OVERRIDE,
        occurred_at__gte=f.starts_at,
        occurred_at__lt=f.ends_at,
        work_order__in=WorkOrder.objects.filter(sql.work_order_scope(f)).values("pk"),
    ).count()
    plans_applied = PlanRun.objects.filter(
        status=PlanRun.Status.APPLIED, decided_at__gte=f.starts_at, decided_at__lt=f.ends_at
    ).count()
    return Activity(overrides=overrides, plans_applied=plans_applied, texts=texts_sent(f))


def texts_sent(f: DashboardFilters) -> dict:
    """Customer texts handed to the provider in the range (sent or delivered) and those
    that failed or came back undelivered, for the filtered work orders. One query."""
    Status = OutboundMessage.Status
    scope = WorkOrder.objects.filter(sql.work_order_scope(f)).values("pk")
    counts = OutboundMessage.objects.filter(
        created_at__gte=f.starts_at, created_at__lt=f.ends_at, work_order__in=scope
    ).aggregate(
        sent=Count("pk", filter=Q(status__in=[Status.SENT, Status.DELIVERED])),
        failed=Count("pk", filter=Q(status__in=[Status.FAILED, Status.UNDELIVERED])),
    )
    return {"available": True, **counts}
