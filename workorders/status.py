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
    # Back to NEW: the technician could not complete it; it returns to the queue.
    Status.EN_ROUTE: frozenset({Status.ON_SITE, Status.DISPATCHED, Status.ON_HOLD, Status.NEW}),
    Status.ON_SITE: frozenset({Status.COMPLETED, Status.ON_HOLD, Status.NEW}),
    Status.ON_HOLD: frozenset({Status.NEW, Status.SCHEDULED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# A dispatcher may still place or move these: their times are plans.
MOVABLE = frozenset({Status.NEW, Status.SCHEDULED, Status.DISPATCHED})
# The technician is on the way or at work: the job leads their day.
IN_PROGRESS = frozenset({Status.EN_ROUTE, Status.ON_SITE})
# Started or ended: their times are facts, never re-planned.
STARTED = IN_PROGRESS | {Status.COMPLETED}
# Nothing more happens to these.
CLOSED = frozenset({Status.COMPLETED, Status.CANCELLED})


def can_transition(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]
