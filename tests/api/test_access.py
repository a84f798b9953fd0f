"""Who may call the API: keys by scope, people by role; every refusal changes nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.urls import URLPattern, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import api_key_revoke
from technicians.roles import Role
from tests.api.conftest import customer_payload
from tests.factories import TechnicianFactory
from workorders.models import Customer, Event

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _api_routes() -> list[str]:
    (api,) = [p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "api"]
    routes = []
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if pattern.name in {"schema", "reference", "not_an_endpoint"}:
            continue
        routes.append("/" + route.replace("<int:pk>", "1"))
    return routes


def test_every_endpoint_refuses_a_caller_without_credentials():
    routes = _api_routes()
    assert "/api/v1/customers/" in routes and "/api/v1/bookings/1/unassign/" in routes
    client = APIClient()
    for route in routes:
        response = (
            client.get(route)
            if not route.endswith(("unassign/", "status/"))
            else client.post(route)
        )
        assert response.status_code == 401, route
        assert response["Content-Type"] == PROBLEM
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response.json()["status"] == 401


def test_a_key_without_the_write_scope_reads_but_cannot_create(make_key, key_client):
    _, raw = make_key(scopes=["customers:read"])
    client = key_client(raw)
    assert client.get("/api/v1/customers/").status_code == 200
    refused = client.post("/api/v1/customers/", customer_payload())
    assert refused.status_code == 403
    assert refused["Content-Type"] == PROBLEM
    assert "customers:write" in refused.json()["detail"]
    assert not Customer.objects.exists() and not Event.objects.exists()
    # Nor may it read another resource.
    assert client.get("/api/v1/work-orders/").status_code == 403


def test_a_revoked_key_is_refused(make_key, key_client):
    key, raw = make_key()
    api_key_revoke(api_key=key)
    response = key_client(raw).post("/api/v1/customers/", customer_payload())
    assert response.status_code == 401
    assert response.json()["code"] == "revoked_key"
    assert not Customer.objects.exists()


def test_an_expired_key_is_refused(make_key, key_client):
    _, raw = make_key(expires_in=timedelta(hours=1))
    client = key_client(raw)
    assert client.get("/api/v1/customers/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = client.post("/api/v1/customers/", customer_payload())
    assert response.status_code == 401
    assert response.json()["code"] == "expired_key"
    assert not Customer.objects.exists()


def test_an_unknown_key_is_refused(key_client):
    response = key_client("fo_not-a-key").get("/api/v1/customers/")
    assert response.status_code == 401 and response.json()["code"] == "unknown_key"


def test_a_technicians_session_is_refused(user_with_role):
    technician = TechnicianFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(technician.user)
    assert client.get("/api/v1/customers/").status_code == 403
    assert client.get("/api/v1/work-orders/").status_code == 403
    response = client.post(
        "/api/v1/customers/", customer_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_an_office_session_writes_with_csrf_only(office):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(office)
    without = client.post(
        "/api/v1/customers/", customer_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert without.status_code == 403 and "CSRF" in without.json()["detail"]
    assert not Customer.objects.exists()
    # The browser has the CSRF cookie from any page of the app, and sends the token back.
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    with_token = client.post(
        "/api/v1/customers/",
        customer_payload(),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )
    assert with_token.status_code == 201, with_token.json()
    event = Event.objects.get(customer_id=with_token.json()["id"])
    assert event.actor == office


def test_a_dispatchers_session_may_not_edit_a_manager_may_only_read(user_with_role):
    client = APIClient()
    client.force_login(user_with_role(Role.MANAGER))
    assert client.get("/api/v1/customers/").status_code == 200
    response = client.post(
        "/api/v1/customers/", customer_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_writes_name_the_key_as_actor_in_the_event_log(make_key, key_client):
    key, raw = make_key(name="crm-sync")
    created = key_client(raw).post("/api/v1/customers/", customer_payload())
    assert created.status_code == 201
    event = Event.objects.get(customer_id=created.json()["id"])
    assert event.actor == key.actor and event.actor.username == "api:crm-sync"
    listed = key_client(raw).get("/api/v1/events/", {"customer": created.json()["id"]})
    assert [e["actor"] for e in listed.json()["results"]] == ["api:crm-sync"]


def test_a_keys_actor_cannot_log_in(make_key, client):
    key, _ = make_key(name="crm-sync")
    assert not key.actor.is_active and not key.actor.has_usable_password()
    response = client.post("/login/", {"username": "api:crm-sync", "password": ""})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
