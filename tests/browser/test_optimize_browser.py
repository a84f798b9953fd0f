"""Acceptance of the optimizer, as a dispatcher would do it: optimize the day on the
board, watch progress, read the proposal, accept it and see the lanes change.
A real Celery worker solves the run."""

import pytest
from playwright.sync_api import expect

from dispatch.models import Booking
from technicians.roles import Role
from tests.board.helpers import board_day, job, technician
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_dispatcher_optimizes_accepts_and_sees_the_lanes_change(
    page, live_server, login, celery_worker
):
    day = board_day()
    UserFactory(username="dana", role=Role.DISPATCHER)
    maria = technician("Maria North", day, home_latitude=41.95, home_longitude=-87.66)
    omar = technician("Omar South", day, home_latitude=41.80, home_longitude=-87.60)
    north_jobs = [job(lat=41.95, lng=-87.65) for _ in range(2)]
    south_jobs = [job(lat=41.80, lng=-87.61) for _ in range(2)]

    login(page, "dana")
    page.goto(f"{live_server.url}/board/{day.isoformat()}/")
    panel = page.locator("#plan-panel")
    expect(panel.locator("button", has_text="Optimize")).to_be_visible()
    panel.locator("input[name=time_limit]").fill("2")
    panel.locator("button", has_text="Optimize").click()
    # A day this small is solved to optimality in milliseconds, so the live progress
    # ("Solving…") may never show; the proposal must.
    expect(panel).to_contain_text("Proposal ready", timeout=30_000)
    expect(panel).to_contain_text("4 new")
    expect(panel).to_contain_text("SLA breaches")
    panel.locator("button", has_text="Accept").click()
    expect(panel).to_contain_text("Applied")

    for work_order in north_jobs:
        expect(page.locator(f"#lane-{maria.pk} [data-work-order='{work_order.pk}']")).to_be_visible(
            timeout=5_000
        )
    for work_order in south_jobs:
        expect(page.locator(f"#lane-{omar.pk} [data-work-order='{work_order.pk}']")).to_be_visible(
            timeout=5_000
        )
    assert Booking.objects.filter(state="active").count() == 4
