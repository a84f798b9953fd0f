"""Redis going away and coming back, as a dispatcher sees it: a visible pause, then
the board catches up by itself."""

import pytest
from playwright.sync_api import expect

from dispatch.assignment import board_assign
from technicians.roles import Role
from tests.board.helpers import board_day, job, technician
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_updates_pause_and_resume_by_themselves(page, live_server, login, settings):
    day = board_day()
    UserFactory(username="dana", role=Role.DISPATCHER)
    maria = technician("Maria", day)
    work_order = job()
    login(page, "dana")
    page.goto(f"{live_server.url}/board/{day.isoformat()}/")
    status = page.locator("#live-status")
    expect(status).to_be_empty()

    working = settings.CACHES
    settings.CACHES = {
        "default": {
            **working["default"],
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    expect(status).to_contain_text("Live updates paused", timeout=5000)

    # Meanwhile someone assigns a job; the board cannot know yet.
    board_assign(actor=None, work_order=work_order, technician=maria, day=day, position=0)
    settings.CACHES = working
    expect(status).to_be_empty(timeout=5000)
    expect(page.locator(f"#lane-{maria.pk} [data-work-order='{work_order.pk}']")).to_be_visible()
