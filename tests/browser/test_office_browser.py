"""The office clerk creates a work order in a real Chromium."""

import pytest

from technicians.roles import Role
from tests.factories import SiteFactory, SkillFactory, SLAPolicyFactory, UserFactory
from workorders.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_office_staff_creates_a_work_order(page, live_server, login):
    UserFactory(username="olive", role=Role.OFFICE)
    site = SiteFactory(customer__name="Lakeview Diner", address="3100 N Broadway, Chicago")
    SiteFactory(customer__name="Other Customer")
    SLAPolicyFactory(tier="Gold")
    SkillFactory(code="plumbing", name="Plumbing")

    login(page, "olive")
    page.goto(f"{live_server.url}/work-orders/new/")
    page.select_option("select[name=customer]", label="Lakeview Diner")
    # htmx reloads the site list for the chosen customer.
    page.wait_for_selector(f"select[name=site] option[value='{site.pk}']", state="attached")
    page.select_option("select[name=site]", value=str(site.pk))
    page.fill("input[name=summary]", "Leaking water heater")
    page.select_option("select[name=job_type]", value="repair")
    page.fill("input[name=estimated_minutes]", "-5")
    page.select_option("select[name=sla_policy]", label="Gold")
    page.select_option("select[name=skills-0-skill]", label="Plumbing")
    page.select_option("select[name=skills-0-min_level]", value="2")
    page.click("button:has-text('Save work order')")
    assert page.locator("p.error[data-field=estimated_minutes]").inner_text() == (
        "The duration must be a positive number of minutes."
    )
    assert WorkOrder.objects.count() == 0

    page.fill("input[name=estimated_minutes]", "90")
    page.click("button:has-text('Save work order')")
    page.wait_for_url("**/work-orders/*/")
    work_order = WorkOrder.objects.get()
    assert page.locator("h1").inner_text().startswith(work_order.number)
    assert "Leaking water heater" in page.locator("h1").inner_text()
    assert page.locator("#wo-status").inner_text() == "New"
    assert "Work order created" in page.locator("ol.events").inner_text()
    assert work_order.site == site
    assert [(r.skill.code, r.min_level) for r in work_order.required_skills.all()] == [
        ("plumbing", 2)
    ]
