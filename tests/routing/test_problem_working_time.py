"""Technician.max_daily_hours reaches the optimizer as fieldops.max_working_time."""

from decimal import Decimal

import pytest

from planning.optimize import plan_inputs
from routing.optimizer import parse_problem
from tests.routing.helpers import at, future_monday, job_at, tech_on

pytestmark = pytest.mark.django_db


def test_max_daily_hours_caps_the_working_time_in_seconds():
    day = future_monday()
    tech = tech_on(day)
    tech.max_daily_hours = Decimal("6.50")
    tech.save(update_fields=["max_daily_hours"])
    job_at()

    built = plan_inputs(day=day, now=at(day, 6))

    vehicle = next(v for v in built.problem["vehicles"] if v["id"] == tech.pk)
    assert vehicle["fieldops"] == {"max_working_time": 6 * 3600 + 30 * 60}
    (parsed,) = [v for v in parse_problem(built.problem).vehicles if v.id == tech.pk]
    assert parsed.max_working_time == 23400
