"""End to end as an integration would use it: a real HTTP client against the live
server creates a customer and a work order, reads it back, and the work order is in
the board's queue."""

import uuid

import pytest
import requests

from dispatch.selectors import unassigned_work_orders
from tests.factories import SkillFactory, SLAPolicyFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)


def test_curl_like_use_end_to_end(live_server, make_key):
    policy = SLAPolicyFactory()
    SkillFactory(code="hvac", name="HVAC")
    _, raw = make_key(
        name="crm", scopes=["customers:write", "work_orders:write", "work_orders:read"]
    )
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {raw}"
    base = f"{live_server.url}/api/v1"

    customer = session.post(
        f"{base}/customers/",
        json={
            "name": "Acme Bakery",
            "phone": "+13125550142",
            "external_source": "crm",
            "external_ref": "C-1001",
            "sites": [{"label": "Shop", "address": "1 N State St, Chicago"}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    assert customer.status_code == 201, customer.text
    site_id = customer.json()["sites"][0]["id"]

    key = str(uuid.uuid4())
    order = {
        "customer": customer.json()["id"],
        "site": site_id,
        "job_type": "repair",
        "summary": "Walk-in cooler not cooling",
        "estimated_minutes": 90,
        "sla_policy": policy.pk,
        "required_skills": [{"skill": "hvac", "min_level": 2}],
        "external_source": "crm",
        "external_ref": "J-77",
    }
    created = session.post(
        f"{base}/work-orders/", json=order, headers={"Idempotency-Key": key}, timeout=10
    )
    assert created.status_code == 201, created.text
    retried = session.post(
        f"{base}/work-orders/", json=order, headers={"Idempotency-Key": key}, timeout=10
    )
    assert retried.json() == created.json()

    # Location is a path on this server.
    read = session.get(live_server.url + created.headers["Location"], timeout=10)
    assert read.status_code == 200
    assert read.headers["ETag"] == created.headers["ETag"]
    assert read.json()["number"].startswith("WO-") and read.json()["status"] == "new"
    assert read.headers["Cache-Control"] == "private, no-store"
    found = session.get(
        f"{base}/work-orders/",
        params={"external_source": "crm", "external_ref": "J-77"},
        timeout=10,
    )
    assert [w["id"] for w in found.json()["results"]] == [read.json()["id"]]

    work_order = WorkOrder.objects.get(pk=read.json()["id"])
    assert list(unassigned_work_orders()) == [work_order]
    # The key may not read customers back: it was given no customers:read.
    assert session.get(f"{base}/customers/", timeout=10).status_code == 403


def test_the_schema_and_the_reference_page_need_nothing_from_outside(live_server):
    schema = requests.get(f"{live_server.url}/api/v1/schema/", timeout=10)
    assert schema.status_code == 200 and "openapi: 3" in schema.text
    page = requests.get(f"{live_server.url}/api/v1/reference/", timeout=10)
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    scripts = [part.split('"')[1] for part in page.text.split("<script src=")[1:]]
    assert len(scripts) == 3 and all(s.startswith("/") for s in scripts), scripts
    assert "<script>" not in page.text and "<style" not in page.text
    for src in scripts:
        assert requests.get(live_server.url + src, timeout=10).status_code == 200, src
