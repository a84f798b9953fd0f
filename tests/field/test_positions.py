"""Positions: own only, validated, on shift, rate-limited in the database; the trail is
pruned; the map shows the age; the ranking and the ETA plan from a fresh position."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.eta import next_visit_eta
from dispatch.models import Booking, PositionFix
from dispatch.ranking import rank_technicians
from field.phone import PhoneRefusal
from field.positions import position_trail_prune, technician_position_record
from technicians.models import Technician
from tests.factories import SiteFactory, TechnicianFactory, make_work_order
from tests.field.helpers import booked_job, new_id, phone_technician

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}
CHICAGO_LOOP = {"latitude": "41.8800", "longitude": "-87.6300", "accuracy": "12"}


def post(client, **data):
    return client.post(reverse("my_position"), data, **JSON)


def test_a_position_is_kept_as_latest_and_in_the_trail(client):
    tech = phone_technician()
    client.force_login(tech.user)
    answer = post(client, **CHICAGO_LOOP)
    assert answer.status_code == 200, answer.content
    tech.refresh_from_db()
    assert (tech.last_latitude, tech.last_longitude) == (41.88, -87.63)
    fix = PositionFix.objects.get()
    assert fix.technician == tech and fix.accuracy_m == 12


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"latitude": "91", "longitude": "0"}, "Latitude must be a number between -90 and 90"),
        (
            {"latitude": "0", "longitude": "-180.5"},
            "Longitude must be a number between -180 and 180",
        ),
        ({"latitude": "nan", "longitude": "0"}, "Latitude must be a number"),
        ({"latitude": "<script>", "longitude": "0"}, "Latitude must be a number"),
        ({"latitude": "1", "longitude": "1", "accuracy": "-3"}, "Accuracy must be a number"),
        ({"longitude": "1"}, "Latitude must be a number"),
    ],
)
def test_out_of_range_coordinates_are_refused_and_nothing_is_kept(client, data, message):
    tech = phone_technician()
    client.force_login(tech.user)
    answer = post(client, **data)
    assert answer.status_code == 400
    assert message in answer.json()["message"]
    tech.refresh_from_db()
    assert tech.last_position_at is None and not PositionFix.objects.exists()


def test_only_the_technicians_own_position_is_accepted(client):
    mine, theirs = phone_technician(), phone_technician()
    client.force_login(mine.user)
    answer = post(client, technician=str(theirs.pk), **CHICAGO_LOOP)
    assert answer.status_code == 403 and answer.json()["code"] == "not_yours"
    assert "your own position" in answer.json()["message"]
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.last_position_at is None and mine.last_position_at is None


def test_posts_are_rate_limited_without_redis(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.POSITION_MIN_INTERVAL_S = 10
    tech = phone_technician()
    client.force_login(tech.user)
    assert post(client, **CHICAGO_LOOP).status_code == 200
    again = post(client, latitude="41.9", longitude="-87.7")
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    tech.refresh_from_db()
    assert tech.last_latitude == 41.88 and PositionFix.objects.count() == 1


def test_off_shift_positions_are_not_recorded(client):
    tech = TechnicianFactory()  # no shift at all
    client.force_login(tech.user)
    answer = post(client, **CHICAGO_LOOP)
    assert answer.status_code == 409 and answer.json()["code"] == "off_shift"
    assert not PositionFix.objects.exists()


def test_old_trail_is_pruned(settings):
    settings.POSITION_TRAIL_DAYS = 2
    tech = phone_technician()
    now = timezone.now()
    PositionFix.objects.create(
        technician=tech, latitude=1, longitude=1, recorded_at=now - timedelta(days=3)
    )
    PositionFix.objects.create(
        technician=tech, latitude=1, longitude=1, recorded_at=now - timedelta(days=1)
    )
    assert position_trail_prune(now=now) == 1
    assert PositionFix.objects.count() == 1


def test_the_map_shows_the_latest_position_and_its_age(client, dispatcher):
    tech = phone_technician()
    technician_position_record(technician=tech, latitude=41.95, longitude=-87.70)
    client.force_login(dispatcher)
    points = client.get(reverse("board_map", args=[timezone.localdate()])).json()
    point = next(t for t in points["technicians"] if t["id"] == tech.pk)
    assert (point["lat"], point["lng"]) == (41.95, -87.70)
    assert point["position"] == "position just now"


def test_eta_of_the_next_visit_comes_from_the_fresh_position():
    tech = phone_technician()
    far = booked_job(tech, hours_from_now=0.1, latitude=42.05, longitude=-87.68)  # ~19 km north
    now = timezone.now()
    technician_position_record(technician=tech, latitude=41.88, longitude=-87.63, now=now)
    tech.refresh_from_db()
    arrival, end = next_visit_eta(tech, now=now)
    booking = far.bookings.get()
    assert arrival > booking.starts_at  # the drive from where they are makes them late
    assert end - arrival == timedelta(minutes=far.estimated_minutes)
    # Standing next to the site, the planned start holds.
    Technician.objects.filter(pk=tech.pk).update(last_latitude=42.05, last_longitude=-87.68)
    tech.refresh_from_db()
    assert next_visit_eta(tech, now=now)[0] == booking.starts_at


def test_the_ranking_plans_todays_first_leg_from_a_fresh_position():
    from tests.board.helpers import relaxed_policy

    phone_technician(display_name="Near")
    far = phone_technician(display_name="Far")
    # Both live in the Loop; "Far"'s phone says they are 30 km north right now.
    Technician.objects.filter(pk=far.pk).update(
        last_latitude=42.15, last_longitude=-87.75, last_position_at=timezone.now()
    )
    job = make_work_order(
        site=SiteFactory(latitude=41.89, longitude=-87.62), policy=relaxed_policy()
    )
    ranking = rank_technicians(job, timezone.localdate())
    by_name = {c.technician.display_name: c for c in ranking.candidates}
    assert by_name["Far"].arrival > by_name["Near"].arrival
    assert ranking.candidates[0].technician.display_name == "Near"
    # A stale position is ignored: both start from home again.
    Technician.objects.filter(pk=far.pk).update(
        last_position_at=timezone.now() - timedelta(hours=2)
    )
    ranking = rank_technicians(job, timezone.localdate())
    arrivals = {c.technician.display_name: c.arrival for c in ranking.candidates}
    assert arrivals["Far"] == arrivals["Near"]


def test_on_my_way_text_carries_the_eta_from_the_phones_position(client):
    from notifications.models import OutboundMessage

    tech = phone_technician()
    job = booked_job(tech, hours_from_now=0.25, latitude=41.95, longitude=-87.70)
    client.force_login(tech.user)
    client.post(
        reverse("my_position"),
        {"latitude": 41.80, "longitude": -87.60},
        headers={"Accept": "application/json"},
    )
    client.post(
        reverse("my_job_action", args=[job.pk]),
        {"action_id": new_id(), "kind": "en_route"},
        headers={"Accept": "application/json"},
    )
    text = OutboundMessage.objects.get(work_order=job, kind="on_my_way")
    tech.refresh_from_db()  # the position the phone just sent
    arrival, _ = next_visit_eta(tech)
    # From 41.80,-87.60 to 41.95,-87.70 is a long drive: later than the planned start.
    assert text.eta_at == arrival > Booking.objects.get(work_order=job).starts_at


# The hot path: every phone on shift posts once a minute ------------------------------

# Session; the login with its technician and roles (one query, technicians.auth); one
# statement that writes the position and its trail row, conditionally, and reads
# today's bookings (its own transaction: no BEGIN or COMMIT); whether the visit already
# holds this ETA.
POSITION_POST_QUERIES = 4
# An ETA the visit does not hold yet is decided again, here with a delay text queued,
# in a transaction (a savepoint here): the visit's upsert, its texts locked, the
# customer, consent read afresh, template, rate limit, the outbox row.
POSITION_POST_QUERIES_ETA_MOVED = 12


@pytest.mark.parametrize("others", [0, 3])
def test_a_position_post_costs_a_fixed_number_of_queries(client, django_assert_num_queries, others):
    # At 10:00 local (the autouse mid_morning fixture, tests/field/conftest.py).
    tech = phone_technician()
    # The drive is short and the job an hour away: the planned start holds.
    booked_job(tech, hours_from_now=1, latitude=41.881, longitude=-87.631)
    for index in range(others):
        booked_job(tech, hours_from_now=3 + index * 1.5)
        booked_job(phone_technician(), hours_from_now=1)
    client.force_login(tech.user)
    with django_assert_num_queries(POSITION_POST_QUERIES):
        answer = post(client, **CHICAGO_LOOP)
    assert answer.status_code == 200 and answer.json()["eta"] is not None


def test_a_position_that_moves_the_eta_still_texts_the_delay(
    client, django_assert_num_queries, settings, mid_morning
):
    from notifications.models import OutboundMessage, Visit

    settings.POSITION_MIN_INTERVAL_S = 10
    tech = phone_technician()
    # ~19 km north of the Loop, planned to start in six minutes.
    job = booked_job(tech, hours_from_now=0.1, latitude=42.05, longitude=-87.68)
    booked = OutboundMessage.objects.get(work_order=job, kind="booked")
    OutboundMessage.objects.filter(pk=booked.pk).update(
        status=OutboundMessage.Status.SENT, provider_sid="SM1"
    )
    client.force_login(tech.user)
    with django_assert_num_queries(POSITION_POST_QUERIES_ETA_MOVED):
        answer = post(client, **CHICAGO_LOOP)
    assert answer.status_code == 200
    (delay,) = OutboundMessage.objects.filter(work_order=job, kind="delay")
    arrival = answer.json()["eta"][0]
    assert delay.eta_at.isoformat() == arrival and delay.cause.startswith("ETA from")
    assert Visit.objects.get(work_order=job).starts_at == delay.eta_at
    # The same ETA a little later: the decision stands, nothing is written again.
    mid_morning.shift(timedelta(seconds=11))
    with django_assert_num_queries(POSITION_POST_QUERIES):
        again = post(client, **CHICAGO_LOOP)
    assert again.json()["eta"] == answer.json()["eta"]
    assert OutboundMessage.objects.filter(work_order=job, kind="delay").count() == 1
    assert PositionFix.objects.filter(technician=tech).count() == 2


def test_a_login_without_its_technician_is_refused(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="technician"))  # the role, but no technician row
    answer = post(client, **CHICAGO_LOOP)
    assert answer.status_code == 403 and not PositionFix.objects.exists()


def test_a_technician_row_without_the_technician_role_is_refused(client):
    tech = phone_technician()
    tech.user.groups.clear()
    client.force_login(tech.user)
    answer = post(client, **CHICAGO_LOOP)
    assert answer.status_code == 403
    tech.refresh_from_db()
    assert tech.last_position_at is None and not PositionFix.objects.exists()


@pytest.mark.parametrize(
    ("shift", "exception", "at", "recorded"),
    [
        ((8, 17), None, (7, 31), True),  # the drive to the first job: 30 minutes early
        ((8, 17), None, (7, 29), False),
        ((8, 17), None, (17, 29), True),  # … and back from the last one
        ((8, 17), None, (17, 31), False),
        ((8, 17), "off", (12, 0), False),  # the day's exception wins over the pattern
        ((8, 17), (13, 15), (12, 0), False),
        ((8, 17), (13, 15), (15, 20), True),
        (None, (6, 9), (6, 0), True),  # an exception on a day without a pattern
        (None, None, (12, 0), False),
    ],
)
def test_the_shift_decides_with_its_margin(shift, exception, at, recorded):
    from datetime import time

    from technicians.models import ShiftException
    from tests.factories import give_shift
    from tests.notifications.conftest import local

    tech = TechnicianFactory()
    today = timezone.localdate()
    if shift:
        give_shift(tech, today.weekday(), time(shift[0]), time(shift[1]))
    if exception == "off":
        ShiftException.objects.create(technician=tech, date=today, is_off=True)
    elif exception:
        ShiftException.objects.create(
            technician=tech, date=today, starts_at=time(exception[0]), ends_at=time(exception[1])
        )
    now = local(0, *at)
    if recorded:
        technician_position_record(technician=tech, latitude=41.9, longitude=-87.7, now=now)
        tech.refresh_from_db()
        assert tech.last_position_at == now
    else:
        with pytest.raises(PhoneRefusal) as refused:
            technician_position_record(technician=tech, latitude=41.9, longitude=-87.7, now=now)
        assert refused.value.code == "off_shift"
        assert not PositionFix.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_only_the_position_statement_skips_waiting_for_the_disk(client):
    from django.db import connection, transaction

    def synchronous_commit():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    tech = phone_technician()
    client.force_login(tech.user)
    assert post(client, **CHICAGO_LOOP).status_code == 200
    assert PositionFix.objects.filter(technician=tech).count() == 1
    assert synchronous_commit() == "on"  # the setting ended with the post's statement
    # Called inside a caller's transaction, the caller's commit still waits.
    with transaction.atomic():
        technician_position_record(
            technician=tech,
            latitude=41.9,
            longitude=-87.7,
            now=timezone.now() + timedelta(minutes=1),
        )
        assert synchronous_commit() == "on"
    assert PositionFix.objects.filter(technician=tech).count() == 2
