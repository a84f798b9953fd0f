"""Accepting a proposal: one transaction, stale moves refused and listed; discard."""

import pytest

from core.errors import DomainError
from dispatch.live import board_version
from dispatch.models import Booking
from dispatch.services import work_order_change_status
from planning.apply import plan_run_apply, plan_run_discard
from planning.optimize import plan_run_start
from routing import services
from routing.models import PlanRun
from tests.routing.helpers import NORTH, SOUTH, at, book, future_monday, job_at, tech_on
from workorders.models import Event, SLAPolicy
from workorders.status import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return future_monday()


@pytest.fixture
def solved(day, django_capture_on_commit_callbacks):
    policy = SLAPolicy.objects.create(
        tier="Relaxed", response_minutes=57600, resolution_minutes=57600, calendar="24x7"
    )
    north_tech, south_tech = tech_on(day, home=NORTH), tech_on(day, home=SOUTH)
    north_job, south_job = job_at(NORTH, policy=policy), job_at(SOUTH, policy=policy)
    book(north_job, south_tech, at(day, 9))
    book(south_job, north_tech, at(day, 9))
    fresh = job_at(NORTH, policy=policy)
    with django_capture_on_commit_callbacks(execute=False):
        run = plan_run_start(actor=None, day=day, time_limit_s=1)
    services.plan_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded"
    return {
        "run": run,
        "north_tech": north_tech,
        "south_tech": south_tech,
        "north_job": north_job,
        "south_job": south_job,
        "fresh": fresh,
    }


def _lane(work_order):
    booking = Booking.objects.get(work_order=work_order, state="active")
    return booking.technician_id, booking.starts_at


def test_accept_applies_every_move(solved, dispatcher, day, django_capture_on_commit_callbacks):
    run = solved["run"]
    changes = {c["work_order"]: c for c in run.proposal["changes"]}
    version_before = board_version(day)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = plan_run_apply(actor=dispatcher, run=run)
    assert board_version(day) > version_before  # open boards refresh

    assert outcome.refused == [] and len(outcome.applied) == 3
    for key in ("north_job", "south_job", "fresh"):
        work_order = solved[key]
        target = changes[work_order.pk]["to"]
        tech_id, starts = _lane(work_order)
        assert tech_id == target["technician"]
        assert starts.isoformat() == target["starts_at"]
        work_order.refresh_from_db()
        assert work_order.status == Status.SCHEDULED
    assert _lane(solved["north_job"])[0] == solved["north_tech"].pk
    assert Event.objects.filter(kind=Event.Kind.PLAN_APPLIED).count() == 3
    run.refresh_from_db()
    assert run.status == "applied" and run.decided_by == dispatcher
    assert run.outcome["applied"]


def test_stale_move_is_refused_and_listed(solved, dispatcher, day):
    run = solved["run"]
    # After the run started, the dispatcher moved the south job by hand.
    booking = Booking.objects.get(work_order=solved["south_job"], state="active")
    Booking.objects.filter(pk=booking.pk).update(starts_at=at(day, 15), ends_at=at(day, 16))

    outcome = plan_run_apply(actor=dispatcher, run=run)

    assert len(outcome.refused) == 1
    assert solved["south_job"].number in outcome.refused[0]
    assert "moved to 15:00" in outcome.refused[0]
    assert len(outcome.applied) == 2
    assert _lane(solved["south_job"]) == (solved["north_tech"].pk, at(day, 15))
    assert _lane(solved["north_job"])[0] == solved["north_tech"].pk
    run.refresh_from_db()
    assert run.status == "applied" and run.outcome["refused"] == outcome.refused


def test_job_assigned_elsewhere_since_the_run_is_refused(solved, dispatcher, day):
    other = tech_on(day)
    book(solved["fresh"], other, at(day, 13))
    outcome = plan_run_apply(actor=dispatcher, run=solved["run"])
    assert any("was assigned to" in line for line in outcome.refused)
    assert _lane(solved["fresh"]) == (other.pk, at(day, 13))


def test_completed_or_released_jobs_are_refused(solved, dispatcher):
    work_order_change_status(actor=None, work_order=solved["north_job"], target=Status.NEW)
    outcome = plan_run_apply(actor=dispatcher, run=solved["run"])
    assert any("is now new" in line for line in outcome.refused)
    assert not Booking.objects.filter(work_order=solved["north_job"], state="active").exists()


def test_new_booking_in_the_target_slot_refuses_only_that_move(solved, dispatcher, day):
    run = solved["run"]
    # Point the new assignment at 11:00 on the north lane, then let someone book 11:30
    # there after the run: only that move is refused, by the no-overlap constraint.
    changes = run.proposal["changes"]
    fresh = next(c for c in changes if c["work_order"] == solved["fresh"].pk)
    fresh["to"].update(
        technician=solved["north_tech"].pk,
        starts_at=at(day, 11).isoformat(),
        ends_at=at(day, 12).isoformat(),
    )
    PlanRun.objects.filter(pk=run.pk).update(proposal=run.proposal)
    blocker = job_at(NORTH)
    book(blocker, solved["north_tech"], at(day, 11, 30))

    outcome = plan_run_apply(actor=dispatcher, run=run)

    assert len(outcome.refused) == 1 and "taken by another booking" in outcome.refused[0]
    assert len(outcome.applied) == 2
    assert not Booking.objects.filter(work_order=solved["fresh"], state="active").exists()
    solved["fresh"].refresh_from_db()
    assert solved["fresh"].status == Status.NEW


def test_discard_changes_nothing(solved, dispatcher):
    before = list(
        Booking.objects.filter(state="active").values_list("pk", "technician", "starts_at")
    )
    plan_run_discard(actor=dispatcher, run=solved["run"])
    after = list(
        Booking.objects.filter(state="active").values_list("pk", "technician", "starts_at")
    )
    assert before == after
    run = PlanRun.objects.get(pk=solved["run"].pk)
    assert run.status == "discarded"
    with pytest.raises(DomainError):
        plan_run_apply(actor=dispatcher, run=run)


def test_time_off_added_since_the_run_refuses_the_moves_into_it(solved, dispatcher, day):
    """A technician who fell ill after the plan was made gets none of its moves."""
    run = solved["run"]
    changes = {c["work_order"]: c for c in run.proposal["changes"]}
    target = changes[solved["fresh"].pk]["to"]
    from technicians.models import TimeOff

    TimeOff.objects.create(
        technician_id=target["technician"], kind="sick", starts_at=at(day, 0), ends_at=at(day, 23)
    )
    outcome = plan_run_apply(actor=dispatcher, run=run)
    refused = " ".join(outcome.refused)
    assert f"{solved['fresh'].number}:" in refused and "sick" in refused.lower()
    assert "added since the plan was made" in refused
    assert not Booking.objects.filter(work_order=solved["fresh"], state="active").exists()
