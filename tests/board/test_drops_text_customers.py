"""Drops on the board reach the customer through the one booking hook: a booked text
first, then exactly one delay text when a drag moves the visit out of its window."""

from datetime import date, time

import pytest
import time_machine

from dispatch.assignment import board_assign
from notifications import outbox
from notifications.models import OutboundMessage
from technicians.selectors import at_local
from tests.board.helpers import job, local, technician

pytestmark = pytest.mark.django_db

TUESDAY = date(2026, 12, 1)


def texts(work_order, kind):
    return OutboundMessage.objects.filter(work_order=work_order, kind=kind)


def test_a_drag_out_of_the_window_sends_one_delay_text(dispatcher, settings):
    settings.NOTIFY_QUIET_HOURS = "22:00-06:00"
    with time_machine.travel(at_local(TUESDAY, time(7, 30)), tick=False):
        tech = technician("Maria", TUESDAY)
        promised = job(window=(local(TUESDAY, 8), local(TUESDAY, 10)), minutes=60)
        board_assign(
            actor=dispatcher, work_order=promised, technician=tech, day=TUESDAY, position=0
        )
        assert texts(promised, "booked").count() == 1
        outbox.outbox_send(message_id=texts(promised, "booked").get().pk)  # the customer was told
        others = [job(minutes=90) for _ in range(3)]
        for position, other in enumerate(others):
            board_assign(
                actor=dispatcher,
                work_order=other,
                technician=tech,
                day=TUESDAY,
                position=position + 1,
            )
        assert texts(promised, "delay").count() == 0  # still first, still in its window

        # One drag puts it last: it now starts long after its window closes.
        board_assign(
            actor=dispatcher,
            work_order=promised,
            technician=tech,
            day=TUESDAY,
            position=3,
            confirm=True,
        )
        delay = texts(promised, "delay")
        assert delay.count() == 1
        # Dropping it again where it already is changes nothing and texts nobody.
        board_assign(
            actor=dispatcher,
            work_order=promised,
            technician=tech,
            day=TUESDAY,
            position=3,
            confirm=True,
        )
        assert texts(promised, "delay").count() == 1
