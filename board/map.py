"""The board's map as plain data: technicians at their last known position (else
home) and work orders coloured by SLA state. No HTML: the browser builds its
tooltips from text nodes."""

from django.utils import timezone

from board.data import BoardData
from dispatch.selectors import LaneWorkOrder
from workorders.clock import sla_state


def map_points(data: BoardData) -> dict:
    technicians = []
    jobs = []
    for tday in data.technician_days:
        tech = tday.technician
        lat, lng = (
            (tech.last_latitude, tech.last_longitude)
            if tech.last_latitude is not None
            else (tech.home_latitude, tech.home_longitude)
        )
        state, detail = tday.state_at(data.lane_of(tday), data.now)
        technicians.append(
            {
                "id": tech.pk,
                "name": str(tech),
                "lat": lat,
                "lng": lng,
                "state": state,
                "detail": detail,
                "position": _position_age(tech, data.now),
                # The day's visits in order, drawn when the technician is selected.
                "route": [
                    [b.work_order.site.latitude, b.work_order.site.longitude]
                    for b in data.lane_of(tday)
                    if b.work_order.site.has_coordinates
                ],
            }
        )
    for work_order in data.queue or []:
        if work_order.site.has_coordinates:
            jobs.append(_job_point(work_order, data, assigned_to=""))
    for tday in data.technician_days:
        for booking in data.lane_of(tday):
            if booking.work_order.site.has_coordinates:
                jobs.append(_job_point(booking.work_order, data, assigned_to=str(tday.technician)))
    return {"technicians": technicians, "jobs": jobs}


def _position_age(tech, now) -> str:
    """How old the shown position is, in words (the phone posts about once a minute)."""
    if tech.last_position_at is None or tech.last_latitude is None:
        return "home (no position from the phone)"
    minutes = max(0, round((now - tech.last_position_at).total_seconds() / 60))
    if minutes < 1:
        return "position just now"
    if minutes < 120:
        return f"position {minutes} min ago"
    return f"position at {timezone.localtime(tech.last_position_at):%a %H:%M}"


def _job_point(work_order: LaneWorkOrder, data: BoardData, assigned_to: str) -> dict:
    return {
        "id": work_order.pk,
        "number": work_order.number,
        "summary": work_order.summary,
        "lat": work_order.site.latitude,
        "lng": work_order.site.longitude,
        "sla": sla_state(work_order, data.now).value,
        "assigned_to": assigned_to,
    }
