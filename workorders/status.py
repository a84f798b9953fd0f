"""The work-order status machine: the only legal moves between statuses."""

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    SCHEDULED = "scheduled", "Scheduled"
    DISPATCHED = "dispatched", "Dispatched"
    EN_ROUTE = "en_route", "En route"
    ON_SITE = "on_site", "On site"
    COMPLETED = "completed", "Completed"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.SCHEDULED, Status.ON_HOLD, Status.CANCELLED}),
    Status.SCHEDULED: frozenset({Status.DISPATCHED, Status.NEW, Status.ON_HOLD, Status.CANCELLED}),
    Status.DISPATCHED: frozenset(
        {Status.EN_ROUTE, Status.SCHEDULED, Status.NEW, Status.ON_HOLD, Status.CANCELLED}
    ),
    Status.EN_ROUTE: frozenset({Status.ON_SITE, Status.DISPATCHED, Status.ON_HOLD}),
    Status.ON_SITE: frozenset({Status.COMPLETED, Status.ON_HOLD}),
    Status.ON_HOLD: frozenset({Status.NEW, Status.SCHEDULED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# Field statuses a technician reports from the phone.
TECHNICIAN_REPORTED = frozenset({Status.EN_ROUTE, Status.ON_SITE, Status.COMPLETED})


def can_transition(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]
