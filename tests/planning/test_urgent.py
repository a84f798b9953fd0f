"""Insert urgent job: least disruptive feasible place, qualified technicians only, fast."""

import itertools

import pytest
from django.urls import reverse

from core.errors import DomainError
from dispatch.models import Booking
from planning.apply import plan_run_apply
from planning.urgent import urgent_insertion_propose
from tests.factories import SkillFactory, certify
from tests.routing.helpers import DOWNTOWN, NORTH, SOUTH, at, book, future_monday, job_at, tech_on
from workorders.status import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return future_monday()


def test_picks_least_disruptive_qualified_technician(day, dispatcher):
    hvac = SkillFactory(code="hvac", name="HVAC")
    near_unqualified = tech_on(day, home=NORTH)  # closest, but cannot do HVAC
    certify(near_unqualified, hvac, level=1)
    busy = tech_on(day, home=NORTH)  # qualified and close, but a full day: must push jobs
    certify(busy, hvac, level=3)
    for hour in range(8, 17):
        book(job_at(NORTH, minutes=55), busy, at(day, hour))
    free = tech_on(day, home=DOWNTOWN)  # qualified, a little farther, free
    certify(free, hvac, level=2)
    urgent = job_at(NORTH, skills=[(hvac, 2)], priority=4, minutes=60)

    run = urgent_insertion_propose(actor=dispatcher, work_order=urgent, day=day, now=at(day, 6))

    assert run.kind == "urgent" and run.status == "succeeded"
    (new,) = [c for c in run.proposal["changes"] if c["action"] == "new"]
    assert new["to"]["technician"] == free.pk
    assert run.metrics["pushed_jobs"] == 0
    assert run.metrics["refusals"].get("not qualified") == 1

    outcome = plan_run_apply(actor=dispatcher, run=run)
    assert outcome.refused == []
    booking = Booking.objects.get(work_order=urgent, state="active")
    assert booking.technician == free
    urgent.refresh_from_db()
    assert urgent.status == Status.SCHEDULED


def test_pushes_later_jobs_when_it_must(day, dispatcher):
    only = tech_on(day, home=SOUTH)
    first = job_at(SOUTH, minutes=60)
    second = job_at(SOUTH, minutes=60)
    book(first, only, at(day, 8))
    book(second, only, at(day, 9))
    locked_late = job_at(SOUTH, minutes=60)
    book(locked_late, only, at(day, 15), locked=True)
    urgent = job_at(SOUTH, minutes=30, priority=4)

    run = urgent_insertion_propose(actor=dispatcher, work_order=urgent, day=day, now=at(day, 6))

    changes = {c["work_order"]: c for c in run.proposal["changes"]}
    assert locked_late.pk not in changes  # locked bookings never move
    new = changes[urgent.pk]
    assert new["to"]["technician"] == only.pk
    # The cheapest place (no extra driving: same block) before 15:00 without moving the lock.
    outcome = plan_run_apply(actor=dispatcher, run=run)
    assert outcome.refused == []
    lane = list(
        Booking.objects.filter(technician=only, state="active")
        .order_by("starts_at")
        .values_list("work_order_id", "starts_at", "ends_at")
    )
    for (_, _, end), (_, start, _) in itertools.pairwise(lane):
        assert end <= start
    assert (locked_late.pk, at(day, 15), at(day, 16)) in lane


def test_no_place_at_all_is_a_clear_error(day, dispatcher):
    hvac = SkillFactory(code="hvac", name="HVAC")
    tech_on(day)
    urgent = job_at(skills=[(hvac, 3)])
    with pytest.raises(DomainError, match="No technician on shift can take"):
        urgent_insertion_propose(actor=dispatcher, work_order=urgent, day=day, now=at(day, 6))


def test_already_booked_job_is_refused(day, dispatcher):
    tech = tech_on(day)
    booked = job_at()
    book(booked, tech, at(day, 9))
    with pytest.raises(DomainError, match="already on the board"):
        urgent_insertion_propose(actor=dispatcher, work_order=booked, day=day)


def test_view_plain_post_redirects_to_the_proposal(client, dispatcher, day):
    tech_on(day)
    urgent = job_at()
    client.force_login(dispatcher)
    response = client.post(reverse("plan_urgent", args=[day.isoformat(), urgent.pk]))
    assert response.status_code == 302 and "/plans/" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "Insert urgent job" in page and "new assignment" in page and "Accept" in page
