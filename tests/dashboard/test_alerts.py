"""SLA escalation alerts under a frozen clock: one per (work order, target, level)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse

from core.errors import DomainError
from tests.dashboard.helpers import always_open_policy
from tests.factories import make_work_order
from workorders.alerts import sla_alert_acknowledge, sla_alerts_raise
from workorders.models import Event, SLAAlert
from workorders.services import work_order_pause_sla
from workorders.tasks import sla_alerts_sweep

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


@pytest.fixture
def work_order():
    # Respond within 60 min (at risk after 45), resolve within 240 (at risk after 180).
    with time_machine.travel(RECEIVED, tick=False):
        return make_work_order(policy=always_open_policy(), received_at=RECEIVED)


def alerts_of(work_order) -> set[tuple[str, str]]:
    return set(SLAAlert.objects.filter(work_order=work_order).values_list("target", "level"))


def sweep_at(minutes: int) -> int:
    with time_machine.travel(RECEIVED + timedelta(minutes=minutes), tick=False):
        return sla_alerts_sweep()


def test_crossings_raise_one_alert_each_and_reruns_add_nothing(work_order):
    assert sweep_at(30) == 0
    assert sweep_at(46) == 1
    assert alerts_of(work_order) == {("response", "at_risk")}
    assert sweep_at(47) == 0 and sweep_at(50) == 0
    assert sweep_at(61) == 1
    assert alerts_of(work_order) == {("response", "at_risk"), ("response", "breached")}
    assert sweep_at(181) == 1  # resolution at risk
    assert sweep_at(241) == 1  # resolution breached
    assert sweep_at(300) == 0
    assert SLAAlert.objects.count() == 4
    assert (
        Event.objects.filter(kind=Event.Kind.SLA_ALERT_RAISED, work_order=work_order).count() == 4
    )


def test_a_late_sweep_raises_only_what_is_true_now(work_order):
    assert sweep_at(70) == 1  # straight to breached: no stale "at risk" alert
    assert alerts_of(work_order) == {("response", "breached")}


def test_the_database_refuses_a_duplicate_alert(work_order):
    sweep_at(46)
    alert = SLAAlert.objects.get()
    with pytest.raises(IntegrityError):
        SLAAlert.objects.create(
            work_order=work_order, target=alert.target, level=alert.level, due_at=alert.due_at
        )


def test_a_paused_clock_does_not_cross(work_order, manager):
    with time_machine.travel(RECEIVED + timedelta(minutes=10), tick=False):
        work_order_pause_sla(actor=manager, work_order=work_order, reason="Customer not home")
    assert sweep_at(500) == 0


def test_acknowledge_is_logged_once(work_order, manager):
    sweep_at(46)
    alert = SLAAlert.objects.get()
    with time_machine.travel(RECEIVED + timedelta(minutes=50), tick=False):
        sla_alert_acknowledge(actor=manager, alert=alert)
        with pytest.raises(DomainError, match="already acknowledged by morgan"):
            sla_alert_acknowledge(actor=manager, alert=alert)
    alert.refresh_from_db()
    assert alert.acknowledged_by == manager
    event = Event.objects.get(kind=Event.Kind.SLA_ALERT_ACKNOWLEDGED)
    assert event.actor == manager and event.work_order == work_order


def test_badge_list_and_plain_post_acknowledge(client, work_order, manager, office):
    sweep_at(46)
    client.force_login(manager)
    page = client.get(reverse("work_order_list")).content.decode()
    assert 'id="nav-alerts"' in page and "1 open SLA alerts" in page
    listing = client.get(reverse("sla_alert_list")).content.decode()
    assert work_order.number in listing
    alert = SLAAlert.objects.get()
    response = client.post(reverse("sla_alert_acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    assert "open SLA alerts" not in client.get(reverse("work_order_list")).content.decode()
    client.force_login(office)  # office staff neither see the badge nor the list
    assert 'id="nav-alerts"' not in client.get(reverse("work_order_list")).content.decode()
    assert client.get(reverse("sla_alert_list")).status_code == 403


def test_htmx_acknowledge_answers_with_the_row(client, work_order, dispatcher):
    sweep_at(46)
    client.force_login(dispatcher)
    alert = SLAAlert.objects.get()
    response = client.post(
        reverse("sla_alert_acknowledge", args=[alert.pk]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.strip().startswith("<tr") and "dana" in body


def test_sweep_is_a_direct_service_call_too(work_order):
    with time_machine.travel(RECEIVED + timedelta(minutes=46), tick=False):
        assert sla_alerts_raise() == 1


def test_alerts_are_acknowledged_in_bulk_by_level_or_as_shown(client, manager, work_order):
    other = None
    with time_machine.travel(RECEIVED, tick=False):
        other = make_work_order(policy=always_open_policy(), received_at=RECEIVED)
    sweep_at(46)  # both at risk on response
    sweep_at(61)  # both breached on response
    assert SLAAlert.objects.filter(acknowledged_at__isnull=True).count() == 4
    client.force_login(manager)
    url = reverse("sla_alerts_acknowledge")
    response = client.post(url, {"scope": "level", "level": "at_risk"})
    assert response.status_code == 302
    open_alerts = SLAAlert.objects.filter(acknowledged_at__isnull=True)
    assert set(open_alerts.values_list("level", flat=True)) == {"breached"}
    shown = list(open_alerts.filter(work_order=other).values_list("pk", flat=True))
    client.post(url, {"scope": "shown", "alert": shown})
    assert list(open_alerts.values_list("work_order", flat=True)) == [work_order.pk]
    acknowledged = SLAAlert.objects.filter(acknowledged_at__isnull=False)
    assert set(acknowledged.values_list("acknowledged_by", flat=True)) == {manager.pk}
    assert (
        Event.objects.filter(kind=Event.Kind.SLA_ALERT_ACKNOWLEDGED).count() == 3
    )  # one event per alert


def test_bulk_acknowledge_refuses_nonsense_and_changes_nothing(client, manager, work_order):
    sweep_at(46)
    client.force_login(manager)
    url = reverse("sla_alerts_acknowledge")
    for data in ({}, {"scope": "level", "level": "on_fire"}, {"scope": "shown", "alert": "x"}):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert any(m.level_tag == "error" for m in response.context["messages"])
    assert not SLAAlert.objects.filter(acknowledged_at__isnull=False).exists()


def test_the_badge_is_polled_and_updated_with_an_acknowledgement(client, manager, work_order):
    sweep_at(46)
    client.force_login(manager)
    badge = client.get(reverse("sla_alert_badge")).content.decode()
    assert 'hx-trigger="every 30s"' in badge and ">1</span>" in badge
    alert = SLAAlert.objects.get()
    answer = client.post(
        reverse("sla_alert_acknowledge", args=[alert.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert f'id="alert-{alert.pk}"' in answer
    assert 'id="nav-alerts"' in answer and 'hx-swap-oob="outerHTML"' in answer
    assert 'class="badge"' not in answer  # no open alert left
