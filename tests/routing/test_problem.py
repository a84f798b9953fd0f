"""DB → optimizer problem: skills and levels, expiry, time off, fixed work."""

from datetime import time, timedelta

import pytest

from planning.optimize import plan_inputs
from routing.optimizer import parse_problem, solution_to_json, solve
from routing.problem import encode_skill
from technicians.models import ShiftException, TimeOff
from tests.factories import SkillFactory, certify
from tests.routing.helpers import NORTH, SOUTH, at, book, future_monday, job_at, tech_on
from workorders.models import WorkOrder
from workorders.status import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return future_monday()


def _vehicle(built, tech):
    return next(v for v in built.problem["vehicles"] if v["id"] == tech.pk)


def _job(built, work_order):
    return next(j for j in built.problem["jobs"] if j["id"] == work_order.pk)


def test_skill_levels_and_expired_certificates(day):
    hvac = SkillFactory(code="hvac", name="HVAC")
    expert, novice, lapsed = tech_on(day), tech_on(day), tech_on(day)
    certify(expert, hvac, level=3)
    certify(novice, hvac, level=1)
    certify(lapsed, hvac, level=4, expires_on=day - timedelta(days=1))
    job = job_at(skills=[(hvac, 2)])

    built = plan_inputs(day=day, now=at(day, 6))

    assert _job(built, job)["skills"] == [encode_skill(hvac.pk, 2)]
    assert _vehicle(built, expert)["skills"] == [encode_skill(hvac.pk, lvl) for lvl in (1, 2, 3)]
    assert _vehicle(built, novice)["skills"] == [encode_skill(hvac.pk, 1)]
    assert _vehicle(built, lapsed)["skills"] == []
    solution = solution_to_json(
        solve(parse_problem(built.problem), time_limit_s=1), parse_problem(built.problem)
    )
    (route,) = solution["routes"]
    assert route["vehicle"] == expert.pk


def test_shift_window_and_time_off(day):
    middle = tech_on(day)
    TimeOff.objects.create(
        technician=middle, kind="training", starts_at=at(day, 12), ends_at=at(day, 14)
    )
    morning = tech_on(day)
    TimeOff.objects.create(
        technician=morning, kind="sick", starts_at=at(day, 6), ends_at=at(day, 10)
    )
    away = tech_on(day)
    TimeOff.objects.create(
        technician=away, kind="vacation", starts_at=at(day, 0), ends_at=at(day + timedelta(1), 0)
    )
    off = tech_on(day)
    ShiftException.objects.create(technician=off, date=day, is_off=True)
    job_at()

    built = plan_inputs(day=day, now=at(day, 6))
    epoch_8, epoch_10, epoch_12, epoch_17 = 8 * 3600, 10 * 3600, 12 * 3600, 17 * 3600

    assert _vehicle(built, middle)["time_window"] == [epoch_8, epoch_17]
    (lunch,) = _vehicle(built, middle)["breaks"]
    assert lunch["time_windows"] == [[epoch_12, epoch_12]] and lunch["service"] == 2 * 3600
    assert _vehicle(built, morning)["time_window"] == [epoch_10, epoch_17]
    ids = {v["id"] for v in built.problem["vehicles"]}
    assert away.pk not in ids and off.pk not in ids


def test_locked_bookings_are_pinned_and_jobs_underway_come_first(day):
    tech = tech_on(day)
    other = tech_on(day, home=SOUTH)
    locked_job, moving_job, underway = job_at(NORTH), job_at(), job_at()
    book(locked_job, tech, at(day, 14), locked=True)
    book(moving_job, tech, at(day, 11))
    book(underway, other, at(day, 9))
    from dispatch.services import work_order_change_status

    for target in (Status.DISPATCHED, Status.EN_ROUTE):
        work_order_change_status(actor=None, work_order=underway, target=target)
    waiting = job_at(window=(at(day, 9), at(day, 12)))
    elsewhere = job_at(window=(at(day + timedelta(days=1), 9), at(day + timedelta(days=1), 12)))

    built = plan_inputs(day=day, now=at(day, 6))

    pinned = _job(built, locked_job)["fieldops"]
    assert pinned["pinned_vehicle"] == tech.pk and pinned["pinned_start"] == 14 * 3600
    assert "pinned_vehicle" not in _job(built, moving_job).get("fieldops", {})
    assert _job(built, underway)["fieldops"]["in_progress"] is True
    assert _job(built, underway)["fieldops"]["pinned_vehicle"] == other.pk
    assert _job(built, waiting)["time_windows"] == [[9 * 3600, 12 * 3600]]
    assert elsewhere.pk not in {j["id"] for j in built.problem["jobs"]}
    roles = {b["work_order"]: b["role"] for b in built.baseline["bookings"]}
    assert roles == {locked_job.pk: "pinned", moving_job.pk: "movable", underway.pk: "in_progress"}
    assert {u["work_order"] for u in built.baseline["unassigned"]} == {waiting.pk}

    problem = parse_problem(built.problem)
    solution = solution_to_json(solve(problem, time_limit_s=1), problem)
    routes = {
        r["vehicle"]: [s for s in r["steps"] if s["type"] == "job"] for r in solution["routes"]
    }
    assert routes[other.pk][0]["id"] == underway.pk
    locked_step = next(s for s in routes[tech.pk] if s["id"] == locked_job.pk)
    assert locked_step["arrival"] + locked_step["waiting_time"] == 14 * 3600


def test_completed_work_moves_the_start_of_the_day(day):
    tech = tech_on(day)
    done = job_at(NORTH)
    book(done, tech, at(day, 8))
    WorkOrder.objects.filter(pk=done.pk).update(status=Status.COMPLETED)
    job_at()

    built = plan_inputs(day=day, now=at(day, 6))

    vehicle = _vehicle(built, tech)
    assert vehicle["time_window"][0] == 9 * 3600
    assert vehicle["start"] == [NORTH[1], NORTH[0]]
    assert done.pk not in {j["id"] for j in built.problem["jobs"]}


def test_today_nothing_moves_into_the_past(day):
    tech = tech_on(day, starts=time(8))
    job_at()
    built = plan_inputs(day=day, now=at(day, 11, 30))
    assert _vehicle(built, tech)["time_window"][0] == 11 * 3600 + 1800


@pytest.mark.parametrize(
    ("priority", "response_minutes", "expected"),
    [
        (4, 120, 100),  # emergency on a 2-hour contract: the most urgent there is
        (4, 3 * 24 * 60, 80),
        (3, 8 * 60, 60),
        (2, 120, 40),
        (2, 3 * 24 * 60, 20),
        (1, 3 * 24 * 60, 0),
    ],
)
def test_job_priority_combines_work_order_priority_and_sla_tier(
    priority, response_minutes, expected
):
    from routing.problem import job_priority
    from tests.factories import SLAPolicyFactory, make_work_order

    policy = SLAPolicyFactory(
        tier=f"T{priority}-{response_minutes}",
        response_minutes=response_minutes,
        resolution_minutes=response_minutes * 2,
    )
    assert job_priority(make_work_order(priority=priority, policy=policy)) == expected
