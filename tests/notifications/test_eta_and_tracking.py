"""Issue 21, the customer's part: one ETA in the same words in a text and on the
tracking page, with its day whenever it is not today; the page says which visit, where,
how to reach the business and, after the visit, what was done; a bad or expired link
gets one page a customer understands, the same whatever the token was."""

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from notifications import services, texts
from notifications.models import OutboundMessage, TrackingLink
from tests.notifications.conftest import local, plan
from workorders.models import WorkOrder
from workorders.status import Status

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
WEDNESDAY = datetime(2026, 12, 2, tzinfo=CHICAGO)  # a fixed day: no wall clock


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return WEDNESDAY + timedelta(days=days, hours=hour, minutes=minute)


# --------------------------------------------------------------------------- the words


@time_machine.travel(at(19), tick=False)
def test_eta_words_say_the_day_unless_today():
    assert texts.eta_words(at(20, 11)) == "7:55-8:25 PM"
    assert texts.eta_words(at(10, 11, days=1)) == "tomorrow, 9:55-10:25 AM"
    assert texts.eta_words(at(10, 11, days=2)) == "Fri Dec 4, 9:55-10:25 AM"
    assert texts.eta_words(at(12, 3, days=1)) == "tomorrow, 11:45 AM-12:15 PM"
    # "today" is the day of `now`: a text held by quiet hours goes out tomorrow
    assert texts.eta_words(at(10, 11, days=1), now=at(8, days=1)) == "9:55-10:25 AM"


def test_eta_words_never_outgrow_the_placeholders_longest_value():
    """The worst case of a template counts `{eta}` at PLACEHOLDER_MAX_CHARS['eta']:
    every arrival of a week with long day numbers, every 5 minutes, fits, in GSM-7."""
    now = datetime(2026, 9, 24, 9, tzinfo=CHICAGO)
    longest = 0
    for step in range(0, 8 * 24 * 12):
        words = texts.eta_words(now + timedelta(minutes=5 * step), now=now)
        longest = max(longest, len(words))
        assert texts.segment_count(words).encoding == "GSM-7", words
    assert longest == texts.PLACEHOLDER_MAX_CHARS["eta"]  # "Wed Sep 30, 11:55 AM-12:25 PM"


# --------------------------------------------------------------------------- text = page


def _dispatch(job, tech):
    WorkOrder.objects.filter(pk=job.pk).update(status=Status.DISPATCHED)
    job.refresh_from_db()
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="scheduled", new_status="dispatched"
    )
    text = OutboundMessage.objects.get(work_order=job, kind="dispatched")
    return text, TrackingLink.objects.get(work_order=job)


def _page_eta(client, link) -> tuple[str, str]:
    page = client.get(f"/t/{link.token}/").content.decode()
    data = client.get(f"/t/{link.token}/status.json").json()
    return page, data["eta"]


def test_today_the_text_and_the_page_say_the_same_words(client, job, tech, enqueued):
    with time_machine.travel(at(9), tick=False):
        plan(job, tech, at(13, 11))
        text, link = _dispatch(job, tech)
        page, data_eta = _page_eta(client, link)
    words = "12:55-1:25 PM"
    assert f"expected {words}." in text.body
    assert f'<strong id="eta">{words}</strong>' in page and data_eta == words


def test_the_evening_before_both_say_tomorrow(client, job, tech, enqueued):
    with time_machine.travel(at(19), tick=False):
        plan(job, tech, at(10, 11, days=1))
        text, link = _dispatch(job, tech)
        page, data_eta = _page_eta(client, link)
    words = "tomorrow, 9:55-10:25 AM"
    assert f"expected {words}." in text.body
    assert f'<strong id="eta">{words}</strong>' in page and data_eta == words
    # Seen the next morning, the page drops the day, like a text sent that morning.
    with time_machine.travel(at(8, days=1), tick=False):
        assert _page_eta(client, link)[1] == "9:55-10:25 AM"


def test_a_text_held_by_quiet_hours_speaks_of_the_day_it_goes_out(client, job, tech, enqueued):
    with time_machine.travel(at(21, 30), tick=False):
        plan(job, tech, at(10, 11, days=1))
        text, link = _dispatch(job, tech)
    assert text.next_attempt_at == at(8, days=1)  # held until quiet hours end
    assert "expected 9:55-10:25 AM." in text.body and "tomorrow" not in text.body
    with time_machine.travel(at(8, days=1), tick=False):
        assert _page_eta(client, link)[1] == "9:55-10:25 AM"


def test_en_route_the_technicians_eta_feeds_both(client, job, tech, enqueued):
    with time_machine.travel(at(9), tick=False):
        plan(job, tech, at(13))
        _dispatch(job, tech)
        WorkOrder.objects.filter(pk=job.pk).update(status=Status.EN_ROUTE)
        services.work_order_status_changed(
            work_order=job,
            technician=tech,
            old_status="dispatched",
            new_status="en_route",
            eta_start=at(12, 42),
        )
        text = OutboundMessage.objects.get(work_order=job, kind="on_my_way")
        _page, data_eta = _page_eta(client, TrackingLink.objects.get(work_order=job))
    assert "arriving 12:25-12:55 PM." in text.body and data_eta == "12:25-12:55 PM"


# --------------------------------------------------------------------------- the page


@pytest.fixture
def dispatched(job, tech, enqueued):
    with time_machine.travel(local(0, 9), tick=True):
        plan(job, tech, local(0, 13))
        _text, link = _dispatch(job, tech)
    return job, tech, link


def test_the_page_names_the_visit_and_how_to_reach_the_business(client, dispatched, settings):
    job, _tech, link = dispatched
    settings.NOTIFY_COMPANY_PHONE = "+13125550100"
    response = client.get(f"/t/{link.token}/")
    page = response.content.decode()
    assert f'<span id="visit-number">{job.number}</span>' in page
    assert f'id="visit-address">{job.site.address}</p>' in page
    assert 'href="tel:+13125550100">(312) 555-0100</a> or reply to our text.' in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in page and "style=" not in page and " on" + "click" not in page
    settings.NOTIFY_COMPANY_PHONE = ""
    page = client.get(f"/t/{link.token}/").content.decode()
    assert "tel:" not in page and "Reply to our text and Acme Air will answer." in page


def test_after_the_visit_a_short_summary(client, dispatched):
    job, tech, link = dispatched
    done = local(0, 14, 5)
    WorkOrder.objects.filter(pk=job.pk).update(status=Status.COMPLETED, resolved_at=done)
    with time_machine.travel(done, tick=False):
        services.work_order_status_changed(
            work_order=job, technician=tech, old_status="on_site", new_status="completed"
        )
    with time_machine.travel(local(0, 15), tick=False):
        page = client.get(f"/t/{link.token}/").content.decode()
    assert '<dd id="done-at">today at 2:05 PM</dd>' in page
    assert '<dd id="done-by">Alex</dd>' in page and "Moreno" not in page
    assert f'<dd id="done-what">{job.summary}</dd>' in page
    assert 'id="eta-row">' in page and 'hidden id="eta-row"' in page  # no longer expected
    with time_machine.travel(local(1, 9), tick=False):  # the link lasts 24 h
        page = client.get(f"/t/{link.token}/").content.decode()
    assert '<dd id="done-at">yesterday at 2:05 PM</dd>' in page


# --------------------------------------------------------------------------- a bad link


def test_unknown_malformed_and_expired_links_get_the_same_page(client, dispatched, settings):
    job, tech, link = dispatched
    settings.NOTIFY_COMPANY_PHONE = "+13125550100"
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="on_site", new_status="completed"
    )
    expired = timezone.now() + timedelta(hours=25)
    with time_machine.travel(expired, tick=False):
        answers = [
            client.get(f"/t/{token}/")
            for token in (
                link.token,  # existed, expired
                secrets.token_urlsafe(32),  # never existed
                link.token[:20],  # cut short when copied
                "%3Cscript%3E",  # hostile
                f"{link.token}/%29",  # pasted with more behind it
            )
        ]
    bodies = {answer.content for answer in answers}
    assert [answer.status_code for answer in answers] == [404] * 5 and len(bodies) == 1
    page = bodies.pop().decode()
    assert "This link has expired or is not complete" in page
    assert "Acme Air" in page and 'href="tel:+13125550100"' in page
    assert job.number not in page and "Alex" not in page
    assert 'href="/static/css/notifications.css"' in page  # the tracking page's look
    for answer in answers:
        assert "default-src 'none'" in answer["Content-Security-Policy"]
        assert answer["Cache-Control"] == "no-store"
