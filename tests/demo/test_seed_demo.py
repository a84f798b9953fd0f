import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from dispatch.models import Booking
from technicians.models import Certification, Technician
from workorders.models import Customer, SLAPolicy, WorkOrder

pytestmark = pytest.mark.django_db


def test_seed_is_realistic_and_idempotent():
    call_command("seed_demo", technicians=6, work_orders=30, seed=1)
    counts = (
        Technician.objects.count(),
        WorkOrder.objects.count(),
        Customer.objects.count(),
        Booking.objects.count(),
    )
    assert counts[:2] == (6, 30)
    assert SLAPolicy.objects.count() == 3
    assert all(
        c.phone[5:9] == "5550" and c.phone[9] == "1" for c in Customer.objects.all()
    )  # +1 AAA 555-01xx
    assert Certification.objects.exists()
    for lat, lng in WorkOrder.objects.values_list("site__latitude", "site__longitude"):
        assert 41.6 < lat < 42.1 and -88.0 < lng < -87.5  # Chicago
    call_command("seed_demo", technicians=6, work_orders=30, seed=1)
    assert (
        Technician.objects.count(),
        WorkOrder.objects.count(),
        Customer.objects.count(),
        Booking.objects.count(),
    ) == counts


def test_demo_logins_work():
    call_command("seed_demo", technicians=2, work_orders=0, seed=1)
    for username in ("dispatcher", "office", "manager", "admin", "tech01", "tech02"):
        # Login throttling (django-axes) judges each attempt by its request.
        request = RequestFactory().post("/login/")
        assert authenticate(request, username=username, password="demo") is not None, username


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError, match="--technicians"):
        call_command("seed_demo", technicians=0, work_orders=1, seed=1)


def test_a_later_day_gets_its_own_board():
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from technicians.selectors import day_bounds

    call_command("seed_demo", technicians=8, work_orders=40, seed=1)
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        call_command("seed_demo", technicians=8, work_orders=40, seed=1)
        start, end = day_bounds(timezone.localdate())
        todays = Booking.objects.filter(state="active", starts_at__range=(start, end))
        assert todays.exists()
        assert WorkOrder.objects.count() == 40  # nothing duplicated
        count = todays.count()
        call_command("seed_demo", technicians=8, work_orders=40, seed=1)
        assert todays.count() == count  # and the same day stays as it is


def test_history_is_lived_in_and_idempotent():
    from dashboard import kpis
    from dashboard.filters import DashboardFilters
    from workorders.models import Event

    call_command("seed_demo", technicians=6, work_orders=10, seed=1, history_days=8)
    history = WorkOrder.objects.filter(billing_reference__startswith="HIST-")
    counts = (history.count(), Booking.objects.count(), Event.objects.count())
    assert counts[0] > 20
    assert not history.exclude(status="completed").exists()
    assert not history.filter(resolved_at__isnull=True).exists()
    assert Booking.objects.filter(work_order__in=history).count() == counts[0]
    f = DashboardFilters.default()
    assert kpis.wrong_skill_visit_count(f) == 0
    assert kpis.quality(f).completed >= counts[0]
    call_command("seed_demo", technicians=6, work_orders=10, seed=1, history_days=8)
    assert (history.count(), Booking.objects.count(), Event.objects.count()) == counts


@pytest.mark.parametrize(
    ("moment", "board_days"),
    [
        ("2026-11-28 10:00", ["2026-11-28", "2026-11-30"]),  # a Saturday: Monday too
        ("2026-11-27 18:30", ["2026-11-27", "2026-11-30"]),  # Friday evening: Monday too
        ("2026-11-26 09:00", ["2026-11-26"]),  # a Thursday morning: today is enough
    ],
)
def test_the_demo_always_has_work_still_to_come(moment, board_days):
    from datetime import date, datetime

    import time_machine

    from technicians.selectors import day_bounds, local_zone

    at = datetime.fromisoformat(moment).replace(tzinfo=local_zone())
    with time_machine.travel(at, tick=False):
        call_command("seed_demo", technicians=12, work_orders=60, seed=1)
    days = [date.fromisoformat(d) for d in board_days]
    later = days[-1]
    start, end = day_bounds(later)
    upcoming = Booking.objects.filter(state="active", starts_at__range=(start, end))
    if later.weekday() < 5:
        assert upcoming.exists(), f"nothing booked on {later}"
    assert all(b.starts_at > at for b in upcoming) or later == at.date()


def test_the_phone_demo_login_has_its_day_ahead():
    from datetime import date, datetime, time

    import time_machine

    from technicians.selectors import day_bounds, local_zone

    tuesday = date(2026, 12, 1)
    morning = datetime.combine(tuesday, time(9), tzinfo=local_zone())
    with time_machine.travel(morning, tick=False):
        call_command("seed_demo", technicians=8, work_orders=80, seed=1)
    start, end = day_bounds(tuesday)
    ahead = Booking.objects.filter(
        technician__user__username="tech01", state="active", starts_at__range=(start, end)
    )
    assert ahead.count() >= 2
    assert all(booking.starts_at > morning for booking in ahead)


def test_history_has_actual_times_like_a_real_month():
    """Most past visits carry what the phone recorded (en route, arrival, finish), and the
    work orders' on-site and completion times are those same facts."""
    from django.db.models import F

    call_command("seed_demo", technicians=6, work_orders=10, seed=1, history_days=10)
    visits = Booking.objects.filter(work_order__billing_reference__startswith="HIST-")
    recorded = visits.filter(arrived_at__isnull=False, finished_at__isnull=False)
    assert visits.count() > 20
    assert recorded.count() >= 0.75 * visits.count()
    assert recorded.count() < visits.count()  # some technicians never used the phone
    assert not recorded.exclude(arrived_at=F("work_order__responded_at")).exists()
    assert not recorded.exclude(finished_at=F("work_order__resolved_at")).exists()
    assert not recorded.filter(en_route_at__gt=F("arrived_at")).exists()
    # Arrivals are not all on the plan, and work does not always take the booked time.
    assert recorded.exclude(arrived_at=F("starts_at")).exists()
    worked = [(b.finished_at - b.arrived_at) != (b.ends_at - b.starts_at) for b in recorded]
    assert any(worked)
