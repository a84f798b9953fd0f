"""A technician's day as an ordered lane of bookings, and the planner that times it.

The server is the judge of every drop: it re-plans the lane from the order the
dispatcher chose, travel times and durations (`plan_lane`), then `dispatch.rules`
lists what is wrong with the result.

The ranking evaluates thousands of candidate lanes per request, so everything a
plan needs about a technician's day is read once into a `TechnicianDay`.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from dispatch.models import Booking
from dispatch.selectors import LaneBooking, LaneWorkOrder
from routing.travel import LatLng, travel_minutes
from technicians.models import Technician, TimeOff
from technicians.selectors import ShiftWindow, at_local, local_zone, shift_on
from workorders.models import WorkOrder
from workorders.status import STARTED, Status

DEFAULT_DAY_START = time(8)


class TravelMemo:
    """Travel minutes between points, each pair computed once per request."""

    def __init__(self) -> None:
        self._known: dict[tuple[LatLng, LatLng], int] = {}

    def minutes(self, origin: LatLng | None, destination: LatLng | None) -> int:
        if origin is None or destination is None:
            return 0
        key = (origin, destination)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = travel_minutes(origin, destination)
        return known


def fresh_position(technician: Technician, now: datetime) -> LatLng | None:
    """The phone's last position when it is recent enough to plan from (settings
    POSITION_FRESH_MINUTES), else None."""
    at = technician.last_position_at
    if at is None or technician.last_latitude is None or technician.last_longitude is None:
        return None
    if not timedelta(0) <= now - at <= timedelta(minutes=settings.POSITION_FRESH_MINUTES):
        return None
    return (technician.last_latitude, technician.last_longitude)


@dataclass
class TechnicianDay:
    """What the planner and the rules need to know about one technician on one day."""

    technician: Technician
    day: date
    shift: ShiftWindow | None
    absences: list[TimeOff]
    home: LatLng
    max_minutes: float
    zone: ZoneInfo

    @classmethod
    def of(cls, technician: Technician, day: date) -> "TechnicianDay":
        shift = shift_on(technician, day)
        if shift is not None:
            # Bookings come from the database in UTC; comparing like with like is faster.
            shift = ShiftWindow(shift.starts_at.astimezone(UTC), shift.ends_at.astimezone(UTC))
        return cls(
            technician=technician,
            day=day,
            shift=shift,
            absences=list(technician.time_off.all()),
            home=(technician.home_latitude, technician.home_longitude),
            max_minutes=float(technician.max_daily_hours) * 60,
            zone=local_zone(),
        )

    def hhmm(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%H:%M}"

    def lane_start(self, now: datetime) -> datetime:
        start = self.shift.starts_at if self.shift else at_local(self.day, DEFAULT_DAY_START)
        # Nothing new can start in the past.
        return (
            max(start, ceil_minute(now)) if now.astimezone(self.zone).date() == self.day else start
        )

    def origin(self, now: datetime) -> LatLng:
        """Where the technician's current leg starts: on today's lane the phone's fresh
        position, otherwise home."""
        if now.astimezone(self.zone).date() == self.day:
            return fresh_position(self.technician, now) or self.home
        return self.home

    def leg_origin(self, planned: "PlannedBooking", position: LatLng, now: datetime) -> LatLng:
        """Where the leg after `planned` starts: its site, except that a finished job is
        behind a technician whose phone says where they are now."""
        if planned.work_order.status == Status.COMPLETED and self.origin(now) != self.home:
            return position
        return planned.location or position

    def state_at(self, bookings: list[LaneBooking], now: datetime) -> tuple[str, str]:
        """(state, detail) for the lane header: the dispatcher's first question about a person."""
        shift = self.shift
        if now.astimezone(self.zone).date() != self.day:
            if shift is None:
                return "off", "Off shift"
            return "planned", f"On shift {self.hhmm(shift.starts_at)}–{self.hhmm(shift.ends_at)}"
        if any(t.starts_at <= now < t.ends_at for t in self.absences):
            return "off", "Time off"
        for booking in bookings:
            status = booking.work_order.status
            if status == Status.EN_ROUTE:
                return "en_route", f"En route to {booking.work_order.number}"
            if status == Status.ON_SITE:
                return "on_site", f"On site at {booking.work_order.number}"
        if shift is not None and now < shift.starts_at:
            return "off", f"Starts {self.hhmm(shift.starts_at)}"
        if shift is not None and now >= shift.ends_at:
            return "off", f"Shift ended {self.hhmm(shift.ends_at)}"
        if shift is None:
            return "off", "Off shift"
        current = next((b for b in bookings if b.starts_at <= now < b.ends_at), None)
        if current is not None:
            return "busy", f"Available after {self.hhmm(current.ends_at)}"
        return "available", "Available now"


@dataclass
class PlannedBooking:
    """A booking as the planner times it. `booking` is None for the work order being
    placed; otherwise it is the lane's current booking (its times before the plan)."""

    work_order: WorkOrder | LaneWorkOrder
    booking: LaneBooking | Booking | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    travel_minutes: int = 0

    @classmethod
    def of(cls, booking: LaneBooking) -> "PlannedBooking":
        return cls(
            work_order=booking.work_order,
            booking=booking,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            travel_minutes=booking.travel_minutes,
        )

    @property
    def fixed(self) -> bool:
        """Started work and locked bookings keep their times when the lane is re-planned."""
        if self.booking is None:
            return False
        return self.booking.locked or self.work_order.status in STARTED

    @property
    def moved(self) -> bool:
        """A booked one whose planned start differs from the booked start."""
        return (
            self.booking is not None and not self.fixed and self.starts_at != self.booking.starts_at
        )

    @property
    def location(self) -> LatLng | None:
        site = self.work_order.site
        return (site.latitude, site.longitude) if site.latitude is not None else None

    def copy(self) -> "PlannedBooking":
        return PlannedBooking(self.work_order, self.booking)


def planned_from(bookings: list[LaneBooking]) -> list[PlannedBooking]:
    return [PlannedBooking.of(b) for b in bookings]


@dataclass
class LanePlan:
    tday: TechnicianDay
    bookings: list[PlannedBooking] = field(default_factory=list)

    @property
    def technician(self) -> Technician:
        return self.tday.technician

    @property
    def travel_total(self) -> int:
        return sum(planned.travel_minutes for planned in self.bookings)

    @property
    def worked_minutes(self) -> int:
        return sum(p.travel_minutes + p.work_order.estimated_minutes for p in self.bookings)


def ceil_minute(moment: datetime) -> datetime:
    floored = moment.replace(second=0, microsecond=0)
    return floored if floored == moment else floored + timedelta(minutes=1)


def plan_lane(
    tday: TechnicianDay,
    bookings: list[PlannedBooking],
    now: datetime,
    travel: TravelMemo | None = None,
    first: int = 0,
    cursor: datetime | None = None,
    position: LatLng | None = None,
    keep_booked_times: bool = False,
) -> LanePlan:
    """Give every movable booking its start and end: after the previous one plus travel,
    not before the customer's window opens.

    The board packs a lane (every movable booking as early as it can be); with
    `keep_booked_times` booked ones only ever move later, which is the least
    disruptive way to fit one more work order in. With `first`, bookings before it
    are taken as already planned and `cursor`/`position` say where their day ends."""
    travel = travel or TravelMemo()
    if first == 0:
        cursor, position = tday.lane_start(now), tday.origin(now)
    for planned in bookings[first:]:
        planned.travel_minutes = travel.minutes(position, planned.location)
        if planned.fixed:
            planned.starts_at, planned.ends_at = planned.booking.starts_at, planned.booking.ends_at
        else:
            start = cursor + timedelta(minutes=planned.travel_minutes)
            window_start = planned.work_order.window_start
            if (
                window_start
                and window_start > start
                and window_start.astimezone(tday.zone).date() == tday.day
            ):
                start = window_start
            if keep_booked_times and planned.booking is not None:
                start = max(start, planned.booking.starts_at)
            planned.starts_at = start
            planned.ends_at = start + timedelta(minutes=planned.work_order.estimated_minutes)
        cursor = max(cursor, planned.ends_at)
        position = tday.leg_origin(planned, position, now)
    return LanePlan(tday=tday, bookings=bookings)


def leading_fixed(bookings: list[PlannedBooking]) -> int:
    """How many bookings at the head of the lane have started; nothing can go before them."""
    count = 0
    for planned in bookings:
        if planned.work_order.status in STARTED:
            count += 1
        else:
            break
    return count


def is_overrun(booking: LaneBooking, now: datetime) -> bool:
    """On site for longer than OVERRUN_FRACTION of the estimate."""
    if booking.work_order.status != Status.ON_SITE or booking.arrived_at is None:
        return False
    allowed = timedelta(minutes=booking.work_order.estimated_minutes * settings.OVERRUN_FRACTION)
    return now - booking.arrived_at > allowed
