"""What a lane header says about a technician right now, and the board's filters."""

from datetime import time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from board.build import build_board
from board.data import board_data
from dispatch.assignment import board_assign
from dispatch.selectors import BoardFilters
from dispatch.services import work_order_change_status
from technicians.models import TimeOff
from technicians.selectors import at_local
from tests.board.helpers import hvac, job, technician
from workorders.status import Status

pytestmark = pytest.mark.django_db


def lane_states(day, now):
    board = build_board(board_data(day, BoardFilters(), now))
    return {lane.technician.display_name: (lane.state, lane.state_detail) for lane in board.lanes}


def test_lane_states_during_the_day(dispatcher):
    day = timezone.localdate() + timedelta(days=2)
    with time_machine.travel(at_local(day, time(6)), tick=False):
        busy = technician("Busy", day)
        rolling = technician("Rolling", day)
        arrived = technician("Arrived", day)
        technician("Idle", day)
        technician("Late", day, starts=time(13), ends=time(20))
        sick = technician("Sick", day)
        TimeOff.objects.create(
            technician=sick,
            kind="sick",
            starts_at=at_local(day, time(0)),
            ends_at=at_local(day, time(23)),
        )
        for tech in (busy, rolling, arrived):
            board_assign(
                actor=dispatcher, work_order=job(minutes=240), technician=tech, day=day, position=0
            )
    with time_machine.travel(at_local(day, time(9)), tick=False):
        for tech, statuses in (
            (rolling, [Status.DISPATCHED, Status.EN_ROUTE]),
            (arrived, [Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SITE]),
        ):
            booking = tech.bookings.get(state="active")
            for status in statuses:
                work_order_change_status(
                    actor=dispatcher, work_order=booking.work_order, target=status
                )
        states = lane_states(day, timezone.now())
    assert states["Busy"][0] == "busy" and states["Busy"][1].startswith("Available after 12:")
    assert states["Rolling"][0] == "en_route" and states["Rolling"][1].startswith("En route to WO-")
    assert states["Arrived"][0] == "on_site"
    assert states["Idle"] == ("available", "Available now")
    assert states["Late"] == ("off", "Starts 13:00")  # not on shift yet: says when
    assert states["Sick"] == ("off", "Time off")


def test_filters_narrow_lanes_and_queue(client, dispatcher):
    day = timezone.localdate() + timedelta(days=1)
    skill = hvac()
    technician("North HVAC", day, skills=[(skill, 3, None)], team="North")
    technician("South plain", day, team="South")
    hvac_job, plain_job = job(skill), job()
    client.force_login(dispatcher)
    url = reverse("board_day", args=[day])
    north = client.get(url, {"team": "North"}).content.decode()
    assert "North HVAC" in north and "South plain" not in north
    by_skill = client.get(url, {"skill": skill.pk}).content.decode()
    assert "North HVAC" in by_skill and "South plain" not in by_skill
    assert f'data-work-order="{hvac_job.pk}"' in by_skill
    assert f'data-work-order="{plain_job.pk}"' not in by_skill
    by_status = client.get(url, {"status": "scheduled"}).content.decode()
    assert 'data-can-drag="false"' in by_status and "Drag and drop is off" in by_status


def test_map_shows_technicians_and_jobs_by_sla_state(client, dispatcher):
    day = timezone.localdate() + timedelta(days=1)
    tech = technician("Maria", day)
    queued = job(lat=41.9, lng=-87.7)
    client.force_login(dispatcher)
    data = client.get(reverse("board_map", args=[day])).json()
    assert [(t["id"], t["lat"]) for t in data["technicians"]] == [(tech.pk, tech.home_latitude)]
    (point,) = data["jobs"]
    assert (point["id"], point["lat"], point["sla"], point["assigned_to"]) == (
        queued.pk,
        41.9,
        "ok",
        "",
    )
