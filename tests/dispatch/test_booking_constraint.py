"""The database itself refuses overlapping bookings for one technician."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dispatch.bookings import BookingConflict
from dispatch.models import Booking
from dispatch.services import work_order_book
from tests.factories import TechnicianFactory, make_work_order

pytestmark = pytest.mark.django_db


def _booking(work_order, technician, start, minutes=60, state=Booking.State.ACTIVE):
    return Booking(
        work_order=work_order,
        technician=technician,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        state=state,
    )


def test_bulk_create_of_overlapping_bookings_fails_in_the_database():
    tech = TechnicianFactory()
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    first, second = make_work_order(), make_work_order()
    with (
        pytest.raises(IntegrityError, match="booking_no_overlap_per_technician"),
        transaction.atomic(),
    ):
        Booking.objects.bulk_create(
            [_booking(first, tech, start), _booking(second, tech, start + timedelta(minutes=30))]
        )
    assert Booking.objects.count() == 0


def test_raw_sql_insert_of_an_overlap_fails():
    tech = TechnicianFactory()
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    first, second = make_work_order(), make_work_order()
    _booking(first, tech, start).save()
    sql = (
        "INSERT INTO dispatch_booking (work_order_id, technician_id, starts_at, ends_at, travel_minutes, state, locked, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, 0, 'active', false, now(), now())"
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            sql, [second.pk, tech.pk, start + timedelta(minutes=59), start + timedelta(minutes=90)]
        )
    assert Booking.objects.count() == 1


def test_back_to_back_and_cancelled_bookings_are_allowed():
    tech = TechnicianFactory()
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    a, b, c = make_work_order(), make_work_order(), make_work_order()
    Booking.objects.bulk_create(
        [
            _booking(a, tech, start),
            _booking(b, tech, start + timedelta(minutes=60)),  # touches, does not overlap
            _booking(c, tech, start + timedelta(minutes=30), state=Booking.State.CANCELLED),
        ]
    )
    assert Booking.objects.filter(state="active").count() == 2


def test_other_technicians_may_overlap():
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    Booking.objects.bulk_create(
        [
            _booking(make_work_order(), TechnicianFactory(), start),
            _booking(make_work_order(), TechnicianFactory(), start),
        ]
    )
    assert Booking.objects.count() == 2


def test_end_before_start_is_refused_by_a_check_constraint():
    tech = TechnicianFactory()
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(IntegrityError, match="booking_ends_after_start"), transaction.atomic():
        _booking(make_work_order(), tech, start, minutes=-30).save()


def test_one_active_booking_per_work_order():
    start = timezone.now() + timedelta(days=1)
    work_order = make_work_order()
    _booking(work_order, TechnicianFactory(), start).save()
    with (
        pytest.raises(IntegrityError, match="booking_one_active_per_work_order"),
        transaction.atomic(),
    ):
        _booking(work_order, TechnicianFactory(), start).save()


def test_service_turns_the_database_refusal_into_a_clear_message(dispatcher):
    tech = TechnicianFactory()
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(days=1)
    work_order_book(
        actor=dispatcher, work_order=make_work_order(), technician=tech, starts_at=start
    )
    late = make_work_order()
    with pytest.raises(BookingConflict, match="already booked"):
        work_order_book(
            actor=dispatcher,
            work_order=late,
            technician=tech,
            starts_at=start + timedelta(minutes=10),
        )
    late.refresh_from_db()
    assert late.status == "new"
    assert not late.events.filter(kind="booking.assigned").exists()
