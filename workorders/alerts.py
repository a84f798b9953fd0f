"""SLA escalation alerts: the sweep that raises them and the acknowledgement (writes).

The sweep is set-based: four queries (two targets × two levels) find work orders whose
running clock has crossed a threshold and that have no alert of that level yet; the
unique constraint on (work order, target, level) makes a concurrent or repeated sweep
harmless, and a transaction-scoped advisory lock keeps two sweeps from logging the
same crossing twice.
"""

from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.errors import DomainError
from workorders.clock import SLATarget, clock_annotation, target_conditions
from workorders.events import event_record
from workorders.models import Event, SLAAlert, WorkOrder
from workorders.status import Status

SWEEP_LOCK_KEY = 0x5_1A_A1E27  # pg_advisory_xact_lock key of the sweep

# On-call escalation by text or e-mail would hook in here; the notifications
# outbox (notifications) is not wired to alerts yet: alerts are on screen only.


def _crossings(target: SLATarget, level: SLAAlert.Level, now: datetime):
    conditions = target_conditions(target)
    done = "responded_at" if target == SLATarget.RESPONSE else "resolved_at"
    if level == SLAAlert.Level.AT_RISK:
        crossed, threshold = conditions.at_risk, f"{target.value}_at_risk_at"
    else:
        crossed, threshold = conditions.breached, f"{target.value}_due_at"
    already = SLAAlert.objects.filter(work_order=OuterRef("pk"), target=target.value, level=level)
    return (
        WorkOrder.objects.annotate(**clock_annotation(now))
        .filter(crossed, **{f"{done}__isnull": True})
        .exclude(status__in=[Status.COMPLETED, Status.CANCELLED])
        .filter(~Exists(already))
        .values_list("pk", "number", threshold)
        .order_by("pk")
    )


@transaction.atomic
def sla_alerts_raise(*, now: datetime | None = None) -> int:
    """Raise one alert per (work order, target, level) newly crossed; returns how many."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
    alerts, events = [], []
    for target in SLATarget:
        for level in SLAAlert.Level:
            for work_order_id, number, crossed_at in _crossings(target, level, now):
                alerts.append(
                    SLAAlert(
                        work_order_id=work_order_id,
                        target=target.value,
                        level=level,
                        due_at=crossed_at,
                        raised_at=now,
                    )
                )
                events.append(
                    Event(
                        occurred_at=now,
                        kind=Event.Kind.SLA_ALERT_RAISED,
                        work_order_id=work_order_id,
                        summary=f"{number}: {target.label} SLA {level.label.lower()}",
                        after={"target": target.value, "level": level.value},
                    )
                )
    SLAAlert.objects.bulk_create(alerts, ignore_conflicts=True)
    Event.objects.bulk_create(events)
    return len(alerts)


@transaction.atomic
def sla_alert_acknowledge(*, actor, alert: SLAAlert) -> SLAAlert:
    alert = (
        SLAAlert.objects.select_for_update(of=("self",))
        .select_related("work_order", "acknowledged_by")
        .get(pk=alert.pk)
    )
    if alert.acknowledged_at is not None:
        who = alert.acknowledged_by.get_username() if alert.acknowledged_by else "someone"
        raise DomainError(f"This alert was already acknowledged by {who}.")
    alert.acknowledged_at = max(timezone.now(), alert.raised_at)
    alert.acknowledged_by = actor
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    event_record(
        actor=actor,
        kind=Event.Kind.SLA_ALERT_ACKNOWLEDGED,
        summary=(
            f"{alert.work_order.number}: {alert.get_target_display()} SLA "
            f"{alert.get_level_display().lower()} alert acknowledged"
        ),
        work_order=alert.work_order,
        after={"target": alert.target, "level": alert.level},
    )
    return alert


@transaction.atomic
def sla_alerts_acknowledge(
    *, actor, alert_ids: list[int] | None = None, level: str | None = None
) -> int:
    """Acknowledge many open alerts at once: those of `alert_ids` (the ones a page
    showed), or every open alert of `level`. Alerts someone acknowledged meanwhile are
    left as they are. Returns how many this call acknowledged."""
    if alert_ids is None and level is None:
        raise DomainError("Say which alerts to acknowledge.")
    if level is not None and level not in SLAAlert.Level.values:
        raise DomainError("That is not an alert level.")
    alerts = SLAAlert.objects.filter(acknowledged_at__isnull=True)
    if alert_ids is not None:
        alerts = alerts.filter(pk__in=alert_ids)
    if level is not None:
        alerts = alerts.filter(level=level)
    locked = list(
        alerts.select_for_update(of=("self",)).select_related("work_order").order_by("pk")
    )
    now = timezone.now()
    for alert in locked:
        alert.acknowledged_at = max(now, alert.raised_at)
        alert.acknowledged_by = actor
    SLAAlert.objects.bulk_update(locked, ["acknowledged_at", "acknowledged_by"])
    Event.objects.bulk_create(
        Event(
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            kind=Event.Kind.SLA_ALERT_ACKNOWLEDGED,
            summary=(
                f"{alert.work_order.number}: {alert.get_target_display()} SLA "
                f"{alert.get_level_display().lower()} alert acknowledged"
            ),
            work_order=alert.work_order,
            after={"target": alert.target, "level": alert.level, "bulk": True},
        )
        for alert in locked
    )
    return len(locked)
