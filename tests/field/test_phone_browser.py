"""A technician's day on a phone-sized Chromium, the network dropping in the middle;
the dispatcher's board shows the actual times and the phone's position."""

import io
import json
import time

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from dispatch.models import Booking
from technicians.roles import Role
from tests.factories import UserFactory
from tests.field.helpers import booked_job, phone_technician
from workorders.models import WorkOrderPhoto
from workorders.status import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
WHERE = {"latitude": 41.9512, "longitude": -87.7034}


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the server to see it")


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_day_on_the_phone_with_the_network_dropping(browser, live_server, login):
    tech = phone_technician(user=UserFactory(username="tina", role=Role.TECHNICIAN))
    job = booked_job(tech, hours_from_now=0.5)
    UserFactory(username="dana", role=Role.DISPATCHER)
    context = browser.new_context(
        viewport=PHONE, has_touch=True, geolocation=WHERE, permissions=["geolocation"]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, "tina")
    assert page.url.endswith("/my/")
    expect(page.locator(".job-card.next-job")).to_contain_text(job.summary)
    # The phone sent where it is (on shift, app open).
    wait_for(lambda: Booking.objects.get(work_order=job).technician.last_position_at is not None)
    assert page.evaluate("navigator.serviceWorker.ready.then(function () { return true; })")

    page.click(".next-job a.job-link")
    page.click("text=On my way")
    expect(page.locator(".job-status")).to_have_text("En route")

    context.set_offline(True)
    page.click("text=Arrived (on site)")
    expect(page.locator("#phone-queue")).to_contain_text("1 action(s) saved on this phone")
    expect(page.locator(".job-status")).to_contain_text("On site (saved, not sent yet)")
    expect(page.locator("form[data-kind=complete]")).to_be_visible()
    job.refresh_from_db()
    assert job.status == Status.EN_ROUTE  # nothing reached the server yet
    page.reload()  # the service worker opens the saved page with no network
    expect(page.locator("h1")).to_contain_text(job.summary)
    expect(page.locator("#phone-queue")).to_contain_text("1 action(s) saved")

    context.set_offline(False)
    expect(page.locator(".job-status")).to_have_text("On site", timeout=20_000)
    job.refresh_from_db()
    booking = Booking.objects.get(work_order=job)
    assert job.status == Status.ON_SITE and booking.arrived_at >= booking.en_route_at

    page.fill("form[data-kind=complete] textarea[name=note]", "Replaced the capacitor")
    page.set_input_files(
        "form[data-kind=complete] input[type=file]",
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}],
    )
    page.click("text=Job done")
    expect(page.locator(".job-status")).to_have_text("Completed")
    booking.refresh_from_db()
    assert booking.finished_at is not None
    assert WorkOrderPhoto.objects.filter(work_order=job).count() == 1
    context.close()

    board = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    board.set_default_timeout(10_000)
    login(board, "dana")
    lane = board.locator(f"#lane-{tech.pk}")
    expect(lane.locator(".booking-actual")).to_have_text(
        f"done {timezone.localtime(booking.finished_at):%H:%M}"
    )
    points = json.loads(board.locator("#map-data").text_content())
    me = next(t for t in points["technicians"] if t["id"] == tech.pk)
    assert (me["lat"], me["lng"]) == (WHERE["latitude"], WHERE["longitude"])
    assert "position" in me["position"]
    board.wait_for_function("document.querySelectorAll('.tech-marker').length > 0")
    board.context.close()


def test_an_offline_reload_shows_what_the_queued_actions_lead_to(browser, live_server, login):
    from dispatch.models import PhoneAction
    from workorders.models import Event

    tech = phone_technician(user=UserFactory(username="tina", role=Role.TECHNICIAN))
    job = booked_job(tech, hours_from_now=0.5)
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, "tina")
    page.click(".next-job a.job-link")
    assert page.evaluate("navigator.serviceWorker.ready.then(function () { return true; })")
    page.reload()  # the job page is now in the service worker's cache
    expect(page.locator("form[data-kind=acknowledge]")).to_be_visible()
    back = page.locator(".phone-back a").bounding_box()
    assert back["width"] >= 44 and back["height"] >= 44  # a thumb can hit it
    assert page.locator(".topbar").bounding_box()["height"] <= 60  # one row

    context.set_offline(True)
    page.click("text=Got it")
    page.click("text=On my way")
    expect(page.locator("#phone-queue")).to_contain_text("2 action(s) saved on this phone")
    page.reload()  # offline: the saved page, as it was before either action
    expect(page.locator(".job-status")).to_have_text("En route (saved, not sent yet)")
    expect(page.locator("form[data-kind=acknowledge]")).to_be_hidden()
    expect(page.locator("form[data-kind=en_route]")).to_be_hidden()
    expect(page.locator("form[data-kind=on_site]")).to_be_visible()
    page.goto(f"{live_server.url}/my/")  # Today, from the cache too
    expect(page.locator(f".job-card[data-work-order='{job.pk}'] .status")).to_have_text(
        "En route (saved, not sent yet)"
    )
    job.refresh_from_db()
    assert job.status == Status.SCHEDULED  # nothing reached the server yet

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(lambda: Booking.objects.get(work_order=job).en_route_at is not None)
    job.refresh_from_db()
    booking = Booking.objects.get(work_order=job)
    assert job.status == Status.EN_ROUTE and booking.acknowledged_at is not None
    # Each action applied once: one record per action, one "on my way" status change.
    actions = PhoneAction.objects.filter(work_order=job)
    assert sorted(actions.values_list("kind", flat=True)) == ["acknowledge", "en_route"]
    to_en_route = job.events.filter(kind=Event.Kind.STATUS_CHANGED, summary__endswith="En route")
    assert to_en_route.count() == 1
    context.close()
