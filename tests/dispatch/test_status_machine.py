from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainError
from dispatch.models import Booking
from dispatch.services import work_order_book, work_order_change_status
from tests.factories import TechnicianFactory, make_work_order
from workorders.errors import IllegalTransition
from workorders.status import TRANSITIONS, Status, can_transition

pytestmark = pytest.mark.django_db


def test_closed_statuses_are_final():
    assert TRANSITIONS[Status.COMPLETED] == frozenset()
    assert TRANSITIONS[Status.CANCELLED] == frozenset()
    assert not can_transition("new", "completed")
    assert can_transition("on_site", "completed")


def test_full_life_of_a_job_sets_response_and_resolution(dispatcher):
    work_order = make_work_order()
    work_order_book(
        actor=dispatcher,
        work_order=work_order,
        technician=TechnicianFactory(),
        starts_at=timezone.now() + timedelta(hours=1),
    )
    for target in (Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SITE, Status.COMPLETED):
        work_order = work_order_change_status(
            actor=dispatcher, work_order=work_order, target=target
        )
    assert work_order.responded_at is not None and work_order.resolved_at is not None
    statuses = [
        e.after["status"] for e in work_order.events.filter(kind="workorder.status").order_by("id")
    ]
    assert statuses == ["scheduled", "dispatched", "en_route", "on_site", "completed"]


def test_illegal_jump_raises_and_changes_nothing(dispatcher):
    work_order = make_work_order()
    with pytest.raises(IllegalTransition):
        work_order_change_status(actor=dispatcher, work_order=work_order, target=Status.ON_SITE)
    work_order.refresh_from_db()
    assert work_order.status == Status.NEW


def test_scheduling_needs_a_booking(dispatcher):
    with pytest.raises(DomainError, match="assigning it on the board"):
        work_order_change_status(
            actor=dispatcher, work_order=make_work_order(), target=Status.SCHEDULED
        )


@pytest.mark.parametrize("target", [Status.ON_HOLD, Status.CANCELLED, Status.NEW])
def test_leaving_the_lane_releases_the_booking(dispatcher, target):
    work_order = make_work_order()
    work_order_book(
        actor=dispatcher,
        work_order=work_order,
        technician=TechnicianFactory(),
        starts_at=timezone.now() + timedelta(hours=1),
    )
    work_order_change_status(
        actor=dispatcher, work_order=work_order, target=target, hold_reason="parts"
    )
    assert Booking.objects.get(work_order=work_order).state == Booking.State.CANCELLED
    assert work_order.events.filter(kind="booking.unassigned").exists()
