"""The event log is append-only: no UPDATE or DELETE, from code, SQL or admin."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from tests.factories import UserFactory, make_work_order
from workorders.models import Event

pytestmark = pytest.mark.django_db


def test_update_and_delete_are_refused_by_the_database():
    event = make_work_order().events.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(summary="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE workorders_event SET summary = 'x' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.summary.endswith("created: Fix the thing")


def test_admin_cannot_add_change_or_delete_events(client):
    admin = UserFactory(is_staff=True, is_superuser=True, role="admin")
    event = make_work_order().events.get()
    client.force_login(admin)
    assert client.get(reverse("admin:workorders_event_changelist")).status_code == 200
    assert client.get(reverse("admin:workorders_event_add")).status_code == 403
    change = client.post(
        reverse("admin:workorders_event_change", args=[event.pk]), {"summary": "forged"}
    )
    assert change.status_code in (200, 403)  # read-only view: the post is ignored
    assert (
        client.post(
            reverse("admin:workorders_event_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.summary != "forged"
    assert Event.objects.filter(pk=event.pk).exists()


def test_edits_record_before_and_after(client, office):
    work_order = make_work_order()
    from workorders.services import work_order_update

    work_order_update(
        actor=office,
        work_order=work_order,
        data={"summary": "Replace the compressor"},
        required_skills=[],
    )
    event = work_order.events.get(kind="workorder.updated")
    assert event.actor == office
    assert event.before == {"summary": "Fix the thing"}
    assert event.after == {"summary": "Replace the compressor"}
