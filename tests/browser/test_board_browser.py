"""The dispatch board in a real Chromium: drag, refusal, live update, keyboard."""

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dispatch.models import Booking
from technicians.roles import Role
from tests.board.helpers import board_day, hvac, job, technician
from tests.factories import UserFactory
from workorders.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene():
    day, skill = board_day(), hvac()
    UserFactory(username="dana", role=Role.DISPATCHER)
    UserFactory(username="dave", role=Role.DISPATCHER)
    maria = technician("Maria Qualified", day, skills=[(skill, 3, None)])
    omar = technician("Omar Expired", day, skills=[(skill, 3, day - timedelta(days=10))])
    work_order = job(skill, level=2)
    return {"day": day, "maria": maria, "omar": omar, "work_order": work_order}


def open_board(page, live_server, login, username, day):
    login(page, username)
    page.goto(f"{live_server.url}/board/{day.isoformat()}/")
    page.wait_for_function(
        "typeof Sortable !== 'undefined' && document.querySelector('[data-sortable-ready]')"
    )


def drag(page, source_selector: str, target_selector: str):
    """Drag like a mouse: grab the source's top-left corner, drop at the start of the
    target's visible part (the lane's name stays in view over a scrolled timeline)."""
    source = page.locator(source_selector).bounding_box()
    target = page.locator(target_selector).bounding_box()
    left = target["x"]
    head = page.locator(target_selector).locator(
        "xpath=ancestor::div[contains(@class, 'lane ')][1]"
    )
    if head.count():
        name = head.locator(".lane-head").bounding_box()
        left = max(left, name["x"] + name["width"])
    page.mouse.move(source["x"] + 10, source["y"] + 10)
    page.mouse.down()
    page.mouse.move(source["x"] + 30, source["y"] + 20, steps=5)
    page.mouse.move(left + 20, target["y"] + target["height"] / 2, steps=15)
    page.mouse.move(left + 24, target["y"] + target["height"] / 2, steps=3)
    page.mouse.up()


def test_drag_a_queued_job_onto_a_qualified_technician(page, live_server, login, scene):
    day, maria, work_order = scene["day"], scene["maria"], scene["work_order"]
    open_board(page, live_server, login, "dana", day)
    drag(page, f"#queue [data-work-order='{work_order.pk}']", f"#lane-{maria.pk} .track")
    expect(page.locator(f"#lane-{maria.pk} [data-work-order='{work_order.pk}']")).to_be_visible()
    expect(page.locator("#board-flash")).to_contain_text(
        f"{work_order.number} assigned to Maria Qualified"
    )
    booking = Booking.objects.get(state="active")
    assert booking.technician == maria
    assert work_order.events.filter(kind=Event.Kind.ASSIGNED, actor__username="dana").exists()
    page.reload()  # persisted, not just moved in the DOM
    expect(page.locator(f"#lane-{maria.pk} [data-work-order='{work_order.pk}']")).to_be_visible()


def test_drag_onto_an_expired_certification_is_refused_with_the_reason(
    page, live_server, login, scene
):
    day, omar, work_order = scene["day"], scene["omar"], scene["work_order"]
    open_board(page, live_server, login, "dana", day)
    drag(page, f"#queue [data-work-order='{work_order.pk}']", f"#lane-{omar.pk} .track")
    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Not allowed")
    expect(dialog).to_contain_text("HVAC certification expired on")
    # The server's answer put the job back where it was.
    expect(page.locator(f"#lane-{omar.pk} [data-work-order='{work_order.pk}']")).to_have_count(0)
    expect(page.locator(f"#queue [data-work-order='{work_order.pk}']")).to_be_visible()
    assert not Booking.objects.exists()


def test_a_change_shows_on_another_dispatchers_board_within_two_seconds(
    browser, live_server, login, scene
):
    day, maria, work_order = scene["day"], scene["maria"], scene["work_order"]
    first = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    second = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    open_board(first, live_server, login, "dana", day)
    open_board(second, live_server, login, "dave", day)
    second.evaluate("document.getElementById('lanes').scrollTop = 0; window.__marker = 'kept'")
    drag(first, f"#queue [data-work-order='{work_order.pk}']", f"#lane-{maria.pk} .track")
    expect(first.locator(f"#lane-{maria.pk} [data-work-order='{work_order.pk}']")).to_be_visible()
    started = time.monotonic()
    expect(second.locator(f"#lane-{maria.pk} [data-work-order='{work_order.pk}']")).to_be_visible(
        timeout=2000
    )
    assert time.monotonic() - started <= 2.0
    expect(second.locator(f"#queue [data-work-order='{work_order.pk}']")).to_have_count(0)
    assert second.evaluate("window.__marker") == "kept"  # no reload happened
    first.context.close()
    second.context.close()


def test_keyboard_path_assigns_a_job(page, live_server, login, scene):
    day, maria, work_order = scene["day"], scene["maria"], scene["work_order"]
    open_board(page, live_server, login, "dana", day)
    link = page.locator(f"#queue [data-work-order='{work_order.pk}'] a.place")
    link.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#board-dialog")
    expect(dialog).to_contain_text("Who should take this")
    expect(dialog).to_contain_text("Omar Expired: Omar Expired's HVAC certification expired")
    assign = dialog.locator("tbody tr", has_text="Maria Qualified").locator(
        "button", has_text="Assign"
    )
    assign.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#lane-{maria.pk} [data-work-order='{work_order.pk}']")).to_be_visible()
    assert Booking.objects.get(state="active").technician == maria
