"""The dashboard's panels: one SQL query each, aggregated in PostgreSQL.

Every function takes the parsed filters and returns plain data for the page, the
charts and the CSV export. No panel loops over work orders in Python; the only
Python arithmetic is on the handful of aggregated rows (ratios, totals).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Greatest

from dashboard import sql
from dashboard.filters import DashboardFilters
from dispatch.days import FIRST_DAY, LAST_DAY
from dispatch.models import Booking
from notifications.models import OutboundMessage
from routing.models import PlanRun
from technicians.models import Technician
from technicians.selectors import local_zone
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


def open_now() -> Q:
    return ~Q(status__in=[Status.COMPLETED, Status.CANCELLED])


def at_risk_now(target: SLATarget) -> Q:
    """Open work whose `target` is past its at-risk point but not yet due, and which has
    breached neither target: an order already late on response is a breach to explain,
    not one that can still be saved, so it is never also shown as resolution "at risk"
    (the same rule as a work order's own SLA badge, workorders.sla.evaluate_state)."""
    return open_now() & target_conditions(target).at_risk & ~breached_condition()


def _target_aggregates(in_range: Q) -> dict:
    aggregates = {}
    for target in SLATarget:
        c = target_conditions(target)
        aggregates |= {
            f"{target}_met": Count("pk", filter=in_range & c.met),
            f"{target}_breached": Count("pk", filter=in_range & c.breached),
            f"{target}_pending": Count("pk", filter=in_range & (c.at_risk | c.pending)),
            f"{target}_at_risk_now": Count("pk", filter=at_risk_now(target)),
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
    """Met / breached / still running per target and tier for work in the range (by the
    chosen date), and what is at risk right now among all open work (whatever its dates)."""
    in_range = sql.in_range(f)
    rows = (
        WorkOrder.objects.annotate(**clock_annotation(f.now))
        .filter(sql.work_order_scope(f) & (in_range | open_now()))
        .values("sla_policy_id", "sla_policy__tier", "sla_policy__response_minutes")
        .annotate(received=Count("pk", filter=in_range), **_target_aggregates(in_range))
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
    """Attainment per day (of the chosen date) and tier (days without decided targets are
    left out)."""
    response, resolution = (target_conditions(t) for t in SLATarget)
    rows = (
        WorkOrder.objects.annotate(**clock_annotation(f.now))
        .filter(sql.cohort(f))
        .annotate(day=sql.local_day(f.basis_field))
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
    """Median and p90 of a wait, over the work that got there (`count`) and the open work
    still waiting (`waiting`), the latter at its age now: a wait still going on is at
    least that long, so with any of them the figures are lower bounds ("at least")."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None
    waiting: int = 0
    oldest_waiting_minutes: float | None = None

    @property
    def at_least(self) -> bool:
        return self.waiting > 0


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


def waiting_for_assignment() -> Q:
    """On a work order annotated with first_booked_at: open, never booked and nobody on
    site (someone who got there was assigned, we just do not know when)."""
    return open_now() & Q(first_booked_at__isnull=True, responded_at__isnull=True)


def waiting_for_arrival() -> Q:
    return open_now() & Q(responded_at__isnull=True)


def _durations(row: dict, name: str) -> Durations:
    return Durations(
        count=row[f"{name}_done"],
        median_minutes=row[f"{name}_median"],
        p90_minutes=row[f"{name}_p90"],
        waiting=row[f"{name}_waiting"],
        oldest_waiting_minutes=row[f"{name}_oldest"],
    )


def speed(f: DashboardFilters) -> Speed:
    """Received → first booking (time to assign) and received → first on-site report
    (time to arrive), both on the wall clock; open work still waiting counts at its age."""
    now = Value(f.now)
    aggregates = {}
    for name, done_at, done, waiting in (
        ("assign", "first_booked_at", Q(first_booked_at__isnull=False), waiting_for_assignment()),
        ("arrive", "responded_at", Q(responded_at__isnull=False), waiting_for_arrival()),
    ):
        wait = sql.MinutesBetween(F("created_at"), Coalesce(F(done_at), now))
        counted = done | waiting
        aggregates |= {
            f"{name}_done": Count("pk", filter=done),
            f"{name}_waiting": Count("pk", filter=waiting),
            f"{name}_median": sql.Percentile(wait, 0.5, filter=counted),
            f"{name}_p90": sql.Percentile(wait, 0.9, filter=counted),
            f"{name}_oldest": Max(wait, filter=waiting),
        }
    row = (
        WorkOrder.objects.filter(sql.cohort(f))
        .annotate(first_booked_at=first_booked_at())
        .aggregate(**aggregates)
    )
    return Speed(assign=_durations(row, "assign"), arrive=_durations(row, "arrive"))


@dataclass(frozen=True)
class Quality:
    """First-time fix is final only for jobs whose follow-up window has closed
    (`decided`); the jobs completed more recently give a provisional rate beside it."""

    completed: int
    decided: int
    fixed_first_time: int
    fixed_so_far: int
    repeat_visits: int
    received: int

    @property
    def first_time_fix_rate(self) -> float | None:
        return ratio(self.fixed_first_time, self.decided)

    @property
    def window_open(self) -> int:
        return self.completed - self.decided

    @property
    def provisional_rate(self) -> float | None:
        """Among the jobs still in their window: none has needed a follow-up *yet*."""
        return ratio(self.fixed_so_far, self.window_open)

    @property
    def repeat_rate(self) -> float | None:
        return ratio(self.repeat_visits, self.received)


def quality(f: DashboardFilters) -> Quality:
    completed = Q(status=Status.COMPLETED)
    closed = completed & sql.follow_up_window_closed(f.now)
    no_follow_up = ~Q(sql.follow_up_exists())
    row = WorkOrder.objects.filter(sql.cohort(f)).aggregate(
        received=Count("pk"),
        completed=Count("pk", filter=completed),
        decided=Count("pk", filter=closed),
        fixed_first_time=Count("pk", filter=closed & no_follow_up),
        fixed_so_far=Count("pk", filter=completed & ~closed & no_follow_up),
        repeat_visits=Count("pk", filter=Q(sql.is_repeat_visit())),
    )
    return Quality(**row)


@dataclass(frozen=True)
class Arrivals:
    with_window: int
    on_time: int
    early: int
    late: int
    on_planned_time: int  # no arrival recorded: judged on the planned start

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
            on_planned_time=Count("pk", filter=~sql.ARRIVAL_RECORDED),
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
    on_planned_time: int = 0  # visits whose work and drive are the booked times
    # A tier, customer or skill filter narrows the work but not the shifts, which
    # cannot be split by work: no utilisation (nor jobs per day) is shown then.
    work_filtered: bool = False

    @property
    def utilisation(self) -> float | None:
        return None if self.work_filtered else ratio(self.wrench_minutes, self.shift_minutes)

    @property
    def jobs_per_day(self) -> float | None:
        return None if self.work_filtered else ratio(self.jobs, self.shift_days)

    @property
    def drive_share(self) -> float | None:
        return ratio(self.drive_minutes, self.drive_minutes + self.wrench_minutes)


@dataclass(frozen=True)
class TechnicianRow(TechnicianTotals):
    """One technician's figures (the totals row has the same, without who)."""

    technician_id: int = 0
    name: str = ""
    team: str = ""


# The time a technician could work on each day of the range: the rostered shift
# (weekly pattern, or that day's exception), less any time off inside it, and never
# more than the technician's max_daily_hours. Local shift times become instants in the
# company's zone, so DST days have their real length.
SHIFT_SQL = """
    SELECT {select} FROM (
      SELECT GREATEST(0, LEAST(
               EXTRACT(EPOCH FROM shift.ends - shift.starts) / 60.0 - COALESCE((
                 SELECT SUM(EXTRACT(EPOCH FROM LEAST(t.ends_at, shift.ends)
                                             - GREATEST(t.starts_at, shift.starts))) / 60.0
                 FROM technicians_timeoff t
                 WHERE t.technician_id = technicians_technician.id
                   AND t.starts_at < shift.ends AND t.ends_at > shift.starts), 0),
               technicians_technician.max_daily_hours * 60)) AS minutes
      FROM (
        SELECT (d.day::date + COALESCE(se.starts_at, sp.starts_at)) AT TIME ZONE %s AS starts,
               (d.day::date + COALESCE(se.ends_at, sp.ends_at)) AT TIME ZONE %s AS ends
        FROM generate_series(%s::date, %s::date, interval '1 day') AS d(day)
        LEFT JOIN technicians_shiftexception se
          ON se.technician_id = technicians_technician.id AND se.date = d.day::date
        LEFT JOIN technicians_shiftpattern sp
          ON sp.technician_id = technicians_technician.id
         AND sp.weekday = EXTRACT(ISODOW FROM d.day::date)::int - 1
        WHERE (se.id IS NOT NULL AND NOT se.is_off) OR (se.id IS NULL AND sp.id IS NOT NULL)
      ) AS shift
    ) AS available
"""
SHIFT_MINUTES = "COALESCE(SUM(minutes), 0)"
SHIFT_DAYS = "COUNT(*) FILTER (WHERE minutes > 0)"


def _shift(f: DashboardFilters, select: str, output_field):
    zone = local_zone().key
    return RawSQL(
        f"({SHIFT_SQL.format(select=select)})",
        (zone, zone, f.start.isoformat(), f.end.isoformat()),
        output_field=output_field,
    )


def technicians(f: DashboardFilters) -> list[TechnicianRow]:
    """Per technician over the range: visits, wrench time (the phone's arrival → finish,
    else the booked time), drive time (en route → arrival, else the planned drive), and
    available shift time (rostered, less time off, at most max_daily_hours a day).

    Two queries: the range's visits grouped by technician (one pass over the bookings'
    time index), and the technicians with their shift time; joined on the id."""
    recorded = sql.WORK_RECORDED
    booked = sql.MinutesBetween(F("starts_at"), F("ends_at"))
    worked = sql.MinutesBetween(F("arrived_at"), F("finished_at"))
    driven = sql.MinutesBetween(F("en_route_at"), F("arrived_at"))
    visits = {
        row["technician_id"]: row
        for row in Booking.objects.filter(sql.visit_scope(f))
        .values("technician_id")
        .annotate(
            jobs=Count("pk"),
            wrench=Sum(Case(When(recorded, then=worked), default=booked)),
            drive=Sum(
                Case(
                    When(recorded & Q(en_route_at__isnull=False), then=driven),
                    default=Cast("travel_minutes", FloatField()),
                )
            ),
            on_planned_time=Count("pk", filter=~recorded),
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
            shift_days=_shift(f, SHIFT_DAYS, IntegerField()),
        )
        .filter(Q(active=True) | Q(pk__in=list(visits)))
        .order_by("display_name", "pk")
        .values("pk", "display_name", "team", "shift_minutes", "shift_days")
    )
    empty = {"jobs": 0, "wrench": 0.0, "drive": 0, "on_planned_time": 0}
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
            on_planned_time=visits.get(row["pk"], empty)["on_planned_time"],
            work_filtered=f.work_filtered,
        )
        for row in rows
    ]


def technician_totals(rows: list[TechnicianRow], f: DashboardFilters) -> TechnicianTotals:
    return TechnicianTotals(
        jobs=sum(r.jobs for r in rows),
        wrench_minutes=sum(r.wrench_minutes for r in rows),
        drive_minutes=sum(r.drive_minutes for r in rows),
        shift_minutes=sum(r.shift_minutes for r in rows),
        shift_days=sum(r.shift_days for r in rows),
        on_planned_time=sum(r.on_planned_time for r in rows),
        work_filtered=f.work_filtered,
    )


@dataclass(frozen=True)
class WrongSkill:
    in_range: int
    later: int  # visits planned after the range: still to be put right


def wrong_skill_visits(f: DashboardFilters) -> WrongSkill:
    """Visits of live work, any status, whose technician lacked a valid certification on
    the visit day: those in the range, and those planned after it. One query."""
    row = (
        Booking.objects.filter(sql.wrong_skill_visits(f, later=True))
        .annotate(visit_day=sql.local_day("starts_at"))
        .filter(sql.lacks_valid_certification())
        .aggregate(
            in_range=Count("pk", filter=Q(starts_at__lt=f.ends_at)),
            later=Count("pk", filter=Q(starts_at__gte=f.ends_at)),
        )
    )
    return WrongSkill(**row)


def wrong_skill_visit_count(f: DashboardFilters) -> int:
    return wrong_skill_visits(f).in_range


@dataclass(frozen=True)
class PlanRuns:
    accepted: int  # optimizer runs (a day planned for everyone) accepted
    urgent: int  # urgent insertions and field re-plans accepted: counted apart
    impossible_day: int  # accepted runs for a day that cannot be meant: left out


@dataclass(frozen=True)
class Activity:
    overrides: int
    plans: PlanRuns
    texts: dict = field(default_factory=dict)

    @property
    def plans_applied(self) -> int:
        return self.plans.accepted


# A plan is for a real working day: one the dashboard can show (FIRST_DAY..LAST_DAY)
# and within a year of the moment it was accepted. Anything else (day 0001-01-01)
# is bad input that got stored, not planning.
PLAN_DAY_SPAN = timedelta(days=366)


def plan_runs(f: DashboardFilters) -> PlanRuns:
    """Plan runs accepted in the range, whatever the filters (a plan covers a day). One
    query."""
    accepted_on = sql.local_day("decided_at")
    possible = (
        Q(day__gte=FIRST_DAY, day__lte=LAST_DAY)
        & Q(day__gte=accepted_on - Value(PLAN_DAY_SPAN))
        & Q(day__lte=accepted_on + Value(PLAN_DAY_SPAN))
    )
    row = PlanRun.objects.filter(
        status=PlanRun.Status.APPLIED, decided_at__gte=f.starts_at, decided_at__lt=f.ends_at
    ).aggregate(
        accepted=Count("pk", filter=possible & Q(kind=PlanRun.Kind.OPTIMIZE)),
        urgent=Count("pk", filter=possible & ~Q(kind=PlanRun.Kind.OPTIMIZE)),
        impossible_day=Count("pk", filter=~possible),
    )
    return PlanRuns(**row)


def activity(f: DashboardFilters) -> Activity:
    """Overrides (event log, for the filtered work), plan runs accepted and texts. Three
    small counting queries."""
    overrides = Event.objects.filter(
        kind=Event.Kind.OVERRIDE,
        occurred_at__gte=f.starts_at,
        occurred_at__lt=f.ends_at,
        work_order__in=WorkOrder.objects.filter(sql.work_order_scope(f)).values("pk"),
    ).count()
    return Activity(overrides=overrides, plans=plan_runs(f), texts=texts_sent(f))


def texts_scope(f: DashboardFilters) -> Q:
    """Texts queued in the range for the filtered work, cancelled work included (its
    texts went out: the booking, the cancellation notice). With no filter on work or
    technician, texts tied to no work order (replies to HELP) count as well."""
    q = Q(created_at__gte=f.starts_at, created_at__lt=f.ends_at)
    if f.tier or f.skill or f.team or f.technician:
        work = WorkOrder.objects.filter(sql.work_order_scope(f, cancelled=True)).values("pk")
        q &= Q(work_order__in=work)
    elif f.customer:
        q &= Q(customer_id=f.customer)
    return q


def texts_sent(f: DashboardFilters) -> dict:
    """Customer texts handed to the provider in the range (sent or delivered) and those
    that failed or came back undelivered. One query."""
    Status = OutboundMessage.Status
    counts = OutboundMessage.objects.filter(texts_scope(f)).aggregate(
        sent=Count("pk", filter=Q(status__in=[Status.SENT, Status.DELIVERED])),
        failed=Count("pk", filter=Q(status__in=[Status.FAILED, Status.UNDELIVERED])),
    )
    return {"available": True, **counts}
