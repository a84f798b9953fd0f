import pytest

from tests.celery_worker import celery_worker  # noqa: F401  (a fixture for this folder)


@pytest.fixture(autouse=True)
def _local_cache(settings):
    # Travel matrices and board versions go to a per-test in-memory cache, not Redis.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    settings.OSRM_URL = ""
    settings.GEOCODER_DOMAIN = ""
