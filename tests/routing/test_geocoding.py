"""Geocoding against a fake Nominatim on localhost; off by default; manual sites kept."""

from unittest import mock

import pytest

from routing import tasks
from routing.services import site_geocode
from tests.factories import SiteFactory
from tests.routing.fake_servers import fake_server, nominatim

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_nominatim(settings):
    with fake_server(nominatim) as (host, hits):
        settings.GEOCODER_DOMAIN = host
        settings.GEOCODER_SCHEME = "http"
        yield hits


def test_geocodes_a_site(fake_nominatim):
    site = SiteFactory(address="233 S Wacker Dr, Chicago", latitude=None, longitude=None)
    assert site_geocode(site_id=site.pk) is not None
    site.refresh_from_db()
    assert (site.latitude, site.longitude) == (41.8827, -87.6233)
    (path,) = fake_nominatim
    assert path.startswith("/search?") and "Wacker" in path.replace("+", " ")


def test_manual_coordinates_are_left_alone(fake_nominatim):
    site = SiteFactory(latitude=41.0, longitude=-87.0, coordinates_manual=True)
    assert site_geocode(site_id=site.pk) is None
    site.refresh_from_db()
    assert (site.latitude, site.longitude) == (41.0, -87.0)
    assert fake_nominatim == []


def test_no_match_keeps_the_site_as_is(fake_nominatim):
    site = SiteFactory(address="1 Nowhere Lane", latitude=None, longitude=None)
    assert site_geocode(site_id=site.pk) is None
    site.refresh_from_db()
    assert site.latitude is None


def test_off_by_default(settings):
    settings.GEOCODER_DOMAIN = ""
    site = SiteFactory(latitude=None, longitude=None)
    assert site_geocode(site_id=site.pk) is None
    with mock.patch.object(tasks.geocode_site, "delay") as delay:
        assert tasks.geocode_pending_sites.run() == 0
    delay.assert_not_called()


def test_task_is_thin_and_safe_twice(fake_nominatim):
    site = SiteFactory(latitude=None, longitude=None)
    assert tasks.geocode_site.run(site.pk) is True
    assert tasks.geocode_site.run(site.pk) is True  # same answer, same coordinates
    site.refresh_from_db()
    assert site.latitude == 41.8827


def test_server_down_raises_for_a_retry(settings):
    from routing.geocoding import GeocodingError

    settings.GEOCODER_DOMAIN = "127.0.0.1:9"
    settings.GEOCODER_SCHEME = "http"
    site = SiteFactory(latitude=None, longitude=None)
    with pytest.raises(GeocodingError, match=r"127\.0\.0\.1:9"):
        site_geocode(site_id=site.pk)


def test_beat_picks_up_sites_saved_without_coordinates(fake_nominatim):
    waiting = SiteFactory(address="233 S Wacker Dr, Chicago", latitude=None, longitude=None)
    SiteFactory(latitude=41.9, longitude=-87.6)  # has coordinates
    SiteFactory(latitude=None, longitude=None, coordinates_manual=True)  # staff's choice
    with mock.patch.object(tasks.geocode_site, "delay") as delay:
        assert tasks.geocode_pending_sites.run() == 1
    delay.assert_called_once_with(waiting.pk)
    tasks.geocode_site.run(waiting.pk)
    with mock.patch.object(tasks.geocode_site, "delay") as delay:
        assert tasks.geocode_pending_sites.run() == 0  # looked up once, not every minute
    delay.assert_not_called()


def test_an_unmatched_address_is_not_asked_again_until_it_changes(fake_nominatim):
    from workorders.services import SiteChange, customer_update

    site = SiteFactory(address="1 Nowhere Lane", latitude=None, longitude=None)
    tasks.geocode_site.run(site.pk)
    assert tasks.geocode_pending_sites.run() == 0
    data = {
        "label": site.label,
        "address": "233 S Wacker Dr, Chicago",
        "latitude": None,
        "longitude": None,
        "access_notes": "",
    }
    customer_update(
        actor=None, customer=site.customer, data={}, sites=[SiteChange(site=site, data=data)]
    )
    with mock.patch.object(tasks.geocode_site, "delay") as delay:
        assert tasks.geocode_pending_sites.run() == 1
    delay.assert_called_once_with(site.pk)
