"""Business-time arithmetic for SLA clocks.

Arithmetic is done in UTC: subtracting two aware datetimes that share a
zoneinfo does wall-clock maths and would be wrong across a DST change.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

MAX_DAYS_SEARCHED = 3660
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class BusinessCalendar:
    always_open: bool
    day_start: time = time(8)
    day_end: time = time(17)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    tz: ZoneInfo = UTC_ZONE

    def __post_init__(self) -> None:
        if not self.always_open:
            if not self.weekdays:
                raise ValueError("A business-hours calendar needs at least one weekday.")
            if self.day_end <= self.day_start:
                raise ValueError("A business day must end after it starts.")

    def open_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC interval the calendar is open on a local date, or None when closed."""
        if day.weekday() not in self.weekdays:
            return None
        opens = datetime.combine(day, self.day_start, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, self.day_end, tzinfo=self.tz).astimezone(UTC)
        return opens, closes


def add_business_minutes(start: datetime, minutes: float, calendar: BusinessCalendar) -> datetime:
    """The moment `minutes` of open time have passed after `start`."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    cursor = start.astimezone(UTC)
    if calendar.always_open:
        return cursor + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    day = start.astimezone(calendar.tz).date()
    for _ in range(MAX_DAYS_SEARCHED):
        interval = calendar.open_interval(day)
        if interval is not None:
            opens, closes = interval
            cursor = max(cursor, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
                cursor = closes
        day += timedelta(days=1)
    raise ValueError("SLA target lies more than ten years of business time ahead.")


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Whole minutes of open time in [start, end)."""
    if end <= start:
        return 0
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    if calendar.always_open:
        return int((end_utc - start_utc).total_seconds() // 60)
    total = timedelta()
    day = start.astimezone(calendar.tz).date()
    last_day = end.astimezone(calendar.tz).date()
    while day <= last_day:
        interval = calendar.open_interval(day)
        if interval is not None:
            opens, closes = interval
            overlap = min(closes, end_utc) - max(opens, start_utc)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)


class SLAState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    NOT_APPLICABLE = "n/a"

    @property
    def label(self) -> str:
        return {"ok": "OK", "at_risk": "At risk", "breached": "Breached", "n/a": "—"}[self.value]


@dataclass(frozen=True)
class SLADueTimes:
    response_due_at: datetime
    response_at_risk_at: datetime
    resolution_due_at: datetime
    resolution_at_risk_at: datetime


def compute_due_times(
    *,
    started_at: datetime,
    response_minutes: int,
    resolution_minutes: int,
    paused_minutes: int,
    at_risk_fraction: float,
    calendar: BusinessCalendar,
) -> SLADueTimes:
    """Due times of both targets; paused business minutes push every one of them out."""

    def due(target: int, share: float) -> datetime:
        return add_business_minutes(started_at, target * share + paused_minutes, calendar)

    warn = 1 - at_risk_fraction
    return SLADueTimes(
        response_due_at=due(response_minutes, 1),
        response_at_risk_at=due(response_minutes, warn),
        resolution_due_at=due(resolution_minutes, 1),
        resolution_at_risk_at=due(resolution_minutes, warn),
    )


def evaluate_state(
    *,
    now: datetime,
    paused_since: datetime | None,
    due: SLADueTimes,
    responded_at: datetime | None,
    resolved_at: datetime | None,
    cancelled: bool,
) -> SLAState:
    """OK / at risk / breached; a paused clock is judged at the moment it was paused."""
    if cancelled:
        return SLAState.NOT_APPLICABLE
    clock = paused_since or now
    response_missed = (responded_at or clock) > due.response_due_at
    resolution_missed = (resolved_at or clock) > due.resolution_due_at
    if response_missed or resolution_missed:
        return SLAState.BREACHED
    response_warn = responded_at is None and clock >= due.response_at_risk_at
    resolution_warn = resolved_at is None and clock >= due.resolution_at_risk_at
    if response_warn or resolution_warn:
        return SLAState.AT_RISK
    return SLAState.OK


class SLATarget(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class SLAClock(Protocol):
    """What a breach forecast reads: a WorkOrder, a board row or a plan snapshot."""

    response_due_at: datetime
    resolution_due_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    sla_paused_since: datetime | None


@dataclass(frozen=True)
class BreachForecast:
    target: SLATarget
    due_at: datetime
    late_minutes: int


def forecast_breach(
    clock: SLAClock, *, arrival: datetime, finish: datetime
) -> BreachForecast | None:
    """The SLA target a visit from `arrival` to `finish` would miss, if any.

    The one prediction used by the board's rules, the ranking and the optimizer's
    proposal. Response is judged by the arrival, resolution by the finish; a paused
    clock cannot breach (the due times move when it resumes)."""
    if clock.sla_paused_since is not None:
        return None
    if clock.responded_at is None and arrival > clock.response_due_at:
        late = int((arrival - clock.response_due_at).total_seconds() // 60)
        return BreachForecast(SLATarget.RESPONSE, clock.response_due_at, late)
    if clock.resolved_at is None and finish > clock.resolution_due_at:
        late = int((finish - clock.resolution_due_at).total_seconds() // 60)
        return BreachForecast(SLATarget.RESOLUTION, clock.resolution_due_at, late)
    return None
