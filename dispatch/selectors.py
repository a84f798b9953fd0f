"""Reads of the dispatch domain: lanes, their fingerprints, the queue, and the one
definition of an unassigned work order. Plain data, no presentation."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from django.db.models import Case, Exists, F, Max, Min, OuterRef, Q, QuerySet, When
from django.utils import timezone

from core.rows import Columns, fetch
from dispatch.models import Booking, FieldAlert
from technicians.models import ShiftException, ShiftPattern, Technician
from technicians.selectors import (
    ShiftWindow,
    at_local,
    day_bounds,
    shift_on,
    technicians_for_day,
)
from workorders.models import RequiredSkill, Site, WorkOrder
from workorders.status import Status


@dataclass(frozen=True)
class BoardFilters:
    skill: int | None = None
    tier: int | None = None
    status: str = ""
    team: str = ""

    @property
    def hides_lane_jobs(self) -> bool:
        """Lanes show a subset of their bookings, so a drop position would be ambiguous."""
        return bool(self.status or self.tier)


@dataclass(slots=True)
class LaneSite:
    latitude: float | None
    longitude: float | None

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(slots=True)
class LaneWorkOrder:
    """The fields of a work order that lanes, rules and the ranking read."""

    pk: int
    number: str
    summary: str
    status: str
    estimated_minutes: int
    window_start: datetime | None
    window_end: datetime | None
    sla_policy_id: int
    response_due_at: datetime
    response_at_risk_at: datetime
    resolution_due_at: datetime
    resolution_at_risk_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    sla_paused_since: datetime | None
    site: LaneSite
    # What the board's cards say about the job beyond the rules' needs.
    customer_name: str = ""
    priority: int = 2
    tier: str = ""

    @property
    def id(self) -> int:
        return self.pk

    def get_status_display(self) -> str:
        return Status(self.status).label

    def get_priority_display(self) -> str:
        return WorkOrder.Priority(self.priority).label


@dataclass(slots=True)
class LaneBooking:
    """An active booking as lanes read it: plain data, no model instance.

    A 2,000-booking board spent most of its time building ORM objects it never
    saved; these carry exactly what is read. Writes go through `dispatch.bookings`."""

    pk: int
    technician_id: int
    work_order_id: int
    starts_at: datetime
    ends_at: datetime
    travel_minutes: int
    locked: bool
    work_order: LaneWorkOrder
    # Actual times from the technician's phone.
    en_route_at: datetime | None = None
    arrived_at: datetime | None = None
    finished_at: datetime | None = None


_WORK_ORDER_COLUMNS = (
    "number",
    "summary",
    "status",
    "estimated_minutes",
    "window_start",
    "window_end",
    "sla_policy_id",
    "response_due_at",
    "response_at_risk_at",
    "resolution_due_at",
    "resolution_at_risk_at",
    "responded_at",
    "resolved_at",
    "sla_paused_since",
    "site__latitude",
    "site__longitude",
    "customer__name",
    "priority",
    "sla_policy__tier",
)
_LANE_COLUMNS = (
    "id",
    "technician_id",
    "starts_at",
    "ends_at",
    "travel_minutes",
    "locked",
    "en_route_at",
    "arrived_at",
    "finished_at",
    "work_order_id",
    *(f"work_order__{column}" for column in _WORK_ORDER_COLUMNS),
)


def _lane_booking(row: tuple) -> LaneBooking:
    pk, tech, starts, ends, travel, locked, en_route, arrived, finished, wo_id, *wo = row
    *fields, lat, lng, customer, priority, tier = wo
    work_order = LaneWorkOrder(wo_id, *fields, LaneSite(lat, lng), customer, priority, tier)
    return LaneBooking(
        pk, tech, wo_id, starts, ends, travel, locked, work_order, en_route, arrived, finished
    )


def bookings_by_technician(
    day: date, technician_ids: Iterable[int] | None = None
) -> dict[int, list[LaneBooking]]:
    """Active bookings touching `day`, per technician, in time order (one query)."""
    start, end = day_bounds(day)
    qs = Booking.objects.filter(state=Booking.State.ACTIVE, starts_at__lt=end, ends_at__gt=start)
    if technician_ids is not None:
        qs = qs.filter(technician_id__in=list(technician_ids))
    lanes: dict[int, list[LaneBooking]] = defaultdict(list)
    for row in qs.order_by("starts_at").values_list(*_LANE_COLUMNS):
        booking = _lane_booking(row)
        lanes[booking.technician_id].append(booking)
    return lanes


def lane_fingerprint(bookings: list[LaneBooking]) -> str:
    """A digest of a lane as a dispatcher saw it; a mismatch means someone changed it."""
    text = ";".join(f"{b.pk}@{b.starts_at.isoformat()}" for b in bookings)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


# The queue ------------------------------------------------------------------


def unassigned_work_orders() -> QuerySet[WorkOrder]:
    """The one definition of "unassigned": new, with no active booking. The board's
    queue, the optimizer and urgent insertion all start from it."""
    booked = Booking.objects.filter(work_order=OuterRef("pk"), state=Booking.State.ACTIVE)
    return WorkOrder.objects.filter(status=Status.NEW).exclude(Exists(booked))


def unassigned_for_day(day: date) -> QuerySet[WorkOrder]:
    """Unassigned work orders whose customer window (if any) touches `day`."""
    start, end = day_bounds(day)
    return (
        unassigned_work_orders()
        .filter(Q(window_start__isnull=True) | Q(window_start__lt=end, window_end__gt=start))
        .order_by("pk")
    )


def urgent_candidates() -> QuerySet[WorkOrder]:
    """Unassigned work orders the "Insert urgent job" menu offers, most urgent first."""
    return unassigned_work_orders().order_by("-priority", "response_due_at")[:50]


def queue_queryset(filters: BoardFilters = BoardFilters()) -> QuerySet[WorkOrder]:
    """Unassigned work orders matching the board's filters."""
    qs = unassigned_work_orders()
    if filters.skill:
        qs = qs.filter(required_skills__skill_id=filters.skill)
    if filters.tier:
        qs = qs.filter(sla_policy_id=filters.tier)
    return qs


@dataclass(slots=True)
class QueueWorkOrder(LaneWorkOrder):
    """A queued work order with what its card shows."""

    skills: str = ""


def queue_work_orders(filters: BoardFilters = BoardFilters()) -> list[QueueWorkOrder]:
    """Unassigned work orders, most urgent SLA first (two queries)."""
    next_due = Case(
        When(responded_at__isnull=True, then=F("response_due_at")), default=F("resolution_due_at")
    )
    rows = (
        queue_queryset(filters)
        .annotate(next_due_at=next_due)
        .order_by("next_due_at", "-priority", "pk")
        .values_list("id", *_WORK_ORDER_COLUMNS)
    )
    orders = []
    for row in rows:
        *fields, lat, lng, customer, priority, tier = row
        orders.append(QueueWorkOrder(*fields, LaneSite(lat, lng), customer, priority, tier))
    skills: dict[int, list[str]] = defaultdict(list)
    requirements = RequiredSkill.objects.filter(work_order_id__in=[o.pk for o in orders]).order_by(
        "skill__name"
    )
    for work_order_id, name, level in requirements.values_list(
        "work_order_id", "skill__name", "min_level"
    ):
        skills[work_order_id].append(f"{name} ≥{level}")
    for order in orders:
        order.skills = ", ".join(skills.get(order.pk, []))
    return orders


# Technicians on the board ---------------------------------------------------------


def board_technicians(day: date, filters: BoardFilters) -> QuerySet[Technician]:
    qs = technicians_for_day(day, with_certifications=False)
    if filters.team:
        qs = qs.filter(team=filters.team)
    if filters.skill:
        qs = qs.filter(certifications__skill_id=filters.skill)
    return qs.order_by("display_name", "pk")


def board_shifts(day: date, filters: BoardFilters) -> list[ShiftWindow]:
    """The earliest start and latest end of the board's shifts (two aggregate queries),
    so a few re-rendered lanes line up with the page without loading every technician."""
    technicians = board_technicians(day, filters).values("pk")
    regular = (
        ShiftPattern.objects.filter(technician__in=technicians, weekday=day.weekday())
        .exclude(technician__shift_exceptions__date=day)
        .aggregate(first=Min("starts_at"), last=Max("ends_at"))
    )
    changed = ShiftException.objects.filter(
        technician__in=technicians, date=day, is_off=False
    ).aggregate(first=Min("starts_at"), last=Max("ends_at"))
    return [
        ShiftWindow(at_local(day, span["first"]), at_local(day, span["last"]))
        for span in (regular, changed)
        if span["first"] is not None
    ]


def technicians_on_shift(day: date, *, team: str = "") -> list[Technician]:
    techs = technicians_for_day(day)
    if team:
        techs = techs.filter(team=team)
    return [tech for tech in techs if shift_on(tech, day) is not None]


# One technician, one work order ---------------------------------------------------


def active_booking_of(work_order_id: int) -> Booking | None:
    """The work order's active booking, if any (no lock: for display)."""
    return (
        Booking.objects.filter(work_order_id=work_order_id, state=Booking.State.ACTIVE)
        .select_related("technician")
        .first()
    )


def next_day_with_bookings(after: date) -> date | None:
    """The first day after `after` that has active bookings: where an empty board
    sends the dispatcher (a weekend, a holiday, a day not planned yet)."""
    _, end = day_bounds(after)
    first = Booking.objects.filter(state=Booking.State.ACTIVE, starts_at__gte=end).aggregate(
        first=Min("starts_at")
    )["first"]
    return timezone.localdate(first) if first else None


def technician_bookings(technician: Technician, day: date) -> QuerySet[Booking]:
    start, end = day_bounds(day)
    return (
        Booking.objects.filter(
            technician=technician, state=Booking.State.ACTIVE, starts_at__lt=end, ends_at__gt=start
        )
        .select_related("work_order__customer", "work_order__site")
        .order_by("starts_at")
    )


@dataclass(frozen=True)
class DayBookingsSql:
    """A technician's active bookings of a day with work order and site, as SQL pieces,
    for `technician_bookings_with_sites` and for the position write, which reads them in
    the same statement (field.positions). Parameters: `params(day)`; the technician
    is an SQL expression given to `where`."""

    columns: tuple[Columns, Columns, Columns]
    select: str  # the column list
    tables: str  # the joined tables, for a FROM or a LEFT JOIN

    def where(self, technician: str) -> str:
        return f"""b.technician_id = {technician} AND b.state = %(day_active)s
            AND b.starts_at < %(day_end)s AND b.ends_at > %(day_start)s"""

    @staticmethod
    def params(day: date) -> dict:
        start, end = day_bounds(day)
        return {"day_active": Booking.State.ACTIVE, "day_start": start, "day_end": end}

    @staticmethod
    def bookings(rows: Iterable[list]) -> list[Booking]:
        """The bookings of `fetch`ed rows that begin with `columns` (a row of a LEFT JOIN
        that found none is skipped)."""
        day_bookings = []
        for booking, work_order, site, *_ in rows:
            if booking is None:
                continue
            work_order.site = site
            booking.work_order = work_order
            day_bookings.append(booking)
        return day_bookings


@cache
def day_bookings_sql() -> DayBookingsSql:
    bookings, orders, sites = Columns(Booking, "b"), Columns(WorkOrder, "w"), Columns(Site, "s")
    return DayBookingsSql(
        columns=(bookings, orders, sites),
        select=f"{bookings.sql}, {orders.sql}, {sites.sql}",
        tables=f"""{bookings.table} b
            JOIN {orders.table} w ON w.id = b.work_order_id
            JOIN {sites.table} s ON s.id = w.site_id""",
    )


def technician_bookings_with_sites(technician: Technician, day: date) -> list[Booking]:
    """`technician_bookings` (the same rows, in the same order) with work order and site
    but not the customer, in SQL: the next visit's ETA reads it on every status action
    (a position post reads it with its write), and built by the ORM the query cost more
    than running it. A test holds the two to the same answer."""
    day_sql = day_bookings_sql()
    sql = f"""SELECT {day_sql.select} FROM {day_sql.tables}
        WHERE {day_sql.where("%(technician)s")} ORDER BY b.starts_at"""
    params = {"technician": technician.pk, **day_sql.params(day)}
    return day_sql.bookings(fetch(sql, params, *day_sql.columns))


def technician_owns_work_order(technician: Technician, work_order_id: int) -> bool:
    return Booking.objects.filter(
        technician=technician, work_order_id=work_order_id, state=Booking.State.ACTIVE
    ).exists()


def booked_technicians(work_order: WorkOrder, extra: set[int]) -> set[int]:
    """Technicians whose lanes a change to `work_order` touches: its current one plus `extra`."""
    booked = Booking.objects.filter(work_order=work_order, state=Booking.State.ACTIVE)
    return set(booked.values_list("technician_id", flat=True)) | extra


# The technician's phone ------------------------------------------------------------


def technician_day_jobs(technician: Technician, day: date) -> list[Booking]:
    """The technician's bookings of `day` in route order, with what the phone shows."""
    return list(
        technician_bookings(technician, day).prefetch_related("work_order__required_skills__skill")
    )


def technician_job(technician: Technician, work_order_id: int) -> Booking | None:
    """The technician's active booking of a work order, or None when it is not theirs."""
    return (
        Booking.objects.filter(
            technician=technician, work_order_id=work_order_id, state=Booking.State.ACTIVE
        )
        .select_related("work_order__customer", "work_order__site", "work_order__sla_policy")
        .prefetch_related("work_order__required_skills__skill", "work_order__photos")
        .first()
    )


def open_field_alerts(day: date) -> list[FieldAlert]:
    """Alerts from the field the dispatchers of `day` have not dismissed, newest first."""
    return list(
        FieldAlert.objects.filter(day=day, dismissed_at__isnull=True)
        .select_related("technician", "work_order", "plan_run")
        .order_by("-created_at", "-id")[:50]
    )
