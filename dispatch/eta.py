"""When a technician will reach their next visit: for the customer's "on my way" and
delay texts, from the phone's fresh position or the job they are on."""

from datetime import datetime, timedelta

from django.utils import timezone

from dispatch.lanes import ceil_minute, fresh_position
from dispatch.models import Booking
from dispatch.selectors import technician_bookings_with_sites
from routing.travel import travel_minutes
from technicians.models import Technician
from workorders.status import Status


def next_visit(
    technician: Technician, now: datetime, bookings: list[Booking] | None = None
) -> tuple[Booking, tuple[datetime, datetime]] | None:
    """Today's next visit (the one under way first) and its expected (arrival, end):
    from the job on site when there is one, else the phone's fresh position, else the
    planned drive from now. `bookings`: today's, as `technician_bookings_with_sites`
    reads them, when the caller has them already."""
    if bookings is None:
        bookings = technician_bookings_with_sites(technician, timezone.localdate(now))
    current = next((b for b in bookings if b.work_order.status == Status.ON_SITE), None)
    upcoming = [
        b
        for b in bookings
        if b.work_order.status in (Status.SCHEDULED, Status.DISPATCHED, Status.EN_ROUTE)
    ]
    if not upcoming:
        return None
    visit = next((b for b in upcoming if b.work_order.status == Status.EN_ROUTE), upcoming[0])
    site = visit.work_order.site
    destination = (site.latitude, site.longitude) if site.has_coordinates else None
    if current is not None:
        here = current.work_order.site
        origin = (here.latitude, here.longitude) if here.has_coordinates else None
        started = current.arrived_at or current.starts_at
        ready = max(now, started + timedelta(minutes=current.work_order.estimated_minutes))
    else:
        origin, ready = fresh_position(technician, now), now
    if origin is None or destination is None:
        drive = timedelta(minutes=visit.travel_minutes)
    else:
        drive = timedelta(minutes=travel_minutes(origin, destination))
    arrival = ceil_minute(ready + drive)
    if visit.work_order.status != Status.EN_ROUTE:
        arrival = max(arrival, visit.starts_at)  # nobody arrives before the planned start
    return visit, (arrival, arrival + timedelta(minutes=visit.work_order.estimated_minutes))


def next_visit_eta(
    technician: Technician, now: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """Expected (arrival, end) of the technician's next visit today, from their fresh
    position (or the job they are on), or None when no visit is left today."""
    visit = next_visit(technician, now or timezone.now())
    return visit[1] if visit else None
