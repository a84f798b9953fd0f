"""Exact query counts of the busiest pages, on small and larger data alike.

A count that changes means a query was added or removed on purpose (update the
number) or by accident (an N+1 crept in: fix it)."""

import pytest
from django.urls import reverse

from dispatch.assignment import board_assign
from tests.board.helpers import board_day, job, technician

pytestmark = pytest.mark.django_db

# Session + the login with its roles (one query, technicians.auth) + the navigation's
# open-alert count, then the page's own reads (the board also reads its open field
# alerts).
BOARD_QUERIES = 17  # … and the unread customer replies of its cards
RANKING_QUERIES = 14
WORK_ORDER_LIST_QUERIES = 5  # office staff get no alert badge


def _populate(technicians: int, day, dispatcher):
    for index in range(technicians):
        tech = technician(f"Tech {index:03d}", day)
        for position in range(2):
            board_assign(
                actor=dispatcher, work_order=job(), technician=tech, day=day, position=position
            )
        job()


@pytest.mark.parametrize("technicians", [2, 6])
def test_board_page(client, dispatcher, django_assert_num_queries, technicians):
    day = board_day()
    _populate(technicians, day, dispatcher)
    client.force_login(dispatcher)
    with django_assert_num_queries(BOARD_QUERIES):
        assert client.get(reverse("board_day", args=[day])).status_code == 200


@pytest.mark.parametrize("technicians", [2, 6])
def test_ranking(client, dispatcher, django_assert_num_queries, technicians):
    day = board_day()
    _populate(technicians, day, dispatcher)
    queued = job()
    client.force_login(dispatcher)
    with django_assert_num_queries(RANKING_QUERIES):
        response = client.get(reverse("board_job", args=[day, queued.pk]))
    assert response.status_code == 200 and "Tech 001" in response.content.decode()


@pytest.mark.parametrize("orders", [3, 12])
def test_work_order_list(client, office, django_assert_num_queries, orders):
    for _ in range(orders):
        job()
    client.force_login(office)
    with django_assert_num_queries(WORK_ORDER_LIST_QUERIES):
        assert client.get(reverse("work_order_list")).status_code == 200
