"""axe-core in Chromium: no WCAG 2 A/AA violation on the pages each role works in.

A small, realistic day is seeded through the project's own services (bookings, phone
reports, a job the technician could not complete, texts sent to the sandbox, SLA alerts
raised by the sweep, a few weeks of history for the dashboard), then every page is
opened as its user would open it: desktop pages at 1440×900, the phone and the
tracking page at 390×844 with touch. axe-core comes from the npm registry through
scripts/ensure-axe.sh (`make test` exports AXE); the app's Content-Security-Policy
forbids inline scripts, so the audit's context bypasses CSP to inject it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dispatch.models import Booking
from field.phone import ActionInput, phone_action_apply
from notifications import outbox
from notifications.models import OutboundMessage, TrackingLink
from technicians.roles import Role
from tests.dashboard.helpers import always_open_policy
from tests.dashboard.helpers import job as past_job
from tests.factories import (
    SiteFactory,
    SkillFactory,
    SLAPolicyFactory,
    UserFactory,
    certify,
    make_work_order,
)
from tests.field.helpers import booked_job, new_id, phone_technician
from workorders.alerts import sla_alerts_raise
from workorders.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}
SHOWN_NODES = 3


@pytest.fixture(scope="session")
def axe_path() -> str:
    found = os.environ.get("AXE")
    if found and os.path.isfile(found):
        return found
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-axe.sh")], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"axe-core is missing and could not be installed:\n{result.stderr}")
    return result.stdout.strip()


@pytest.fixture(autouse=True)
def _texts_stay_in_the_sandbox(settings, monkeypatch):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM = settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.NOTIFY_PUBLIC_BASE_URL = "https://dispatch.example.com"
    # The test sends the texts itself (below); nothing goes to a Celery queue.
    monkeypatch.setattr(outbox, "enqueue_many", lambda message_ids, countdown=None: None)


@dataclass(frozen=True)
class Day:
    on_site: WorkOrder  # the phone technician is working on it now
    en_route: WorkOrder  # another technician is driving to it
    customer_id: int
    tracking_token: str


def report(tech, job, kind, at, **extra):
    phone_action_apply(
        actor=tech.user,
        technician=tech,
        action=ActionInput(
            action_id=new_id(), kind=kind, work_order_id=job.pk, occurred_at=at, **extra
        ),
    )


def named(job: WorkOrder, summary: str) -> WorkOrder:
    WorkOrder.objects.filter(pk=job.pk).update(summary=summary)
    job.refresh_from_db()
    return job


def seed_day() -> Day:
    """10:00 on a weekday-like morning: three technicians on the road, a queue with one
    breached and one at-risk job, an alert from the field, texts and a tracking link."""
    now = timezone.now()
    for username, role in (("dana", Role.DISPATCHER), ("olive", Role.OFFICE)):
        UserFactory(username=username, role=role)
    UserFactory(username="morgan", role=Role.MANAGER)
    hvac = SkillFactory(code="hvac", name="HVAC")
    gold = SLAPolicyFactory(tier="Gold")
    platinum = always_open_policy("Platinum", 60, 240)

    tina = phone_technician(
        display_name="Tina Lopez", user=UserFactory(username="tina", role=Role.TECHNICIAN)
    )
    ben = phone_technician(display_name="Ben Okafor")
    carla = phone_technician(display_name="Carla Diaz")
    for tech in (tina, ben, carla):
        certify(tech, hvac, level=2)

    # Tina: one job done this morning, one on site now, two later today.
    done = named(
        booked_job(tina, hours_from_now=-2.5, customer__name="Lakeview Diner"),
        "Walk-in cooler not cooling",
    )
    report(tina, done, "en_route", now - timedelta(minutes=170))
    report(tina, done, "on_site", now - timedelta(minutes=150))
    report(tina, done, "complete", now - timedelta(minutes=95), note="Replaced the fan motor")
    on_site = named(
        booked_job(tina, hours_from_now=-0.75, customer__name="Jordan Lee"),
        "Furnace short-cycling",
    )
    report(tina, on_site, "en_route", now - timedelta(minutes=60))
    report(tina, on_site, "on_site", now - timedelta(minutes=40))
    named(booked_job(tina, hours_from_now=1.5, customer__name="Maple Street Dental"), "AC tune-up")
    named(booked_job(tina, hours_from_now=3.5, customer__name="Rosa Park"), "Thermostat swap")

    # Ben: on his way to his first job, the phone has sent a position.
    en_route = named(
        booked_job(ben, hours_from_now=0.25, customer__name="Hyde Park Books"), "No heat upstairs"
    )
    report(ben, en_route, "en_route", now - timedelta(minutes=10))
    ben.last_latitude, ben.last_longitude, ben.last_position_at = 41.80, -87.59, now
    ben.save(update_fields=["last_latitude", "last_longitude", "last_position_at"])
    named(booked_job(ben, hours_from_now=2, customer__name="Wicker Park Lofts"), "Boiler check")

    # Carla could not finish her first job: it is back in the queue, the board alerted.
    stuck = named(
        booked_job(carla, hours_from_now=-1, customer__name="Oak Lawn Bakery"),
        "Rooftop unit leaking",
    )
    report(carla, stuck, "en_route", now - timedelta(minutes=75))
    report(carla, stuck, "on_site", now - timedelta(minutes=55))
    report(carla, stuck, "cannot_complete", now - timedelta(minutes=20), cannot_reason="parts")
    named(booked_job(carla, hours_from_now=2.5, customer__name="Logan Square Gym"), "Ice machine")

    # The queue: one breached (24/7, received yesterday), one at risk, two fresh.
    named(
        make_work_order(
            site=SiteFactory(customer__name="River North Hotel"),
            policy=platinum,
            priority=1,
            received_at=now - timedelta(hours=5),
        ),
        "Chiller alarm, guests without AC",
    )
    named(
        make_work_order(
            site=SiteFactory(customer__name="Pilsen Clinic"),
            policy=platinum,
            priority=1,
            received_at=now - timedelta(minutes=50),
        ),
        "Server room too warm",
    )
    for customer, summary in (("Andersonville Cafe", "Grease trap"), ("Ravenswood Flats", "Leak")):
        named(make_work_order(site=SiteFactory(customer__name=customer), policy=gold), summary)
    sla_alerts_raise()

    # A few weeks of history for the dashboard: met and breached targets.
    for days_ago in range(1, 15):
        received = now - timedelta(days=days_ago)
        past_job(
            received=received,
            policy=gold if days_ago % 3 else platinum,
            responded_after=30 if days_ago % 4 else 300,
            resolved_after=120 if days_ago % 5 else 900,
            technician=(tina, ben, carla)[days_ago % 3],
        )

    # Every text the day queued is sent to the sandbox, as the worker would.
    for text in OutboundMessage.objects.filter(status="queued"):
        outbox.outbox_send(message_id=text.pk)
    link = TrackingLink.objects.get(work_order=en_route)
    assert Booking.objects.filter(state="active").count() >= 7
    return Day(
        on_site=on_site,
        en_route=en_route,
        customer_id=on_site.customer_id,
        tracking_token=link.token,
    )


def nothing_more(page) -> None:
    pass


def open_card_details_by_keyboard(page) -> None:
    """A booking's hover card, opened by focusing its number as a keyboard user would."""
    card = page.locator(".booking:not(.started)").first
    card.locator(".card-number").focus()
    page.locator(".booking:focus-within .card-detail dl").wait_for()


def open_the_ranking(page) -> None:
    """The ranking ("Who should take this?") of the first queued job, in the board's dialog."""
    page.locator("#queue .place").first.click()
    page.locator("#board-dialog-body h3").first.wait_for()


@dataclass(frozen=True)
class Page:
    name: str
    user: str | None  # None: the public tracking page
    device: dict
    url: object  # Day -> path
    prepare: object = nothing_more  # page -> None: what the user does before reading
    status: int = 200  # the page a bad tracking link gets is a 404


PAGES = [
    Page("board", "dana", DESKTOP, lambda day: "/board/"),
    Page(
        "board card details", "dana", DESKTOP, lambda day: "/board/", open_card_details_by_keyboard
    ),
    Page("board ranking", "dana", DESKTOP, lambda day: "/board/", open_the_ranking),
    Page("work-order list", "olive", DESKTOP, lambda day: "/work-orders/"),
    Page("work-order page", "olive", DESKTOP, lambda day: f"/work-orders/{day.on_site.pk}/"),
    Page("customer list", "olive", DESKTOP, lambda day: "/customers/"),
    Page("customer edit", "olive", DESKTOP, lambda day: f"/customers/{day.customer_id}/edit/"),
    Page("new customer", "olive", DESKTOP, lambda day: "/customers/new/"),
    Page("dashboard", "morgan", DESKTOP, lambda day: "/dashboard/"),
    Page(
        "dashboard drill-down",
        "morgan",
        DESKTOP,
        lambda day: "/dashboard/work-orders/?kpi=response_breached",
    ),
    Page("SLA alerts", "morgan", DESKTOP, lambda day: "/alerts/"),
    Page("phone today", "tina", PHONE, lambda day: "/my/"),
    Page("phone job", "tina", PHONE, lambda day: f"/my/jobs/{day.on_site.pk}/"),
    Page("tracking page", None, PHONE, lambda day: f"/t/{day.tracking_token}/"),
    Page("expired tracking link", None, PHONE, lambda day: f"/t/{'x' * 43}/", status=404),
    Page(
        "SMS sandbox",
        "olive",
        DESKTOP,
        lambda day: f"/messages/sandbox/?customer={day.customer_id}",
    ),
]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:SHOWN_NODES])
        more = len(violation["nodes"]) - SHOWN_NODES
        lines.append(
            f"- {violation['id']} ({violation['impact']}, {len(violation['nodes'])} node(s)): "
            f"{violation['help']}\n    {targets}" + (f" … and {more} more" if more > 0 else "")
        )
        summary = violation["nodes"][0].get("failureSummary", "").replace("\n", " ")
        lines.append(f"    first: {summary[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("audited", PAGES, ids=[p.name for p in PAGES])
def test_no_wcag_violations(audited, browser, live_server, login, axe_path, mid_morning):
    day = seed_day()
    context = browser.new_context(bypass_csp=True, **audited.device)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        if audited.user:
            login(page, audited.user)
        path = audited.url(day)
        response = page.goto(live_server.url + path)
        assert response.status == audited.status, page.url
        assert page.url == live_server.url + path, page.url  # not the login
        if path.startswith("/board/"):
            page.wait_for_function("document.querySelector('[data-sortable-ready]') !== null")
        audited.prepare(page)
        page.add_script_tag(path=axe_path)
        violations = page.evaluate(
            "options => axe.run(document, options).then(r => r.violations)", AXE_OPTIONS
        )
    finally:
        context.close()
    nodes = sum(len(v["nodes"]) for v in violations)
    assert not violations, (
        f"{audited.name}: {len(violations)} axe rule(s) violated on {nodes} node(s):\n"
        + describe(violations)
    )
