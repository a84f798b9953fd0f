"""An administrator makes a key in the admin, sees it once, and it works."""

import re

import pytest

from api.keys import hash_key
from api.models import ApiKey
from tests.api.conftest import KeyClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_key_that_is_shown_once_and_stored_hashed(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/api/apikey/add/",
        {"name": "crm-sync", "scopes": ["customers:read", "customers:write"], "expires_at": ""},
    )
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'<code id="api-key">(fo_[\w-]+)</code>', response.content.decode()).group(1)
    key = ApiKey.objects.get()
    assert key.hashed_key == hash_key(raw) and raw not in str(vars(key))
    assert key.created_by == admin and key.actor.username == "api:crm-sync"
    assert KeyClient(raw).get("/api/v1/customers/").status_code == 200
    # The change page shows the prefix, never the key.
    page = client.get(f"/admin/api/apikey/{key.pk}/change/").content.decode()
    assert key.prefix in page and raw not in page
    client.post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert KeyClient(raw).get("/api/v1/customers/").status_code == 401
