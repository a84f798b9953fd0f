"""The hand-written reads on every request (core.rows) load exactly what the ORM
would. The login backend (technicians.auth) loads a session's user with its technician
and roles in one query and keeps everything Django's ModelBackend guarantees (inactive
logins, changed passwords, unknown backends); the position post's day of bookings is
the selector's day, whether read alone or by the statement that writes the position; the
session store reads what Django's database store reads."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.urls import reverse
from django.utils import timezone

from core.sessions import SessionStore
from dispatch.models import Booking, PositionFix
from dispatch.selectors import technician_bookings, technician_bookings_with_sites
from field.positions import _position_store
from technicians.auth import LoginBackend
from technicians.models import Technician
from technicians.roles import Role, user_roles
from tests.factories import TechnicianFactory, UserFactory
from tests.field.helpers import booked_job, phone_technician
from tests.notifications.conftest import local

pytestmark = pytest.mark.django_db


def _same_columns(loaded, stored) -> None:
    assert type(loaded) is type(stored)
    for field in type(stored)._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(stored, field.attname), field.name


def test_a_technicians_login_its_technician_and_roles_come_in_one_query(
    django_assert_num_queries,
):
    tech = TechnicianFactory(team="North", max_daily_hours=7)
    tech.user.groups.add(Group.objects.get_or_create(name=Role.OFFICE.value)[0])
    with django_assert_num_queries(1):
        user = LoginBackend().get_user(tech.user_id)
    with django_assert_num_queries(0):
        assert user_roles(user) == {Role.TECHNICIAN, Role.OFFICE}
        assert user.technician.user is user
        technician = user.technician
    _same_columns(user, User.objects.get(pk=tech.user_id))
    _same_columns(technician, Technician.objects.get(pk=tech.pk))
    assert not user._state.adding and user._state.db == "default"  # saved rows, as the ORM's


def test_a_login_without_technician_loads_with_its_roles(django_assert_num_queries):
    office = UserFactory(role=Role.DISPATCHER, is_superuser=True)
    with django_assert_num_queries(1):
        user = LoginBackend().get_user(office.pk)
        assert user_roles(user) == {Role.DISPATCHER, Role.ADMIN}
    _same_columns(user, office)
    with pytest.raises(Technician.DoesNotExist):
        user.technician  # noqa: B018 - the lookup is the test


@pytest.mark.parametrize("user_id", [0, 10**9, "abc", None])
def test_an_unknown_or_malformed_id_is_no_login(user_id):
    assert LoginBackend().get_user(user_id) is None


def test_an_inactive_login_is_no_login():
    tech = TechnicianFactory(user__is_active=False)
    assert LoginBackend().get_user(tech.user_id) is None


def test_a_changed_password_ends_the_other_sessions(client):
    tech = phone_technician()
    client.force_login(tech.user)
    assert client.get(reverse("my_jobs")).status_code == 200
    tech.user.set_password("another secret")
    tech.user.save()
    answer = client.get(reverse("my_jobs"))
    assert answer.status_code == 302 and answer.url.startswith(reverse("login"))


def test_a_session_of_a_backend_no_longer_configured_asks_to_log_in_again(client):
    tech = phone_technician()
    client.force_login(tech.user, backend="django.contrib.auth.backends.ModelBackend")
    answer = client.get(reverse("my_jobs"))
    assert answer.status_code == 302 and answer.url.startswith(reverse("login"))


def test_the_position_posts_day_is_the_selectors_day_in_one_query(django_assert_num_queries):
    with time_machine.travel(local(0, 9), tick=False):  # all four jobs today
        _compare_days(django_assert_num_queries)


def test_the_position_write_reads_the_selectors_day_in_the_same_statement(
    django_assert_num_queries,
):
    with time_machine.travel(local(0, 9), tick=False):
        tech, booked = _a_booked_day()
        store = {"technician": tech, "latitude": 41.9, "longitude": -87.7, "accuracy_m": None}
        with django_assert_num_queries(1):
            day = _position_store(**store, at=timezone.now(), min_interval=timedelta(seconds=60))
        assert [b.work_order_id for b in day] == booked
        _same_bookings(day, technician_bookings_with_sites(tech, timezone.localdate()))
        # Refused by the rate limit: nothing written, no day.
        again = timezone.now() + timedelta(seconds=30)
        assert _position_store(**store, at=again, min_interval=timedelta(seconds=60)) is None
        # Kept, with no booking that day.
        alone = {**store, "technician": phone_technician()}
        assert _position_store(**alone, at=again, min_interval=timedelta(seconds=60)) == []
        assert PositionFix.objects.filter(technician=tech).count() == 1


def test_the_session_store_loads_what_djangos_database_store_loads(django_assert_num_queries):
    stored = DatabaseSessionStore()
    stored.update({"_auth_user_id": "7", "phone": [1, 2]})
    stored.save()
    with django_assert_num_queries(1):
        loaded = SessionStore(stored.session_key).load()
    assert loaded == DatabaseSessionStore(stored.session_key).load() == stored._session
    # Expired, or unknown: empty, and the key is dropped (a new session will start).
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)):
        expired = SessionStore(stored.session_key)
        assert expired.load() == {} and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
    assert SessionStore(stored.session_key).load() == loaded  # still there


def _a_booked_day() -> tuple[Technician, list[int]]:
    """A technician with two jobs today, booked out of order, and a cancelled one;
    another technician's job beside them. The work orders due, in order."""
    tech = phone_technician()
    later, sooner = booked_job(tech, hours_from_now=3), booked_job(tech, hours_from_now=1)
    cancelled = booked_job(tech, hours_from_now=5)
    Booking.objects.filter(work_order=cancelled).update(state=Booking.State.CANCELLED)
    booked_job(phone_technician(), hours_from_now=2)  # someone else's
    return tech, [sooner.pk, later.pk]


def _same_bookings(loaded: list[Booking], stored: list[Booking]) -> None:
    for booking, expected in zip(loaded, stored, strict=True):
        _same_columns(booking, expected)
        _same_columns(booking.work_order, expected.work_order)
        _same_columns(booking.work_order.site, expected.work_order.site)


def _compare_days(django_assert_num_queries):
    tech, booked = _a_booked_day()
    today = timezone.localdate()
    with django_assert_num_queries(1):
        day = technician_bookings_with_sites(tech, today)
        sites = [booking.work_order.site.latitude for booking in day]
    expected = list(technician_bookings(tech, today))
    assert [b.work_order_id for b in day] == booked
    assert [b.pk for b in day] == [b.pk for b in expected] and len(sites) == 2
    _same_bookings(day, expected)
    assert technician_bookings_with_sites(tech, today + timedelta(days=1)) == []


def test_the_reads_of_every_request_are_planned_once_per_connection():
    """`prepared_cursor` statements become prepared statements after a few runs, so
    PostgreSQL stops planning them on every request (DATABASES' prepare_threshold)."""
    from django.db import connection

    tech = phone_technician()
    for _ in range(3):
        assert LoginBackend().get_user(tech.user_id) is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("group_names" in statement for statement in prepared)
