"""Beat tasks of the dispatch board: thin and idempotent (the work is in services)."""

from celery import shared_task

from field.positions import position_trail_prune as prune_trails
from field.replan import overrun_alerts_raise


@shared_task(name="field.tasks.overrun_sweep")
def overrun_sweep() -> int:
    """Alert dispatchers to jobs running over (once per booking)."""
    return overrun_alerts_raise()


@shared_task(name="field.tasks.position_trail_prune")
def position_trail_prune() -> int:
    """Delete position trails older than POSITION_TRAIL_DAYS."""
    return prune_trails()
