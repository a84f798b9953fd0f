"""What an API key may do: read or write, per resource. One list, read by the key
model (its choices), the admin (its checkboxes) and the permission check."""

from enum import StrEnum


class Resource(StrEnum):
    CUSTOMERS = "customers"
    WORK_ORDERS = "work_orders"
    TECHNICIANS = "technicians"
    BOOKINGS = "bookings"
    SLA_POLICIES = "sla_policies"
    EVENTS = "events"


# Technicians, SLA policies and the event log are read-only through the API.
WRITABLE = frozenset({Resource.CUSTOMERS, Resource.WORK_ORDERS, Resource.BOOKINGS})


def scope(resource: Resource, write: bool) -> str:
    return f"{resource.value}:{'write' if write else 'read'}"


SCOPE_CHOICES = [
    (scope(resource, write), f"{resource.value.replace('_', ' ')}: {'write' if write else 'read'}")
    for resource in Resource
    for write in (False, True)
    if not write or resource in WRITABLE
]
ALL_SCOPES = frozenset(value for value, _ in SCOPE_CHOICES)
