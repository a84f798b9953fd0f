"""SQL building blocks of the dashboard: scopes shared by every panel, and expressions."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate

from dashboard.filters import DashboardFilters
from dispatch.models import Booking
from technicians.models import Certification
from technicians.selectors import local_zone
from workorders.models import RequiredSkill, WorkOrder
from workorders.status import Status

FOLLOW_UP_DAYS = 30

# The moment a technician arrived at a visit (on a Booking): what the phone recorded
# on the booking, else the on-site time recorded on the work order (the office typed
# it, or the phone reported it on an earlier booking), else, stated as a fallback on
# the page, the planned start.
ARRIVAL = Coalesce(F("arrived_at"), F("work_order__responded_at"), F("starts_at"))
ARRIVAL_RECORDED = Q(arrived_at__isnull=False) | Q(work_order__responded_at__isnull=False)
# Work done at a visit: the phone's arrival → finish where both were recorded, else
# the booked time; drive: the phone's en route → arrival, else the planned drive.
WORK_RECORDED = Q(arrived_at__isnull=False, finished_at__isnull=False)


class Percentile(Aggregate):
    """PERCENTILE_CONT(fraction) WITHIN GROUP (ORDER BY expression): an ordered-set aggregate."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile is a fraction between 0 and 1.")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class MinutesBetween(Func):
    """Minutes from `earlier` to `later` (negative when `later` comes first)."""

    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 60.0)"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, earlier, later):
        super().__init__(later, earlier)


def local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=local_zone())


def shifted(field, delta: timedelta) -> ExpressionWrapper:
    """`field` (an F or OuterRef) moved by a fixed delta, as a timestamp expression."""
    return ExpressionWrapper(field + Value(delta), output_field=DateTimeField())


def work_order_scope(f: DashboardFilters, *, cancelled: bool = False) -> Q:
    """Work orders the filters select, whatever their date. Cancelled ones never count
    in a work figure; `cancelled=True` keeps them (their texts were still sent)."""
    q = Q() if cancelled else ~Q(status=Status.CANCELLED)
    if f.tier:
        q &= Q(sla_policy_id=f.tier)
    if f.customer:
        q &= Q(customer_id=f.customer)
    if f.skill:
        q &= Q(Exists(RequiredSkill.objects.filter(work_order=OuterRef("pk"), skill_id=f.skill)))
    if f.team or f.technician:
        q &= Q(Exists(Booking.objects.filter(_booked_by(f), work_order=OuterRef("pk"))))
    return q


def in_range(f: DashboardFilters) -> Q:
    """The work order's date the range applies to (received, due or closed) lies in it."""
    return Q(**{f"{f.basis_field}__gte": f.starts_at, f"{f.basis_field}__lt": f.ends_at})


def cohort(f: DashboardFilters) -> Q:
    """The work orders in the date range (by the chosen date): the base of every
    work-order figure."""
    return work_order_scope(f) & in_range(f)


def _booked_by(f: DashboardFilters) -> Q:
    q = Q(state=Booking.State.ACTIVE)
    if f.team:
        q &= Q(technician__team=f.team)
    if f.technician:
        q &= Q(technician_id=f.technician)
    return q


def visit_scope(f: DashboardFilters, *, later: bool = False) -> Q:
    """Active bookings (visits) planned to start in the date range, for the filtered work;
    with `later`, those planned from the start of the range on, however far ahead."""
    q = _booked_by(f) & Q(starts_at__gte=f.starts_at)
    if not later:
        q &= Q(starts_at__lt=f.ends_at)
    q &= ~Q(work_order__status=Status.CANCELLED)
    if f.tier:
        q &= Q(work_order__sla_policy_id=f.tier)
    if f.customer:
        q &= Q(work_order__customer_id=f.customer)
    if f.skill:
        q &= Q(
            Exists(
                RequiredSkill.objects.filter(work_order=OuterRef("work_order"), skill_id=f.skill)
            )
        )
    return q


def arrived_visits(f: DashboardFilters) -> Q:
    """Visits with a customer window whose arrival was recorded, or failing that whose
    planned start has passed."""
    return (
        visit_scope(f)
        & (ARRIVAL_RECORDED | Q(starts_at__lte=f.now))
        & Q(work_order__window_start__isnull=False)
    )


def arrival_on_time() -> Q:
    return Q(
        arrival_at__gte=F("work_order__window_start"), arrival_at__lte=F("work_order__window_end")
    )


def lacks_valid_certification() -> Exists:
    """On a Booking annotated with `visit_day`: a required skill the technician could not
    do that day (no certification, too low a level, or expired before the visit)."""
    valid = Certification.objects.filter(
        technician=OuterRef(OuterRef("technician")),
        skill=OuterRef("skill"),
        level__gte=OuterRef("min_level"),
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=OuterRef(OuterRef("visit_day"))))
    return Exists(
        RequiredSkill.objects.filter(work_order=OuterRef("work_order")).filter(~Exists(valid))
    )


def wrong_skill_visits(f: DashboardFilters, *, later: bool = False) -> Q:
    """Every visit of live work, whatever its status: scheduled, under way or completed
    (the alarm must ring before the technician arrives, not after the job is done).
    With `later`, visits planned after the range too."""
    return visit_scope(f, later=later)


def follow_up_exists() -> Exists:
    """On a completed work order: another one for the same site and job type was received
    within FOLLOW_UP_DAYS after it was completed (so the first visit did not fix it)."""
    return Exists(
        WorkOrder.objects.exclude(status=Status.CANCELLED).filter(
            site=OuterRef("site"),
            job_type=OuterRef("job_type"),
            created_at__gt=OuterRef("resolved_at"),
            created_at__lte=shifted(OuterRef("resolved_at"), timedelta(days=FOLLOW_UP_DAYS)),
        )
    )


def follow_up_window_closed(now) -> Q:
    """On a completed work order: its FOLLOW_UP_DAYS have passed, so whether it needed a
    follow-up is known for good."""
    return Q(resolved_at__lte=now - timedelta(days=FOLLOW_UP_DAYS))


def is_repeat_visit() -> Exists:
    """On a work order: an earlier one for the same site and job type was completed at most
    FOLLOW_UP_DAYS before this one was received."""
    return Exists(
        WorkOrder.objects.filter(
            status=Status.COMPLETED,
            site=OuterRef("site"),
            job_type=OuterRef("job_type"),
            resolved_at__lt=OuterRef("created_at"),
            resolved_at__gte=shifted(OuterRef("created_at"), -timedelta(days=FOLLOW_UP_DAYS)),
        )
    )


@contextmanager
def read_panels() -> Iterator[None]:
    """One read transaction for all panels, without PostgreSQL's JIT compiler: the
    correlated subqueries look expensive to the planner, which then spends ~40 ms per
    query compiling code for a few thousand rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield
