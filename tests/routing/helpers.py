"""Builders shared by tests/routing and tests/plan: a quiet future weekday, lanes, jobs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from dispatch.models import Booking
from dispatch.services import work_order_book
from technicians.selectors import at_local
from tests.factories import SiteFactory, TechnicianFactory, give_shift, make_work_order

# Chicago-ish points: north, south, downtown.
NORTH = (41.97, -87.66)
SOUTH = (41.78, -87.60)
DOWNTOWN = (41.88, -87.63)


def future_monday() -> date:
    """A Monday 8–14 days ahead: `now` is before every shift, SLA clocks far away."""
    today = timezone.localdate()
    return today + timedelta(days=(7 - today.weekday()) + 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return at_local(day, time(hour, minute))


def tech_on(day: date, home=DOWNTOWN, starts=time(8), ends=time(17), **kwargs):
    tech = TechnicianFactory(home_latitude=home[0], home_longitude=home[1], **kwargs)
    give_shift(tech, day.weekday(), starts, ends)
    return tech


def job_at(point=DOWNTOWN, *, minutes=60, skills=(), priority=2, window=None, policy=None):
    site = SiteFactory(latitude=point[0], longitude=point[1])
    return make_work_order(
        site=site, minutes=minutes, skills=skills, priority=priority, window=window, policy=policy
    )


def book(work_order, tech, starts_at, *, locked: bool = False) -> Booking:
    booking = work_order_book(
        actor=None, work_order=work_order, technician=tech, starts_at=starts_at
    )
    if locked:
        Booking.objects.filter(pk=booking.pk).update(locked=True)
        booking.refresh_from_db()
    return booking
