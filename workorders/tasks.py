"""Celery tasks: thin, idempotent (the alert's unique constraint makes reruns harmless)."""

from celery import shared_task

from workorders import alerts


@shared_task(name="workorders.tasks.sla_alerts_sweep", ignore_result=True)
def sla_alerts_sweep() -> int:
    return alerts.sla_alerts_raise()
