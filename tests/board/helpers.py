"""A small, hand-checkable board: technicians on shift tomorrow in central Chicago."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from technicians.selectors import at_local
from tests.factories import (
    SiteFactory,
    SkillFactory,
    SLAPolicyFactory,
    TechnicianFactory,
    certify,
    give_shift,
    make_work_order,
)
from workorders.models import SLAPolicy


def board_day() -> date:
    """Tomorrow: planning starts at the shift, not at 'now'."""
    return timezone.localdate() + timedelta(days=1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return at_local(day, time(hour, minute))


def relaxed_policy():
    """A policy whose due times are far away, so tests opt in to SLA problems."""
    return SLAPolicyFactory(
        tier="Relaxed",
        calendar=SLAPolicy.Calendar.ALWAYS,
        response_minutes=7 * 24 * 60,
        resolution_minutes=14 * 24 * 60,
    )


def technician(name: str, day: date, skills=(), starts=time(8), ends=time(17), **kwargs):
    tech = TechnicianFactory(display_name=name, **kwargs)
    give_shift(tech, day.weekday(), starts, ends)
    for skill, level, expires in skills:
        certify(tech, skill, level=level, expires_on=expires)
    return tech


def job(skill=None, level=1, minutes=60, lat=41.89, lng=-87.62, **kwargs):
    site = SiteFactory(latitude=lat, longitude=lng)
    skills = [(skill, level)] if skill else []
    return make_work_order(
        site=site,
        skills=skills,
        minutes=minutes,
        policy=kwargs.pop("policy", None) or relaxed_policy(),
        **kwargs,
    )


def hvac():
    return SkillFactory(code="hvac", name="HVAC")


def current_fingerprint(technician_id: int, day) -> str:
    """The lane's fingerprint as a board showing it now would send."""
    from dispatch.selectors import bookings_by_technician, lane_fingerprint

    return lane_fingerprint(bookings_by_technician(day, [technician_id]).get(technician_id, []))
