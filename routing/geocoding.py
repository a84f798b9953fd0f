"""Address → coordinates with geopy's Nominatim client.

Off unless GEOCODER_DOMAIN is set, so a fresh checkout never goes online. The domain
can point at a private Nominatim (or, in tests, a fake one on localhost);
GEOCODER_SCHEME picks http or https. Nominatim's usage policy wants a real
User-Agent and at most one request per second: geocoding runs as a Celery task, one
site at a time, never in a web request.
"""

from __future__ import annotations

from django.conf import settings
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim

USER_AGENT = "fieldops-dispatch/0.1 (+https://github.com/fieldops/dispatch)"
TIMEOUT_S = 10


class GeocodingError(Exception):
    """The geocoder could not be asked; the message names the server and the reason."""


def geocoding_enabled() -> bool:
    return bool(settings.GEOCODER_DOMAIN)


def geocoder() -> Nominatim:
    return Nominatim(
        domain=settings.GEOCODER_DOMAIN,
        scheme=settings.GEOCODER_SCHEME,
        user_agent=USER_AGENT,
        timeout=TIMEOUT_S,
    )


def geocode_address(address: str, *, client: Nominatim | None = None) -> tuple[float, float] | None:
    """(latitude, longitude) of the best match, or None when nothing matches."""
    if not address.strip():
        return None
    client = client or geocoder()
    try:
        location = client.geocode(address, exactly_one=True)
    except GeopyError as error:
        raise GeocodingError(
            f"Geocoding at {settings.GEOCODER_DOMAIN} failed: {type(error).__name__}: {error}"
        ) from error
    if location is None:
        return None
    return float(location.latitude), float(location.longitude)
