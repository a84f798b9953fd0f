"""Reads for the dispatch board: lanes, queue and map, in a fixed number of queries."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, F, Max, Min, QuerySet, When
from django.utils import timezone

from dispatch.board_html import BoardUrls, lane_html, queue_html, track_html
from dispatch.lanes import STARTED, Stop, TechnicianDay
from dispatch.models import Booking
from technicians.models import ShiftException, ShiftPattern, Technician
from technicians.selectors import ShiftWindow, at_local, day_bounds, technicians_for_day
from workorders.clock import next_due_at, sla_state
from workorders.models import RequiredSkill, WorkOrder
from workorders.sla import SLAState
from workorders.status import Status


@dataclass(frozen=True)
class BoardFilters:
    skill: int | None = None
    tier: int | None = None
    status: str = ""
    team: str = ""

    @property
    def hides_lane_jobs(self) -> bool:
        """Lanes show a subset of their jobs, so a drop position would be ambiguous."""
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

    @property
    def id(self) -> int:
        return self.pk

    def get_status_display(self) -> str:
        return Status(self.status).label


@dataclass(slots=True)
class LaneBooking:
    """An active booking as the board reads it: plain data, no model instance.

    A 2,000-booking board spent most of its time building ORM objects it never
    saved; these carry exactly what is read. Writes go through `Booking` by pk."""

    pk: int
    technician_id: int
    work_order_id: int
    starts_at: datetime
    ends_at: datetime
    travel_minutes: int
    locked: bool
    work_order: LaneWorkOrder


_LANE_COLUMNS = (
    "id",
    "technician_id",
    "starts_at",
    "ends_at",
    "travel_minutes",
    "locked",
    "work_order_id",
    "work_order__number",
    "work_order__summary",
    "work_order__status",
    "work_order__estimated_minutes",
    "work_order__window_start",
    "work_order__window_end",
    "work_order__sla_policy_id",
    "work_order__response_due_at",
    "work_order__response_at_risk_at",
    "work_order__resolution_due_at",
    "work_order__resolution_at_risk_at",
    "work_order__responded_at",
    "work_order__resolved_at",
    "work_order__sla_paused_since",
    "work_order__site__latitude",
    "work_order__site__longitude",
)


def _lane_booking(row: tuple) -> LaneBooking:
    pk, tech, starts, ends, travel, locked, wo_id, *wo, lat, lng = row
    return LaneBooking(
        pk, tech, wo_id, starts, ends, travel, locked, LaneWorkOrder(wo_id, *wo, LaneSite(lat, lng))
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


def lane_token(bookings: list[LaneBooking]) -> str:
    """A fingerprint of a lane as a dispatcher saw it; a mismatch means someone changed it."""
    text = ";".join(f"{b.pk}@{b.starts_at.isoformat()}" for b in bookings)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def current_lane_token(technician_id: int, day: date) -> str:
    return lane_token(bookings_by_technician(day, [technician_id]).get(technician_id, []))


def stops_from_bookings(bookings: list[LaneBooking]) -> list[Stop]:
    return [
        Stop(
            work_order=b.work_order,
            booking=b,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            travel_minutes=b.travel_minutes,
        )
        for b in bookings
    ]


@dataclass(slots=True)
class QueueWorkOrder(LaneWorkOrder):
    """A queued work order with what its card shows."""

    priority: int = 2
    tier: str = ""
    skills: str = ""

    def get_priority_display(self) -> str:
        return WorkOrder.Priority(self.priority).label


_QUEUE_COLUMNS = (
    "id",
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
    "priority",
    "sla_policy__tier",
)


def queue_queryset(filters: BoardFilters = BoardFilters()) -> QuerySet[WorkOrder]:
    """Unassigned work orders matching the board's filters."""
    qs = WorkOrder.objects.filter(status=Status.NEW)
    if filters.skill:
        qs = qs.filter(required_skills__skill_id=filters.skill)
    if filters.tier:
        qs = qs.filter(sla_policy_id=filters.tier)
    return qs


def queue_work_orders(filters: BoardFilters = BoardFilters()) -> list[QueueWorkOrder]:
    """Unassigned work orders, most urgent SLA first (two queries)."""
    next_due = Case(
        When(responded_at__isnull=True, then=F("response_due_at")), default=F("resolution_due_at")
    )
    rows = (
        queue_queryset(filters)
        .annotate(next_due_at=next_due)
        .order_by("next_due_at", "-priority", "pk")
        .values_list(*_QUEUE_COLUMNS)
    )
    orders = []
    for row in rows:
        *fields, lat, lng, priority, tier = row
        orders.append(QueueWorkOrder(*fields, LaneSite(lat, lng), priority, tier))
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


# Presentation --------------------------------------------------------------


@dataclass
class Timeline:
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        # Thousands of blocks are placed per render: plain float seconds are much cheaper
        # than aware-datetime arithmetic across time zones.
        self._start = self.starts_at.timestamp()
        self._span = max(1.0, self.ends_at.timestamp() - self._start)

    def pct(self, moment: datetime) -> float:
        return round(max(0.0, min(100.0, (moment.timestamp() - self._start) / self._span * 100)), 3)

    def span_pct(self, start: datetime, end: datetime) -> float:
        return round(max(0.0, self.pct(end) - self.pct(start)), 3)

    def hours(self) -> list[tuple[str, float]]:
        marks, moment = [], self.starts_at
        while moment <= self.ends_at:
            marks.append((f"{timezone.localtime(moment):%H}", self.pct(moment)))
            moment += timedelta(hours=1)
        return marks


@dataclass
class BlockView:
    booking: LaneBooking
    work_order: WorkOrder
    margin_pct: float
    width_pct: float
    travel_pct_of_block: float
    sla: SLAState
    started: bool


@dataclass
class LaneView:
    technician: Technician
    shift: ShiftWindow | None
    token: str
    blocks: list[BlockView]
    shift_left: float = 0
    shift_width: float = 0
    absences: list[tuple[float, float, str]] = field(default_factory=list)
    state: str = ""
    state_detail: str = ""
    booked_minutes: int = 0
    track_html: str = ""
    html: str = ""


@dataclass
class QueueItem:
    work_order: WorkOrder
    sla: SLAState
    due_at: datetime | None
    skills: str


def board_shifts(day: date, filters: "BoardFilters") -> list[ShiftWindow]:
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


def timeline_for(day: date, shifts: Iterable[ShiftWindow | None]) -> Timeline:
    known = [s for s in shifts if s]
    start, end = day_bounds(day)
    first = min((s.starts_at for s in known), default=start + timedelta(hours=7))
    last = max((s.ends_at for s in known), default=start + timedelta(hours=18))
    first = first.replace(minute=0) - timedelta(hours=1)
    last = last.replace(minute=0) + timedelta(hours=2)
    return Timeline(starts_at=max(first, start), ends_at=min(last, end))


def technician_state(
    tday: TechnicianDay, bookings: list[LaneBooking], now: datetime
) -> tuple[str, str]:
    """(state, detail) for the lane header: the dispatcher's first question about a person."""
    shift, day = tday.shift, tday.day
    if timezone.localdate(now) != day:
        if shift is None:
            return "off", "Off shift"
        return (
            "planned",
            f"On shift {timezone.localtime(shift.starts_at):%H:%M}–{timezone.localtime(shift.ends_at):%H:%M}",
        )
    if any(t.starts_at <= now < t.ends_at for t in tday.absences):
        return "off", "Time off"
    for booking in bookings:
        status = booking.work_order.status
        if status == Status.EN_ROUTE:
            return "en_route", f"En route to {booking.work_order.number}"
        if status == Status.ON_SITE:
            return "on_site", f"On site at {booking.work_order.number}"
    if shift is None or not (shift.starts_at <= now < shift.ends_at):
        return "off", "Off shift"
    current = next((b for b in bookings if b.starts_at <= now < b.ends_at), None)
    if current is not None:
        return "busy", f"Available after {timezone.localtime(current.ends_at):%H:%M}"
    return "available", "Available now"


def build_lane(
    tday: TechnicianDay, bookings: list[LaneBooking], timeline: Timeline, now: datetime
) -> LaneView:
    technician, shift = tday.technician, tday.shift
    blocks, previous_end = [], timeline.starts_at
    for booking in bookings:
        start = max(booking.starts_at, timeline.starts_at)
        width = timeline.span_pct(start, booking.ends_at)
        duration = max(1.0, (booking.ends_at - booking.starts_at).total_seconds() / 60)
        blocks.append(
            BlockView(
                booking=booking,
                work_order=booking.work_order,
                margin_pct=timeline.span_pct(previous_end, start),
                width_pct=max(width, 0.4),
                travel_pct_of_block=round(min(booking.travel_minutes / duration * 100, 400), 2),
                sla=sla_state(booking.work_order, now),
                started=booking.work_order.status in STARTED,
            )
        )
        previous_end = max(previous_end, booking.ends_at)
    state, detail = technician_state(tday, bookings, now)
    lane = LaneView(
        technician=technician,
        shift=shift,
        token=lane_token(bookings),
        blocks=blocks,
        state=state,
        state_detail=detail,
        booked_minutes=sum(b.work_order.estimated_minutes + b.travel_minutes for b in bookings),
    )
    if shift:
        lane.shift_left = timeline.pct(shift.starts_at)
        lane.shift_width = timeline.span_pct(shift.starts_at, shift.ends_at)
    for absence in tday.absences:
        lane.absences.append(
            (
                timeline.pct(absence.starts_at),
                timeline.span_pct(absence.starts_at, absence.ends_at),
                absence.get_kind_display(),
            )
        )
    return lane


@dataclass
class Board:
    day: date
    timeline: Timeline
    lanes: list[LaneView]
    queue: list[QueueItem] | None
    now_pct: float | None
    queue_html: str = ""


def board_technicians(day: date, filters: BoardFilters) -> QuerySet[Technician]:
    qs = technicians_for_day(day, with_certifications=False)
    if filters.team:
        qs = qs.filter(team=filters.team)
    if filters.skill:
        qs = qs.filter(certifications__skill_id=filters.skill)
    return qs.order_by("display_name", "pk")


def build_board(
    day: date,
    filters: BoardFilters,
    now: datetime | None = None,
    technician_ids: Iterable[int] | None = None,
    with_queue: bool = True,
    oob: bool = False,
) -> Board:
    """The whole board, or only the lanes of `technician_ids` on the same timeline."""
    now = now or timezone.now()
    timeline = timeline_for(day, board_shifts(day, filters))
    technicians = board_technicians(day, filters)
    if technician_ids is not None:
        technicians = technicians.filter(pk__in=list(technician_ids))
    tdays = [TechnicianDay.of(t, day) for t in technicians]
    lanes_bookings = bookings_by_technician(day, [tday.technician.pk for tday in tdays])
    if filters.status:
        lanes_bookings = {
            tid: [b for b in bs if b.work_order.status == filters.status]
            for tid, bs in lanes_bookings.items()
        }
    if filters.tier:
        lanes_bookings = {
            tid: [b for b in bs if b.work_order.sla_policy_id == filters.tier]
            for tid, bs in lanes_bookings.items()
        }
    lanes = [
        build_lane(tday, lanes_bookings.get(tday.technician.pk, []), timeline, now)
        for tday in tdays
    ]
    queue: list[QueueItem] | None = None
    if with_queue and filters.status in ("", Status.NEW):
        queue = [
            QueueItem(
                work_order=wo, sla=sla_state(wo, now), due_at=next_due_at(wo), skills=wo.skills
            )
            for wo in queue_work_orders(filters)
        ]
    now_pct = timeline.pct(now) if timeline.starts_at <= now <= timeline.ends_at else None
    urls = BoardUrls(day)
    for lane in lanes:
        lane.track_html = track_html(lane.blocks, urls)
        lane.html = lane_html(lane, now_pct, oob)
    return Board(
        day=day,
        timeline=timeline,
        lanes=lanes,
        queue=queue,
        now_pct=now_pct,
        queue_html=queue_html(queue, urls) if queue is not None else "",
    )


def map_points(board: Board) -> dict:
    technicians = []
    for lane in board.lanes:
        tech = lane.technician
        lat, lng = (
            (tech.last_latitude, tech.last_longitude)
            if tech.last_latitude is not None
            else (tech.home_latitude, tech.home_longitude)
        )
        technicians.append(
            {
                "id": tech.pk,
                "name": str(tech),
                "lat": lat,
                "lng": lng,
                "state": lane.state,
                "detail": lane.state_detail,
            }
        )
    jobs = []
    for item in board.queue or []:
        site = item.work_order.site
        if site.has_coordinates:
            jobs.append(_job_point(item.work_order, item.sla, site, assigned_to=""))
    for lane in board.lanes:
        for block in lane.blocks:
            site = block.work_order.site
            if site.has_coordinates:
                jobs.append(
                    _job_point(block.work_order, block.sla, site, assigned_to=str(lane.technician))
                )
    return {"technicians": technicians, "jobs": jobs}


def _job_point(work_order: WorkOrder, sla: SLAState, site, assigned_to: str) -> dict:
    return {
        "id": work_order.pk,
        "number": work_order.number,
        "summary": work_order.summary,
        "lat": site.latitude,
        "lng": site.longitude,
        "sla": sla.value,
        "assigned_to": assigned_to,
    }
