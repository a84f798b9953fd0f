"""What a logged-in user is answered is not cached by anyone else, and a technician
cannot make the server read images for a job that is not theirs (issue 25, finding 7)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.models import PhoneAction
from field import phone
from tests.field.helpers import booked_job, jpeg, new_id, phone_technician
from workorders.models import WorkOrderPhoto

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        reverse("board_today"),
        reverse("board_map", args=[timezone.localdate()]),
        reverse("dashboard_export", args=["tiers"]),
        reverse("dashboard_work_orders") + "?kpi=breached&format=csv",
        reverse("work_order_list"),
        reverse("customer_list"),
    ],
)
def test_authenticated_pages_exports_and_map_json_are_private_and_not_stored(client, manager, url):
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200, url
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_a_view_that_chose_its_caching_keeps_it(client, office, settings):
    """Private photos may stay in the user's own browser cache for an hour."""
    photo = settings.MEDIA_ROOT / "workorders" / "photos" / "x.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"jpeg")
    client.force_login(office)
    response = client.get("/media/workorders/photos/x.jpg")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"


def test_the_phone_pages_are_private_too(client, mid_morning):
    technician = phone_technician()
    client.force_login(technician.user)
    response = client.get(reverse("my_jobs"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_photos_for_a_job_that_is_not_yours_are_never_opened(client, mid_morning, monkeypatch):
    opened = []
    monkeypatch.setattr(phone, "validate_image_upload", lambda upload: opened.append(upload.name))
    mine, theirs = phone_technician(), phone_technician()
    their_job = booked_job(theirs)
    client.force_login(mine.user)
    response = client.post(
        reverse("my_job_action", args=[their_job.pk]),
        {"action_id": new_id(), "kind": "photo", "photos": [jpeg("a.jpg"), jpeg("b.jpg")]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_yours"
    assert opened == []  # refused before any image was read
    assert not WorkOrderPhoto.objects.exists() and not PhoneAction.objects.exists()
    # On their own job the same photos are read (and stored).
    my_job = booked_job(mine)
    client.post(
        reverse("my_job_action", args=[my_job.pk]),
        {"action_id": new_id(), "kind": "photo", "photos": [jpeg("c.jpg")]},
        HTTP_ACCEPT="application/json",
    )
    assert opened == ["c.jpg"]
