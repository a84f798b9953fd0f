"""Plan views: roles, plain POST + redirect, htmx fragments, polling, accept header."""

import re

import pytest
from django.urls import reverse

from planning.optimize import plan_run_start
from routing import services
from routing.models import PlanRun
from technicians.roles import Role
from tests.factories import TechnicianFactory
from tests.routing.helpers import NORTH, SOUTH, at, book, future_monday, job_at, tech_on

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def day():
    return future_monday()


@pytest.fixture
def board(day):
    north, south = tech_on(day, home=NORTH), tech_on(day, home=SOUTH)
    a, b = job_at(NORTH), job_at(SOUTH)
    book(a, south, at(day, 9))
    book(b, north, at(day, 9))
    return {"fresh": job_at(NORTH)}


@pytest.fixture
def run(day, board, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return plan_run_start(actor=None, day=day, time_limit_s=1)


def _urls(day, run, work_order):
    d = day.isoformat()
    return [
        ("post", reverse("plan_start", args=[d])),
        ("get", reverse("plan_panel", args=[d])),
        ("post", reverse("plan_urgent", args=[d, work_order.pk])),
        ("post", reverse("plan_urgent_form", args=[d])),
        ("get", reverse("plan_run_detail", args=[run.pk])),
        ("get", reverse("plan_run_progress", args=[run.pk])),
        ("post", reverse("plan_run_accept", args=[run.pk])),
        ("post", reverse("plan_run_discard", args=[run.pk])),
    ]


@pytest.mark.parametrize("role", [Role.OFFICE, Role.TECHNICIAN])
def test_office_and_technicians_are_refused(client, user_with_role, day, run, board, role):
    user = user_with_role(role)
    if role == Role.TECHNICIAN:
        TechnicianFactory(user=user)
    client.force_login(user)
    for method, url in _urls(day, run, board["fresh"]):
        assert getattr(client, method)(url).status_code == 403, url
    assert PlanRun.objects.count() == 1


def test_anonymous_goes_to_login(client, day, run, board):
    for method, url in _urls(day, run, board["fresh"]):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.MANAGER, Role.ADMIN])
def test_planners_reach_the_panel(client, user_with_role, day, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("plan_panel", args=[day.isoformat()])).status_code == 200


def test_plain_post_starts_a_run_and_redirects(
    client, dispatcher, day, board, django_capture_on_commit_callbacks
):
    client.force_login(dispatcher)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("plan_start", args=[day.isoformat()]),
            {"time_limit": "3", "next": f"/board/{day.isoformat()}/"},
        )
    assert response.status_code == 302 and response["Location"] == f"/board/{day.isoformat()}/"
    run = PlanRun.objects.get()
    assert run.status == "queued" and run.time_limit_s == 3 and run.requested_by == dispatcher
    assert len(run.technician_ids) == 2 and len(queued) == 1  # enqueued on commit


def test_time_limit_is_bounded(client, dispatcher, day, board):
    client.force_login(dispatcher)
    response = client.post(
        reverse("plan_start", args=[day.isoformat()]), {"time_limit": "500"}, **HTMX
    )
    assert b"between 1 and 120" in response.content
    assert not PlanRun.objects.exists()


def test_htmx_start_returns_a_polling_fragment(
    client, dispatcher, day, board, django_capture_on_commit_callbacks
):
    client.force_login(dispatcher)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("plan_start", args=[day.isoformat()]), {}, **HTMX)
    run = PlanRun.objects.get()
    html = response.content.decode()
    assert 'id="plan-run"' in html and 'hx-trigger="every 1s"' in html
    assert reverse("plan_run_progress", args=[run.pk]) in html
    assert run.time_limit_s == services.DEFAULT_TIME_LIMIT_S


def test_progress_shows_elapsed_then_the_proposal(client, dispatcher, run):
    client.force_login(dispatcher)
    url = reverse("plan_run_progress", args=[run.pk])
    PlanRun.objects.filter(pk=run.pk).update(
        status="running", progress=[[0.2, 900.0], [0.6, 850.0]], best_cost=850.0
    )
    from django.utils import timezone

    PlanRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
    html = client.get(url, **HTMX).content.decode()
    assert "Solving" in html and "every 1s" in html and "polyline" in html
    assert "still improving" in html and "850" not in html  # no internal cost figures

    PlanRun.objects.filter(pk=run.pk).update(status="queued")
    services.plan_run_execute(run_id=run.pk)
    html = client.get(url, **HTMX).content.decode()
    assert "every 1s" not in html
    assert re.search(r"km \((\d+(\.\d+)? km (less|more)|no change)\)", html)
    assert "SLA breaches" in html and "Accept" in html and "Discard" in html
    assert "best cost" not in html


def test_the_summary_states_savings_with_their_sign():
    from planning.views import plan_summary

    metrics = {
        "km_before": 120.5,
        "km_after": 579.3,
        "km_saved": -458.8,
        "travel_hours_before": 3.0,
        "travel_hours_after": 14.47,
        "hours_saved": -11.47,
        "extra_jobs": 143,
        "sla_breaches_before": 150,
        "sla_breaches_after": 4,
        "sla_breaches_avoided": 146,
    }
    assert plan_summary(metrics) == [
        (
            "Driving",
            "120.5 → 579.3 km (458.8 km more), 3 → 14.47 h (11.47 h more), serving 143 more jobs",
        ),
        ("SLA breaches", "150 → 4 (146 avoided)"),
    ]
    fewer = {**metrics, "km_after": 100.0, "km_saved": 20.5, "extra_jobs": 0}
    assert "(20.5 km less)" in plan_summary(fewer)[0][1]
    assert "serving" not in plan_summary(fewer)[0][1]


def test_accept_with_htmx_triggers_board_refresh(client, dispatcher, run):
    services.plan_run_execute(run_id=run.pk)
    client.force_login(dispatcher)
    response = client.post(reverse("plan_run_accept", args=[run.pk]), **HTMX)
    assert response.status_code == 200 and response["HX-Trigger"] == "board-changed"
    assert "Applied" in response.content.decode()
    assert PlanRun.objects.get(pk=run.pk).status == "applied"


def test_plain_accept_redirects_with_messages(client, dispatcher, run):
    services.plan_run_execute(run_id=run.pk)
    client.force_login(dispatcher)
    response = client.post(reverse("plan_run_accept", args=[run.pk]), follow=True)
    assert response.redirect_chain[0][0] == reverse("plan_run_detail", args=[run.pk])
    assert any("Plan applied" in str(m) for m in response.context["messages"])


def test_discard_and_double_decisions(client, dispatcher, run):
    services.plan_run_execute(run_id=run.pk)
    client.force_login(dispatcher)
    client.post(reverse("plan_run_discard", args=[run.pk]))
    assert PlanRun.objects.get(pk=run.pk).status == "discarded"
    response = client.post(reverse("plan_run_accept", args=[run.pk]), **HTMX)
    assert "cannot be applied" in response.content.decode()


def test_external_next_is_ignored(
    client, dispatcher, day, board, django_capture_on_commit_callbacks
):
    client.force_login(dispatcher)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("plan_start", args=[day.isoformat()]), {"next": "https://evil.example/"}
        )
    assert response["Location"] == reverse("plan_run_detail", args=[PlanRun.objects.get().pk])


def test_panel_include_renders_for_the_board(rf, dispatcher, day):
    from django.template.loader import render_to_string

    request = rf.get(f"/board/{day.isoformat()}/?team=North")
    request.user = dispatcher
    html = render_to_string(
        "planning/panel.html", {"day": day, "can_plan": True, "request": request}
    )
    assert (
        reverse("plan_panel", args=[day.isoformat()]) in html
        and 'name="team" value="North"' in html
    )
    assert (
        render_to_string(
            "planning/panel.html", {"day": day, "can_plan": False, "request": request}
        ).strip()
        == ""
    )
