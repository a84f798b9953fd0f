"""NUL, control characters and lone surrogates get one clear 400, never a 500 (issue 25,
finding 3: each entry point the probe found, as it sent it)."""

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.middleware import has_invalid_character
from core.sessions import SessionStore
from routing.models import PlanRun
from technicians.models import TimeOff
from tests.factories import TechnicianFactory, give_shift, make_work_order
from workorders.models import Event, WorkOrder
from workorders.status import Status

pytestmark = pytest.mark.django_db

REFUSED = "contains a character that is not allowed"


@pytest.fixture
def probe():
    """A client that answers a crash with its 500 page instead of raising in the test."""
    return Client(raise_request_exception=False)


def assert_refused(response, where: str):
    assert response.status_code == 400, response.content.decode()[:500]
    body = response.content.decode()
    assert REFUSED in body and where in body


@pytest.mark.parametrize("url", ["/t/%00/", "/t/%00/status.json", "/t/%00/photo"])
def test_a_nul_in_a_tracking_link_is_refused_without_logging_in(probe, url):
    assert_refused(probe.get(url), "The address")


def test_a_session_cookie_with_a_nul_is_refused_and_cleared(probe, office):
    probe.force_login(office)
    probe.cookies["sessionid"] = "abcdefgh\x00ijklmnopqrstuvwxyz012345"
    response = probe.get(reverse("customer_list"))
    assert_refused(response, "A cookie")
    assert response.cookies["sessionid"]["max-age"] == 0  # gone: the next request works
    assert probe.get(reverse("login")).status_code == 200


def test_the_session_store_starts_a_new_session_for_a_key_it_never_made():
    for junk in (
        "abcdefgh\x00ijklmnopqrstuvwxyz012345",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
        "x" * 8,
    ):
        store = SessionStore(junk)
        assert store.session_key is None
        assert store.load() == {}
    real = SessionStore()
    real["answer"] = 42
    real.save()
    assert SessionStore(real.session_key).load() == {"answer": 42}


def test_a_nul_after_a_media_file_name_is_refused(probe, office):
    probe.force_login(office)
    assert_refused(probe.get("/media/workorders/photos/x.jpg%00"), "The address")


@pytest.mark.parametrize("name", ["customer_list", "technician_list", "work_order_list"])
def test_a_nul_in_a_search_is_refused(probe, office, name):
    probe.force_login(office)
    assert_refused(probe.get(reverse(name) + "?q=%00"), "The address&#x27;s query")


def test_a_nul_in_a_status_change_reason_changes_nothing(probe, office):
    probe.force_login(office)
    work_order = make_work_order()
    response = probe.post(
        reverse("work_order_status", args=[work_order.pk]),
        {"target": Status.CANCELLED, "reason": "a\x00b"},
    )
    assert_refused(response, "The form")
    work_order.refresh_from_db()
    assert work_order.status == Status.NEW
    assert (
        not Event.objects.filter(work_order=work_order).exclude(kind="workorder.created").exists()
    )


def test_a_nul_in_a_plan_team_starts_no_run(probe, dispatcher):
    probe.force_login(dispatcher)
    day = timezone.localdate() + timedelta(days=1)
    give_shift(TechnicianFactory(team="North"), day.weekday(), time(8), time(16))
    response = probe.post(reverse("plan_start", args=[day.isoformat()]), {"team": "\x00"})
    assert_refused(response, "The form")
    assert not PlanRun.objects.exists()


def test_a_nul_in_a_sick_call_reason_books_no_time_off(probe, dispatcher):
    probe.force_login(dispatcher)
    technician = TechnicianFactory()
    response = probe.post(
        reverse("technician_unavailable"), {"technician": technician.pk, "reason": "sick\x00"}
    )
    assert_refused(response, "The form")
    assert not TimeOff.objects.exists()


def test_ordinary_text_with_line_breaks_tabs_and_emoji_passes(client, office):
    client.force_login(office)
    work_order = make_work_order()
    response = client.post(
        reverse("work_order_status", args=[work_order.pk]),
        {"target": Status.CANCELLED, "reason": "Customer moved\r\n\tnew address 🏠"},
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=work_order.pk).status == Status.CANCELLED


@pytest.mark.parametrize(
    ("text", "invalid"),
    [
        ("plain", False),
        ("tab\tcr\rlf\n", False),
        ("emoji 🏠 and é", False),
        ("nul\x00", True),
        ("bell\x07", True),
        ("escape\x1b[31m", True),
        ("lone \ud800 surrogate", True),
        ("\udfff", True),
    ],
)
def test_which_characters_are_invalid(text, invalid):
    assert has_invalid_character(text) is invalid
