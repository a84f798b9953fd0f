"""When a technician setting off will arrive: what the customer's "on my way" text says."""

from datetime import datetime, timedelta

from dispatch.models import Booking
from routing.travel import LatLng, travel_minutes
from workorders.models import WorkOrder

# A phone position older than this says little about where the van is now.
FRESH_POSITION = timedelta(minutes=30)


def _origin(booking: Booking, now: datetime) -> LatLng:
    """Where the technician starts from: their phone's fresh position, else the site of
    the booking before this one today, else home."""
    tech = booking.technician
    if (
        tech.last_latitude is not None
        and tech.last_position_at is not None
        and now - tech.last_position_at <= FRESH_POSITION
    ):
        return (tech.last_latitude, tech.last_longitude)
    previous = (
        Booking.objects.filter(
            technician=tech,
            state=Booking.State.ACTIVE,
            ends_at__lte=booking.starts_at,
            ends_at__gt=booking.starts_at - timedelta(hours=16),
        )
        .select_related("work_order__site")
        .order_by("-ends_at")
        .first()
    )
    if previous is not None and previous.work_order.site.has_coordinates:
        site = previous.work_order.site
        return (site.latitude, site.longitude)
    return (tech.home_latitude, tech.home_longitude)


def en_route_eta(booking: Booking, work_order: WorkOrder, now: datetime) -> datetime:
    """Now plus the drive from where the technician is to the site."""
    site = work_order.site
    destination = (site.latitude, site.longitude) if site.has_coordinates else None
    return now + timedelta(minutes=travel_minutes(_origin(booking, now), destination))
