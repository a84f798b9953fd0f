"""The dashboard pages: who may see them, links to drill-downs, CSV, constant query count."""

import csv
import html
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.dashboard.helpers import always_open_policy, job
from tests.factories import TechnicianFactory, give_shift
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def build_history(count: int, technicians: list, offset_days: int = 0) -> None:
    policy = always_open_policy()
    now = timezone.now()
    for n in range(count):
        received = now - timedelta(days=1 + (n + offset_days) % 20, minutes=n)
        job(
            received=received,
            policy=policy,
            responded_after=30 + (n * 17) % 60,  # some late
            resolved_after=100 + n * 13 % 300,
            technician=technicians[n % len(technicians)],
            start_after=30 + (n // len(technicians)) * 120,
        )


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_page_shows_figures_charts_and_drilldown_links(manager_client):
    technicians = [TechnicianFactory(display_name=f"Tech {n}") for n in range(2)]
    build_history(6, technicians)
    page = manager_client.get(reverse("dashboard")).content.decode()
    assert 'id="chart-attainment"' in page and 'id="chart-breaches"' in page
    assert 'id="chart-drive"' in page and 'id="technician-table"' in page
    assert "kpi=resolution_breached" in page and "Texts sent / failed" in page
    assert "planned" in page  # on-time arrival is labelled as planned arrival


@pytest.mark.parametrize(
    ("role", "status"),
    [("manager", 200), ("admin", 200), ("dispatcher", 200), ("office", 403), ("technician", 403)],
)
def test_managers_and_admins_see_it_dispatchers_read_it(client, user_with_role, role, status):
    client.force_login(user_with_role(role))
    for url in (
        reverse("dashboard"),
        reverse("dashboard_work_orders") + "?kpi=received",
        reverse("dashboard_export", args=["tiers"]),
    ):
        assert client.get(url).status_code == status, url


def test_csv_export_of_every_table(manager_client):
    build_history(4, [TechnicianFactory()])
    for table in ("tiers", "per-day", "breaches", "technicians", "summary"):
        response = manager_client.get(reverse("dashboard_export", args=[table]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) >= 2, table
    drill = manager_client.get(reverse("dashboard_work_orders") + "?kpi=received&format=csv")
    assert len(list(csv.reader(io.StringIO(drill.content.decode())))) == 5


def test_csv_cells_typed_by_users_cannot_become_formulas(manager_client):
    work_order = job(received=timezone.now() - timedelta(hours=2), policy=always_open_policy())
    WorkOrder.objects.filter(pk=work_order.pk).update(summary="=HYPERLINK(1)")
    body = manager_client.get(
        reverse("dashboard_work_orders") + "?kpi=received&format=csv"
    ).content.decode()
    assert "'=HYPERLINK(1)" in body


def test_drilldown_of_unknown_figure_is_404(manager_client):
    assert manager_client.get(reverse("dashboard_work_orders") + "?kpi=nope").status_code == 404


def test_bad_filters_fall_back_to_the_last_30_days(manager_client):
    response = manager_client.get(reverse("dashboard") + "?start=2026-05-01&end=2026-04-01")
    assert response.status_code == 200
    assert "must end on or after" in response.content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["", "?team=North&tier={tier}"])
def test_query_count_does_not_grow_with_the_data(manager_client, query):
    technicians = [TechnicianFactory(team="North") for _ in range(2)]
    for tech in technicians:
        give_shift(tech, weekday=timezone.localdate().weekday())
    build_history(3, technicians)
    url = reverse("dashboard") + query.format(tier=WorkOrder.objects.first().sla_policy_id)
    small = _queries(manager_client, url)
    more = [TechnicianFactory(team="North") for _ in range(6)]
    build_history(40, technicians + more, offset_days=3)
    assert _queries(manager_client, url) == small
    drill = reverse("dashboard_work_orders") + "?kpi=breached"
    assert _queries(manager_client, drill) <= 8


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2001-01-01", "Choose at most"),  # the end defaults to today: decades
        ("end=9999-12-31", "Choose a day from 2000-01-01 to 2099-12-31."),
        ("start=0001-01-01&end=0001-01-02", "Choose a day from 2000-01-01 to 2099-12-31."),
    ],
)
def test_ranges_too_long_or_out_of_bounds_are_refused_clearly(manager_client, query, message):
    response = manager_client.get(reverse("dashboard") + "?" + query)
    assert response.status_code in (200, 400)
    assert message in html.unescape(response.content.decode())
