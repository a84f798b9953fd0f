"""Every hard and soft rule of a drop, judged by the server."""

from datetime import time, timedelta

import pytest

from dispatch.assignment import AssignmentRefused, NeedsConfirmation, board_assign, board_unassign
from dispatch.models import Booking
from dispatch.rules import ProblemCode
from technicians.models import TimeOff
from tests.board.helpers import board_day, hvac, job, local, technician
from tests.factories import SLAPolicyFactory
from workorders.models import Event, SLAPolicy

pytestmark = pytest.mark.django_db


def assign(actor, work_order, tech, position=0, **kwargs):
    return board_assign(
        actor=actor,
        work_order=work_order,
        technician=tech,
        day=board_day(),
        position=position,
        **kwargs,
    )


def test_qualified_technician_gets_the_job_at_shift_start_plus_travel(dispatcher):
    day, skill = board_day(), hvac()
    tech = technician("Maria", day, skills=[(skill, 3, None)])
    work_order = job(skill, level=2)
    outcome = assign(dispatcher, work_order, tech)
    booking = Booking.objects.get(state="active")
    assert booking == outcome.booking and booking.technician == tech
    assert booking.starts_at == local(day, 8) + timedelta(minutes=booking.travel_minutes)
    assert booking.travel_minutes > 0  # home (41.88,-87.63) to site (41.89,-87.62)
    assert booking.ends_at - booking.starts_at == timedelta(minutes=60)
    work_order.refresh_from_db()
    assert work_order.status == "scheduled"
    event = work_order.events.get(kind=Event.Kind.ASSIGNED)
    assert event.actor == dispatcher and event.technician == tech


@pytest.mark.parametrize(
    ("certs", "message", "code"),
    [
        ([], "has no HVAC skill", ProblemCode.MISSING_SKILL),
        ([("level", 1)], "has HVAC level 1, the job needs 2", ProblemCode.MISSING_SKILL),
        ([("expired", 3)], "HVAC certification expired on", ProblemCode.EXPIRED_CERTIFICATION),
    ],
)
def test_skill_and_certification_are_hard_stops(dispatcher, certs, message, code):
    day, skill = board_day(), hvac()
    skills = []
    for kind, level in certs:
        skills.append((skill, level, day - timedelta(days=1) if kind == "expired" else None))
    tech = technician("Maria", day, skills=skills)
    work_order = job(skill, level=2)
    with pytest.raises(AssignmentRefused, match=message) as refusal:
        assign(dispatcher, work_order, tech)
    assert not refusal.value.overridable  # a dispatcher cannot override
    assert [p.code for p in refusal.value.problems] == [code]  # decided by code, not text
    assert not Booking.objects.exists()
    work_order.refresh_from_db()
    assert work_order.status == "new" and work_order.events.count() == 1


def test_certification_valid_on_the_job_date_counts_not_today(dispatcher):
    day, skill = board_day(), hvac()
    tech = technician("Maria", day, skills=[(skill, 3, day)])  # expires at the end of the job day
    assign(dispatcher, job(skill, level=1), tech)
    assert Booking.objects.count() == 1


def test_off_shift_is_a_hard_stop(dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    tech.shifts.all().delete()
    with pytest.raises(AssignmentRefused, match="is off shift on"):
        assign(dispatcher, job(), tech)


def test_job_starting_after_the_shift_is_a_hard_stop(dispatcher):
    day = board_day()
    tech = technician("Maria", day, starts=time(8), ends=time(9))
    assign(dispatcher, job(minutes=60), tech, confirm=True)  # 08:0x–09:0x: overtime, confirmed
    with pytest.raises(AssignmentRefused, match="after Maria's shift ends at 09:00"):
        assign(dispatcher, job(minutes=45), tech, position=1)


def test_time_off_is_a_hard_stop(dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    TimeOff.objects.create(
        technician=tech, kind="sick", starts_at=local(day, 7), ends_at=local(day, 12), reason="Flu"
    )
    with pytest.raises(AssignmentRefused, match=r"is on sick 07:00–12:00 \(Flu\)"):
        assign(dispatcher, job(), tech)


def test_overtime_needs_confirmation(dispatcher):
    day = board_day()
    tech = technician("Maria", day, starts=time(8), ends=time(9))
    work_order = job(minutes=120)
    with pytest.raises(NeedsConfirmation, match="min past Maria's shift end"):
        assign(dispatcher, work_order, tech)
    assert not Booking.objects.exists()
    assign(dispatcher, work_order, tech, confirm=True)
    event = work_order.events.get(kind=Event.Kind.ASSIGNED)
    assert "Accepted:" in event.reason and "shift end" in event.reason


def test_missed_customer_window_needs_confirmation(dispatcher):
    day = board_day()
    tech = technician("Maria", day, starts=time(12), ends=time(18))
    work_order = job(window=(local(day, 8), local(day, 10)))
    with pytest.raises(NeedsConfirmation, match="after the customer's window closes at 10:00"):
        assign(dispatcher, work_order, tech)


def test_window_start_delays_the_job(dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    work_order = job(window=(local(day, 13), local(day, 15)))
    assign(dispatcher, work_order, tech)
    assert Booking.objects.get().starts_at == local(day, 13)


def test_sla_breach_needs_confirmation(dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    tight = SLAPolicyFactory(
        tier="Tight",
        calendar=SLAPolicy.Calendar.ALWAYS,
        response_minutes=60,
        resolution_minutes=120,
    )
    work_order = job(policy=tight)
    with pytest.raises(NeedsConfirmation, match="will miss its SLA response"):
        assign(dispatcher, work_order, tech)


def test_manager_overrides_a_hard_stop_with_a_reason(manager, dispatcher):
    day, skill = board_day(), hvac()
    tech = technician("Maria", day, skills=[(skill, 3, day - timedelta(days=2))])
    work_order = job(skill)
    with pytest.raises(AssignmentRefused) as refusal:
        assign(manager, work_order, tech)
    assert refusal.value.overridable
    with pytest.raises(AssignmentRefused):  # a dispatcher's reason is not enough
        assign(dispatcher, work_order, tech, override_reason="I said so")
    outcome = assign(
        manager, work_order, tech, override_reason="Renewal exam passed, paperwork pending"
    )
    assert outcome.overridden
    override = work_order.events.get(kind=Event.Kind.OVERRIDE)
    assert override.actor == manager and "Renewal exam passed" in override.reason
    assert "expired" in override.after["problems"][0]
    assert override.after["codes"] == [ProblemCode.EXPIRED_CERTIFICATION]


def test_reorder_within_a_lane_replans_every_booking(dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    first, second = job(), job(lat=41.95, lng=-87.65)
    assign(dispatcher, first, tech, position=0)
    assign(dispatcher, second, tech, position=1)
    assign(dispatcher, second, tech, position=0)
    lane = list(Booking.objects.filter(state="active").order_by("starts_at"))
    assert [b.work_order for b in lane] == [second, first]
    assert lane[1].starts_at == lane[0].ends_at + timedelta(minutes=lane[1].travel_minutes)
    assert second.events.filter(kind=Event.Kind.RESCHEDULED).exists()


def test_lane_to_lane_move_closes_the_gap(dispatcher):
    day = board_day()
    maria, omar = technician("Maria", day), technician("Omar", day)
    first, second = job(), job()
    assign(dispatcher, first, maria, position=0)
    assign(dispatcher, second, maria, position=1)
    before = Booking.objects.get(work_order=second, state="active").starts_at
    assign(dispatcher, first, omar, position=0)
    assert Booking.objects.get(work_order=first, state="active").technician == omar
    moved_up = Booking.objects.get(work_order=second, state="active")
    assert moved_up.starts_at < before
    assert first.events.filter(kind=Event.Kind.REASSIGNED).exists()


def test_unassign_returns_the_job_to_the_queue(dispatcher):
    day = board_day()
    tech = technician("Maria", day)
    work_order = job()
    assign(dispatcher, work_order, tech)
    board_unassign(actor=dispatcher, work_order=work_order)
    work_order.refresh_from_db()
    assert work_order.status == "new"
    assert not Booking.objects.filter(state="active").exists()
    assert work_order.events.filter(kind=Event.Kind.UNASSIGNED).exists()


def test_started_jobs_cannot_be_moved_and_stay_first(dispatcher):
    from dispatch.services import work_order_change_status
    from workorders.status import Status

    day = board_day()
    tech = technician("Maria", day)
    running = job()
    assign(dispatcher, running, tech)
    for status in (Status.DISPATCHED, Status.EN_ROUTE):
        work_order_change_status(actor=dispatcher, work_order=running, target=status)
    from core.errors import DomainError

    with pytest.raises(DomainError, match="en route; it cannot be moved"):
        assign(dispatcher, running, technician("Omar", day))
    newcomer = job()
    assign(dispatcher, newcomer, tech, position=0)  # asked for first, lands after the started job
    lane = list(Booking.objects.filter(state="active").order_by("starts_at"))
    assert [b.work_order for b in lane] == [running, newcomer]


def test_a_job_that_would_overlap_a_locked_booking_is_a_hard_stop(dispatcher, manager):
    day = board_day()
    tech = technician("Maria", day)
    fixed = job()
    assign(dispatcher, fixed, tech)
    Booking.objects.filter(work_order=fixed).update(
        locked=True, starts_at=local(day, 9), ends_at=local(day, 10)
    )
    long_job = job(minutes=120)
    with pytest.raises(AssignmentRefused, match="would overlap a job that cannot move") as refusal:
        assign(manager, long_job, tech, position=0)
    assert not refusal.value.overridable  # not even a manager: the database would refuse it
    assert Booking.objects.get(work_order=fixed).starts_at == local(day, 9)


def test_office_cancelling_a_booked_job_frees_the_slot_and_refreshes_boards(
    dispatcher, office, django_capture_on_commit_callbacks
):
    from dispatch.live import board_version
    from dispatch.services import work_order_change_status
    from workorders.status import Status

    day = board_day()
    tech = technician("Maria", day)
    work_order = job()
    assign(dispatcher, work_order, tech)
    before = board_version(day)
    with django_capture_on_commit_callbacks(execute=True):
        work_order_change_status(actor=office, work_order=work_order, target=Status.CANCELLED)
    assert not Booking.objects.filter(work_order=work_order, state="active").exists()
    assert work_order.events.filter(kind=Event.Kind.UNASSIGNED, actor=office).exists()
    assert board_version(day) == before + 1
