"""Bookings through the API obey the board's rules; a refusal names its rule codes."""

import pytest

from dispatch.models import Booking
from dispatch.selectors import unassigned_work_orders
from tests.board.helpers import board_day, hvac, job, technician
from workorders.models import Event

pytestmark = pytest.mark.django_db


def test_a_refused_assignment_returns_the_rule_code_and_changes_nothing(api):
    day = board_day()
    skill = hvac()
    needs_hvac = job(skill=skill, level=2)
    novice = technician("Novice", day)  # no HVAC at all
    response = api.post(
        "/api/v1/bookings/",
        {"work_order": needs_hvac.pk, "technician": novice.pk, "day": day.isoformat()},
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "assignment_refused"
    assert [p["code"] for p in body["problems"]] == ["missing_skill"]
    assert "HVAC" in body["problems"][0]["message"]
    assert not Booking.objects.exists()
    assert needs_hvac in unassigned_work_orders()


def test_a_day_no_board_covers_is_refused_by_its_rule(api):
    work_order = job()
    tech = technician("Tess", board_day())
    response = api.post(
        "/api/v1/bookings/",
        {"work_order": work_order.pk, "technician": tech.pk, "day": "2150-06-01"},
    )
    assert response.status_code == 409
    assert "day_out_of_range" in [p["code"] for p in response.json()["problems"]]
    assert (
        api.post(
            "/api/v1/bookings/",
            {"work_order": work_order.pk, "technician": tech.pk, "day": "0001-01-01"},
        ).status_code
        == 400
    )


def test_assign_then_unassign_through_the_board(api):
    day = board_day()
    skill = hvac()
    work_order = job(skill=skill, level=2)
    expert = technician("Expert", day, skills=[(skill, 3, None)])
    assigned = api.post(
        "/api/v1/bookings/",
        {"work_order": work_order.pk, "technician": expert.pk, "day": day.isoformat()},
    )
    assert assigned.status_code == 201, assigned.json()
    booking = assigned.json()
    assert booking["technician"] == expert.pk and booking["state"] == "active"
    assert work_order not in unassigned_work_orders()
    listed = api.get("/api/v1/bookings/", {"day": day.isoformat(), "technician": expert.pk})
    assert [b["id"] for b in listed.json()["results"]] == [booking["id"]]
    by_day = api.get("/api/v1/work-orders/", {"day": day.isoformat()}).json()["results"]
    assert [w["id"] for w in by_day] == [work_order.pk]
    assert (
        api.get("/api/v1/work-orders/", {"status": "scheduled"}).json()["results"][0]["id"]
        == work_order.pk
    )
    released = api.post(f"/api/v1/bookings/{booking['id']}/unassign/")
    assert released.status_code == 200 and released.json()["state"] == "cancelled"
    assert work_order in unassigned_work_orders()
    again = api.post(f"/api/v1/bookings/{booking['id']}/unassign/")
    assert again.status_code == 422 and again.json()["code"] == "not_active"
    actors = set(
        Event.objects.filter(work_order=work_order, kind__startswith="booking").values_list(
            "actor__username", flat=True
        )
    )
    assert actors == {"api:crm-sync"}


def test_an_illegal_status_change_is_refused(api):
    work_order = job()
    response = api.post(f"/api/v1/work-orders/{work_order.pk}/status/", {"status": "completed"})
    assert response.status_code == 422
    assert "cannot go from New to Completed" in response.json()["detail"]
    work_order.refresh_from_db()
    assert work_order.status == "new"
