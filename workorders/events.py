"""Writing to the append-only event log."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import models

from workorders.models import Customer, Event, WorkOrder


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: _jsonable(getattr(instance, name)) for name in fields}


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def event_record(
    *,
    actor,
    kind: Event.Kind,
    summary: str,
    work_order: WorkOrder | None = None,
    technician=None,
    customer: Customer | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> Event:
    return Event.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        summary=summary[:300],
        work_order=work_order,
        technician=technician,
        customer=customer,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )


def record_technician_event(
    sender, *, actor, technician, summary: str, before: dict, after: dict, **kwargs
) -> None:
    """Receiver of `technicians.audit.technician_changed`: one event per edit."""
    event_record(
        actor=actor,
        kind=Event.Kind.TECHNICIAN_CHANGED,
        summary=summary,
        technician=technician,
        before=before,
        after=after,
    )
