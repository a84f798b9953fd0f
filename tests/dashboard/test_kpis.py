"""Every dashboard figure on a small company whose right answers are worked out by hand,
and every figure's drill-down lists exactly the work orders it counts."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard import kpis, sql
from dashboard.drilldown import CONDITIONS, drilldown_work_orders
from dashboard.filters import DashboardFilters
from tests.dashboard.helpers import always_open_policy, job
from tests.factories import SiteFactory, SkillFactory, TechnicianFactory, certify, give_shift
from workorders.models import Event, WorkOrder

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=CHICAGO)  # a Tuesday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture
def company():
    platinum = always_open_policy("Platinum", 60, 240)
    gold = always_open_policy("Gold", 120, 480)
    skill = SkillFactory(code="hvac", name="HVAC")
    t1 = TechnicianFactory(display_name="Ann", team="North")
    t2 = TechnicianFactory(display_name="Bob", team="South")
    certify(t1, skill, level=2)
    certify(t2, skill, level=3, expires_on=date(2026, 3, 1))  # expired before Bob's visit
    give_shift(t1, weekday=0, starts=time(8), ends=time(17))  # Mondays: Mar 2 and Mar 9
    repeat_site = SiteFactory()
    jobs = {
        "a": job(
            received=at(2, 9),
            policy=platinum,
            skills=[(skill, 1)],
            responded_after=30,
            resolved_after=120,
            technician=t1,
            booked_after=10,
            window=(at(2, 9), at(2, 10)),
        ),
        "b": job(
            received=at(3, 9),
            policy=platinum,
            responded_after=90,
            resolved_after=300,
            technician=t1,
            booked_after=20,
            window=(at(3, 10), at(3, 12)),
            pause_reason="Customer not home",
        ),
        "c": job(received=at(10, 11, 10), policy=platinum),  # response at risk now
        "d": job(received=datetime(2026, 2, 20, 9, tzinfo=CHICAGO), policy=platinum),
        "f": job(
            received=at(4, 10),
            policy=gold,
            site=repeat_site,
            skills=[(skill, 2)],
            responded_after=60,
            resolved_after=400,
            technician=t2,
            booked_after=30,
        ),
        "g": job(received=at(6, 10), policy=gold, site=repeat_site, responded_after=200),
    }
    cancelled = job(received=at(10, 11, 10), policy=platinum)
    WorkOrder.objects.filter(pk=cancelled.pk).update(status="cancelled")
    Event.objects.create(
        kind=Event.Kind.OVERRIDE, work_order=jobs["b"], summary="override", occurred_at=at(3, 9)
    )
    return {"jobs": jobs, "t1": t1, "t2": t2, "platinum": platinum, "gold": gold}


@pytest.fixture
def f():
    return DashboardFilters(start=date(2026, 3, 1), end=date(2026, 3, 10), now=NOW)


def test_sla_attainment_by_tier_and_at_risk_now(company, f):
    platinum, gold = kpis.sla_by_tier(f)
    assert platinum.tier == "Platinum" and gold.tier == "Gold"
    assert platinum.received == 3
    assert (platinum.response.met, platinum.response.breached, platinum.response.pending) == (
        1,
        1,
        1,
    )
    assert platinum.response.at_risk_now == 1  # job c; d is breached, not at risk
    assert (platinum.resolution.met, platinum.resolution.breached) == (1, 1)
    assert platinum.resolution.attainment == 0.5
    assert (gold.response.met, gold.response.breached) == (1, 1)
    assert (gold.resolution.met, gold.resolution.breached, gold.resolution.pending) == (1, 1, 0)
    total = kpis.sla_total([platinum, gold])
    assert total.received == 5 and total.response.breached == 2


def test_breaches_are_ordered_by_lateness_with_pause_reasons(company, f):
    rows = list(kpis.breaches(f))
    jobs = company["jobs"]
    # g: resolution due Mar 6 18:00, still open at Mar 10 12:00 → the latest by far.
    assert [wo.pk for wo in rows] == [jobs["g"].pk, jobs["b"].pk]
    assert rows[1].minutes_late == pytest.approx(60)  # resolved 300 min after, due at 240
    assert rows[1].pause_reasons == "Customer not home" and rows[1].pause_count == 1


def test_time_to_assign_and_arrive_median_and_p90(company, f):
    speed = kpis.speed(f)
    # Booked after 10, 20, 30 min (a, b, f); c is open and unbooked, 50 min old at NOW:
    # it counts at its age, so the figures are lower bounds. g has nobody booked but
    # somebody on site: it did not wait for assignment, and its booking time is unknown.
    assert (speed.assign.count, speed.assign.waiting) == (3, 1)
    assert speed.assign.median_minutes == pytest.approx(25)  # over 10, 20, 30, 50
    assert speed.assign.p90_minutes == pytest.approx(44)  # 30 + 0.7 × (50 − 30)
    assert speed.assign.oldest_waiting_minutes == pytest.approx(50)
    assert speed.assign.at_least
    # On site after 30, 90, 60, 200 min (a, b, f, g); c still waiting at 50 min.
    assert (speed.arrive.count, speed.arrive.waiting) == (4, 1)
    assert speed.arrive.median_minutes == pytest.approx(60)  # over 30, 50, 60, 90, 200
    assert speed.arrive.p90_minutes == pytest.approx(156)  # 90 + 0.6 × (200 − 90)


def test_first_time_fix_and_repeat_visits(company, f):
    quality = kpis.quality(f)
    assert (quality.received, quality.completed) == (5, 3)
    # a, b and f were completed less than 30 days before NOW: none is decided yet.
    assert (quality.decided, quality.fixed_first_time, quality.first_time_fix_rate) == (
        0,
        0,
        None,
    )
    # Provisionally a and b have no follow-up; f already has one (g, same site and type).
    assert (quality.window_open, quality.fixed_so_far) == (3, 2)
    assert quality.provisional_rate == pytest.approx(2 / 3)
    assert quality.repeat_visits == 1


def test_on_time_arrival_uses_the_recorded_on_site_time(company, f):
    arrivals = kpis.arrivals(f)
    # a: on site 9:30, window 9–10 → on time. b: planned 9:30 (early against its 10–12
    # window) but on site at 10:30 → on time. Both have a recorded time: no fallback.
    assert (arrivals.with_window, arrivals.on_time, arrivals.early, arrivals.late) == (2, 2, 0, 0)
    assert arrivals.on_planned_time == 0


def test_technician_utilisation_drive_and_wrench(company, f):
    rows = {row.name: row for row in kpis.technicians(f)}
    ann = rows["Ann"]
    assert (ann.jobs, ann.wrench_minutes, ann.drive_minutes) == (2, 120, 30)
    # Two Monday shifts of 9 h, each capped at the default max_daily_hours (8).
    assert (ann.shift_days, ann.shift_minutes) == (2, 16 * 60)
    assert ann.utilisation == pytest.approx(120 / 960)
    assert ann.jobs_per_day == 1
    assert rows["Bob"].shift_minutes == 0 and rows["Bob"].utilisation is None


def test_wrong_skill_visits_and_overrides(company, f):
    assert kpis.wrong_skill_visit_count(f) == 1  # Bob's certification expired on Mar 1
    activity = kpis.activity(f)
    assert activity.overrides == 1 and activity.plans_applied == 0
    assert activity.plans == kpis.PlanRuns(accepted=0, urgent=0, impossible_day=0)
    assert activity.texts == {"available": True, "sent": 0, "failed": 0}


def test_texts_sent_and_failed_count_what_the_provider_took(company, f):
    from notifications.models import OutboundMessage

    before = kpis.activity(f).texts
    work_order = WorkOrder.objects.filter(sql.work_order_scope(f)).first()
    for index, status in enumerate(["sent", "delivered", "failed", "undelivered", "skipped"]):
        OutboundMessage.objects.create(
            customer=work_order.customer,
            work_order=work_order,
            to="+13125550100",
            body="Hi",
            kind="booked",
            status=status,
            dedupe_key=f"kpi-{index}",
            provider_sid=f"SM{index:032d}"
            if status in ("sent", "delivered", "undelivered")
            else None,
            created_at=f.starts_at + timedelta(hours=12),
        )
    after = kpis.activity(f).texts
    assert after["sent"] - before["sent"] == 2  # sent + delivered
    assert after["failed"] - before["failed"] == 2  # failed + undelivered; skipped is neither


def test_filters_narrow_every_panel(company, f):
    from dataclasses import replace

    gold_only = replace(f, tier=company["gold"].pk)
    assert [row.tier for row in kpis.sla_by_tier(gold_only)] == ["Gold"]
    north = replace(f, team="North")
    assert kpis.sla_by_tier(north)[0].received == 2  # a and b, booked to Ann
    assert [row.name for row in kpis.technicians(north)] == ["Ann"]
    assert kpis.wrong_skill_visit_count(north) == 0


EXPECTED = {
    "received": "abcfg",
    "response_met": "af",
    "response_breached": "bg",
    "response_pending": "c",
    "resolution_met": "af",
    "resolution_breached": "bg",
    "resolution_pending": "c",
    "response_at_risk_now": "c",
    "resolution_at_risk_now": "",
    "breached": "bg",
    "assigned": "abf",
    "waiting_assignment": "c",
    "arrived": "abfg",
    "waiting_arrival": "c",
    "completed": "abf",
    "fixed_first_time": "",  # no window has closed by NOW
    "not_fixed_first_time": "",
    "follow_up_window_open": "abf",
    "repeat_visits": "g",
    "arrivals": "ab",
    "on_time": "ab",
    "early_arrival": "",
    "late_arrival": "",
    "arrival_on_planned_time": "",
    "technician_visits": "abf",
    "wrong_skill": "f",
    "wrong_skill_later": "",
    "overrides": "b",
}


@pytest.mark.parametrize("kpi", sorted(EXPECTED))
def test_each_drilldown_lists_the_work_orders_behind_its_number(company, f, kpi):
    jobs = company["jobs"]
    listed = set(drilldown_work_orders(kpi, f).values_list("pk", flat=True))
    assert listed == {jobs[key].pk for key in EXPECTED[kpi]}


def test_every_figure_has_an_expected_drilldown():
    assert set(CONDITIONS) | {"breached"} == set(EXPECTED)
