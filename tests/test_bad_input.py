"""Every form answers bad input with a specific error and saves nothing."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from technicians.models import Certification, ShiftPattern, TimeOff
from tests.factories import (
    SiteFactory,
    SkillFactory,
    SLAPolicyFactory,
    TechnicianFactory,
    make_work_order,
)
from tests.images import gif, jpeg_with_gps_exif
from workorders.models import Customer, Event, Site, WorkOrder

pytestmark = pytest.mark.django_db


def customer_post(**overrides):
    data = {
        "name": "Lakeview Diner",
        "phone": "(312) 555-0142",
        "email": "diner@example.com",
        "sms_consent": "on",
        "notes": "",
        "sites-TOTAL_FORMS": "1",
        "sites-INITIAL_FORMS": "0",
        "sites-MIN_NUM_FORMS": "1",
        "sites-MAX_NUM_FORMS": "1000",
        "sites-0-label": "Main",
        "sites-0-address": "3100 N Broadway, Chicago",
        "sites-0-latitude": "41.94",
        "sites-0-longitude": "-87.64",
    }
    data.update(overrides)
    return data


def test_customer_is_created_with_normalised_phone(client, office):
    client.force_login(office)
    response = client.post(reverse("customer_create"), customer_post())
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.phone == "+13125550142"
    assert customer.sites.get().latitude == 41.94


def test_the_spare_site_row_left_alone_adds_nothing(client, office):
    client.force_login(office)
    data = customer_post(
        **{
            "sites-TOTAL_FORMS": "2",
            "sites-1-label": "",
            "sites-1-address": "",
            "sites-1-latitude": "",
            "sites-1-longitude": "",
        }
    )
    assert client.post(reverse("customer_create"), data).status_code == 302
    assert Customer.objects.get().sites.count() == 1
    page = client.get(reverse("customer_create")).content.decode()
    assert 'name="sites-0-label" maxlength="100" aria-describedby' in page  # no value
    assert "Agrees to receive text messages (SMS)" in page and "Sms consent" not in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "not a phone"}, "is not a phone number"),
        ({"phone": "+1 312 55"}, "wrong number of digits"),
        ({"email": "nope"}, "valid email"),
        ({"name": ""}, "This field is required"),
        ({"sites-0-latitude": "95", "sites-0-longitude": "10"}, "less than or equal to 90"),
        ({"sites-0-longitude": ""}, "both latitude and longitude"),
        ({"sites-0-address": ""}, "This field is required"),
        (
            {"sites-0-address": "", "sites-0-latitude": "", "sites-0-longitude": ""},
            "Add at least one site: the address where the work is done.",
        ),
    ],
)
def test_bad_customer_input_saves_nothing(client, office, overrides, message):
    client.force_login(office)
    response = client.post(reverse("customer_create"), customer_post(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Customer.objects.exists() and not Site.objects.exists()


def work_order_post(for_site, policy, **overrides):
    data = {
        "customer": for_site.customer_id,
        "site": for_site.pk,
        "summary": "Leaking water heater",
        "job_type": "repair",
        "priority": "2",
        "estimated_minutes": "90",
        "window_start": "",
        "window_end": "",
        "sla_policy": policy.pk,
        "billing_reference": "PO-77",
        "notes": "",
        "skills-TOTAL_FORMS": "1",
        "skills-INITIAL_FORMS": "0",
        "skills-MIN_NUM_FORMS": "0",
        "skills-MAX_NUM_FORMS": "1000",
        "skills-0-skill": SkillFactory(code="plumbing", name="Plumbing").pk,
        "skills-0-min_level": "2",
    }
    data.update(overrides)
    return data


def test_work_order_is_created_with_skills_and_logged(client, office):
    client.force_login(office)
    site, policy = SiteFactory(), SLAPolicyFactory()
    response = client.post(reverse("work_order_create"), work_order_post(site, policy))
    assert response.status_code == 302, response.content.decode()[:2000]
    work_order = WorkOrder.objects.get()
    assert work_order.number == f"WO-{work_order.pk:06d}"
    assert [(r.skill.code, r.min_level) for r in work_order.required_skills.all()] == [
        ("plumbing", 2)
    ]
    assert work_order.events.get().kind == "workorder.created"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"estimated_minutes": "-30"}, "The duration must be a positive number of minutes."),
        ({"estimated_minutes": "abc"}, "Enter the duration as a whole number of minutes."),
        (
            {"window_start": "2026-11-23T14:00", "window_end": "2026-11-23T10:00"},
            "The window must end after it starts.",
        ),
        (
            {"window_start": "2026-11-23T14:00"},
            "Give the end of the customer window too, or clear its start.",
        ),
        (
            {"window_end": "2026-11-23T14:00"},
            "Give the start of the customer window too, or clear its end.",
        ),
        ({"skills-0-min_level": "7"}, "Skill level must be a whole number from 1 to 5."),
        ({"skills-0-skill": "999999"}, "That skill does not exist."),
        ({"priority": "9"}, "Select a valid choice"),
    ],
)
def test_bad_work_order_input_saves_nothing(client, office, overrides, message):
    client.force_login(office)
    site, policy = SiteFactory(), SLAPolicyFactory()
    response = client.post(reverse("work_order_create"), work_order_post(site, policy, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "workorder_" not in response.content.decode()  # no constraint names shown
    assert not WorkOrder.objects.exists() and not Event.objects.exists()


def test_site_of_another_customer_is_refused(client, office):
    client.force_login(office)
    site, stranger = SiteFactory(), SiteFactory()
    response = client.post(
        reverse("work_order_create"), work_order_post(site, SLAPolicyFactory(), site=stranger.pk)
    )
    assert response.status_code == 400
    assert "Choose a site of the selected customer." in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_oversized_upload_is_refused(client, office, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50_000
    client.force_login(office)
    site, policy = SiteFactory(), SLAPolicyFactory()
    data = work_order_post(site, policy, photo_upload=jpeg_with_gps_exif(size=(3000, 3000)))
    response = client.post(reverse("work_order_create"), data)
    assert response.status_code == 400
    assert (
        "the limit is 0.0 MB" in response.content.decode()
        or "MB; the limit is" in response.content.decode()
    )
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile(
                "invoice.jpg", b"%PDF-1.4 not really an image", content_type="image/jpeg"
            ),
            "not an image we can read",
        ),
        (gif(), "is a GIF image; use JPEG, PNG or WebP"),
    ],
)
def test_non_image_upload_is_refused(client, office, upload, message):
    client.force_login(office)
    site, policy = SiteFactory(), SLAPolicyFactory()
    response = client.post(
        reverse("work_order_create"), work_order_post(site, policy, photo_upload=upload)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_photo_upload_is_resized_and_stripped_of_exif(client, office):
    from PIL import Image

    client.force_login(office)
    work_order = make_work_order()
    response = client.post(
        reverse("work_order_photo_add", args=[work_order.pk]),
        {"photo": jpeg_with_gps_exif(), "caption": "Boiler"},
    )
    assert response.status_code == 302
    photo = work_order.photos.get()
    with Image.open(photo.image.path) as stored:
        assert max(stored.size) == 1600
        assert not stored.getexif(), "EXIF (GPS!) must be stripped"
    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) == 240
    # Served only to logged-in office roles through the media view.
    assert client.get(photo.image.url).status_code == 200
    client.logout()
    assert client.get(photo.image.url).status_code == 302


def technician_post(tech, **overrides):
    skill = SkillFactory(code="hvac", name="HVAC")
    data = {
        "display_name": tech.display_name,
        "phone": "312-555-0101",
        "team": "North",
        "home_address": "",
        "home_latitude": "41.9",
        "home_longitude": "-87.65",
        "active": "on",
        "max_daily_hours": "8",
        "certs-TOTAL_FORMS": "1",
        "certs-INITIAL_FORMS": "0",
        "certs-MIN_NUM_FORMS": "0",
        "certs-MAX_NUM_FORMS": "1000",
        "certs-0-skill": skill.pk,
        "certs-0-level": "3",
        "certs-0-expires_on": "2027-06-30",
        "shifts-TOTAL_FORMS": "1",
        "shifts-INITIAL_FORMS": "0",
        "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "1000",
        "shifts-0-weekday": "0",
        "shifts-0-starts_at": "08:00",
        "shifts-0-ends_at": "17:00",
        "timeoff-TOTAL_FORMS": "1",
        "timeoff-INITIAL_FORMS": "0",
        "timeoff-MIN_NUM_FORMS": "0",
        "timeoff-MAX_NUM_FORMS": "1000",
        "timeoff-0-kind": "vacation",
        "timeoff-0-starts_at": "2026-12-24T00:00",
        "timeoff-0-ends_at": "2026-12-27T00:00",
        "timeoff-0-reason": "Holidays",
    }
    data.update(overrides)
    return data


def test_technician_edit_saves_everything(client, office):
    tech = TechnicianFactory()
    client.force_login(office)
    response = client.post(
        reverse("technician_edit", args=[tech.pk]),
        technician_post(tech, photo_upload=jpeg_with_gps_exif()),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    tech.refresh_from_db()
    assert tech.phone == "+13125550101"
    assert Certification.objects.get(technician=tech).expires_on == date(2027, 6, 30)
    assert ShiftPattern.objects.get(technician=tech).weekday == 0
    assert TimeOff.objects.get(technician=tech).reason == "Holidays"
    assert tech.photo_thumbnail.name.endswith("_thumb.jpg")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "12"}, "wrong number of digits"),
        ({"certs-0-level": "6"}, "Skill level must be a whole number from 1 to 5."),
        ({"shifts-0-ends_at": "07:00"}, "A shift must end after it starts."),
        ({"timeoff-0-ends_at": "2026-12-20T00:00"}, "Time off must end after it starts."),
        ({"max_daily_hours": "30"}, "less than or equal to 16"),
        ({"photo_upload": SimpleUploadedFile("x.png", b"nope")}, "not an image we can read"),
    ],
)
def test_bad_technician_input_saves_nothing(client, office, overrides, message):
    tech = TechnicianFactory()
    client.force_login(office)
    response = client.post(
        reverse("technician_edit", args=[tech.pk]), technician_post(tech, **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (
        not Certification.objects.exists()
        and not ShiftPattern.objects.exists()
        and not TimeOff.objects.exists()
    )
    tech.refresh_from_db()
    assert tech.phone != "+13125550101"


def test_sla_pause_without_reason_changes_nothing(client, office):
    client.force_login(office)
    work_order = make_work_order()
    response = client.post(
        reverse("work_order_sla_pause", args=[work_order.pk]), {"reason": ""}, follow=True
    )
    assert "A pause needs a reason" in response.content.decode()
    work_order.refresh_from_db()
    assert work_order.sla_paused_since is None


def test_illegal_status_change_is_refused(client, office):
    client.force_login(office)
    work_order = make_work_order()
    response = client.post(
        reverse("work_order_status", args=[work_order.pk]), {"target": "completed"}, follow=True
    )
    assert "cannot go from New to Completed" in response.content.decode()
    response = client.post(
        reverse("work_order_status", args=[work_order.pk]), {"target": "exploded"}, follow=True
    )
    assert "Choose the new status from the list." in response.content.decode()
    response = client.post(
        reverse("work_order_status", args=[work_order.pk]), {"target": "on_hold"}, follow=True
    )
    assert "Say why the work order is on hold" in response.content.decode()
    work_order.refresh_from_db()
    assert work_order.status == "new"
    assert work_order.events.count() == 1
    assert date.today() - timedelta(days=1) < work_order.created_at.date() + timedelta(days=1)
