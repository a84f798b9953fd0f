"""Every refusal is an RFC 9457 problem with the path of each bad field; hostile
input gets a 4xx, never a 500."""

import base64
import json

import pytest
from django.core.cache import cache

from tests.api.conftest import customer_payload, work_order_payload
from workorders.models import Customer, WorkOrder

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return body


def test_bad_fields_are_named_by_json_pointer(api):
    payload = customer_payload(
        phone="12",
        email="not-an-email",
        sites=[{"label": "A", "address": "x", "latitude": 91, "longitude": 0}, {"label": "B"}],
    )
    body = _problem(api.post("/api/v1/customers/", payload), 400)
    pointers = {error["pointer"] for error in body["errors"]}
    assert pointers == {"#/phone", "#/email", "#/sites/0/latitude", "#/sites/1/address"}
    assert not Customer.objects.exists()


def test_unknown_and_read_only_fields_are_refused(api, site, policy):
    payload = work_order_payload(site, policy, status="completed", colour="red")
    body = _problem(api.post("/api/v1/work-orders/", payload), 400)
    assert {e["pointer"] for e in body["errors"]} == {"#/status", "#/colour"}
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize(
    ("override", "pointer"),
    [
        ({"summary": "cooler\u0000broken"}, "#/summary"),
        ({"summary": "lone \ud800 surrogate"}, "#/summary"),
        ({"estimated_minutes": 10**40}, "#/estimated_minutes"),
        ({"estimated_minutes": "ninety"}, "#/estimated_minutes"),
        ({"priority": [3]}, "#/priority"),
        ({"customer": 10**30}, "#/customer"),
        ({"customer": "abc"}, "#/customer"),
        (
            {"window_start": "0001-01-01T00:00:00Z", "window_end": "0001-01-01T01:00:00Z"},
            "#/window_start",
        ),
        (
            {"window_start": "9999-12-31T22:00:00Z", "window_end": "9999-12-31T23:00:00Z"},
            "#/window_start",
        ),
        ({"window_start": "2030-01-01T10:00:00Z"}, "#/window_end"),
        ({"required_skills": [{"skill": "nope"}]}, "#/required_skills/0/skill"),
        ({"required_skills": [{"skill": "hvac", "min_level": 9}]}, "#/required_skills/0/min_level"),
    ],
)
def test_hostile_work_orders_get_a_4xx_with_the_field(api, site, policy, skill, override, pointer):
    # Encoded here (ASCII escapes): a lone surrogate reaches the server as JSON allows it.
    raw = json.dumps(work_order_payload(site, policy, **override))
    response = api.generic(
        "POST",
        "/api/v1/work-orders/",
        raw,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    body = _problem(response, 400)
    assert pointer in {error.get("pointer") for error in body.get("errors", [])}, body
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": NaN}',
        b'{"name": Infinity}',
        b"[1, 2",
        b"\xff\xfe",
        b'"just a string"',
        b"1" * 5000,
    ],
)
def test_bodies_that_are_not_json_objects_are_refused(api, raw):
    response = api.generic(
        "POST", "/api/v1/customers/", raw, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    _problem(response, 400)


def test_query_parameters_are_checked(api):
    body = _problem(
        api.get("/api/v1/work-orders/", {"updated_since": "yesterday", "customer": "x"}), 400
    )
    assert {e["parameter"] for e in body["errors"]} == {"updated_since", "customer"}
    assert api.get("/api/v1/work-orders/", {"day": "0001-01-01"}).status_code == 400
    assert (
        api.get("/api/v1/work-orders/", {"updated_since": "9999-12-31T23:59:59Z"}).status_code
        == 400
    )
    assert (
        api.get("/api/v1/work-orders/", {"updated_since": "2020-01-01T00:00:00Z"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    "cursor",
    [
        "é",
        base64.b64encode(b"p=99999999999999999999999").decode(),
        base64.b64encode(b"p=abc").decode(),
    ],
)
def test_forged_cursors_are_a_400(api, cursor):
    body = _problem(api.get("/api/v1/customers/", {"cursor": cursor}), 400)
    assert body["errors"][0]["parameter"] == "cursor"


def test_not_found_method_and_media_type_are_problems(api):
    _problem(api.get("/api/v1/work-orders/999999999999999999999/"), 404)
    _problem(api.get("/api/v1/work-orders/123/"), 404)
    _problem(api.get("/api/v1/nothing-here/"), 404)
    _problem(api.delete("/api/v1/customers/"), 405)
    _problem(
        api.generic(
            "POST",
            "/api/v1/customers/",
            b"name=x",
            content_type="text/plain",
            HTTP_IDEMPOTENCY_KEY="k",
        ),
        415,
    )


def test_pages_follow_the_cursor(api):
    for n in range(3):
        api.post("/api/v1/customers/", customer_payload(name=f"C{n}", external_ref=f"C-{n}"))
    first = api.get("/api/v1/customers/", {"page_size": 2}).json()
    assert [c["name"] for c in first["results"]] == ["C0", "C1"]
    second = api.get(first["next"]).json()
    assert [c["name"] for c in second["results"]] == ["C2"] and second["next"] is None


def test_the_rate_limit_answers_429_with_retry_after(api, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    assert api.get("/api/v1/customers/").status_code == 200
    assert api.get("/api/v1/customers/").status_code == 200
    body = _problem(api.get("/api/v1/customers/"), 429)
    assert body["code"] == "throttled"
    response = api.get("/api/v1/customers/")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_api_answers_with_redis_down(api, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }
    cache.close()
    assert api.get("/api/v1/customers/").status_code == 200
    assert api.post("/api/v1/customers/", customer_payload()).status_code == 201
