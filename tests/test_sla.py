"""SLA due times in business time, across nights, weekends, DST and pauses."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import SLAPolicyFactory, make_work_order
from workorders.clock import sla_state, sla_state_filter
from workorders.models import SLAPolicy, WorkOrder
from workorders.services import work_order_pause_sla, work_order_resume_sla
from workorders.sla import (
    BusinessCalendar,
    SLAState,
    add_business_minutes,
    business_minutes_between,
)

CHICAGO = ZoneInfo("America/Chicago")
BUSINESS = BusinessCalendar(
    always_open=False,
    day_start=time(8),
    day_end=time(17),
    weekdays=frozenset({0, 1, 2, 3, 4}),
    tz=CHICAGO,
)
ALWAYS = BusinessCalendar(always_open=True, tz=CHICAGO)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def test_within_one_business_day():
    assert add_business_minutes(local(2026, 11, 18, 9, 0), 120, BUSINESS) == local(
        2026, 11, 18, 11, 0
    )


def test_rolls_over_the_night():
    # Wednesday 16:00 + 4 business hours: 1 h on Wednesday, 3 h Thursday from 08:00.
    assert add_business_minutes(local(2026, 11, 18, 16, 0), 240, BUSINESS) == local(
        2026, 11, 19, 11, 0
    )


def test_rolls_over_the_weekend():
    # Friday 15:00 + 4 h: 2 h Friday, the weekend is closed, 2 h Monday.
    assert add_business_minutes(local(2026, 11, 20, 15, 0), 240, BUSINESS) == local(
        2026, 11, 23, 10, 0
    )


def test_received_at_night_starts_next_morning():
    assert add_business_minutes(local(2026, 11, 21, 23, 30), 30, BUSINESS) == local(
        2026, 11, 23, 8, 30
    )


def test_always_open_counts_wall_time_across_dst():
    # 2026-11-01 02:00 CDT→CST: 24 hours of real time is 23:00 on the local clock.
    start = local(2026, 10, 31, 23, 0)
    assert add_business_minutes(start, 24 * 60, ALWAYS) - start.astimezone(UTC) == timedelta(
        hours=24
    )


def test_business_minutes_between_skips_closed_time():
    assert (
        business_minutes_between(local(2026, 11, 20, 16, 0), local(2026, 11, 23, 9, 0), BUSINESS)
        == 120
    )


def test_calendar_refuses_nonsense():
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar(always_open=False, weekdays=frozenset())


@pytest.mark.django_db
def test_work_order_due_times_and_state_over_time(settings):
    settings.TIME_ZONE = "America/Chicago"
    policy = SLAPolicyFactory(tier="Gold", response_minutes=4 * 60, resolution_minutes=8 * 60)
    with time_machine.travel(local(2026, 11, 20, 15, 0), tick=False):  # Friday 15:00
        work_order = make_work_order(policy=policy, received_at=local(2026, 11, 20, 15, 0))
    assert work_order.response_due_at == local(2026, 11, 23, 10, 0)
    assert work_order.resolution_due_at == local(2026, 11, 23, 14, 0)
    # at risk when 25 % of the target is left: 3 business hours after receipt.
    assert work_order.response_at_risk_at == local(2026, 11, 23, 9, 0)
    assert (
        sla_state(work_order, local(2026, 11, 22, 12, 0)) == SLAState.OK
    )  # Sunday: clock is closed
    assert sla_state(work_order, local(2026, 11, 23, 9, 30)) == SLAState.AT_RISK
    assert sla_state(work_order, local(2026, 11, 23, 10, 1)) == SLAState.BREACHED


@pytest.mark.django_db
def test_pause_extends_due_times_by_business_minutes_paused(settings, office):
    settings.TIME_ZONE = "America/Chicago"
    policy = SLAPolicyFactory(tier="Gold", response_minutes=4 * 60, resolution_minutes=8 * 60)
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False):  # Friday 09:00
        work_order = make_work_order(policy=policy, received_at=local(2026, 11, 20, 9, 0))
    assert work_order.response_due_at == local(2026, 11, 20, 13, 0)
    with time_machine.travel(local(2026, 11, 20, 10, 0), tick=False):
        work_order_pause_sla(actor=office, work_order=work_order, reason="Customer not home")
    # Paused from Friday 10:00 to Monday 09:00: 7 h Friday + 1 h Monday = 480 business minutes.
    with time_machine.travel(local(2026, 11, 23, 9, 0), tick=False):
        paused = WorkOrder.objects.get(pk=work_order.pk)
        assert sla_state(paused) == SLAState.OK  # judged at the pause, not at Monday
        work_order_resume_sla(actor=office, work_order=work_order)
    work_order.refresh_from_db()
    assert work_order.sla_paused_minutes == 480
    # 4 h target + 8 h paused from Friday 09:00: 8 h on Friday, 4 h on Monday.
    assert work_order.response_due_at == local(2026, 11, 23, 12, 0)
    assert work_order.resolution_due_at == local(2026, 11, 23, 16, 0)
    kinds = list(work_order.events.values_list("kind", flat=True))
    assert "sla.paused" in kinds and "sla.resumed" in kinds


@pytest.mark.django_db
def test_sql_filter_agrees_with_python_state(settings):
    settings.TIME_ZONE = "America/Chicago"
    policy = SLAPolicyFactory(
        tier="24/7", calendar=SLAPolicy.Calendar.ALWAYS, response_minutes=60, resolution_minutes=240
    )
    now = datetime.now(UTC)
    for minutes_ago in (5, 50, 70, 300):
        make_work_order(policy=policy, received_at=now - timedelta(minutes=minutes_ago))
    for state in (SLAState.OK, SLAState.AT_RISK, SLAState.BREACHED):
        annotations, condition = sla_state_filter(state, now)
        in_sql = set(
            WorkOrder.objects.annotate(**annotations).filter(condition).values_list("pk", flat=True)
        )
        in_python = {wo.pk for wo in WorkOrder.objects.all() if sla_state(wo, now) == state}
        assert in_sql == in_python
    assert len(in_python) == 2  # 70 and 300 minutes ago: response target of 60 missed
