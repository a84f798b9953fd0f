"""The board reacts: actual times on the lane, an overrun alert and its proposal, a
sick call re-planned across the others as one proposal."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Booking, FieldAlert
from field.phone import ActionInput, phone_action_apply
from field.replan import overrun_alerts_raise, overrun_propose, technician_unavailable_from_now
from field.tasks import overrun_sweep
from planning.apply import plan_run_apply
from routing.models import PlanRun
from technicians.models import TimeOff
from tests.field.helpers import booked_job, new_id, phone_technician
from workorders.models import Event

pytestmark = pytest.mark.django_db


def report(tech, job, kind, at=None, **extra):
    return phone_action_apply(
        actor=tech.user,
        technician=tech,
        action=ActionInput(
            action_id=new_id(), kind=kind, work_order_id=job.pk, occurred_at=at, **extra
        ),
    )


def on_site_since(tech, job, minutes_ago):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    report(tech, job, "en_route", at=at - timedelta(minutes=5))
    report(tech, job, "on_site", at=at)


def test_the_lane_shows_actual_against_planned(client, dispatcher):
    tech = phone_technician()
    job = booked_job(tech, hours_from_now=-0.5)
    on_site_since(tech, job, 10)
    client.force_login(dispatcher)
    board = client.get(reverse("board_today")).content.decode()
    booking = Booking.objects.get(work_order=job)
    late = round((booking.arrived_at - booking.starts_at).total_seconds() / 60)
    assert f"arrived {timezone.localtime(booking.arrived_at):%H:%M} ({late:+d} min)" in board


def test_an_overrun_is_shown_alerted_once_and_gets_a_proposal(client, dispatcher):
    tech, other = phone_technician(display_name="Ana"), phone_technician(display_name="Ben")
    running = booked_job(tech, hours_from_now=-1.5, minutes=60)
    later = booked_job(tech, hours_from_now=0.5, minutes=60)
    on_site_since(tech, running, 80)  # 80 min on a 60-min job: past 120 %
    assert overrun_sweep() == 1
    assert overrun_alerts_raise() == 0  # once per booking
    alert = FieldAlert.objects.get(kind=FieldAlert.Kind.OVERRUN)
    assert running.number in alert.message and "80 min of 60" in alert.message
    client.force_login(dispatcher)
    board = client.get(reverse("board_today")).content.decode()
    assert "running over" in board and "Re-plan later jobs" in board
    planned = Booking.objects.get(work_order=later).starts_at
    run = overrun_propose(actor=dispatcher, alert=alert)
    assert run.status == PlanRun.Status.SUCCEEDED
    change = next(c for c in run.proposal["changes"] if c["work_order"] == later.pk)
    assert change["action"] == "moved"
    assert change["to"]["technician"] in (tech.pk, other.pk)
    outcome = plan_run_apply(actor=dispatcher, run=run)
    assert outcome.applied and not outcome.refused
    moved = Booking.objects.get(work_order=later, state="active")
    assert (moved.technician_id, moved.starts_at) == (
        change["to"]["technician"],
        timezone.datetime.fromisoformat(change["to"]["starts_at"]),
    )
    assert (moved.technician_id, moved.starts_at) != (tech.pk, planned)


def test_a_sick_call_replans_the_remaining_jobs_as_one_proposal(dispatcher):
    sick = phone_technician(display_name="Sick")
    others = [phone_technician(display_name=f"Other {i}") for i in range(2)]
    started = booked_job(sick, hours_from_now=-0.2)
    report(sick, started, "en_route")
    jobs = [booked_job(sick, hours_from_now=h) for h in (1, 3)]
    run = technician_unavailable_from_now(
        actor=dispatcher, technician=sick, reason="called in sick"
    )
    assert TimeOff.objects.filter(technician=sick, kind="sick").exists()
    alert = FieldAlert.objects.get(kind=FieldAlert.Kind.UNAVAILABLE)
    assert alert.plan_run == run
    changes = {c["work_order"]: c for c in run.proposal["changes"]}
    assert set(changes) == {j.pk for j in jobs}  # the job already started stays
    assert {c["to"]["technician"] for c in changes.values()} <= {o.pk for o in others}
    outcome = plan_run_apply(actor=dispatcher, run=run)
    assert len(outcome.applied) == 2 and not outcome.refused
    for job in jobs:
        booking = Booking.objects.get(work_order=job, state="active")
        assert booking.technician_id in {o.pk for o in others}
    assert Event.objects.filter(kind=Event.Kind.FIELD_ALERT, technician=sick).exists()


def test_the_sick_call_form_on_the_board(client, dispatcher):
    sick, other = phone_technician(display_name="Sick"), phone_technician(display_name="Well")
    job = booked_job(sick, hours_from_now=2)
    client.force_login(dispatcher)
    empty = client.post(
        reverse("technician_unavailable"), {"technician": sick.pk, "reason": " "}, follow=True
    )
    assert "Say why the technician is unavailable" in empty.content.decode()
    answer = client.post(
        reverse("technician_unavailable"), {"technician": sick.pk, "reason": "flu"}, follow=True
    )
    page = answer.content.decode()
    assert "proposal #" in page and "is unavailable from" in page
    run = PlanRun.objects.get()
    assert run.proposal["changes"][0]["work_order"] == job.pk
    assert run.proposal["changes"][0]["to"]["technician"] == other.pk
    # The technician's shift today is all day; the time off covers from now on.
    assert TimeOff.objects.get().ends_at.astimezone(timezone.get_current_timezone()).time() >= time(
        23, 59
    )


def test_alert_buttons_come_back_to_the_board_even_after_a_live_refresh(client, dispatcher):
    tech = phone_technician(display_name="Tina")
    day = timezone.localdate()
    FieldAlert.objects.create(
        kind=FieldAlert.Kind.CANNOT_COMPLETE, technician=tech, day=day, message="No access"
    )
    client.force_login(dispatcher)
    poll = client.get(reverse("board_poll", args=[day]) + "?v=-1&team=North")
    body = poll.content.decode()
    assert "No access" in body
    assert f'name="next" value="{reverse("board_day", args=[day])}?team=North"' in body
    assert "/poll/" not in body.split('name="next"')[1][:80]
