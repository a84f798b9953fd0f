"""A small company with known outcomes, written directly so every timestamp is exact."""

from datetime import datetime, timedelta

from dispatch.models import Booking
from tests.factories import SLAPolicyFactory, make_work_order
from workorders.models import SLAPause, WorkOrder


# A 24/7 tier keeps SLA arithmetic in plain minutes: respond in 1 h, resolve in 4 h.
def always_open_policy(tier: str = "Platinum", response: int = 60, resolution: int = 240):
    return SLAPolicyFactory(
        tier=tier,
        response_minutes=response,
        resolution_minutes=resolution,
        calendar="24x7",
        business_weekdays=[],
    )


def job(
    *,
    received: datetime,
    policy,
    site=None,
    skills=(),
    responded_after: int | None = None,
    resolved_after: int | None = None,
    technician=None,
    booked_after: int = 10,
    start_after: int = 30,
    minutes: int = 60,
    travel: int = 15,
    window: tuple[datetime, datetime] | None = None,
    pause_reason: str = "",
) -> WorkOrder:
    """A work order received at `received`; the other times are minutes after it."""
    work_order = make_work_order(
        received_at=received,
        policy=policy,
        site=site,
        skills=skills,
        minutes=minutes,
        window=window,
    )
    changes = {}
    if responded_after is not None:
        changes["responded_at"] = received + timedelta(minutes=responded_after)
        changes["status"] = "on_site"
    if resolved_after is not None:
        changes["resolved_at"] = received + timedelta(minutes=resolved_after)
        changes["status"] = "completed"
    if technician is not None:
        starts = received + timedelta(minutes=start_after)
        booking = Booking.objects.create(
            work_order=work_order,
            technician=technician,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            travel_minutes=travel,
        )
        Booking.objects.filter(pk=booking.pk).update(
            created_at=received + timedelta(minutes=booked_after)
        )
        changes.setdefault("status", "scheduled")
    if pause_reason:
        SLAPause.objects.create(
            work_order=work_order,
            started_at=received + timedelta(minutes=5),
            ended_at=received + timedelta(minutes=20),
            reason=pause_reason,
            business_minutes=15,
        )
    if changes:
        WorkOrder.objects.filter(pk=work_order.pk).update(**changes)
        work_order.refresh_from_db()
    return work_order
