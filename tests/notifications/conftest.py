from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from notifications import outbox, services
from tests.celery_worker import celery_worker  # noqa: F401  (a fixture for this folder)
from tests.factories import SiteFactory, TechnicianFactory, make_work_order


@pytest.fixture(autouse=True)
def _notify_settings(settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM = settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = ""
    settings.NOTIFY_PUBLIC_BASE_URL = "https://dispatch.example.com"
    settings.NOTIFY_COMPANY_NAME = "Acme Air"
    settings.NOTIFY_QUIET_HOURS = "21:00-08:00"
    settings.NOTIFY_DELAY_THRESHOLD_MINUTES = 15
    settings.NOTIFY_RATE_LIMIT_PER_HOUR = 6


@pytest.fixture
def enqueued(monkeypatch):
    """Records what would go to Celery instead of reaching Redis."""
    calls: list[int] = []
    monkeypatch.setattr(
        outbox, "enqueue_many", lambda message_ids, countdown=None: calls.extend(message_ids)
    )
    return calls


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    base = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime(base.year, base.month, base.day, hour, minute))


@pytest.fixture
def job(db):
    site = SiteFactory(customer__name="Jordan Lee", customer__phone="+13125550101")
    return make_work_order(site=site)


@pytest.fixture
def tech(db):
    return TechnicianFactory(display_name="Alex Moreno")


def plan(work_order, technician, starts_at, minutes=60, cause="drop"):
    services.visit_planned(
        work_order=work_order,
        technician=technician,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        cause=cause,
    )
