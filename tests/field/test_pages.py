"""The /my/ pages, the manifest and the service worker."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from PIL import Image

from tests.field.helpers import booked_job, phone_technician
from workorders.status import Status

pytestmark = pytest.mark.django_db


def test_today_lists_jobs_in_route_order_with_what_the_technician_needs(client):
    tech = phone_technician()
    later = booked_job(tech, hours_from_now=3)
    first = booked_job(tech, hours_from_now=1)
    site = first.site
    site.access_notes = "Gate code <b>1234</b>"
    site.save()
    client.force_login(tech.user)
    page = client.get(reverse("my_jobs")).content.decode()
    assert page.index(first.number) < page.index(later.number)
    assert 'class="card job-card status-scheduled next-job"' in page
    assert "Gate code &lt;b&gt;1234&lt;/b&gt;" in page
    assert "https://www.google.com/maps/search/?api=1&amp;query=41.89,-87.62" in page
    assert "respond by" in page
    assert 'rel="manifest"' in page and reverse("my_manifest") in page


def test_the_job_page_shows_only_the_actions_of_its_status(client):
    tech = phone_technician()
    job = booked_job(tech)
    client.force_login(tech.user)
    page = client.get(reverse("my_job", args=[job.pk])).content.decode()
    assert (
        'data-kind="en_route" data-next-status="en_route" data-when="scheduled dispatched">' in page
    )
    assert 'data-when="on_site" hidden>' in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page


def test_manifest_and_service_worker(client):
    tech = phone_technician()
    client.force_login(tech.user)
    manifest = client.get(reverse("my_manifest"))
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["start_url"] == "/my/" and data["scope"] == "/my/"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        # The icon the manifest names is the collected file, a PNG of the size it states.
        size = int(icon["sizes"].split("x")[0])
        assert icon["src"] == static(f"img/phone-icon-{size}.png")
        found = finders.find(f"img/phone-icon-{size}.png")
        assert found, f"phone-icon-{size}.png is not among the static files"
        with Image.open(found) as image:
            assert (image.format, image.size) == ("PNG", (size, size))
    worker = client.get(reverse("my_service_worker"))
    assert worker["Content-Type"] == "application/javascript"
    body = worker.content.decode()
    assert body.startswith('const SHELL = ["/my/",') and "CACHE_VERSION" in body
    assert 'addEventListener("fetch"' in body


def test_today_puts_finished_jobs_after_the_open_ones(client):
    from dispatch.services import work_order_change_status

    tech = phone_technician()
    done = booked_job(tech, hours_from_now=-2)
    still = booked_job(tech, hours_from_now=2)
    for status in (Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SITE, Status.COMPLETED):
        work_order_change_status(actor=None, work_order=done, target=status)
    client.force_login(tech.user)
    page = client.get(reverse("my_jobs")).content.decode()
    assert page.index(still.number) < page.index(done.number)
