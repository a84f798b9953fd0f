"""Reads for the dispatch board: lanes, queue and map, in a fixed number of queries."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, F, Prefetch, QuerySet, When
from django.utils import timezone

from dispatch.lanes import STARTED, LanePlan, Stop, home_of
from dispatch.models import Booking
from routing.travel import travel_minutes
from technicians.models import Technician
from technicians.selectors import ShiftWindow, day_bounds, shift_on, technicians_for_day
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


def _booking_queryset() -> QuerySet[Booking]:
    return Booking.objects.filter(state=Booking.State.ACTIVE).select_related(
        "work_order__site", "work_order__customer", "work_order__sla_policy"
    )


def bookings_by_technician(
    day: date, technician_ids: Iterable[int] | None = None
) -> dict[int, list[Booking]]:
    start, end = day_bounds(day)
    qs = _booking_queryset().filter(starts_at__lt=end, ends_at__gt=start).order_by("starts_at")
    if technician_ids is not None:
        qs = qs.filter(technician_id__in=list(technician_ids))
    lanes: dict[int, list[Booking]] = defaultdict(list)
    for booking in qs.prefetch_related(
        Prefetch(
            "work_order__required_skills", queryset=RequiredSkill.objects.select_related("skill")
        )
    ):
        lanes[booking.technician_id].append(booking)
    return lanes


def lane_token(bookings: list[Booking]) -> str:
    """A fingerprint of a lane as a dispatcher saw it; a mismatch means someone changed it."""
    text = ";".join(f"{b.pk}@{b.starts_at.isoformat()}" for b in bookings)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def current_lane_token(technician_id: int, day: date) -> str:
    return lane_token(bookings_by_technician(day, [technician_id]).get(technician_id, []))


def stops_from_bookings(bookings: list[Booking]) -> list[Stop]:
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


def queue_queryset(filters: BoardFilters = BoardFilters()) -> QuerySet[WorkOrder]:
    next_due = Case(
        When(responded_at__isnull=True, then=F("response_due_at")), default=F("resolution_due_at")
    )
    qs = (
        WorkOrder.objects.filter(status=Status.NEW)
        .select_related("site", "customer", "sla_policy")
        .prefetch_related(
            Prefetch("required_skills", queryset=RequiredSkill.objects.select_related("skill"))
        )
        .annotate(next_due_at=next_due)
        .order_by("next_due_at", "-priority", "pk")
    )
    if filters.skill:
        qs = qs.filter(required_skills__skill_id=filters.skill)
    if filters.tier:
        qs = qs.filter(sla_policy_id=filters.tier)
    return qs


# Presentation --------------------------------------------------------------


@dataclass
class Timeline:
    starts_at: datetime
    ends_at: datetime

    @property
    def minutes(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 60

    def pct(self, moment: datetime) -> float:
        offset = (moment - self.starts_at).total_seconds() / 60
        return round(max(0.0, min(100.0, offset / self.minutes * 100)), 3)

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
    booking: Booking
    work_order: WorkOrder
    margin_pct: float
    width_pct: float
    travel_pct_of_block: float
    sla: SLAState
    started: bool
    skills: str


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


@dataclass
class QueueItem:
    work_order: WorkOrder
    sla: SLAState
    due_at: datetime | None
    skills: str


def timeline_for(day: date, shifts: Iterable[ShiftWindow | None]) -> Timeline:
    known = [s for s in shifts if s]
    start, end = day_bounds(day)
    first = min((s.starts_at for s in known), default=start + timedelta(hours=7))
    last = max((s.ends_at for s in known), default=start + timedelta(hours=18))
    first = first.replace(minute=0) - timedelta(hours=1)
    last = last.replace(minute=0) + timedelta(hours=2)
    return Timeline(starts_at=max(first, start), ends_at=min(last, end))


def technician_state(
    technician: Technician,
    shift: ShiftWindow | None,
    bookings: list[Booking],
    day: date,
    now: datetime,
) -> tuple[str, str]:
    """(state, detail) for the lane header: the dispatcher's first question about a person."""
    if timezone.localdate(now) != day:
        if shift is None:
            return "off", "Off shift"
        return (
            "planned",
            f"On shift {timezone.localtime(shift.starts_at):%H:%M}–{timezone.localtime(shift.ends_at):%H:%M}",
        )
    if any(t.starts_at <= now < t.ends_at for t in technician.time_off.all()):
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


def skills_text(work_order: WorkOrder) -> str:
    return ", ".join(f"{r.skill.name} ≥{r.min_level}" for r in work_order.required_skills.all())


def build_lane(
    technician: Technician, day: date, bookings: list[Booking], timeline: Timeline, now: datetime
) -> LaneView:
    shift = shift_on(technician, day)
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
                skills=skills_text(booking.work_order),
            )
        )
        previous_end = max(previous_end, booking.ends_at)
    state, detail = technician_state(technician, shift, bookings, day, now)
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
    for absence in technician.time_off.all():
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
    queue: list[QueueItem]
    now_pct: float | None


def board_technicians(day: date, filters: BoardFilters) -> QuerySet[Technician]:
    qs = technicians_for_day(day)
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
) -> Board:
    """The whole board, or only the lanes of `technician_ids` on the same timeline."""
    now = now or timezone.now()
    technicians = list(board_technicians(day, filters))
    timeline = timeline_for(day, (shift_on(t, day) for t in technicians))
    if technician_ids is not None:
        wanted = set(technician_ids)
        technicians = [t for t in technicians if t.pk in wanted]
    lanes_bookings = bookings_by_technician(day, [t.pk for t in technicians])
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
    lanes = [build_lane(t, day, lanes_bookings.get(t.pk, []), timeline, now) for t in technicians]
    queue = []
    if with_queue and filters.status in ("", Status.NEW):
        queue = [
            QueueItem(
                work_order=wo,
                sla=sla_state(wo, now),
                due_at=next_due_at(wo),
                skills=skills_text(wo),
            )
            for wo in queue_queryset(filters)
        ]
    now_pct = timeline.pct(now) if timeline.starts_at <= now <= timeline.ends_at else None
    return Board(day=day, timeline=timeline, lanes=lanes, queue=queue, now_pct=now_pct)


def map_points(board: Board) -> dict:
    technicians = []
    for lane in board.lanes:
        tech = lane.technician
        lat, lng = (
            (tech.last_latitude, tech.last_longitude)
            if tech.last_latitude is not None
            else home_of(tech)
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
    for item in board.queue:
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


def plan_from_bookings(technician: Technician, day: date, bookings: list[Booking]) -> LanePlan:
    """The lane as it stands, with travel recomputed (for comparisons)."""
    stops = stops_from_bookings(bookings)
    position = home_of(technician)
    for stop in stops:
        stop.travel_minutes = travel_minutes(position, stop.location)
        position = stop.location or position
    return LanePlan(technician=technician, day=day, shift=shift_on(technician, day), stops=stops)
