import html
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dispatch.assignment import board_assign
from dispatch.models import Booking
from technicians.roles import Role
from tests.board.helpers import board_day, current_fingerprint, hvac, job, technician

pytestmark = pytest.mark.django_db


def _populate(count: int, day, dispatcher):
    for index in range(count):
        tech = technician(f"Tech {index:03d}", day)
        for position in range(2):
            board_assign(
                actor=dispatcher, work_order=job(), technician=tech, day=day, position=position
            )
        job()  # one more in the queue


def _board_queries(client, day) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("board_day", args=[day]))
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_lanes(client, dispatcher):
    day = board_day()
    client.force_login(dispatcher)
    _populate(2, day, dispatcher)
    small = _board_queries(client, day)
    _populate(8, day, dispatcher)
    assert _board_queries(client, day) == small


def test_board_shows_lanes_queue_and_states(client, dispatcher):
    day = board_day()
    tech = technician("Maria Garcia", day)
    queued = job()
    booked = job()
    board_assign(actor=dispatcher, work_order=booked, technician=tech, day=day, position=0)
    client.force_login(dispatcher)
    body = client.get(reverse("board_day", args=[day])).content.decode()
    assert "Maria Garcia" in body and "On shift 08:00–17:00" in body
    assert f'data-work-order="{queued.pk}"' in body and f'data-work-order="{booked.pk}"' in body
    assert 'id="map-data"' in body and 'data-can-drag="true"' in body


def test_board_for_an_impossible_date_is_404(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get("/board/2026-02-30/").status_code == 404


@pytest.mark.parametrize("role", [Role.OFFICE, Role.TECHNICIAN])
def test_office_staff_and_technicians_cannot_drag(client, user_with_role, role):
    day = board_day()
    tech = technician("Maria", day)
    work_order = job()
    client.force_login(user_with_role(role))
    response = client.post(
        reverse("board_assign", args=[day]),
        {"work_order": work_order.pk, "technician": tech.pk, "position": 0},
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("board_unassign", args=[day]), {"work_order": work_order.pk}
        ).status_code
        == 403
    )
    assert not Booking.objects.exists()


def test_office_sees_the_board_read_only_and_technicians_not_at_all(client, user_with_role):
    day = board_day()
    client.force_login(user_with_role(Role.OFFICE))
    body = client.get(reverse("board_day", args=[day])).content.decode()
    assert 'data-can-drag="false"' in body
    client.force_login(user_with_role(Role.TECHNICIAN))
    assert client.get(reverse("board_day", args=[day])).status_code == 403


def test_plain_post_assigns_and_redirects(client, dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    work_order = job()
    client.force_login(dispatcher)
    response = client.post(
        reverse("board_assign", args=[day]),
        {"work_order": work_order.pk, "technician": tech.pk, "position": 0},
    )
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("board_day", args=[day])
    )
    assert Booking.objects.get().technician == tech


def test_plain_post_with_soft_problem_asks_for_confirmation(client, dispatcher):
    from datetime import time

    day = board_day()
    tech = technician("Maria", day, starts=time(8), ends=time(9))
    work_order = job(minutes=120)
    client.force_login(dispatcher)
    data = {"work_order": work_order.pk, "technician": tech.pk, "position": 0}
    page = html.unescape(client.post(reverse("board_assign", args=[day]), data).content.decode())
    assert (
        "Please confirm" in page and "past Maria's shift end" in page and 'name="confirm"' in page
    )
    assert not Booking.objects.exists()
    client.post(reverse("board_assign", args=[day]), data | {"confirm": "on"})
    assert Booking.objects.count() == 1


def test_htmx_drop_answers_with_lanes_queue_and_trigger(client, dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    work_order = job()
    client.force_login(dispatcher)
    token = current_fingerprint(tech.pk, day)
    response = client.post(
        reverse("board_assign", args=[day]),
        {
            "work_order": work_order.pk,
            "technician": tech.pk,
            "position": 0,
            "target_fingerprint": token,
        },
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    # Open boards refresh; this page closes its dialog and points out the placed card.
    assert response.status_code == 200 and response["HX-Trigger"] == "board-changed"
    assert json.loads(response["HX-Trigger-After-Settle"]) == {"board-placed": work_order.pk}
    assert f'id="lane-{tech.pk}" hx-swap-oob="outerHTML"' in body
    assert f'id="queue-item-{work_order.pk}" hx-swap-oob="delete"' in body
    assert "assigned to Maria" in body


def test_htmx_refusal_explains_and_reverts_the_lane(client, dispatcher):
    day, skill = board_day(), hvac()
    tech = technician("Maria", day, skills=[(skill, 3, day - timedelta(days=5))])
    work_order = job(skill)
    client.force_login(dispatcher)
    response = client.post(
        reverse("board_assign", args=[day]),
        {"work_order": work_order.pk, "technician": tech.pk, "position": 0},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "Not allowed" in body and "HVAC certification expired on" in body
    assert f'id="lane-{tech.pk}"' in body and "HX-Trigger" not in response
    assert not Booking.objects.exists()


def test_stale_lane_fingerprint_is_a_conflict(client, dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    stale = current_fingerprint(tech.pk, day)
    board_assign(actor=dispatcher, work_order=job(), technician=tech, day=day, position=0)
    work_order = job()
    client.force_login(dispatcher)
    response = client.post(
        reverse("board_assign", args=[day]),
        {
            "work_order": work_order.pk,
            "technician": tech.pk,
            "position": 0,
            "target_fingerprint": stale,
        },
        headers={"HX-Request": "true"},
    )
    assert "changed a moment ago" in response.content.decode()
    assert not Booking.objects.filter(work_order=work_order).exists()


def test_bad_drop_input_gets_a_specific_error(client, dispatcher):
    day = board_day()
    client.force_login(dispatcher)
    response = client.post(
        reverse("board_assign", args=[day]),
        {"work_order": 999999, "technician": 999999, "position": -3},
        follow=True,
    )
    body = response.content.decode()
    assert "That work order does not exist." in body
    assert "That technician does not exist or is inactive." in body


def test_poll_is_204_until_the_board_changes(
    client, dispatcher, django_capture_on_commit_callbacks
):
    day = board_day()
    tech = technician("Maria", day)
    client.force_login(dispatcher)
    version = int(
        client.get(reverse("board_day", args=[day]))
        .content.decode()
        .split('data-version="')[1]
        .split('"')[0]
    )
    assert client.get(reverse("board_poll", args=[day]), {"v": version}).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        board_assign(actor=dispatcher, work_order=job(), technician=tech, day=day, position=0)
    changed = client.get(reverse("board_poll", args=[day]), {"v": version})
    assert changed.status_code == 200 and f'id="lane-{tech.pk}"' in changed.content.decode()
    assert f'data-version="{version + 1}"' in changed.content.decode()


def test_ranking_explains_itself(client, dispatcher):
    from datetime import time

    from technicians.models import TimeOff
    from tests.board.helpers import local

    day, skill = board_day(), hvac()
    technician("Near", day, skills=[(skill, 3, None)], home_latitude=41.89, home_longitude=-87.62)
    technician("Far", day, skills=[(skill, 3, None)], home_latitude=42.05, home_longitude=-87.70)
    technician("Unskilled", day)
    technician("Expired", day, skills=[(skill, 3, day - timedelta(days=1))])
    off = technician("Off", day, skills=[(skill, 3, None)])
    off.shifts.all().delete()
    away = technician("Away", day, skills=[(skill, 3, None)])
    TimeOff.objects.create(
        technician=away,
        kind="vacation",
        starts_at=local(day, 0),
        ends_at=local(day + timedelta(days=1), 0),
    )
    full = technician("Full", day, skills=[(skill, 3, None)], starts=time(8), ends=time(8, 30))
    board_assign(
        actor=dispatcher,
        work_order=job(minutes=30),
        technician=full,
        day=day,
        position=0,
        confirm=True,
    )
    work_order = job(skill, level=2)
    client.force_login(dispatcher)
    page = html.unescape(
        client.get(reverse("board_job", args=[day, work_order.pk])).content.decode()
    )
    ranked = page.split("<tbody>")[1].split("</tbody>")[0]
    assert ranked.index("Near") < ranked.index("Far")
    assert "Added travel" in page and "SLA slack" in page and "Capacity left" in page
    excluded = page.split("Excluded")[1]
    assert "Unskilled has no HVAC skill" in excluded
    assert "certification expired" in excluded
    assert "Off shift on" in excluded
    assert "No feasible slot" in excluded and "vacation" in excluded
    assert "after Full's shift ends" in excluded


def test_a_status_filter_shows_its_bookings_and_says_when_none_match(client, dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    booked = job()
    board_assign(actor=dispatcher, work_order=booked, technician=tech, day=day, position=0)
    client.force_login(dispatcher)
    url = reverse("board_day", args=[day])
    scheduled = html.unescape(client.get(url, {"status": "scheduled"}).content.decode())
    assert f'data-work-order="{booked.pk}"' in scheduled
    assert "matches these filters" not in scheduled and "Nothing is booked" not in scheduled
    on_site = html.unescape(client.get(url, {"status": "on_site"}).content.decode())
    assert f'data-work-order="{booked.pk}"' not in on_site
    assert f"No booking on {day:%A, %B %-d} matches these filters." in on_site
    assert "Nothing is booked" not in on_site  # the day is not empty
    assert "the status filter hides it" in on_site


def test_an_empty_board_says_where_the_work_is(client, dispatcher):
    day = board_day()
    later = day + timedelta(days=3)
    tech = technician("Maria", later)
    board_assign(actor=dispatcher, work_order=job(), technician=tech, day=later, position=0)
    client.force_login(dispatcher)
    body = html.unescape(client.get(reverse("board_day", args=[day])).content.decode())
    link = f'<a href="{reverse("board_day", args=[later])}">{later:%A, %B %-d}</a>'
    assert f"The next day with bookings is {link}" in body
    busy = client.get(reverse("board_day", args=[later])).content.decode()
    assert "next day with bookings" not in busy


def test_cards_show_unread_customer_replies(client, dispatcher):
    from notifications.models import InboundMessage

    day = board_day()
    tech = technician("Maria", day)
    queued, booked = job(), job()
    board_assign(actor=dispatcher, work_order=booked, technician=tech, day=day, position=0)
    for index, work_order in enumerate([queued, booked, booked]):
        InboundMessage.objects.create(
            provider_sid=f"SM{index:032d}",
            from_number=work_order.customer.phone,
            body="Can you come after 3pm?",
            kind=InboundMessage.Kind.REPLY,
            customer=work_order.customer,
            work_order=work_order,
        )
    client.force_login(dispatcher)
    body = client.get(reverse("board_day", args=[day])).content.decode()
    assert 'title="1 unread customer reply">✉ 1</span>' in body
    assert 'title="2 unread customer replies">✉ 2</span>' in body


def test_one_click_assign_to_the_current_technician_is_not_a_false_conflict(client, dispatcher):
    """The ranking of a booked job offers its own technician; taking it must work."""
    day = board_day()
    tech = technician("Maria", day)
    first, booked = job(), job()
    board_assign(actor=dispatcher, work_order=first, technician=tech, day=day, position=0)
    board_assign(actor=dispatcher, work_order=booked, technician=tech, day=day, position=1)
    client.force_login(dispatcher)
    panel = client.get(reverse("board_job", args=[day, booked.pk]))
    candidate = next(c for c in panel.context["ranking"].candidates if c.technician == tech)
    response = client.post(
        reverse("board_assign", args=[day]),
        {
            "work_order": booked.pk,
            "technician": tech.pk,
            "position": 0,
            "target_fingerprint": candidate.lane_fingerprint,
            "confirm": "on",
        },
        follow=True,
    )
    assert "changed a moment ago" not in html.unescape(response.content.decode())
    first_start = Booking.objects.get(work_order=first, state="active").starts_at
    assert Booking.objects.get(work_order=booked, state="active").starts_at < first_start
