"""Plan runs and urgent insertion obey the drops' day rules (issue 25, finding 4): no plan
for a day no board covers or a day that is over, and nothing is created trying."""

from datetime import date, time, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from dispatch.days import FIRST_DAY, LAST_DAY
from dispatch.models import Booking
from dispatch.rules import ProblemCode, RuleProblem, day_problems, override_allowed
from planning.apply import plan_run_apply
from planning.urgent import urgent_insertion_propose
from routing.models import PlanRun
from technicians.roles import Role
from tests.factories import TechnicianFactory, give_shift
from tests.routing.helpers import NORTH, at, future_monday, job_at, tech_on

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def everyone_always_on_shift():
    """Shifts on every weekday: the refusal must come from the day, not an empty board."""
    technician = TechnicianFactory(home_latitude=NORTH[0], home_longitude=NORTH[1])
    for weekday in range(7):
        give_shift(technician, weekday, time(0, 0), time(23, 59))
    return technician


def refusal_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("url_name", "day"),
    [
        ("plan_start", "9999-12-31"),
        ("plan_urgent_form", "9999-12-31"),
        ("plan_urgent_form", "0001-01-01"),
        ("plan_start", "1999-12-31"),
        ("plan_urgent_form", "2100-01-01"),
    ],
)
def test_a_day_no_board_covers_is_refused_and_creates_nothing(
    client, dispatcher, everyone_always_on_shift, url_name, day
):
    client.force_login(dispatcher)
    response = client.post(reverse(url_name, args=[day]), {"work_order": job_at(NORTH).pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("board_today")  # that day has no board
    assert refusal_messages(response) == [
        f"{day} has no board: boards cover {FIRST_DAY} to {LAST_DAY}."
    ]
    assert not PlanRun.objects.exists() and not Booking.objects.exists()


def test_with_htmx_the_refusal_is_the_panels_fragment(client, dispatcher, everyone_always_on_shift):
    client.force_login(dispatcher)
    response = client.post(reverse("plan_start", args=["9999-12-31"]), **HTMX)
    assert response.status_code == 200
    assert "9999-12-31 has no board" in response.content.decode()
    assert not PlanRun.objects.exists()


@pytest.mark.parametrize("url_name", ["plan_start", "plan_urgent_form"])
def test_a_day_that_is_over_is_refused_like_a_drop(
    client, dispatcher, everyone_always_on_shift, url_name
):
    client.force_login(dispatcher)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        reverse(url_name, args=[yesterday.isoformat()]), {"work_order": job_at(NORTH).pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("board_day", args=[yesterday])
    assert refusal_messages(response) == [f"{yesterday:%a %b %-d} is over; its plan cannot change."]
    assert not PlanRun.objects.exists()


def test_a_proposal_is_not_accepted_once_its_day_is_over(dispatcher):
    day = future_monday()
    tech_on(day, home=NORTH)
    urgent = job_at(NORTH)
    run = urgent_insertion_propose(actor=dispatcher, work_order=urgent, day=day, now=at(day, 6))
    assert run.status == PlanRun.Status.SUCCEEDED
    with time_machine.travel(at(day + timedelta(days=1), 9)), pytest.raises(DomainError) as refused:
        plan_run_apply(actor=dispatcher, run=run)
    assert refused.value.code == ProblemCode.PAST_DAY
    assert not Booking.objects.exists()
    run.refresh_from_db()
    assert run.status == PlanRun.Status.SUCCEEDED  # still there to discard


def test_a_day_out_of_range_is_a_hard_problem_no_manager_overrides(user_with_role):
    (problem,) = day_problems(date(1, 1, 1), timezone.localdate(), "WO-1")
    assert problem == RuleProblem(
        ProblemCode.DAY_OUT_OF_RANGE,
        f"0001-01-01 has no board: boards cover {FIRST_DAY} to {LAST_DAY}.",
        "WO-1",
    )
    assert problem.hard
    assert not override_allowed(user_with_role(Role.MANAGER), [problem])
    assert day_problems(LAST_DAY, timezone.localdate()) == []
