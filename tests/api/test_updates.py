"""Edits need the ETag of the caller's last read: a stale one is refused, nothing changed."""

import pytest

from tests.api.conftest import customer_payload, work_order_payload
from workorders.models import Customer, Event, WorkOrder

pytestmark = pytest.mark.django_db


def test_a_stale_if_match_is_refused_with_412_and_nothing_changes(api, site, policy):
    created = api.post("/api/v1/work-orders/", work_order_payload(site, policy))
    url, seen = created["Location"], created["ETag"]
    first = api.patch(url, {"summary": "Cooler fixed?"}, HTTP_IF_MATCH=seen)
    assert first.status_code == 200, first.json()
    assert first["ETag"] != seen
    stale = api.patch(url, {"priority": 1}, HTTP_IF_MATCH=seen)
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["code"] == "stale" and stale.json()["etag"] == first["ETag"]
    work_order = WorkOrder.objects.get()
    assert work_order.priority == 3 and work_order.summary == "Cooler fixed?"
    assert Event.objects.filter(kind="workorder.updated").count() == 1


def test_an_edit_without_if_match_is_refused_with_428(api):
    created = api.post("/api/v1/customers/", customer_payload())
    response = api.patch(created["Location"], {"name": "Renamed"})
    assert response.status_code == 428
    assert Customer.objects.get().name == "Acme Bakery"


def test_a_status_change_moves_the_etag(api, site, policy):
    created = api.post("/api/v1/work-orders/", work_order_payload(site, policy))
    url = created["Location"]
    held = api.post(
        url + "status/", {"status": "on_hold", "hold_reason": "parts", "reason": "compressor"}
    )
    assert held.status_code == 200 and held.json()["status"] == "on_hold"
    event = Event.objects.get(kind="workorder.status")
    assert event.reason == "compressor" and event.actor.username == "api:crm-sync"
    assert api.patch(url, {"summary": "x"}, HTTP_IF_MATCH=created["ETag"]).status_code == 412


def test_customer_sites_are_changed_added_and_removed_in_one_edit(api):
    created = api.post("/api/v1/customers/", customer_payload())
    site_id = created.json()["sites"][0]["id"]
    response = api.patch(
        created["Location"],
        {
            "email": "",
            "sites": [
                {"id": site_id, "label": "Old shop"},
                {"label": "Warehouse", "address": "9 W Lake St, Chicago"},
            ],
        },
        HTTP_IF_MATCH=created["ETag"],
    )
    assert response.status_code == 200, response.json()
    sites = response.json()["sites"]
    assert [(s["label"], s["address"]) for s in sites] == [
        ("Old shop", "1 N State St, Chicago"),
        ("Warehouse", "9 W Lake St, Chicago"),
    ]
    assert sites[0]["latitude"] == 41.88  # fields not sent are kept
    removed = api.patch(
        created["Location"],
        {"sites": [{"id": sites[1]["id"], "delete": True}]},
        HTTP_IF_MATCH=response["ETag"],
    )
    assert [s["label"] for s in removed.json()["sites"]] == ["Old shop"]


def test_external_references_are_unique_per_source(api):
    assert api.post("/api/v1/customers/", customer_payload()).status_code == 201
    again = api.post("/api/v1/customers/", customer_payload(name="Dup"))
    assert again.status_code == 400
    assert "external reference" in again.json()["detail"]
    other_source = api.post("/api/v1/customers/", customer_payload(external_source="erp"))
    assert other_source.status_code == 201
    found = api.get("/api/v1/customers/", {"external_source": "crm", "external_ref": "C-1001"})
    assert [c["name"] for c in found.json()["results"]] == ["Acme Bakery"]
