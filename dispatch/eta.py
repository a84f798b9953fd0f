"""When a technician will reach their next visit: for the customer's "on my way" and
delay texts, from the phone's fresh position or the job they are on."""

from datetime import date, datetime, timedelta
from functools import cache

from django.utils import timezone

from dispatch.lanes import ceil_minute, fresh_position
from dispatch.models import Booking
from routing.travel import travel_minutes
from technicians.models import Technician
from technicians.rows import Columns, fetch
from technicians.selectors import day_bounds
from workorders.models import Site, WorkOrder
from workorders.status import Status


@cache
def _day_query() -> tuple[str, Columns, Columns, Columns]:
    bookings, orders, sites = Columns(Booking, "b"), Columns(WorkOrder, "w"), Columns(Site, "s")
    sql = f"""SELECT {bookings.sql}, {orders.sql}, {sites.sql}
        FROM {bookings.table} b
        JOIN {orders.table} w ON w.id = b.work_order_id
        JOIN {sites.table} s ON s.id = w.site_id
        WHERE b.technician_id = %(technician)s AND b.state = %(active)s
        AND b.starts_at < %(end)s AND b.ends_at > %(start)s
        ORDER BY b.starts_at"""
    return sql, bookings, orders, sites


def _day_bookings(technician: Technician, day: date) -> list[Booking]:
    """The technician's active bookings on `day` in order, with work order and site:
    `technician_bookings` without the customer, in SQL (it runs on every position post;
    built by the ORM, the query cost more than running it)."""
    sql, *columns = _day_query()
    start, end = day_bounds(day)
    params = {
        "technician": technician.pk,
        "active": Booking.State.ACTIVE,
        "start": start,
        "end": end,
    }
    day_bookings = []
    for booking, work_order, site in fetch(sql, params, *columns):
        work_order.site = site
        booking.work_order = work_order
        day_bookings.append(booking)
    return day_bookings


def next_visit(
    technician: Technician, now: datetime
) -> tuple[Booking, tuple[datetime, datetime]] | None:
    """Today's next visit (the one under way first) and its expected (arrival, end):
    from the job on site when there is one, else the phone's fresh position, else the
    planned drive from now."""
    bookings = _day_bookings(technician, timezone.localdate(now))
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
