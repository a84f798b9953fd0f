"""Technician edits go in the append-only event log, with actor and before/after."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import DomainError
from technicians import services
from tests.factories import SkillFactory, TechnicianFactory
from workorders.models import Event

pytestmark = pytest.mark.django_db

PROFILE = services.TECHNICIAN_FIELDS


def _update(actor, tech, **changes):
    data = {name: getattr(tech, name) for name in PROFILE} | changes.pop("data", {})
    return services.technician_update(
        actor=actor,
        technician=tech,
        data=data,
        certifications=changes.get("certifications", []),
        shifts=changes.get("shifts", []),
        time_off=changes.get("time_off", []),
    )


def test_each_edit_is_logged_with_actor_and_what_changed(office):
    tech = TechnicianFactory(display_name="Maria", max_daily_hours=Decimal("8"))
    skill = SkillFactory(name="HVAC")
    _update(
        office,
        tech,
        data={"max_daily_hours": Decimal("9.5")},
        certifications=[services.CertificationData(skill, 3, date(2027, 1, 31))],
        shifts=[services.ShiftData(0, time(8), time(16))],
    )
    event = Event.objects.get(kind=Event.Kind.TECHNICIAN_CHANGED)
    assert event.actor == office and event.technician == tech
    assert event.before == {"max_daily_hours": "8.00", "certifications": [], "shifts": []}
    assert event.after == {
        "max_daily_hours": "9.50",
        "certifications": ["HVAC 3 until 2027-01-31"],
        "shifts": ["Monday 08:00–16:00"],
    }
    assert "max daily hours" in event.summary and "certifications" in event.summary


def test_an_edit_that_changes_nothing_logs_nothing(office):
    tech = TechnicianFactory()
    _update(office, tech)
    assert not Event.objects.exists()


def test_a_refused_edit_changes_and_logs_nothing(office):
    tech = TechnicianFactory(display_name="Maria")
    skill = SkillFactory()
    with pytest.raises(DomainError, match="Each skill may be certified only once"):
        _update(
            office,
            tech,
            data={"display_name": "Changed"},
            certifications=[
                services.CertificationData(skill, 1, None),
                services.CertificationData(skill, 2, None),
            ],
        )
    tech.refresh_from_db()
    assert tech.display_name == "Maria" and not Event.objects.exists()


def test_the_edit_screen_records_who_did_it(client, office):
    tech = TechnicianFactory(display_name="Maria", team="North")
    client.force_login(office)
    page = client.get(reverse("technician_edit", args=[tech.pk]))
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form.initial.get(name, "") for name in PROFILE}
    data.update(display_name="Maria Lopez", active="on")
    for prefix in ("certs", "shifts", "timeoff"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(reverse("technician_edit", args=[tech.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(kind=Event.Kind.TECHNICIAN_CHANGED)
    assert event.actor == office
    assert event.before["display_name"] == "Maria" and event.after["display_name"] == "Maria Lopez"


def test_an_edit_form_loaded_before_a_sick_call_cannot_wipe_it(client, office, dispatcher):
    from django.utils import timezone

    from technicians.models import TimeOff

    tech = TechnicianFactory(display_name="Maria")
    client.force_login(office)
    page = client.get(reverse("technician_edit", args=[tech.pk]))
    form = page.context["form"]
    data = {name: form.initial.get(name, "") for name in PROFILE}
    data.update(display_name="Maria Lopez", active="on")
    data["time_off_fingerprint"] = form["time_off_fingerprint"].value()
    for prefix in ("certs", "shifts", "timeoff"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    now = timezone.now()
    services.time_off_add(  # meanwhile, the dispatcher takes a sick call
        actor=dispatcher,
        technician=tech,
        kind="sick",
        starts_at=now,
        ends_at=now + timedelta(hours=6),
        reason="called in sick",
    )
    response = client.post(reverse("technician_edit", args=[tech.pk]), data)
    assert response.status_code == 400
    assert "time off changed while you were editing" in response.content.decode()
    tech.refresh_from_db()
    assert tech.display_name == "Maria" and TimeOff.objects.filter(technician=tech).count() == 1
    added = Event.objects.get(kind=Event.Kind.TECHNICIAN_CHANGED)
    assert added.actor == dispatcher and "called in sick" in added.summary
