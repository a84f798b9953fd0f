"""Where technicians are: the phone's position posts, today's trail, and the ETA of the
next visit recomputed from them.

Only a technician's own position is accepted (the view takes the technician from the
login), only on shift, with coordinates on Earth, and at most one post per
POSITION_MIN_INTERVAL_S. The limit is a conditional UPDATE of the technician's row, so
it holds with Redis down and across processes.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.rows import fetch
from dispatch.bookings import booking_eta_announce
from dispatch.eta import next_visit
from dispatch.models import Booking, PositionFix
from dispatch.selectors import day_bookings_sql
from field.phone import PhoneRefusal, RefusalCode
from technicians.models import Technician
from technicians.selectors import on_shift_sql, shift_on

# Phones keep sending a little before and after the shift: the drive to the first job
# and back from the last one.
SHIFT_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True)
class PositionOutcome:
    recorded_at: datetime
    eta: tuple[datetime, datetime] | None


def _number(raw, name: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise PhoneRefusal(
            RefusalCode.BAD_INPUT, f"{name} must be a number between {low:g} and {high:g}."
        )
    return value


def on_shift_now(technician: Technician, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    shift = shift_on(technician, timezone.localdate(now))
    return (
        shift is not None and shift.starts_at - SHIFT_MARGIN <= now <= shift.ends_at + SHIFT_MARGIN
    )


def technician_position_record(
    *,
    technician: Technician,
    latitude,
    longitude,
    accuracy_m=None,
    now: datetime | None = None,
) -> PositionOutcome:
    """Keep the technician's latest position and add it to today's trail; recompute the
    next visit's ETA and hand it to the customer-texts hook.

    The position commits with its own statement. The texts an ETA change calls for are
    decided afterwards, in a transaction of their own; should that fail, the position
    stays kept and the next post decides them again."""
    now = now or timezone.now()
    lat = _number(latitude, "Latitude", -90, 90)
    lng = _number(longitude, "Longitude", -180, 180)
    accuracy = None if accuracy_m in (None, "") else _number(accuracy_m, "Accuracy", 0, 100_000)
    interval = settings.POSITION_MIN_INTERVAL_S
    # One statement checks the shift and the rate limit, writes, and reads the day's
    # bookings for the ETA (the hot path of every phone, once a minute); only a refusal
    # costs a second look for its reason.
    day_bookings = _position_store(
        technician=technician,
        latitude=lat,
        longitude=lng,
        accuracy_m=accuracy,
        at=now,
        min_interval=timedelta(seconds=interval),
    )
    if day_bookings is None:
        if not on_shift_now(technician, now):
            raise PhoneRefusal(
                RefusalCode.OFF_SHIFT, "You are off shift: your position is not recorded."
            )
        raise PhoneRefusal(
            RefusalCode.RATE_LIMITED,
            f"Your position was recorded less than {interval} seconds ago; this one was skipped.",
        )
    technician.last_latitude, technician.last_longitude = lat, lng
    technician.last_position_at = now
    visit = next_visit(technician, now, day_bookings)
    if visit is None:
        return PositionOutcome(now, None)
    booking, eta = visit
    booking.technician = technician  # already loaded: the hook reads it
    booking_eta_announce(booking=booking, eta=eta)
    return PositionOutcome(now, eta)


def _position_store(
    *,
    technician: Technician,
    latitude: float,
    longitude: float,
    accuracy_m: float | None,
    at: datetime,
    min_interval: timedelta,
) -> list[Booking] | None:
    """Keep the technician's latest position and add it to the trail, only while on
    shift (give or take SHIFT_MARGIN) and not more often than `min_interval`; None when
    refused for either reason, else the technician's bookings of the day (as
    `technician_bookings_with_sites`), read by the same statement.

    The one write path of `Technician.last_*` and of the trail. Written in SQL: built by
    the ORM, the statements cost more than running them, and as one statement it needs
    no BEGIN and COMMIT of its own."""
    on_shift, shift_params = on_shift_sql(at, SHIFT_MARGIN, technician="t.id")
    day_sql = day_bookings_sql()
    # A position is replaced a minute later: its commit need not wait for the disk (a
    # crash could lose the last fraction of a second of posts; the next post decides
    # the ETA texts again). `set_config(…, true)` lasts until the end of the
    # transaction, which is this statement's own, unless a caller holds one open: then
    # the caller's commit would not wait either, so it is left out.
    unhurried = ", unhurried AS (SELECT set_config('synchronous_commit', 'off', true))"
    if connection.in_atomic_block:
        unhurried = ""
    sql = f"""WITH moved AS (
            UPDATE {Technician._meta.db_table} t
            SET last_latitude = %(latitude)s, last_longitude = %(longitude)s,
                last_position_at = %(at)s
            WHERE t.id = %(id)s
            AND (t.last_position_at IS NULL OR t.last_position_at <= %(latest_earlier)s)
            AND {on_shift}
            RETURNING t.id
        ), fix AS (
            INSERT INTO {PositionFix._meta.db_table}
                (technician_id, latitude, longitude, accuracy_m, recorded_at)
            SELECT id, %(latitude)s, %(longitude)s, %(accuracy)s, %(at)s FROM moved
            RETURNING technician_id
        ){unhurried}
        SELECT {day_sql.select} FROM fix {"CROSS JOIN unhurried" if unhurried else ""}
        LEFT JOIN ({day_sql.tables}) ON {day_sql.where("fix.technician_id")}
        ORDER BY b.starts_at"""
    params = {
        **shift_params,
        **day_sql.params(timezone.localdate(at)),
        "id": technician.pk,
        "latitude": latitude,
        "longitude": longitude,
        "accuracy": accuracy_m,
        "at": at,
        "latest_earlier": at - min_interval,
    }
    rows = fetch(sql, params, *day_sql.columns)
    # No row: refused. One row without a booking: kept, with no booking today.
    return day_sql.bookings(rows) if rows else None


def position_trail_prune(*, now: datetime | None = None) -> int:
    """Delete trail positions older than POSITION_TRAIL_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.POSITION_TRAIL_DAYS)
    deleted, _ = PositionFix.objects.filter(recorded_at__lt=cutoff).delete()
    return deleted
