"""Every view checks the role server-side: a matrix of role × view."""

import uuid

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from dispatch.models import Booking, FieldAlert
from routing.models import PlanRun
from technicians.roles import Role
from tests.factories import TechnicianFactory, make_work_order
from workorders.models import SLAAlert

pytestmark = pytest.mark.django_db

D, OF, M, T, A = Role.DISPATCHER, Role.OFFICE, Role.MANAGER, Role.TECHNICIAN, Role.ADMIN
OFFICE_READ = {D, OF, M, A}
EDIT = {D, OF, A}
PLAN = {D, M, A}

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
    ("post", "work_order_sla_resume", "work_order", OFFICE_READ),
    ("post", "work_order_status", "work_order", EDIT),
    ("post", "work_order_photo_add", "work_order", EDIT),
    ("get", "technician_list", None, OFFICE_READ),
    ("get", "technician_edit", "technician", {OF, M, A}),
    ("get", "my_jobs", None, {T}),
    ("get", "my_job", "work_order", {T}),
    ("post", "my_job_action", "work_order", {T}),
    ("post", "my_position", None, {T}),
    ("get", "my_manifest", None, {T}),
    ("get", "my_service_worker", None, {T}),
    ("post", "field_alert_dismiss", "alert", PLAN),
    ("post", "field_alert_propose", "alert", PLAN),
    ("post", "technician_unavailable", None, PLAN),
    ("get", "site_options", None, EDIT),
    ("get", "board_today", None, OFFICE_READ),
    ("get", "board_day", "day", OFFICE_READ),
    ("get", "board_poll", "day", OFFICE_READ),
    ("get", "board_map", "day", OFFICE_READ),
    ("get", "board_job", "day_job", OFFICE_READ),
    ("get", "board_card", "day_job", OFFICE_READ),
    ("post", "board_assign", "day", PLAN),
    ("post", "board_unassign", "day", PLAN),
    ("get", "plan_panel", "day_text", PLAN),
    ("post", "plan_start", "day_text", PLAN),
    ("post", "plan_urgent_form", "day_text", PLAN),
    ("get", "plan_run_detail", "plan_run", PLAN),
    ("get", "plan_run_progress", "plan_run", PLAN),
    ("post", "plan_run_accept", "plan_run", PLAN),
    ("post", "plan_run_discard", "plan_run", PLAN),
    ("get", "dashboard", None, {M, A, D}),
    ("get", "dashboard_work_orders", None, {M, A, D}),
    ("get", "dashboard_export", "table", {M, A, D}),
    ("get", "sla_alert_list", None, {M, A, D}),
    ("post", "sla_alert_acknowledge", "sla_alert", {M, A, D}),
    ("post", "sla_alerts_acknowledge", None, {M, A, D}),
    ("get", "sla_alert_badge", None, {M, A, D}),
]


@pytest.fixture
def objects():
    work_order = make_work_order()
    day = timezone.localdate()
    run = PlanRun.objects.create(day=day, status=PlanRun.Status.DISCARDED)
    alert = FieldAlert.objects.create(
        kind=FieldAlert.Kind.CANNOT_COMPLETE,
        technician=TechnicianFactory(),
        day=day,
        message="Could not complete",
    )
    return {
        "alert": [alert.pk],
        "work_order": [work_order.pk],
        "customer": [work_order.customer_id],
        "technician": [TechnicianFactory().pk],
        "day": [day],
        "day_text": [day.isoformat()],
        "day_job": [day, work_order.pk],
        "plan_run": [run.pk],
        "table": ["tiers"],
        "sla_alert": [
            SLAAlert.objects.create(
                work_order=work_order,
                target="response",
                level="at_risk",
                due_at=work_order.created_at,
            ).pk
        ],
    }


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "name", "arg", "allowed"), MATRIX, ids=[m[1] for m in MATRIX])
def test_role_matrix(client, user_with_role, objects, role, method, name, arg, allowed):
    user = user_with_role(role)
    if role == Role.TECHNICIAN:
        TechnicianFactory(user=user)
    client.force_login(user)
    url = reverse(name, args=objects[arg] if arg else [])
    response = getattr(client, method)(url)
    if role in allowed:
        # 204: nothing changed on the board; 400/409: the empty form was judged, not refused.
        assert response.status_code in (200, 204, 302, 400), f"{role} should reach {name}"
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
    else:
        assert response.status_code == 403, f"{role} must not reach {name}"


@pytest.mark.parametrize(("method", "name", "arg", "allowed"), MATRIX, ids=[m[1] for m in MATRIX])
def test_anonymous_is_sent_to_login(client, objects, method, name, arg, allowed):
    url = reverse(name, args=objects[arg] if arg else [])
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_user_without_role_is_refused(client, user_with_role):
    client.force_login(user_with_role(None))
    assert client.get(reverse("home")).status_code == 403
    assert client.get(reverse("work_order_list")).status_code == 403


@pytest.mark.usefixtures("mid_morning")  # the job an hour ahead is on today's list
def test_technician_may_update_only_their_own_job(client, user_with_role):
    from datetime import timedelta

    mine, theirs = TechnicianFactory(), TechnicianFactory()
    own_job, other_job = make_work_order(), make_work_order()
    start = timezone.now() + timedelta(hours=1)
    from dispatch.services import work_order_book

    work_order_book(actor=None, work_order=own_job, technician=mine, starts_at=start)
    work_order_book(actor=None, work_order=other_job, technician=theirs, starts_at=start)
    client.force_login(mine.user)
    page = client.get(reverse("my_jobs"))
    assert own_job.number in page.content.decode() and other_job.number not in page.content.decode()
    forged = client.post(
        reverse("my_job_action", args=[other_job.pk]),
        {"action_id": str(uuid.uuid4()), "kind": "en_route"},
    )
    assert forged.status_code in (302, 403)
    other_job.refresh_from_db()
    assert other_job.status == "scheduled"
    ok = client.post(
        reverse("my_job_action", args=[own_job.pk]),
        {"action_id": str(uuid.uuid4()), "kind": "en_route"},
    )
    assert ok.status_code == 302
    own_job.refresh_from_db()
    assert own_job.status == "en_route"
    assert Booking.objects.get(work_order=own_job).state == "active"
    # A technician cannot open the office detail page of any job.
    assert client.get(reverse("work_order_detail", args=[own_job.pk])).status_code == 403


# Views that check access themselves: the login pages, the start page (which sends each
# role to its own page) and private files (office roles, or a technician's own jobs).
SELF_CHECKED = {"home", "login", "logout", "media_file"}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":  # Django's admin checks staff permissions
                continue
            # The REST API answers keys by scope and sessions by role in one permission
            # class (api/permissions.py), with 401/403 problem documents rather than a
            # login redirect; tests/api/test_access.py walks every one of its routes.
            if pattern.namespace == "api":
                continue
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def test_views_declare_their_roles():
    """Every URL, included ones too, has a role check or is knowingly self-checked."""
    walked = list(_walk(get_resolver().url_patterns))
    assert any(pattern.name == "plan_run_accept" for _, pattern in walked)  # includes walked
    for route, pattern in walked:
        if pattern.name in SELF_CHECKED:
            continue
        # Public views (webhooks checked by signature, tracking pages by token) say why.
        assert hasattr(pattern.callback, "allowed_roles") or getattr(
            pattern.callback, "public_reason", ""
        ), f"{route} has no role_required and no public_reason"


def test_matrix_covers_every_role_checked_view():
    from tests.notifications.test_views import MATRIX as TEXTS_MATRIX

    covered = {m[1] for m in [*MATRIX, *TEXTS_MATRIX]} | {"plan_urgent"}
    named = {
        p.name
        for _, p in _walk(get_resolver().url_patterns)
        if p.name not in SELF_CHECKED and not getattr(p.callback, "public_reason", "")
    }
    assert named <= covered, f"add to MATRIX: {sorted(named - covered)}"


def test_technician_cannot_open_photos_of_other_jobs(client):
    from datetime import timedelta

    from dispatch.services import work_order_book
    from tests.images import jpeg_with_gps_exif
    from workorders.services import work_order_add_photo

    mine, theirs = TechnicianFactory(), TechnicianFactory()
    own_job, other_job = make_work_order(), make_work_order()
    start = timezone.now() + timedelta(hours=1)
    work_order_book(actor=None, work_order=own_job, technician=mine, starts_at=start)
    work_order_book(actor=None, work_order=other_job, technician=theirs, starts_at=start)
    own = work_order_add_photo(
        actor=None, work_order=own_job, upload=jpeg_with_gps_exif("a.jpg", (40, 30))
    )
    other = work_order_add_photo(
        actor=None, work_order=other_job, upload=jpeg_with_gps_exif("b.jpg", (40, 30))
    )
    client.force_login(mine.user)
    assert client.get(own.image.url).status_code == 200
    assert client.get(other.image.url).status_code == 403
    assert client.get(other.thumbnail.url).status_code == 403
