"""A day that is over, and customer windows on another day, are rule problems."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dispatch.assignment import AssignmentRefused, NeedsConfirmation, board_assign
from dispatch.models import Booking
from dispatch.rules import ProblemCode
from tests.board.helpers import board_day, job, local, technician
from workorders.models import Event

pytestmark = pytest.mark.django_db


def test_booking_a_day_that_is_over_is_refused_and_only_a_manager_may_override(dispatcher, manager):
    past = timezone.localdate() - timedelta(days=6)
    tech = technician("Maria", past)
    work_order = job()
    with pytest.raises(AssignmentRefused) as refusal:
        board_assign(actor=dispatcher, work_order=work_order, technician=tech, day=past, position=0)
    assert ProblemCode.PAST_DAY in {p.code for p in refusal.value.problems}
    assert "is over" in str(refusal.value)
    assert not refusal.value.overridable and not Booking.objects.exists()

    outcome = board_assign(
        actor=manager,
        work_order=work_order,
        technician=tech,
        day=past,
        position=0,
        override_reason="Recording a visit made during the outage",
    )
    assert outcome.overridden
    assert work_order.events.get(kind=Event.Kind.OVERRIDE).after["codes"] == ["past_day"]


def test_a_window_on_another_day_needs_confirmation(dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    later = day + timedelta(days=3)
    work_order = job(window=(local(later, 9), local(later, 12)))
    with pytest.raises(NeedsConfirmation) as asked:
        board_assign(actor=dispatcher, work_order=work_order, technician=tech, day=day, position=0)
    codes = [p.code for p in asked.value.problems]
    assert codes == [ProblemCode.WINDOW_OTHER_DAY]
    assert "not on" in asked.value.problems[0].message
    assert not Booking.objects.exists()
    board_assign(
        actor=dispatcher, work_order=work_order, technician=tech, day=day, position=0, confirm=True
    )
    assert Booking.objects.filter(state="active").count() == 1


def test_the_issue_example_is_refused_with_reasons(client, dispatcher):
    """A job created today with a window today, dropped on a day last week."""
    today = timezone.localdate()
    last_week = today - timedelta(days=6)
    tech = technician("Maria", last_week)
    work_order = job(window=(local(today, 9), local(today, 12)))
    client.force_login(dispatcher)
    response = client.post(
        reverse("board_assign", args=[last_week]),
        {"work_order": work_order.pk, "technician": tech.pk, "position": 0},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "is over" in body
    assert not Booking.objects.exists()


def test_assign_with_an_unknown_source_technician_is_a_clear_error(client, dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    work_order = job()
    client.force_login(dispatcher)
    response = client.post(
        reverse("board_assign", args=[day]),
        {
            "work_order": work_order.pk,
            "technician": tech.pk,
            "position": 0,
            "source_technician": 999999,
            "source_fingerprint": "abc",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "The technician the job was dragged from does not exist." in response.content.decode()
    assert not Booking.objects.exists()


def test_a_stale_source_lane_is_a_conflict(client, dispatcher):
    day = board_day()
    source, target = technician("Ana", day), technician("Ben", day)
    work_order = job()
    board_assign(actor=dispatcher, work_order=work_order, technician=source, day=day, position=0)
    client.force_login(dispatcher)
    response = client.post(
        reverse("board_assign", args=[day]),
        {
            "work_order": work_order.pk,
            "technician": target.pk,
            "position": 0,
            "source_technician": source.pk,
            "source_fingerprint": "not-what-it-is",
        },
        follow=True,
    )
    assert "Ana's day changed a moment ago" in html.unescape(response.content.decode())
    assert Booking.objects.get(state="active").technician == source


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("view", ["board_day", "board_poll", "board_map"])
def test_days_outside_the_boards_are_a_clear_404(client, dispatcher, day, view):
    client.force_login(dispatcher)
    response = client.get(
        f"/board/{day}/" + {"board_day": "", "board_poll": "poll/", "board_map": "map.json"}[view]
    )
    assert response.status_code == 404
    assert "Boards cover 2000-01-01 to 2099-12-31" in response.content.decode()


def test_first_and_last_board_days_render_without_a_link_past_them(client, dispatcher):
    client.force_login(dispatcher)
    with time_machine.travel(timezone.now(), tick=False):
        first = client.get("/board/2000-01-01/").content.decode()
        last = client.get("/board/2099-12-31/").content.decode()
    assert 'aria-label="Previous day"' not in first and 'aria-label="Next day"' in first
    assert 'aria-label="Next day"' not in last and 'aria-label="Previous day"' in last
