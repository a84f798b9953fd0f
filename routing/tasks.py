"""Celery tasks: thin, load by id, call a service, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from routing import services
from routing.geocoding import GeocodingError, geocoding_enabled

logger = logging.getLogger(__name__)


@shared_task(name="routing.tasks.plan_run_execute", ignore_result=True)
def plan_run_execute(run_id: int) -> str:
    outcome = services.plan_run_execute(run_id=run_id)
    logger.info("plan run %s: %s", run_id, outcome)
    return outcome


@shared_task(name="routing.tasks.plan_runs_sweep", ignore_result=True)
def plan_runs_sweep() -> int:
    return services.plan_runs_sweep()


@shared_task(
    name="routing.tasks.geocode_site",
    ignore_result=True,
    autoretry_for=(GeocodingError,),
    retry_backoff=30,
    max_retries=3,
    rate_limit="1/s",  # Nominatim's usage policy: at most one request a second
)
def geocode_site(site_id: int) -> bool:
    # Already-geocoded or manual sites are skipped by the service: running twice is harmless.
    return services.site_geocode(site_id=site_id) is not None


@shared_task(name="routing.tasks.geocode_pending_sites", ignore_result=True)
def geocode_pending_sites(batch: int = 30) -> int:
    """Beat: queue a lookup for sites saved without coordinates (office forms live in
    `workorders`, which cannot call `routing`, so new sites are picked up here)."""
    if not geocoding_enabled():
        return 0
    site_ids = services.sites_awaiting_geocoding(batch)
    for site_id in site_ids:
        geocode_site.delay(site_id)
    return len(site_ids)
