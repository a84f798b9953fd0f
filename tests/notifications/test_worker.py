"""Faults, end to end: a real Celery worker sends through the real twilio client to a
local fake Twilio that counts each message's requests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import urlencode

import psycopg
import pytest
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications import outbox, services
from notifications.models import OutboundMessage
from tests.celery_worker import CELERY, ROOT, Worker, _test_database_url
from tests.factories import SiteFactory, TechnicianFactory, make_work_order
from tests.notifications.fake_twilio import AUTH_TOKEN, start_fake_twilio, twilio_env

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
Out = OutboundMessage.Status
WORKER_ENV = {
    "NOTIFY_RETRY_BASE_SECONDS": "0.4",
    "NOTIFY_LEASE_SECONDS": "2",
    "NOTIFY_PROVIDER_TIMEOUT_SECONDS": "1",
    "NOTIFY_QUIET_HOURS": "00:00-00:00",  # the suite may run at night
    "NOTIFY_PUBLIC_BASE_URL": "https://dispatch.example.com",
}


@pytest.fixture
def fake():
    fake, server = start_fake_twilio()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(fake, monkeypatch, settings, request) -> Worker:
    env = twilio_env(fake) | WORKER_ENV
    for name, value in env.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, value)
    settings.NOTIFY_RETRY_BASE_SECONDS = 0.4
    settings.NOTIFY_LEASE_SECONDS = 2.0
    settings.NOTIFY_PROVIDER_TIMEOUT_SECONDS = 1.0
    return request.getfixturevalue("celery_worker")


def tomorrow(hour: int):
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour))


def book(hour: int = 9, phone: str | None = None):
    site = SiteFactory(**({"customer__phone": phone} if phone else {}))
    job = make_work_order(site=site)
    tech = TechnicianFactory()
    services.visit_planned(
        work_order=job,
        technician=tech,
        starts_at=tomorrow(hour),
        ends_at=tomorrow(hour) + timedelta(hours=1),
        cause="test",
    )
    return job, tech, OutboundMessage.objects.get(work_order=job)


def wait_for(predicate, timeout: float = 20, what: str = "condition", worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    log = worker.log()[-3000:] if worker else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def status_of(message: OutboundMessage) -> str:
    return OutboundMessage.objects.values_list("status", flat=True).get(pk=message.pk)


def test_sent_once_with_the_provider_id_and_a_status_callback_url(worker, fake):
    job, _, text = book()
    wait_for(lambda: status_of(text) == Out.SENT, what="sent", worker=worker)
    text.refresh_from_db()
    (hit,) = fake.requests_for(job.number)
    assert text.provider_sid == hit.sid and text.provider == "twilio" and text.attempts == 1
    assert hit.to == job.customer.phone and hit.sender == "+15005550006"
    assert hit.status_callback == "https://dispatch.example.com/sms/status/"


def test_500_500_201_is_sent_once_after_three_attempts(worker, fake):
    fake.script(["500", "500"])
    job, _, text = book()
    wait_for(lambda: status_of(text) == Out.SENT, what="sent", worker=worker)
    text.refresh_from_db()
    hits = fake.requests_for(job.number)
    assert [hit.status for hit in hits] == [500, 500, 201]
    assert fake.successes()[text.body] == 1 and text.attempts == 3
    # exponential backoff: the second wait is longer than the first (base 0.4 s, jitter ×0.5–1.5)
    assert hits[1].at - hits[0].at >= 0.2 and hits[2].at - hits[1].at >= 0.4


def test_429_is_retried_after_the_backoff(worker, fake):
    fake.script(["429"])
    job, _, text = book()
    wait_for(lambda: status_of(text) == Out.SENT, what="sent", worker=worker)
    first, second = fake.requests_for(job.number)
    assert first.status == 429 and second.status == 201
    assert second.at - first.at >= 0.2  # at least half the base backoff


def test_permanent_errors_do_not_retry_and_21610_opts_out(worker, fake):
    fake.script(["21211"])
    job, _, text = book()
    wait_for(lambda: status_of(text) == Out.FAILED, what="failed", worker=worker)
    fake.script(["21610"])
    job2, _, text2 = book(phone="+13125550199")
    wait_for(lambda: status_of(text2) == Out.FAILED, what="failed", worker=worker)
    time.sleep(1.0)
    assert len(fake.requests_for(job.number)) == 1 and len(fake.requests_for(job2.number)) == 1
    text.refresh_from_db()
    assert text.error_code == "21211"
    job2.customer.refresh_from_db()
    assert job2.customer.sms_opted_out_at is not None


def test_redis_down_at_enqueue_then_each_text_sent_once(worker, fake):
    from config.celery import app

    good = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # a closed port: the broker is "down"
    app._pool = None
    app.amqp._producer_pool = None
    try:
        started = time.monotonic()
        jobs = [book(hour=8 + i) for i in range(4)]
        assert time.monotonic() - started < 5  # commits are not held up by Celery retries
        assert all(status_of(text) == Out.QUEUED for _, _, text in jobs)
        time.sleep(1)
        assert fake.hits == []
    finally:
        app.conf.broker_url = good
        app._pool = None
        app.amqp._producer_pool = None
    assert outbox.outbox_sweep(grace_seconds=0) == 4  # what beat does every 30 s
    outbox.outbox_sweep(grace_seconds=0)  # twice: still sent once
    for _, _, text in jobs:
        wait_for(lambda text=text: status_of(text) == Out.SENT, what="sent", worker=worker)
    time.sleep(0.5)
    assert sorted(fake.successes().values()) == [1, 1, 1, 1]


def _spawn_worker(log_path) -> Worker:
    broker = worker_broker()
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "DATABASE_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [str(CELERY)] if CELERY.exists() else [sys.executable, "-m", "celery"]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle",
             "-n", f"pytest-again-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    worker = Worker(process=process, log_path=log_path, broker_url=broker)
    worker.wait_for_log(" ready.", timeout=40)
    return worker


def worker_broker() -> str:
    from config.celery import app

    return app.conf.broker_url


def test_worker_killed_after_claiming_sends_once_after_the_lease(worker, fake, tmp_path):
    with mock.patch.object(outbox, "enqueue_many"):  # queued, not yet handed to the worker
        job, _, text = book()
    # Hold the worker between its claim (an UPDATE of the outbox) and the provider call
    # (it reads the customer next): lock the customer table from another connection.
    blocker = psycopg.connect(_test_database_url())
    blocker.execute("LOCK TABLE workorders_customer IN ACCESS EXCLUSIVE MODE")
    second = None
    try:
        outbox.enqueue(text.pk)
        worker.wait_for_log(f"text {text.pk} claimed")
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
    finally:
        blocker.rollback()
        blocker.close()
    try:
        text.refresh_from_db()
        assert text.status == Out.SENDING and text.attempts == 1 and fake.hits == []
        second = _spawn_worker(tmp_path / "second.log")
        wait_for(
            lambda: OutboundMessage.objects.filter(pk=text.pk, lease_until__lt=timezone.now()),
            what="lease expiry",
        )
        assert outbox.outbox_sweep(grace_seconds=0) == 1
        wait_for(lambda: status_of(text) == Out.SENT, what="sent", worker=second)
        time.sleep(0.5)
        text.refresh_from_db()
        assert fake.successes()[text.body] == 1 and len(fake.requests_for(job.number)) == 1
        assert text.attempts == 2
    finally:
        if second is not None and second.process.poll() is None:
            os.killpg(second.process.pid, signal.SIGTERM)
            second.process.wait(timeout=15)


def test_stop_then_a_status_change_sends_nothing(worker, fake, client, settings):
    job, tech, text = book()
    wait_for(lambda: status_of(text) == Out.SENT, what="booked sent", worker=worker)
    data = {"MessageSid": "SM" + "c" * 32, "From": job.customer.phone, "Body": "STOP"}
    url = "https://dispatch.example.com" + reverse("sms_inbound")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, data)
    response = client.post(
        reverse("sms_inbound"),
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert response.status_code == 200
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="scheduled", new_status="dispatched"
    )
    services.visit_planned(
        work_order=job,
        technician=tech,
        starts_at=tomorrow(15),
        ends_at=tomorrow(16),
        cause="drop",
    )
    outbox.outbox_sweep(grace_seconds=0)
    time.sleep(1.5)
    assert len(fake.hits) == 1
    assert not OutboundMessage.objects.filter(status__in=[Out.QUEUED, Out.SENDING]).exists()
