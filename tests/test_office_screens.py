from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    SiteFactory,
    SkillFactory,
    SLAPolicyFactory,
    TechnicianFactory,
    certify,
    make_work_order,
)
from workorders.models import SLAPolicy
from workorders.status import Status

pytestmark = pytest.mark.django_db


def test_customer_search_and_htmx_partial(client, office):
    SiteFactory(customer__name="Lakeview Diner", address="3100 N Broadway")
    SiteFactory(customer__name="Hyde Park Bakery", address="5300 S Lake Park Ave")
    client.force_login(office)
    page = client.get(reverse("customer_list"), {"q": "broadway"}).content.decode()
    assert "Lakeview Diner" in page and "Hyde Park Bakery" not in page
    partial = client.get(
        reverse("customer_list"), {"q": "bakery"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Hyde Park Bakery" in partial and "<html" not in partial


def test_customer_list_paginates(client, office):
    for _ in range(30):
        SiteFactory()
    client.force_login(office)
    first = client.get(reverse("customer_list")).content.decode()
    assert "Page 1 of 2 (30)" in first


@pytest.mark.usefixtures("mid_morning")  # the fresh job is due in 2 h: still today
def test_work_order_filters(client, office):
    always = SLAPolicyFactory(
        tier="24/7", calendar=SLAPolicy.Calendar.ALWAYS, response_minutes=60, resolution_minutes=120
    )
    hvac = SkillFactory(code="hvac", name="HVAC")
    late = make_work_order(policy=always, received_at=timezone.now() - timedelta(hours=3))
    fresh = make_work_order(policy=always, skills=[(hvac, 2)])
    client.force_login(office)

    def numbers(**params):
        html = client.get(reverse("work_order_list"), params).content.decode()
        return {wo.number for wo in (late, fresh) if wo.number in html}

    assert numbers(sla="breached") == {late.number}
    assert numbers(sla="ok") == {fresh.number}
    assert numbers(skill=hvac.pk) == {fresh.number}
    assert numbers(status="new") == {late.number, fresh.number}
    assert numbers(status="completed") == set()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert numbers(due_before=tomorrow) == {late.number, fresh.number}


def test_work_order_detail_shows_clock_and_history(client, office):
    work_order = make_work_order()
    client.force_login(office)
    client.post(
        reverse("work_order_sla_pause", args=[work_order.pk]),
        {"reason": "Customer asked to come back later"},
    )
    html = client.get(reverse("work_order_detail", args=[work_order.pk])).content.decode()
    assert "SLA clock" in html and "paused since" in html
    assert "Customer asked to come back later" in html
    assert "Work order created" in html


def test_technician_list_flags_expired_certifications(client, office):
    tech = TechnicianFactory(display_name="Maria Garcia")
    certify(
        tech,
        SkillFactory(code="gas", name="Gas safety"),
        expires_on=timezone.localdate() - timedelta(days=3),
    )
    client.force_login(office)
    html = client.get(reverse("technician_list")).content.decode()
    assert "Gas safety L3 · expired" in html and "warn-row" in html


def test_site_options_partial_lists_only_that_customers_sites(client, office):
    mine, other = SiteFactory(address="1 Mine St"), SiteFactory(address="2 Other St")
    client.force_login(office)
    html = client.get(reverse("site_options"), {"customer": mine.customer_id}).content.decode()
    assert (
        "1 Mine St" in html
        and "2 Other St" not in html
        and str(other.pk) not in html.split("value=")[-1]
    )


@pytest.mark.usefixtures("mid_morning")
def test_work_orders_open_on_open_work_most_urgent_first(client, office, dispatcher):
    from dispatch.services import work_order_book, work_order_change_status

    always = SLAPolicyFactory(
        tier="24/7", calendar=SLAPolicy.Calendar.ALWAYS, response_minutes=60, resolution_minutes=600
    )
    soon = make_work_order(policy=always, received_at=timezone.now() - timedelta(minutes=50))
    later = make_work_order(policy=always)
    done = make_work_order(policy=always, received_at=timezone.now() - timedelta(hours=5))
    tech = TechnicianFactory()
    work_order_book(actor=None, work_order=done, technician=tech, starts_at=timezone.now())
    for status in (Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SITE, Status.COMPLETED):
        work_order_change_status(actor=dispatcher, work_order=done, target=status)
    client.force_login(office)
    page = client.get(reverse("work_order_list")).content.decode()
    assert done.number not in page  # completed work is not what the office handles next
    assert page.index(soon.number) < page.index(later.number)  # most urgent first
    assert '<option value="open" selected>Open work</option>' in page
    everything = client.get(reverse("work_order_list"), {"status": ""}).content.decode()
    # Any status: open work still first, then the closed.
    assert everything.index(later.number) < everything.index(done.number)


def test_each_role_lands_on_its_first_screen(client, office, dispatcher, manager):
    for user, target in (
        (dispatcher, "board_today"),
        (manager, "dashboard"),
        (office, "work_order_list"),
    ):
        client.force_login(user)
        assert client.get(reverse("home"))["Location"] == reverse(target)


def test_the_dashboard_fills_its_dates_with_the_range_it_shows(client, manager):
    client.force_login(manager)
    today = timezone.localdate()
    page = client.get(reverse("dashboard")).content.decode()
    assert f'name="end" value="{today.isoformat()}"' in page
    assert f'name="start" value="{(today - timedelta(days=29)).isoformat()}"' in page
    partial = client.get(reverse("dashboard"), {"start": (today - timedelta(days=6)).isoformat()})
    assert f'name="end" value="{today.isoformat()}"' in partial.content.decode()
