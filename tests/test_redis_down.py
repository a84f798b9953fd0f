"""With Redis unreachable the app still works; Redis only speeds things up.

The cache and the Celery broker point at a closed port. Drops, unassigns, the
ranking, office screens and logins work and answer success; live updates say they
are paused; the optimizer says its queue is unavailable. Nothing committed ever
answers with an error page.
"""

import pytest
from celery import current_app
from django.urls import reverse

from dispatch.models import Booking
from routing.models import PlanRun
from routing.services import QUEUE_UNAVAILABLE
from tests.board.helpers import board_day, job, technician
from tests.factories import make_work_order
from workorders.status import Status

CLOSED = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": CLOSED,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    saved = current_app.conf.broker_url
    current_app.conf.broker_url = CLOSED
    current_app._pool = None  # connections are pooled per broker URL: start afresh
    current_app.amqp._producer_pool = None
    yield
    current_app.conf.broker_url = saved
    current_app._pool = None
    current_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_a_drop_commits_and_answers_success(client, dispatcher, redis_down):
    day = board_day()
    tech, work_order = technician("Maria", day), job()
    client.force_login(dispatcher)
    response = client.post(
        reverse("board_assign", args=[day]),
        {"work_order": work_order.pk, "technician": tech.pk, "position": 0},
    )
    assert response.status_code == 302
    assert Booking.objects.get(state="active").work_order == work_order
    page = client.get(response["Location"])
    assert f"{work_order.number} assigned to Maria" in page.content.decode()

    htmx = client.post(
        reverse("board_unassign", args=[day]),
        {"work_order": work_order.pk},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and "is back in the queue" in htmx.content.decode()
    assert not Booking.objects.filter(state="active").exists()


@pytest.mark.django_db(transaction=True)
def test_office_status_change_commits_and_answers_success(client, office, redis_down):
    work_order = make_work_order()
    client.force_login(office)
    response = client.post(
        reverse("work_order_status", args=[work_order.pk]), {"target": Status.CANCELLED}
    )
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert work_order.status == Status.CANCELLED


@pytest.mark.django_db
def test_board_ranking_and_office_screens_render(client, dispatcher, redis_down):
    day = board_day()
    technician("Maria", day)
    work_order = job()
    client.force_login(dispatcher)
    board = client.get(reverse("board_day", args=[day]))
    assert board.status_code == 200
    assert "Live updates paused" in board.content.decode()
    ranking = client.get(reverse("board_job", args=[day, work_order.pk]))
    assert ranking.status_code == 200 and "Maria" in ranking.content.decode()
    for name, args in [
        ("work_order_list", []),
        ("work_order_detail", [work_order.pk]),
        ("customer_list", []),
        ("technician_list", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 200, name


@pytest.mark.django_db
def test_polling_says_live_updates_are_paused(client, dispatcher, redis_down):
    client.force_login(dispatcher)
    response = client.get(reverse("board_poll", args=[board_day()]) + "?v=3")
    assert response.status_code == 200
    assert "HX-Trigger" not in response  # nothing changed that the board could show
    assert "?v=-1" in response.content.decode()  # it refreshes fully once Redis is back
    assert "Live updates paused" in response.content.decode()


@pytest.mark.django_db
def test_polling_resumes_with_fresh_lanes_when_redis_is_back(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(reverse("board_poll", args=[board_day()]) + "?v=None")
    assert response.status_code == 200 and response["HX-Trigger"] == "board-changed"
    assert 'id="live-status"' in response.content.decode()  # the paused note is cleared


@pytest.mark.django_db(transaction=True)
def test_optimizer_says_the_queue_is_unavailable(client, dispatcher, redis_down):
    day = board_day()
    technician("Maria", day)
    job()
    client.force_login(dispatcher)
    panel = client.get(reverse("plan_panel", args=[day.isoformat()]))
    assert "The worker queue is unavailable" in panel.content.decode()
    response = client.post(
        reverse("plan_start", args=[day.isoformat()]),
        {"time_limit": 1},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    run = PlanRun.objects.get()
    assert run.status == PlanRun.Status.FAILED and run.failure_reason == QUEUE_UNAVAILABLE


@pytest.mark.django_db
def test_login_works(client, user_with_role, redis_down):
    from technicians.roles import Role

    user_with_role(Role.OFFICE, username="olive")
    response = client.post(reverse("login"), {"username": "olive", "password": "pw"})
    assert response.status_code == 302 and "/login/" not in response["Location"]
