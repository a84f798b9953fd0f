"""The manager opens the dashboard in Chromium, filters by tier and follows a drill-down."""

from datetime import timedelta

import pytest
from django.utils import timezone

from technicians.roles import Role
from tests.dashboard.helpers import always_open_policy, job
from tests.factories import TechnicianFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_reads_charts_filters_by_tier_and_drills_down(page, live_server, login):
    UserFactory(username="morgan", role=Role.MANAGER)
    platinum, gold = always_open_policy("Platinum", 60, 240), always_open_policy("Gold", 120, 480)
    tech = TechnicianFactory(display_name="Ann")
    now = timezone.now()
    late = job(
        received=now - timedelta(days=2), policy=gold, responded_after=200, resolved_after=300
    )
    job(
        received=now - timedelta(days=3),
        policy=platinum,
        responded_after=30,
        resolved_after=100,
        technician=tech,
    )

    login(page, "morgan")
    page.goto(f"{live_server.url}/dashboard/")
    assert page.locator("svg#chart-attainment").is_visible()
    assert page.locator("svg#chart-breaches").is_visible()
    assert page.locator("svg#chart-drive").is_visible()
    assert page.locator("#tier-table tbody tr").count() == 2

    page.select_option("select[name=tier]", label="Gold")
    page.click("button:has-text('Apply')")
    page.wait_for_url("**/dashboard/?*tier=*")
    rows = page.locator("#tier-table tbody tr")
    assert rows.count() == 1 and "Gold" in rows.first.inner_text()

    page.locator("#tier-table tbody a.breached").first.click()
    page.wait_for_url("**/dashboard/work-orders/?*kpi=response_breached*")
    assert page.locator("h1").inner_text().startswith("Response breached")
    assert page.locator("#drilldown tbody tr").count() == 1
    assert late.number in page.locator("#drilldown").inner_text()
