"""Phone actions: each records the actual time on the booking, logs it, applies once,
and refuses hostile or bad input with a clear message and no partial change."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Booking, FieldAlert, PhoneAction
from dispatch.selectors import unassigned_work_orders
from field.phone import ActionInput, PhoneRefusal, RefusalCode, phone_action_apply
from tests.field.helpers import booked_job, jpeg, new_id, phone_technician
from workorders.models import Event, WorkOrderPhoto
from workorders.status import Status

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def act(client, work_order, kind, **fields):
    data = {"action_id": new_id(), "kind": kind, **fields}
    return client.post(reverse("my_job_action", args=[work_order.pk]), data, **JSON)


def booking_of(work_order) -> Booking:
    return Booking.objects.filter(work_order=work_order).latest("pk")


def test_a_whole_job_from_the_phone_records_actual_times_events_and_a_photo(client):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    for kind in ("acknowledge", "en_route", "on_site"):
        answer = act(client, job, kind)
        assert answer.status_code == 200, answer.content
        assert answer.json()["ok"] is True
    done = act(client, job, "complete", note="Replaced the valve", photos=[jpeg()])
    assert done.status_code == 200, done.content
    job.refresh_from_db()
    booking = booking_of(job)
    assert job.status == Status.COMPLETED and booking.state == Booking.State.ACTIVE
    assert (
        booking.acknowledged_at <= booking.en_route_at <= booking.arrived_at <= booking.finished_at
    )
    assert job.responded_at == booking.arrived_at and job.resolved_at == booking.finished_at
    assert WorkOrderPhoto.objects.filter(work_order=job).count() == 1
    reports = job.events.filter(kind=Event.Kind.FIELD_REPORT)
    assert reports.count() == 4
    completed = job.events.get(kind=Event.Kind.STATUS_CHANGED, after__status="completed")
    assert completed.reason == "Replaced the valve"
    assert PhoneAction.objects.filter(work_order=job).count() == 4


def test_plain_form_posts_work_without_javascript(client):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    answer = client.post(
        reverse("my_job_action", args=[job.pk]), {"action_id": new_id(), "kind": "en_route"}
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("my_job", args=[job.pk])
    page = client.get(answer["Location"])
    assert f"{job.number}: on your way." in page.content.decode()


def test_a_replayed_offline_action_keeps_the_phones_time(client):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    act(client, job, "en_route")
    en_route_at = booking_of(job).en_route_at
    earlier = timezone.now() - timedelta(minutes=3)
    answer = act(client, job, "on_site", occurred_at=earlier.isoformat())
    assert answer.status_code == 200
    arrived = booking_of(job).arrived_at
    # Never before the fact already recorded (the check constraint insists too).
    assert arrived == max(earlier, en_route_at)


def test_a_backdated_report_cannot_meet_the_sla_before_the_facts(client):
    """A phone whose clock is hours behind (or a forged time) does not move the SLA."""
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    act(client, job, "en_route")
    en_route_at = booking_of(job).en_route_at
    eleven_hours_ago = timezone.now() - timedelta(hours=11)
    assert act(client, job, "on_site", occurred_at=eleven_hours_ago.isoformat()).status_code == 200
    job.refresh_from_db()
    assert job.responded_at >= en_route_at >= job.created_at
    assert booking_of(job).arrived_at == job.responded_at


def test_the_same_action_id_is_applied_once(client):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    data = {"action_id": new_id(), "kind": "en_route"}
    url = reverse("my_job_action", args=[job.pk])
    assert client.post(url, data, **JSON).status_code == 200
    events = Event.objects.count()
    again = client.post(url, data, **JSON)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_action"
    assert "already recorded" in again.json()["message"]
    assert Event.objects.count() == events
    # The same id for another kind of action is a replay too.
    forged = client.post(url, {**data, "kind": "on_site"}, **JSON)
    assert forged.json()["code"] == "duplicate_action"
    job.refresh_from_db()
    assert job.status == Status.EN_ROUTE


def test_another_technicians_job_is_refused_and_unchanged(client):
    mine, theirs = phone_technician(), phone_technician()
    their_job = booked_job(theirs)
    client.force_login(mine.user)
    answer = act(client, their_job, "en_route")
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_yours"
    assert "not assigned to you" in answer.json()["message"]
    their_job.refresh_from_db()
    assert their_job.status == Status.SCHEDULED
    assert booking_of(their_job).en_route_at is None
    assert not PhoneAction.objects.exists()
    # Nor can the job page be opened.
    page = client.get(reverse("my_job", args=[their_job.pk]), follow=True)
    assert their_job.number not in page.content.decode()
    assert "not on your day" in page.content.decode()


def test_an_action_queued_before_a_reassignment_is_refused_plainly(client):
    first, second = phone_technician(), phone_technician()
    job = booked_job(first)
    client.force_login(first.user)
    act(client, job, "en_route")
    from dispatch.services import work_order_book, work_order_change_status

    # The dispatcher takes the job back and gives it to someone else meanwhile.
    work_order_change_status(actor=None, work_order=job, target=Status.DISPATCHED)
    work_order_change_status(actor=None, work_order=job, target=Status.NEW)
    work_order_book(
        actor=None, work_order=job, technician=second, starts_at=timezone.now() + timedelta(hours=3)
    )
    replay = act(client, job, "on_site", occurred_at=timezone.now().isoformat())
    assert replay.status_code == 403
    body = replay.json()
    assert body["code"] == "not_yours" and "reassigned" in body["message"]
    job.refresh_from_db()
    assert job.status == Status.SCHEDULED


def test_on_hold_needs_a_reason_then_takes_the_job_off_the_day(client):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    act(client, job, "en_route")
    act(client, job, "on_site")
    missing = act(client, job, "hold")
    assert missing.status_code == 400 and "awaiting parts or customer" in missing.json()["message"]
    answer = act(client, job, "hold", hold_reason="parts", note="Needs a 3/4 valve")
    assert answer.status_code == 200 and answer.json()["next"] == reverse("my_jobs")
    job.refresh_from_db()
    booking = booking_of(job)
    assert job.status == Status.ON_HOLD and job.hold_reason == "parts"
    assert booking.state == Booking.State.CANCELLED and booking.finished_at is not None


def test_cannot_complete_returns_the_job_to_the_queue_and_alerts_the_dispatcher(client):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    act(client, job, "en_route")
    act(client, job, "on_site")
    assert act(client, job, "cannot_complete", cannot_reason="other").status_code == 400
    answer = act(client, job, "cannot_complete", cannot_reason="skills", note="Needs two people")
    assert answer.status_code == 200
    job.refresh_from_db()
    assert job.status == Status.NEW
    assert unassigned_work_orders().filter(pk=job.pk).exists()
    alert = FieldAlert.objects.get()
    assert alert.kind == FieldAlert.Kind.CANNOT_COMPLETE and alert.work_order == job
    assert "Needs two people" in alert.message
    assert job.events.filter(kind=Event.Kind.FIELD_ALERT).exists()


def test_completing_needs_a_note_and_an_oversized_photo_changes_nothing(client, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 2048
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    act(client, job, "en_route")
    act(client, job, "on_site")
    events = Event.objects.count()
    no_note = act(client, job, "complete", note="  ")
    assert no_note.status_code == 400 and "resolution note" in no_note.json()["message"]
    big = act(client, job, "complete", note="Done", photos=[jpeg("big.jpg", (900, 900))])
    assert big.status_code == 400
    assert big.json()["code"] == "bad_photo" and "the limit is" in big.json()["message"]
    fake = act(
        client,
        job,
        "photo",
        photos=[jpeg("x.jpg").__class__("x.jpg", b"<script>alert(1)</script>", "image/jpeg")],
    )
    assert fake.status_code == 400 and "not an image" in fake.json()["message"]
    job.refresh_from_db()
    assert job.status == Status.ON_SITE and booking_of(job).finished_at is None
    assert not WorkOrderPhoto.objects.exists()
    assert Event.objects.count() == events


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action_id": "not-a-uuid", "kind": "en_route"}, "action id is not valid"),
        ({"kind": "en_route"}, "has no id"),
        (
            {"action_id": "5d3c2a8e-0000-4000-8000-000000000000", "kind": "teleport"},
            "not something",
        ),
        (
            {
                "action_id": "5d3c2a8e-0000-4000-8000-000000000001",
                "kind": "en_route",
                "occurred_at": "yesterday-ish",
            },
            "not a valid time",
        ),
    ],
)
def test_bad_input_gets_a_specific_message(client, data, message):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    answer = client.post(reverse("my_job_action", args=[job.pk]), data, **JSON)
    assert answer.status_code == 400
    assert message in answer.json()["message"]
    job.refresh_from_db()
    assert job.status == Status.SCHEDULED


def test_an_action_older_than_the_limit_is_refused(client):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    answer = act(
        client, job, "en_route", occurred_at=(timezone.now() - timedelta(hours=13)).isoformat()
    )
    assert answer.status_code == 409 and answer.json()["code"] == "too_old"


def test_one_job_at_a_time(client):
    tech = phone_technician()
    first, second = booked_job(tech, hours_from_now=1), booked_job(tech, hours_from_now=3)
    client.force_login(tech.user)
    act(client, first, "en_route")
    answer = act(client, second, "en_route")
    assert answer.status_code == 409 and answer.json()["code"] == "busy_elsewhere"
    assert first.number in answer.json()["message"]


def test_script_in_a_note_is_text_everywhere(client, dispatcher):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    act(client, job, "cannot_complete", cannot_reason="other", note="<script>alert(1)</script>")
    alert = FieldAlert.objects.get()
    assert "<script>alert(1)</script>" in alert.message  # stored as typed…
    client.force_login(dispatcher)
    board = client.get(reverse("board_today")).content.decode()
    assert "<script>alert(1)</script>" not in board  # …and shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in board


def test_service_refuses_with_a_code():
    tech = phone_technician()
    job = booked_job(tech)
    with pytest.raises(PhoneRefusal) as refusal:
        phone_action_apply(
            actor=tech.user,
            technician=tech,
            action=ActionInput(action_id=new_id(), kind="on_site", work_order_id=job.pk),
        )
    assert refusal.value.code == RefusalCode.ILLEGAL_STATUS
    assert "cannot go from Scheduled to On site" in refusal.value.message


def test_a_job_booked_for_tomorrow_cannot_be_started_or_completed_today(client):
    tech = phone_technician()
    job = booked_job(tech, hours_from_now=24)
    client.force_login(tech.user)
    assert act(client, job, "acknowledge").json()["ok"] is True  # reading ahead is fine
    for kind in ("en_route", "on_site", "complete"):
        answer = act(client, job, kind, note="Done early")
        body = answer.json()
        assert answer.status_code == 409 and body["code"] == RefusalCode.NOT_TODAY
        assert "not today" in body["message"] and "call the dispatcher" in body["message"]
    job.refresh_from_db()
    assert job.status in (Status.SCHEDULED, Status.DISPATCHED)
    assert not PhoneAction.objects.filter(work_order=job).exclude(kind="acknowledge").exists()
