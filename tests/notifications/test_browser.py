"""In Chromium: the tracking page on a phone, the SMS sandbox, the template preview."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications import outbox, services
from notifications.models import OutboundMessage, TrackingLink
from technicians.roles import Role
from tests.factories import SiteFactory, TechnicianFactory, UserFactory, make_work_order
from workorders.models import WorkOrder
from workorders.status import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings, enqueued):
    settings.NOTIFY_QUIET_HOURS = "00:00-00:00"
    settings.NOTIFY_PUBLIC_BASE_URL = "https://dispatch.example.com"


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _dispatched_job():
    job = make_work_order(site=SiteFactory(customer__name="Jordan Lee"))
    tech = TechnicianFactory(display_name="Alex Moreno")
    starts = timezone.now() + timedelta(hours=1)
    services.visit_planned(
        work_order=job,
        technician=tech,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        cause="t",
    )
    WorkOrder.objects.filter(pk=job.pk).update(status=Status.DISPATCHED)
    job.refresh_from_db()
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="scheduled", new_status="dispatched"
    )
    return job, tech, TrackingLink.objects.get(work_order=job)


def test_tracking_page_on_a_phone_updates_itself(phone, live_server):
    job, tech, link = _dispatched_job()
    violations = []
    phone.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    phone.clock.install()
    phone.goto(f"{live_server.url}/t/{link.token}/")
    assert phone.locator("#tech-name").inner_text() == "Alex"
    assert phone.locator("#status").inner_text() == "Technician assigned"
    assert phone.locator("#eta").inner_text() != ""
    assert phone.locator("#map-card").is_hidden()
    assert "Jordan" not in phone.content() and job.customer.phone not in phone.content()
    assert phone.locator("#visit-number").inner_text() == job.number  # the customer's own
    assert phone.locator("#visit-address").inner_text() == job.site.address
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"horizontal scroll on a phone: {width}px"

    # The technician sets off: the page notices on its next poll (every 20 s).
    tech.last_latitude, tech.last_longitude = 41.8901, -87.6245
    tech.last_position_at = timezone.now()
    tech.save()
    WorkOrder.objects.filter(pk=job.pk).update(status=Status.EN_ROUTE)
    phone.clock.run_for(21_000)
    expect(phone.locator("#status")).to_have_text("On the way")  # (no eval: the CSP forbids it)
    assert phone.locator("#map-card").is_visible()
    assert phone.locator("#map .leaflet-interactive").count() == 1  # the marker
    assert float(phone.locator("#map").get_attribute("data-lat")) == 41.89
    box = phone.locator("#map").bounding_box()
    assert box["width"] <= 390
    assert violations == []


def test_sandbox_shows_texts_like_a_phone_and_takes_a_reply(page, live_server, login):
    UserFactory(username="olive", role=Role.OFFICE)
    job, _, _ = _dispatched_job()
    for text in OutboundMessage.objects.filter(status="queued"):
        outbox.outbox_send(message_id=text.pk)
    login(page, "olive")
    page.goto(f"{live_server.url}/messages/sandbox/")
    bubbles = page.locator("#thread .bubble.out")
    assert bubbles.count() == 1  # the booked text was replaced by the dispatched one unsent
    assert "is your technician, expected" in bubbles.last.inner_text()
    page.fill("input[name=body]", "STOP")
    page.click(".phone-reply button")
    page.wait_for_selector("#thread .bubble.in")
    assert page.locator("#thread .bubble.in").inner_text().startswith("STOP")
    assert "opted out" in page.locator(".phone-head").inner_text()
    job.customer.refresh_from_db()
    assert job.customer.sms_opted_out_at is not None


def test_template_editor_live_preview(page, live_server, login):
    UserFactory(username="olive", role=Role.OFFICE)
    login(page, "olive")
    page.goto(f"{live_server.url}/messages/templates/booked/")
    assert "1 segment" in page.locator("#preview-count").inner_text()
    page.fill("textarea[name=body]", "Hi {customer}, {technician} comes {date} at {eta}.")
    # Assertions run in Playwright's own world: the app's CSP forbids page-side eval.
    expect(page.locator("#preview-text")).to_have_text(re.compile(r"^Hi Jordan, Alex"))
    assert "GSM-7" in page.locator("#preview-count").inner_text()
    page.fill("textarea[name=body]", "Hi {customer} 🙂 " + "long " * 20)
    expect(page.locator("#preview-count")).to_contain_text("UCS-2")
    assert "2 segments" in page.locator("#preview-count").inner_text()
    page.fill("textarea[name=body]", "Hi {first_name}")
    page.wait_for_selector("#preview-error")
    assert "Unknown placeholder {first_name}" in page.locator("#preview-error").inner_text()
    page.click("button:has-text('Save')")
    assert (
        "Unknown placeholder {first_name}"
        in page.locator("#template-form p.error[data-field=body]").inner_text()
    )
