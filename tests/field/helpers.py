"""A technician on shift all day today with two jobs booked, for the phone tests."""

import io
import uuid
from datetime import time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from dispatch.services import work_order_book
from tests.factories import SiteFactory, TechnicianFactory, give_shift, make_work_order


def on_shift_all_day(technician):
    give_shift(technician, timezone.localdate().weekday(), time(0, 0), time(23, 59))
    return technician


def phone_technician(**kwargs):
    return on_shift_all_day(TechnicianFactory(**kwargs))


def booked_job(technician, *, hours_from_now: float = 1, minutes: int = 60, **site):
    # Received before anything the phone reports about it (the server refuses to let a
    # report go back before the work order existed).
    work_order = make_work_order(
        site=SiteFactory(**site) if site else None,
        minutes=minutes,
        received_at=timezone.now() - timedelta(hours=max(3.0, 2 - hours_from_now)),
    )
    work_order_book(
        actor=None,
        work_order=work_order,
        technician=technician,
        starts_at=timezone.now().replace(microsecond=0) + timedelta(hours=hours_from_now),
    )
    work_order.refresh_from_db()
    return work_order


def new_id() -> str:
    return str(uuid.uuid4())


def jpeg(name: str = "photo.jpg", size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
