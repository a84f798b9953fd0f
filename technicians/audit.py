"""Technician edits reach the append-only event log through this signal.

The event log belongs to `workorders` (its rows point at work orders and customers),
which depends on `technicians`, not the other way round: so technicians announce a
change here, inside the writing transaction, and `workorders.events` records it.
"""

from django.dispatch import Signal

# Sent with: actor, technician, summary, before (dict), after (dict).
technician_changed = Signal()


def record_technician_change(*, actor, technician, summary: str, before: dict, after: dict) -> None:
    if not technician_changed.receivers:
        # An edit that nobody records would silently break the audit trail.
        raise RuntimeError("No receiver records technician changes (workorders not installed?).")
    technician_changed.send(
        sender=type(technician),
        actor=actor,
        technician=technician,
        summary=summary,
        before=before,
        after=after,
    )
