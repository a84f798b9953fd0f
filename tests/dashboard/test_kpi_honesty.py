"""Issue 27: each figure measures what its label says, on actual times, with its caveat.

One small crafted dataset per finding; every expected number is worked out by hand in
the test from the times written into it.
"""

import csv
import io
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dashboard import exports, kpis
from dashboard.definitions import WALL, definitions_for
from dashboard.drilldown import drilldown_work_orders
from dashboard.filters import DashboardFilterForm, DashboardFilters
from dispatch.models import Booking
from notifications.models import OutboundMessage
from routing.models import PlanRun
from technicians.models import ShiftException, TimeOff
from tests.dashboard.helpers import always_open_policy, job
from tests.factories import (
    SiteFactory,
    SkillFactory,
    SLAPolicyFactory,
    TechnicianFactory,
    certify,
    give_shift,
)
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=CHICAGO)  # a Tuesday


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture
def f():
    return DashboardFilters(start=date(2026, 3, 1), end=date(2026, 3, 10), now=NOW)


def pks(kpi: str, f: DashboardFilters) -> set[int]:
    return set(drilldown_work_orders(kpi, f).values_list("pk", flat=True))


def record(work_order: WorkOrder, **actual) -> None:
    """What the technician's phone recorded on the work order's visit."""
    Booking.objects.filter(work_order=work_order).update(**actual)


# --- On-time arrival ---------------------------------------------------------------


def test_on_time_arrival_uses_actual_arrival_and_counts_the_planned_fallbacks(f):
    policy, tech = always_open_policy(), TechnicianFactory()
    # Planned at 9:30, before its 10–12 window, but the phone recorded 10:15: on time.
    phone = job(received=at(2, 9), policy=policy, technician=tech, window=(at(2, 10), at(2, 12)))
    record(phone, arrived_at=at(2, 10, 15))
    # Planned 9:30 inside 9–10, but the office recorded on site at 10:40: late.
    office = job(
        received=at(3, 9),
        policy=policy,
        technician=tech,
        responded_after=100,
        window=(at(3, 9), at(3, 10)),
    )
    # Nothing recorded; planned 9:30 inside 9–10 → on time, on the planned start.
    unrecorded = job(
        received=at(4, 9), policy=policy, technician=tech, window=(at(4, 9), at(4, 10))
    )
    # Planned for later today and nothing recorded: not judged yet.
    job(
        received=at(10, 11),
        policy=policy,
        technician=tech,
        start_after=120,
        window=(at(10, 12), at(10, 14)),
    )
    arrivals = kpis.arrivals(f)
    assert (arrivals.with_window, arrivals.on_time, arrivals.early, arrivals.late) == (3, 2, 0, 1)
    assert arrivals.on_planned_time == 1
    assert arrivals.on_time_rate == pytest.approx(2 / 3)
    assert pks("on_time", f) == {phone.pk, unrecorded.pk}
    assert pks("late_arrival", f) == {office.pk}
    assert pks("arrival_on_planned_time", f) == {unrecorded.pk}


# --- Texts ---------------------------------------------------------------------------


def _text(work_order, status: str, key: str, *, customer=None, kind: str = "booked"):
    return OutboundMessage.objects.create(
        customer=customer or work_order.customer,
        work_order=work_order,
        to="+13125550100",
        body="Hi",
        kind=kind,
        status=status,
        dedupe_key=key,
        provider_sid=f"SM{key:0>32}" if status != "failed" else None,
        created_at=at(5, 12),
    )


def test_texts_of_cancelled_orders_count(f):
    gold, platinum = always_open_policy("Gold"), always_open_policy("Platinum")
    live = job(received=at(5, 9), policy=gold)
    cancelled = job(received=at(5, 9), policy=gold)
    WorkOrder.objects.filter(pk=cancelled.pk).update(status="cancelled")
    other_tier = job(received=at(5, 9), policy=platinum)
    _text(live, "delivered", "1")
    _text(cancelled, "delivered", "2")  # the booking text
    _text(cancelled, "sent", "3", kind="cancelled")  # the cancellation notice
    _text(cancelled, "failed", "4")
    _text(other_tier, "sent", "5")
    _text(None, "sent", "6", customer=live.customer, kind="help")  # a reply to HELP
    assert kpis.texts_sent(f) == {"available": True, "sent": 5, "failed": 1}
    # Gold only: the live and the cancelled Gold orders' texts (1, 2, 3 sent; 4 failed).
    assert kpis.texts_sent(replace(f, tier=gold.pk)) == {"available": True, "sent": 3, "failed": 1}
    # One customer: its orders' texts and its reply to HELP (1 and 6).
    assert kpis.texts_sent(replace(f, customer=live.customer_id))["sent"] == 2


# --- First-time fix --------------------------------------------------------------------


def test_first_time_fix_counts_only_jobs_whose_window_has_closed():
    f = DashboardFilters(start=date(2026, 1, 1), end=date(2026, 3, 10), now=NOW)
    policy = always_open_policy()
    site_fixed, site_repeat, site_recent = SiteFactory(), SiteFactory(), SiteFactory()
    # Completed Jan 20 (49 days before NOW), nothing followed: fixed first time, final.
    fixed = job(received=at(20, 9, month=1), policy=policy, site=site_fixed, resolved_after=60)
    # Completed Feb 1, a follow-up for the same site and job type on Feb 11: not fixed.
    repeat = job(received=at(1, 9, month=2), policy=policy, site=site_repeat, resolved_after=60)
    follow_up = job(received=at(11, 9, month=2), policy=policy, site=site_repeat)
    WorkOrder.objects.filter(pk=follow_up.pk).update(status="cancelled")  # does not count
    follow_up_2 = job(received=at(12, 9, month=2), policy=policy, site=site_repeat)
    # Completed Mar 5: its 30 days run to Apr 4; no follow-up *yet*: provisional only.
    recent = job(received=at(5, 9), policy=policy, site=site_recent, resolved_after=60)
    quality = kpis.quality(f)
    assert (quality.completed, quality.decided) == (3, 2)  # fixed, repeat
    assert quality.fixed_first_time == 1
    assert quality.first_time_fix_rate == pytest.approx(0.5)  # 1 of 2 decided
    assert (quality.window_open, quality.fixed_so_far) == (1, 1)
    assert quality.provisional_rate == pytest.approx(1.0)
    assert pks("fixed_first_time", f) == {fixed.pk}
    assert pks("not_fixed_first_time", f) == {repeat.pk}
    assert pks("follow_up_window_open", f) == {recent.pk}
    assert follow_up_2.pk not in pks("completed", f)


# --- Time to assign and to arrive --------------------------------------------------------


def test_unassigned_orders_weigh_on_time_to_assign_at_their_age(f):
    policy, tech = always_open_policy(), TechnicianFactory()
    job(received=at(10, 10), policy=policy, technician=tech, booked_after=60)  # 60 min
    waiting = job(received=at(10, 2), policy=policy)  # open, unbooked: 600 min at NOW
    closed = job(received=at(9, 2), policy=policy, resolved_after=30)  # closed, never booked
    cancelled = job(received=at(9, 3), policy=policy)
    WorkOrder.objects.filter(pk=cancelled.pk).update(status="cancelled")
    assign = kpis.speed(f).assign
    assert (assign.count, assign.waiting) == (1, 1)
    assert assign.median_minutes == pytest.approx(330)  # (60 + 600) / 2
    assert assign.p90_minutes == pytest.approx(546)  # 60 + 0.9 × 540
    assert assign.oldest_waiting_minutes == pytest.approx(600)
    assert assign.at_least
    assert pks("waiting_assignment", f) == {waiting.pk}
    assert closed.pk not in pks("waiting_assignment", f) | pks("assigned", f)


def test_time_to_arrive_is_wall_clock_and_says_so(f, client, manager):
    business = SLAPolicyFactory(tier="Bronze", response_minutes=240, resolution_minutes=960)
    # Received Friday Mar 6 at 16:00, on site Monday Mar 9 at 9:00: 64 real hours (the
    # clocks went forward on Sunday Mar 8), against 2 hours on the SLA's business clock,
    # which the label must not claim.
    arrived = job(received=at(6, 16), policy=business)
    WorkOrder.objects.filter(pk=arrived.pk).update(responded_at=at(9, 9), status="on_site")
    arrive = kpis.speed(f).arrive
    assert (arrive.count, arrive.waiting) == (1, 0)
    assert arrive.median_minutes == pytest.approx(64 * 60)
    assert not arrive.at_least
    definition = definitions_for(f)["arrived"]
    assert definition.clock.startswith(WALL) and "not the SLA's response time" in definition.clock
    client.force_login(manager)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'Time to arrive <em class="clock">wall clock</em>' in page
    assert "not the SLA's business-hours response time" in page


# --- Utilisation -------------------------------------------------------------------------


def test_utilisation_on_actual_work_and_available_shift_time(f):
    gold, platinum = always_open_policy("Gold"), always_open_policy("Platinum")
    tech = TechnicianFactory(display_name="Cleo", max_daily_hours=8)
    give_shift(tech, weekday=0, starts=time(8), ends=time(18))  # Mondays Mar 2, 9: 10 h
    give_shift(tech, weekday=1, starts=time(8), ends=time(17))  # Tuesdays Mar 3, 10: 9 h
    ShiftException.objects.create(technician=tech, date=date(2026, 3, 9), is_off=True)
    TimeOff.objects.create(  # two hours off on Tuesday Mar 3
        technician=tech, kind="training", starts_at=at(3, 12), ends_at=at(3, 14)
    )
    # Mar 2: 10 h capped at 8 h = 480. Mar 3: 9 h − 2 h off = 420. Mar 9 off. Mar 10: 9 h
    # capped at 8 h = 480. Available: 1,380 min on 3 days.
    worked = job(received=at(2, 8), policy=gold, technician=tech, minutes=60, travel=15)
    record(worked, en_route_at=at(2, 8, 15), arrived_at=at(2, 8, 35), finished_at=at(2, 9, 25))
    job(received=at(3, 8), policy=platinum, technician=tech, minutes=90, travel=15)
    row = {r.name: r for r in kpis.technicians(f)}["Cleo"]
    assert (row.shift_minutes, row.shift_days) == (1380, 3)
    assert row.wrench_minutes == pytest.approx(50 + 90)  # phone: 8:35 → 9:25; booked 90
    assert row.drive_minutes == pytest.approx(20 + 15)  # phone: 8:15 → 8:35; planned 15
    assert row.on_planned_time == 1
    assert row.utilisation == pytest.approx(140 / 1380)
    assert row.jobs_per_day == pytest.approx(2 / 3)
    # A tier filter narrows the work, not the shifts: no utilisation rather than 50/1380.
    gold_only = replace(f, tier=gold.pk)
    rows = kpis.technicians(gold_only)
    totals = kpis.technician_totals(rows, gold_only)
    assert (totals.wrench_minutes, totals.shift_minutes) == (50, 1380)
    assert totals.utilisation is None and totals.jobs_per_day is None and totals.work_filtered
    # A team filter narrows both sides alike: the figure stays.
    assert kpis.technician_totals(kpis.technicians(replace(f, technician=tech.pk)), f).utilisation


# --- Optimizer runs -------------------------------------------------------------------------


def test_optimizer_runs_accepted_leave_out_urgent_insertions_and_impossible_days(f):
    def run(kind: str, day: date, status: str = "applied") -> PlanRun:
        return PlanRun.objects.create(kind=kind, day=day, status=status, decided_at=at(5, 7))

    run("optimize", date(2026, 3, 5))
    run("optimize", date(2026, 3, 6))
    run("optimize", date(2026, 3, 6), status="discarded")
    run("urgent", date(2026, 3, 5))
    run("urgent", date(1, 1, 1))  # bad input that got stored
    run("optimize", date(2099, 1, 1))  # planned 73 years ahead: not a plan
    assert kpis.plan_runs(f) == kpis.PlanRuns(accepted=2, urgent=1, impossible_day=2)


# --- Wrong-skill visits ----------------------------------------------------------------------


def test_wrong_skill_visits_count_scheduled_and_in_progress_visits(f):
    policy, skill = always_open_policy(), SkillFactory(code="gas", name="Gas")
    unqualified = TechnicianFactory()
    certify(TechnicianFactory(), skill)
    needs = [(skill, 1)]
    on_site = job(
        received=at(10, 9), policy=policy, skills=needs, technician=unqualified, responded_after=40
    )
    scheduled = job(
        received=at(10, 9), policy=policy, skills=needs, technician=unqualified, start_after=200
    )
    later = job(
        received=at(10, 9), policy=policy, skills=needs, technician=unqualified, start_after=26 * 60
    )
    cancelled = job(
        received=at(9, 9), policy=policy, skills=needs, technician=unqualified, start_after=60
    )
    WorkOrder.objects.filter(pk=cancelled.pk).update(status="cancelled")
    assert WorkOrder.objects.get(pk=on_site.pk).status == "on_site"
    assert kpis.wrong_skill_visits(f) == kpis.WrongSkill(in_range=2, later=1)
    assert pks("wrong_skill", f) == {on_site.pk, scheduled.pk}
    assert pks("wrong_skill_later", f) == {later.pk}


# --- The range's basis ---------------------------------------------------------------------


def test_range_applies_by_received_due_or_closed_date(f):
    policy = always_open_policy(response=60, resolution=240)
    # Received Feb 27, completed Mar 2: before the range by receipt, inside it by closing.
    closed_in_range = job(
        received=at(27, 9, month=2), policy=policy, responded_after=30, resolved_after=3 * 1440
    )
    # Received Mar 10 at 11:00: resolution due at 15:00, after NOW but inside Mar 10.
    received_in_range = job(received=at(10, 11), policy=policy)
    # Received Feb 28 at 23:00: resolution due Mar 1 at 3:00, breached, still open.
    due_in_range = job(received=at(28, 23, month=2), policy=policy)
    by = {basis: replace(f, basis=basis) for basis in ("received", "due", "closed")}
    assert pks("received", by["received"]) == {received_in_range.pk}
    assert pks("received", by["due"]) == {received_in_range.pk, due_in_range.pk}
    assert pks("received", by["closed"]) == {closed_in_range.pk}
    assert kpis.sla_total(kpis.sla_by_tier(by["closed"])).resolution.breached == 1
    assert kpis.sla_total(kpis.sla_by_tier(by["received"])).resolution.breached == 0
    form = DashboardFilterForm({"basis": "closed", "start": "2026-03-01", "end": "2026-03-10"})
    assert form.to_filters(NOW).basis == "closed"
    assert "basis=closed" in form.to_filters(NOW).query()
    assert definitions_for(by["closed"])["received"].population.startswith(
        "Work orders completed in the range"
    )


def test_an_unknown_basis_is_refused_and_the_default_shown(client, manager):
    client.force_login(manager)
    response = client.get(reverse("dashboard") + "?basis=whenever")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "count work orders <strong>received</strong>" in response.content.decode()


# --- At risk after a breach ---------------------------------------------------------------


def test_an_order_breached_on_response_is_not_shown_at_risk_on_resolution(f):
    policy = always_open_policy(response=60, resolution=240)  # at risk from 180 min
    # Both received 200 min before NOW: resolution at risk (180 ≤ 200 < 240).
    late = job(received=NOW - timedelta(minutes=200), policy=policy)  # nobody came: breached
    saved = job(received=NOW - timedelta(minutes=200), policy=policy, responded_after=30)
    total = kpis.sla_total(kpis.sla_by_tier(f))
    assert total.response.breached == 1
    assert (total.response.at_risk_now, total.resolution.at_risk_now) == (0, 1)
    assert pks("resolution_at_risk_now", f) == {saved.pk}
    assert late.pk in pks("response_breached", f)


# --- The CSV and the page say the same ---------------------------------------------------------


def test_summary_csv_carries_the_page_numbers_and_the_page_its_caveats(client, manager):
    from django.utils import timezone

    policy, tech = always_open_policy(), TechnicianFactory()
    now = timezone.now()
    planned = job(
        received=now - timedelta(days=2),
        policy=policy,
        technician=tech,
        window=(now - timedelta(days=2), now - timedelta(days=2) + timedelta(hours=2)),
    )
    job(received=now - timedelta(hours=5), policy=policy)  # waiting for a technician
    client.force_login(manager)
    f = DashboardFilters.default()
    body = client.get(reverse("dashboard_export", args=["summary"])).content.decode()
    exported = dict(csv.reader(io.StringIO(body)))
    for name, value in exports.summary_rows(f):
        assert exported[name] == exports.safe_cell(value), name
    assert exported["arrivals_judged_on_planned_start"] == "1"
    assert exported["waiting_for_assignment"] == "1"
    assert exported["time_to_assign_is_lower_bound"] == "True"
    page = client.get(reverse("dashboard")).content.decode()
    assert "1 of 1</a> judged on the planned start" in page
    assert "1 still waiting for a technician</a>" in page
    assert planned.pk in pks("arrival_on_planned_time", f)


# --- Definitions ------------------------------------------------------------------------


def test_every_definition_names_population_clock_times_and_exclusions(f):
    for key, definition in definitions_for(f).items():
        for label, value in definition.parts:
            assert value.strip(), f"{key}: {label} is empty"
        assert "{cohort}" not in definition.text, key


def test_the_page_shows_each_definition_in_four_parts_and_the_withheld_utilisation(client, manager):
    client.force_login(manager)
    page = client.get(reverse("dashboard")).content.decode()
    assert page.count("<dt>Counts</dt>") >= 13  # one per key figure
    assert page.count("<dt>Left out</dt>") == page.count("<dt>Clock</dt>")
    assert 'id="utilisation-withheld"' not in page
    policy = always_open_policy()
    filtered = client.get(reverse("dashboard") + f"?tier={policy.pk}").content.decode()
    assert 'id="utilisation-withheld"' in filtered and "not shown" in filtered
