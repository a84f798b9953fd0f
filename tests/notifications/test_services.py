"""The API dispatch calls: which texts are queued, and never twice."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from notifications import inbound, outbox, services
from notifications.models import InboundMessage, MessageTemplate, OutboundMessage, TrackingLink
from notifications.selectors import unread_reply_counts
from tests.factories import make_work_order
from tests.notifications.conftest import local, plan
from workorders.models import Event
from workorders.status import Status

pytestmark = pytest.mark.django_db
Out = OutboundMessage.Status


@pytest.fixture(autouse=True)
def daytime():
    with time_machine.travel(local(0, 10), tick=True):
        yield


def texts(work_order=None, **filters):
    qs = OutboundMessage.objects.order_by("created_at", "id")
    if work_order is not None:
        qs = qs.filter(work_order=work_order)
    return list(qs.filter(**filters))


def mark_sent(message):
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Out.SENT, provider_sid=f"SM{message.pk:032d}"
    )


def test_booking_queues_one_booked_text_with_date_and_window(job, tech, enqueued):
    with transaction.atomic():
        plan(job, tech, local(1, 14, 10))
        assert enqueued == []  # only after commit
    (text,) = texts(job)
    assert text.kind == "booked" and text.status == Out.QUEUED and text.to == "+13125550101"
    assert "Acme Air" in text.body and job.number in text.body
    assert "2:00 PM-4:00 PM" in text.body  # arrival window around the planned start
    assert text.eta_at == local(1, 14, 10)


def test_booked_text_is_queued_after_commit_only(job, tech, django_capture_on_commit_callbacks):
    calls = []
    real_enqueue_many = outbox.enqueue_many
    try:
        outbox.enqueue_many = lambda ids, countdown=None: calls.append(ids)
        with django_capture_on_commit_callbacks(execute=True):
            plan(job, tech, local(1, 9))
            plan(make_work_order(site=job.site), tech, local(2, 9))
            with pytest.raises(ZeroDivisionError), transaction.atomic():
                plan(make_work_order(site=job.site), tech, local(3, 9))
                raise ZeroDivisionError  # a rolled-back savepoint: its text is not enqueued
            plan(make_work_order(site=job.site), tech, local(4, 9))
    finally:
        outbox.enqueue_many = real_enqueue_many
    # one enqueue for the transaction, with every row it committed
    assert calls == [[t.pk for t in texts()]] and len(calls[0]) == 3


def test_same_plan_twice_and_small_moves_send_nothing_more(job, tech, enqueued):
    plan(job, tech, local(1, 9))
    mark_sent(texts(job)[0])
    plan(job, tech, local(1, 9))
    plan(job, tech, local(1, 9, 10))  # < 15 min and inside the arrival window
    assert len(texts(job)) == 1


def test_delay_today_when_moved_by_the_threshold(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    mark_sent(texts(job)[0])
    plan(job, tech, local(0, 13, 20), cause="overrun")
    _first, delay = texts(job)
    assert (
        delay.kind == "delay" and delay.eta_at == local(0, 13, 20) and "1:05-1:35 PM" in delay.body
    )
    assert delay.cause == "overrun"


def test_delay_when_the_eta_leaves_the_promised_window(tech, enqueued):
    job = make_work_order(window=(local(0, 12), local(0, 14)))
    plan(job, tech, local(0, 13, 50))
    mark_sent(texts(job)[0])
    plan(job, tech, local(0, 14, 5))  # moved 15 min… use 5 more below the threshold
    assert [t.kind for t in texts(job)] == ["booked", "delay"]


def test_leaving_the_window_by_less_than_the_threshold_texts(tech, enqueued, settings):
    settings.NOTIFY_DELAY_THRESHOLD_MINUTES = 60
    job = make_work_order(window=(local(0, 12), local(0, 14)))
    plan(job, tech, local(0, 13, 50))
    mark_sent(texts(job)[0])
    plan(job, tech, local(0, 14, 5))
    assert [t.kind for t in texts(job)] == ["booked", "delay"]


def test_one_text_per_real_change_not_per_call(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    mark_sent(texts(job)[0])
    with transaction.atomic():  # one drag re-plans the lane: several calls
        plan(job, tech, local(0, 13, 30))
        plan(job, tech, local(0, 13, 45))
        plan(job, tech, local(0, 14))
    delays = texts(job, kind="delay")
    assert (
        len(delays) == 1 and delays[0].eta_at == local(0, 14) and "1:45-2:15 PM" in delays[0].body
    )


def test_moving_back_to_what_was_texted_drops_the_waiting_text(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    mark_sent(texts(job)[0])
    plan(job, tech, local(0, 14))
    plan(job, tech, local(0, 13))
    assert [(t.kind, t.status) for t in texts(job)] == [
        ("booked", Out.SENT),
        ("delay", Out.SKIPPED),
    ]
    plan(job, tech, local(0, 14))  # a later real change still texts
    assert [t.status for t in texts(job, kind="delay")] == [Out.SKIPPED, Out.QUEUED]


def test_another_day_is_a_reschedule(job, tech, enqueued):
    plan(job, tech, local(1, 9))
    mark_sent(texts(job)[0])
    plan(job, tech, local(2, 9))
    assert texts(job)[-1].kind == "rescheduled"


def test_worker_claimed_text_is_not_rewritten(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    booked = texts(job)[0]
    assert outbox.outbox_claim(message_id=booked.pk)
    plan(job, tech, local(0, 15))
    booked.refresh_from_db()
    assert booked.eta_at == local(0, 13) and booked.status == Out.SENDING
    assert texts(job)[-1].kind == "delay" and texts(job)[-1].eta_at == local(0, 15)


def test_no_consent_or_opted_out_customer_gets_nothing(job, tech, enqueued):
    job.customer.sms_consent = False
    job.customer.save()
    plan(job, tech, local(1, 9))
    job.customer.sms_consent = True
    job.customer.sms_opted_out_at = timezone.now()
    job.customer.save()
    plan(job, tech, local(2, 9))
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="scheduled", new_status="dispatched"
    )
    assert texts(job) == [] and enqueued == []


def test_quiet_hours_hold_booked_texts_but_not_delays(job, tech, enqueued):
    with time_machine.travel(local(0, 22), tick=False):
        plan(job, tech, local(1, 9))
        (booked,) = texts(job)
        assert booked.next_attempt_at == local(1, 8)
        mark_sent(booked)
        job2 = make_work_order()
        plan(job2, tech, local(0, 23, 30))
        mark_sent(texts(job2)[0])
        plan(job2, tech, local(0, 23, 50))
        (delay,) = texts(job2, kind="delay")
        assert delay.next_attempt_at == timezone.now()


def test_rate_limit_per_customer(job, tech, enqueued):
    for day in range(1, 9):
        plan(make_work_order(site=job.site), tech, local(day, 9))
    statuses = [t.status for t in texts()]
    assert statuses.count(Out.QUEUED) == 6 and statuses.count(Out.SKIPPED) == 2
    assert texts(status=Out.SKIPPED)[0].error_code == "rate-limit"


def test_switched_off_kind_is_not_sent(job, tech, enqueued):
    MessageTemplate.objects.create(kind="booked", body="x", enabled=False)
    plan(job, tech, local(1, 9))
    assert texts(job) == []


def test_dispatch_texts_a_tracking_link_once(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    kwargs = {"work_order": job, "technician": tech, "old_status": "scheduled"}
    with transaction.atomic():
        services.work_order_status_changed(**kwargs, new_status="dispatched")
        services.work_order_status_changed(**kwargs, new_status="dispatched")
    link = TrackingLink.objects.get(work_order=job)
    assert len(link.token) >= 43  # 256 random bits
    dispatched = texts(job, kind="dispatched")
    assert len(dispatched) == 1
    assert f"https://dispatch.example.com/t/{link.token}/" in dispatched[0].body
    assert "Alex" in dispatched[0].body and "Moreno" not in dispatched[0].body
    # the booked text still waiting was replaced by the dispatched one
    assert texts(job, kind="booked")[0].status == Out.SKIPPED


def test_en_route_then_completed_then_link_expires(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    services.work_order_status_changed(
        work_order=job,
        technician=tech,
        old_status="dispatched",
        new_status="en_route",
        eta_start=local(0, 12, 40),
        eta_end=local(0, 13, 10),
    )
    omw = texts(job, kind="on_my_way")[0]
    assert "12:25-12:55 PM" in omw.body and "/t/" in omw.body  # the window around 12:40
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="on_site", new_status="completed"
    )
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="on_site", new_status="completed"
    )
    assert len(texts(job, kind="completed")) == 1
    link = TrackingLink.objects.get(work_order=job)
    assert link.expires_at - timezone.now() > timedelta(hours=23, minutes=59)


def test_cancel_texts_only_customers_told_about_a_visit(job, tech, enqueued):
    services.work_order_status_changed(
        work_order=job, technician=None, old_status="new", new_status="cancelled"
    )
    assert texts(job) == []
    job2 = make_work_order()
    plan(job2, tech, local(1, 9))
    mark_sent(texts(job2)[0])
    services.visit_released(work_order=job2, cause="cancel")
    services.work_order_status_changed(
        work_order=job2, technician=None, old_status="scheduled", new_status="cancelled"
    )
    assert texts(job2)[-1].kind == "cancelled"


def test_released_visit_drops_waiting_texts(job, tech, enqueued):
    plan(job, tech, local(1, 9))
    services.visit_released(work_order=job, cause="unassigned")
    assert texts(job)[0].status == Out.SKIPPED


def test_naive_times_are_refused(job, tech):
    from core.errors import DomainError

    with pytest.raises(DomainError):
        services.visit_planned(
            work_order=job,
            technician=tech,
            starts_at=local(1, 9).replace(tzinfo=None),
            ends_at=local(1, 10).replace(tzinfo=None),
            cause="x",
        )


# --------------------------------------------------------------------------- sending (sandbox)


def test_sandbox_send_records_a_provider_id(job, tech, enqueued):
    plan(job, tech, local(1, 9))
    text = texts(job)[0]
    assert outbox.outbox_send(message_id=text.pk) == "sent"
    text.refresh_from_db()
    assert text.status == Out.DELIVERED and text.provider_sid.startswith("SB")
    assert text.provider == "sandbox" and text.attempts == 1 and text.lease_until is None
    assert outbox.outbox_send(message_id=text.pk) == "done"  # a redelivered task


def test_sweep_hands_out_due_rows_and_expired_leases_only(job, tech, enqueued, settings):
    settings.NOTIFY_LEASE_SECONDS = 60
    plan(job, tech, local(1, 9))
    text = texts(job)[0]
    enqueued.clear()
    assert outbox.outbox_sweep(grace_seconds=30) == 0  # fresh: its own task has it
    assert outbox.outbox_sweep(grace_seconds=0) == 1 and enqueued == [text.pk]
    assert outbox.outbox_claim(message_id=text.pk)
    assert outbox.outbox_claim(message_id=text.pk) is None  # leased
    assert outbox.outbox_sweep(grace_seconds=0) == 0  # the lease holds
    assert outbox.outbox_sweep(now=timezone.now() + timedelta(seconds=30), grace_seconds=0) == 0
    later = timezone.now() + timedelta(seconds=61)
    assert outbox.outbox_sweep(now=later, grace_seconds=0) == 1
    assert outbox.outbox_claim(message_id=text.pk, now=later)  # a new lease, attempt 2


def test_opt_out_between_queue_and_send_skips(job, tech, enqueued):
    plan(job, tech, local(1, 9))
    text = texts(job)[0]
    job.customer.sms_opted_out_at = timezone.now()
    job.customer.save()
    assert outbox.outbox_send(message_id=text.pk) == "skipped"


# --------------------------------------------------------------------------- inbound


def receive(body, sid="SM1", number="+13125550101"):
    return inbound.inbound_receive(provider_sid=sid, from_number=number, to_number="+1", body=body)


@pytest.mark.parametrize("word", ["STOP", "stopall", " Unsubscribe ", "CANCEL", "end", "Quit."])
def test_stop_words_opt_out_and_nothing_is_sent_after(job, tech, enqueued, word):
    plan(job, tech, local(1, 9))
    receive(word)
    job.customer.refresh_from_db()
    assert job.customer.sms_opted_out_at is not None
    assert Event.objects.filter(customer=job.customer, summary__contains="opted out").exists()
    assert texts(job)[0].status == Out.SKIPPED  # the waiting booked text
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="scheduled", new_status="dispatched"
    )
    assert not texts(job, status=Out.QUEUED)


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_start_words_opt_back_in(job, word):
    receive("STOP")
    receive(word, sid="SM2")
    job.customer.refresh_from_db()
    assert job.customer.sms_opted_out_at is None and job.customer.sms_consent


def test_help_queues_the_help_text(job, enqueued):
    receive("help")
    (text,) = texts()
    assert text.kind == "help" and "STOP" in text.body


def test_reply_attaches_to_the_current_work_order(job, tech, enqueued):
    plan(job, tech, local(1, 9))
    result = receive("Gate code is 1234")
    assert result.message.work_order == job and result.message.kind == "reply"
    assert receive("Gate code is 1234").created is False  # Twilio retried the webhook
    assert unread_reply_counts([job.pk, 999]) == {job.pk: 1}
    inbound.replies_mark_read(actor=None, work_order=job)
    assert unread_reply_counts([job.pk]) == {}
    assert InboundMessage.objects.count() == 1


def test_status_callbacks_move_forward_only(job, tech, enqueued):
    plan(job, tech, local(1, 9))
    text = texts(job)[0]
    mark_sent(text)
    sid = f"SM{text.pk:032d}"
    assert outbox.delivery_status_record(provider_sid=sid, status="delivered")
    assert not outbox.delivery_status_record(provider_sid=sid, status="sent")
    text.refresh_from_db()
    assert text.status == Out.DELIVERED
    assert not outbox.delivery_status_record(provider_sid="SMunknown", status="failed")


def test_failed_callback_21610_opts_the_customer_out(job, tech, enqueued):
    plan(job, tech, local(1, 9))
    text = texts(job)[0]
    mark_sent(text)
    outbox.delivery_status_record(
        provider_sid=f"SM{text.pk:032d}", status="failed", error_code="21610"
    )
    text.refresh_from_db()
    job.customer.refresh_from_db()
    assert text.status == Out.FAILED and job.customer.sms_opted_out_at is not None


# --------------------------------------------------------------------------- reminders


def test_reminders_the_evening_before_once(job, tech, enqueued):
    job.status = Status.SCHEDULED
    job.save()
    plan(job, tech, local(1, 9))
    assert services.reminders_queue(now=local(0, 12)) == 0  # too early in the day
    assert services.reminders_queue(now=local(0, 18, 5)) == 1
    services.reminders_queue(now=local(0, 18, 20))
    assert len(texts(job, kind="reminder")) == 1
    assert services.reminders_queue(now=local(0, 22)) == 0  # quiet hours


def test_setting_off_at_once_sends_one_text_not_two(job, tech, enqueued):
    """Scheduled → dispatched → en route in one go: only "on my way" goes out."""
    plan(job, tech, local(0, 13))
    kwargs = {"work_order": job, "technician": tech}
    with transaction.atomic():
        services.work_order_status_changed(
            **kwargs, old_status="scheduled", new_status="dispatched"
        )
        services.work_order_status_changed(**kwargs, old_status="dispatched", new_status="en_route")
    assert texts(job, kind="dispatched")[0].status == Out.SKIPPED
    assert [t.status for t in texts(job, kind="on_my_way")] == [Out.QUEUED]


def test_arriving_drops_eta_texts_still_waiting(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="scheduled", new_status="dispatched"
    )
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="en_route", new_status="on_site"
    )
    assert all(t.status == Out.SKIPPED for t in texts(job))  # none goes out after arrival


def test_a_second_visit_is_told_again(job, tech, enqueued):
    """After a hold and a new booking, the customer hears "on my way" for the new visit."""
    plan(job, tech, local(0, 13))
    kwargs = {"work_order": job, "technician": tech, "old_status": "dispatched"}
    services.work_order_status_changed(**kwargs, new_status="en_route")
    mark_sent(texts(job, kind="on_my_way")[0])
    services.work_order_status_changed(**kwargs, new_status="en_route")
    assert len(texts(job, kind="on_my_way")) == 2
    services.work_order_status_changed(**kwargs, new_status="en_route")
    assert len(texts(job, kind="on_my_way")) == 2  # but one text per visit


def test_an_eta_recomputed_every_minute_keeps_one_rate_limited_row(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    mark_sent(texts(job, kind="booked")[0])
    for day in range(1, 7):  # six more texts this hour: the customer is at the limit
        plan(make_work_order(site=job.site), tech, local(day, 9))
    for minutes in (30, 60, 90, 120):  # the ETA keeps slipping, minute after minute
        plan(job, tech, local(0, 13) + timedelta(minutes=minutes))
    skipped = texts(job, kind="delay", status=Out.SKIPPED)
    assert len(skipped) == 1 and skipped[0].error_code == "rate-limit"


def _eta(job, tech, starts_at):
    return {
        "work_order": job,
        "technician": tech,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=60),
        "cause": "ETA from the technician's position",
    }


def test_an_eta_the_visit_holds_is_decided_again_only_after_a_while(job, tech, enqueued):
    from notifications.models import Visit

    plan(job, tech, local(0, 13))
    written = Visit.objects.get(work_order=job).updated_at
    assert services.visit_eta_recomputed(**_eta(job, tech, local(0, 13))) is False
    assert Visit.objects.get(work_order=job).updated_at == written  # no write at all
    later = timezone.now() + services.ETA_REDECIDE_AFTER + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert services.visit_eta_recomputed(**_eta(job, tech, local(0, 13))) is True
    # Another technician's visit is another plan: decided at once.
    from tests.factories import TechnicianFactory

    assert services.visit_eta_recomputed(**_eta(job, TechnicianFactory(), local(0, 13)))


def test_a_recomputed_eta_that_moved_texts_a_delay_once(job, tech, enqueued):
    plan(job, tech, local(0, 13))
    mark_sent(texts(job, kind="booked")[0])
    assert services.visit_eta_recomputed(**_eta(job, tech, local(0, 13, 30))) is True
    (delay,) = texts(job, kind="delay")
    assert delay.eta_at == local(0, 13, 30) and delay.cause == "ETA from the technician's position"
    assert services.visit_eta_recomputed(**_eta(job, tech, local(0, 13, 30))) is False
    assert services.visit_eta_recomputed(**_eta(job, tech, local(0, 13, 31))) is True
    assert len(texts(job, kind="delay")) == 1  # one waiting text, rewritten
