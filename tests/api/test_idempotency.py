"""Idempotency-Key: a retried POST gets the first answer; keys are per API key."""

import threading

import pytest
from django.db import connection

from tests.api.conftest import customer_payload, work_order_payload
from workorders.models import Customer, WorkOrder

pytestmark = pytest.mark.django_db


def test_the_same_key_twice_makes_one_object_and_gives_the_same_answer(api, site, policy):
    payload = work_order_payload(site, policy)
    first = api.post("/api/v1/work-orders/", payload, idempotency_key="retry-1")
    second = api.post("/api/v1/work-orders/", payload, idempotency_key="retry-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first["ETag"] == second["ETag"] and first["Location"] == second["Location"]
    assert second["Idempotent-Replayed"] == "true"
    assert WorkOrder.objects.count() == 1


def test_another_keys_idempotency_key_is_independent(make_key, key_client):
    _, crm = make_key(name="crm")
    _, erp = make_key(name="erp")
    one = key_client(crm).post("/api/v1/customers/", customer_payload(), idempotency_key="same")
    other = key_client(erp).post(
        "/api/v1/customers/", customer_payload(external_ref="E-1"), idempotency_key="same"
    )
    assert one.status_code == other.status_code == 201
    assert one.json()["id"] != other.json()["id"]
    assert Customer.objects.count() == 2


def test_a_key_reused_for_another_request_is_refused(api):
    api.post("/api/v1/customers/", customer_payload(), idempotency_key="k")
    reused = api.post("/api/v1/customers/", customer_payload(name="Other"), idempotency_key="k")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Customer.objects.count() == 1


def test_a_post_without_a_key_is_refused(api):
    response = api.post("/api/v1/customers/", customer_payload(), HTTP_IDEMPOTENCY_KEY="")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"header": "Idempotency-Key", "detail": "Missing or not 1-255 printable characters."}
    ]
    assert not Customer.objects.exists()


def test_a_refused_request_is_not_remembered(api):
    bad = api.post("/api/v1/customers/", customer_payload(phone="12"), idempotency_key="k")
    assert bad.status_code == 400
    fixed = api.post("/api/v1/customers/", customer_payload(phone="12"), idempotency_key="k")
    assert fixed.status_code == 400  # judged again, not replayed from a stored failure
    good = api.post("/api/v1/customers/", customer_payload(), idempotency_key="k2")
    assert good.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_make_one_object(make_key, key_client):
    _, raw = make_key()
    answers, barrier = [], threading.Barrier(2)

    def send():
        try:
            barrier.wait(timeout=10)
            response = key_client(raw).post(
                "/api/v1/customers/", customer_payload(), idempotency_key="race"
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert Customer.objects.count() == 1
