"""The board as the dispatcher sees it: lanes on a timeline and the queue, as HTML.

Presentation only: it reads a `BoardData` (board.data) and places it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from board.data import BoardData
from board.html import BoardUrls, lane_html, queue_html, track_html
from dispatch.lanes import TechnicianDay, is_overrun
from dispatch.selectors import LaneBooking, LaneWorkOrder, QueueWorkOrder, lane_fingerprint
from technicians.models import Technician
from technicians.selectors import ShiftWindow, day_bounds
from workorders.clock import next_due_at, sla_state
from workorders.sla import SLAState
from workorders.status import STARTED


@dataclass
class Timeline:
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        # Thousands of bookings are placed per render: plain float seconds are much
        # cheaper than aware-datetime arithmetic across time zones.
        self._start = self.starts_at.timestamp()
        self._span = max(1.0, self.ends_at.timestamp() - self._start)

    def pct(self, moment: datetime) -> float:
        return round(max(0.0, min(100.0, (moment.timestamp() - self._start) / self._span * 100)), 3)

    def span_pct(self, start: datetime, end: datetime) -> float:
        return round(max(0.0, self.pct(end) - self.pct(start)), 3)

    @property
    def hour_count(self) -> float:
        """The timeline's length in hours: the board's width at a fixed time scale."""
        return round(self._span / 3600, 2)

    def hours(self) -> list[tuple[str, float]]:
        marks, moment = [], self.starts_at
        while moment <= self.ends_at:
            marks.append((f"{timezone.localtime(moment):%H}", self.pct(moment)))
            moment += timedelta(hours=1)
        return marks


@dataclass
class BookingView:
    """One booking placed on its lane's timeline."""

    booking: LaneBooking
    work_order: LaneWorkOrder
    margin_pct: float
    width_pct: float
    travel_pct_of_booking: float
    sla: SLAState
    started: bool
    actual: str = ""  # what the phone reported, against the plan
    overrun: bool = False
    replies: int = 0  # unread customer replies


def actual_text(booking: LaneBooking) -> str:
    """The phone's facts for the lane: actual against planned."""

    def hhmm(moment: datetime) -> str:
        return f"{timezone.localtime(moment):%H:%M}"

    if booking.finished_at is not None:
        return f"done {hhmm(booking.finished_at)}"
    if booking.arrived_at is not None:
        late = round((booking.arrived_at - booking.starts_at).total_seconds() / 60)
        return f"arrived {hhmm(booking.arrived_at)} ({late:+d} min)"
    if booking.en_route_at is not None:
        return f"en route {hhmm(booking.en_route_at)}"
    return ""


@dataclass
class LaneView:
    technician: Technician
    shift: ShiftWindow | None
    fingerprint: str
    bookings: list[BookingView]
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
    work_order: QueueWorkOrder
    sla: SLAState
    due_at: datetime | None
    skills: str
    replies: int = 0  # unread customer replies


def timeline_for(day: date, shifts: Iterable[ShiftWindow | None]) -> Timeline:
    known = [s for s in shifts if s]
    start, end = day_bounds(day)
    first = min((s.starts_at for s in known), default=start + timedelta(hours=7))
    last = max((s.ends_at for s in known), default=start + timedelta(hours=18))
    first = first.replace(minute=0) - timedelta(hours=1)
    last = last.replace(minute=0) + timedelta(hours=2)
    return Timeline(starts_at=max(first, start), ends_at=min(last, end))


def build_lane(
    tday: TechnicianDay,
    bookings: list[LaneBooking],
    timeline: Timeline,
    now: datetime,
    replies: dict[int, int] | None = None,
) -> LaneView:
    technician, shift = tday.technician, tday.shift
    views, previous_end = [], timeline.starts_at
    for booking in bookings:
        start = max(booking.starts_at, timeline.starts_at)
        width = timeline.span_pct(start, booking.ends_at)
        duration = max(1.0, (booking.ends_at - booking.starts_at).total_seconds() / 60)
        views.append(
            BookingView(
                booking=booking,
                work_order=booking.work_order,
                margin_pct=timeline.span_pct(previous_end, start),
                width_pct=max(width, 0.4),
                travel_pct_of_booking=round(min(booking.travel_minutes / duration * 100, 400), 2),
                sla=sla_state(booking.work_order, now),
                started=booking.work_order.status in STARTED,
                actual=actual_text(booking),
                overrun=is_overrun(booking, now),
                replies=(replies or {}).get(booking.work_order_id, 0),
            )
        )
        previous_end = max(previous_end, booking.ends_at)
    state, detail = tday.state_at(bookings, now)
    if any(view.overrun for view in views):
        detail += " · running over"
    lane = LaneView(
        technician=technician,
        shift=shift,
        fingerprint=lane_fingerprint(bookings),
        bookings=views,
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


def build_board(data: BoardData, oob: bool = False) -> Board:
    """The board's lanes and queue, placed and rendered."""
    now = data.now
    timeline = timeline_for(data.day, data.shifts)
    lanes = [
        build_lane(tday, data.lane_of(tday), timeline, now, data.replies)
        for tday in data.technician_days
    ]
    queue: list[QueueItem] | None = None
    if data.queue is not None:
        queue = [
            QueueItem(
                work_order=wo,
                sla=sla_state(wo, now),
                due_at=next_due_at(wo),
                skills=wo.skills,
                replies=data.replies.get(wo.pk, 0),
            )
            for wo in data.queue
        ]
    now_pct = timeline.pct(now) if timeline.starts_at <= now <= timeline.ends_at else None
    urls = BoardUrls(data.day)
    for lane in lanes:
        lane.track_html = track_html(lane.bookings, urls)
        lane.html = lane_html(lane, now_pct, oob)
    return Board(
        day=data.day,
        timeline=timeline,
        lanes=lanes,
        queue=queue,
        now_pct=now_pct,
        queue_html=queue_html(queue, urls) if queue is not None else "",
    )
