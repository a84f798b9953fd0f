"""Every view checks the role server-side: a matrix of role × view."""

import pytest
from django.urls import reverse

from dispatch.models import Booking
from technicians.roles import Role
from tests.factories import TechnicianFactory, make_work_order
from workorders.models import SLAAlert

pytestmark = pytest.mark.django_db

D, OF, M, T, A = Role.DISPATCHER, Role.OFFICE, Role.MANAGER, Role.TECHNICIAN, Role.ADMIN
OFFICE_READ = {D, OF, M, A}
EDIT = {D, OF, A}

# (method, url name, args key, roles allowed)
MATRIX = [
    ("get", "customer_list", None, OFFICE_READ),
    ("get", "customer_create", None, EDIT),
    ("get", "customer_edit", "customer", EDIT),
    ("get", "work_order_list", None, OFFICE_READ),
    ("get", "work_order_create", None, EDIT),
    ("get", "work_order_detail", "work_order", OFFICE_READ),
    ("get", "work_order_edit", "work_order", EDIT),
    ("post", "work_order_sla_pause", "work_order", OFFICE_READ),
    ("post", "work_order_status", "work_order", EDIT),
    ("post", "work_order_photo_add", "work_order", EDIT),
    ("get", "technician_list", None, OFFICE_READ),
    ("get", "technician_edit", "technician", {OF, M, A}),
    ("get", "my_jobs", None, {T}),
    ("get", "dashboard", None, {M, A, D}),
    ("get", "dashboard_work_orders", None, {M, A, D}),
    ("get", "dashboard_export", "table", {M, A, D}),
    ("get", "sla_alert_list", None, {M, A, D}),
    ("post", "sla_alert_acknowledge", "alert", {M, A, D}),
]


@pytest.fixture
def objects():
    work_order = make_work_order()
    return {
        "work_order": work_order.pk,
        "customer": work_order.customer_id,
        "technician": TechnicianFactory().pk,
        "table": "tiers",
        "alert": SLAAlert.objects.create(
            work_order=work_order, target="response", level="at_risk", due_at=work_order.created_at
        ).pk,
    }


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "name", "arg", "allowed"), MATRIX, ids=[m[1] for m in MATRIX])
def test_role_matrix(client, user_with_role, objects, role, method, name, arg, allowed):
    user = user_with_role(role)
    if role == Role.TECHNICIAN:
        TechnicianFactory(user=user)
    client.force_login(user)
    url = reverse(name, args=[objects[arg]] if arg else [])
    response = getattr(client, method)(url)
    if role in allowed:
        assert response.status_code in (200, 302), f"{role} should reach {name}"
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
    else:
        assert response.status_code == 403, f"{role} must not reach {name}"


@pytest.mark.parametrize(("method", "name", "arg", "allowed"), MATRIX, ids=[m[1] for m in MATRIX])
def test_anonymous_is_sent_to_login(client, objects, method, name, arg, allowed):
    url = reverse(name, args=[objects[arg]] if arg else [])
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_user_without_role_is_refused(client, user_with_role):
    client.force_login(user_with_role(None))
    assert client.get(reverse("home")).status_code == 403
    assert client.get(reverse("work_order_list")).status_code == 403


def test_technician_may_update_only_their_own_job(client, user_with_role):
    from datetime import timedelta

    from django.utils import timezone

    mine, theirs = TechnicianFactory(), TechnicianFactory()
    own_job, other_job = make_work_order(), make_work_order()
    start = timezone.now() + timedelta(hours=1)
    from dispatch.services import booking_create

    booking_create(actor=None, work_order=own_job, technician=mine, starts_at=start)
    booking_create(actor=None, work_order=other_job, technician=theirs, starts_at=start)
    client.force_login(mine.user)
    page = client.get(reverse("my_jobs"))
    assert own_job.number in page.content.decode() and other_job.number not in page.content.decode()
    forged = client.post(reverse("my_job_status", args=[other_job.pk]), {"target": "en_route"})
    assert forged.status_code == 403
    other_job.refresh_from_db()
    assert other_job.status == "scheduled"
    ok = client.post(reverse("my_job_status", args=[own_job.pk]), {"target": "en_route"})
    assert ok.status_code == 302
    own_job.refresh_from_db()
    assert own_job.status == "en_route"
    assert Booking.objects.get(work_order=own_job).state == "active"
    # A technician cannot open the office detail page of any job.
    assert client.get(reverse("work_order_detail", args=[own_job.pk])).status_code == 403


def test_views_declare_their_roles():
    """Guard against a new view without a role check slipping into the matrix."""
    from dispatch.urls import urlpatterns

    open_views = {"home", "login", "logout", "media_file", "my_job_status"}
    for pattern in urlpatterns:
        name = getattr(pattern, "name", None)
        if name is None or name in open_views:
            continue
        assert hasattr(pattern.callback, "allowed_roles"), f"view {name} has no role_required"
