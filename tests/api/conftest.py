import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.scopes import ALL_SCOPES
from api.services import api_key_create
from tests.factories import SiteFactory, SkillFactory, SLAPolicyFactory


@pytest.fixture
def make_key(db):
    """An API key with these scopes (all of them by default): (key row, raw key)."""

    def build(name: str = "crm-sync", scopes=ALL_SCOPES, expires_in: timedelta | None = None):
        return api_key_create(
            actor=None,
            name=name,
            scopes=list(scopes),
            expires_at=timezone.now() + expires_in if expires_in else None,
        )

    return build


class KeyClient(APIClient):
    """An API client that sends its key, and a fresh Idempotency-Key with every POST
    unless the test gives one."""

    def __init__(self, raw_key: str, **kwargs):
        super().__init__(**kwargs)
        self.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    def post(self, path, data=None, format="json", idempotency_key=None, **extra):
        extra.setdefault("HTTP_IDEMPOTENCY_KEY", idempotency_key or str(uuid.uuid4()))
        return super().post(path, data, format=format, **extra)

    def patch(self, path, data=None, format="json", **extra):
        return super().patch(path, data, format=format, **extra)


@pytest.fixture
def api(make_key):
    _, raw = make_key()
    return KeyClient(raw)


@pytest.fixture
def key_client():
    return KeyClient


@pytest.fixture
def policy(db):
    return SLAPolicyFactory()


@pytest.fixture
def skill(db):
    return SkillFactory(code="hvac", name="HVAC")


@pytest.fixture
def site(db):
    return SiteFactory()


def customer_payload(**overrides):
    return {
        "name": "Acme Bakery",
        "phone": "(312) 555-0142",
        "email": "ops@acme.example",
        "sms_consent": True,
        "external_source": "crm",
        "external_ref": "C-1001",
        "sites": [
            {
                "label": "Shop",
                "address": "1 N State St, Chicago",
                "latitude": 41.88,
                "longitude": -87.63,
            }
        ],
        **overrides,
    }


def work_order_payload(site, policy, **overrides):
    return {
        "customer": site.customer_id,
        "site": site.pk,
        "job_type": "repair",
        "priority": 3,
        "summary": "Walk-in cooler not cooling",
        "estimated_minutes": 90,
        "sla_policy": policy.pk,
        **overrides,
    }
