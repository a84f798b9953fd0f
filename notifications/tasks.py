"""Celery tasks: thin, load by id, call a service, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from notifications import outbox, services

logger = logging.getLogger(__name__)


@shared_task(name="notifications.tasks.send_text", ignore_result=True)
def send_text(message_id: int) -> str:
    outcome = outbox.outbox_send(message_id=message_id)
    logger.info("text %s: %s", message_id, outcome)
    return outcome


@shared_task(name="notifications.tasks.send_texts", ignore_result=True)
def send_texts(message_ids: list[int]) -> list[str]:
    """Send the rows one transaction queued (in chunks); each row is claimed alone."""
    outcomes = []
    for message_id in message_ids:
        outcome = outbox.outbox_send(message_id=message_id)
        logger.info("text %s: %s", message_id, outcome)
        outcomes.append(outcome)
    return outcomes


@shared_task(name="notifications.tasks.outbox_sweep", ignore_result=True)
def outbox_sweep(grace_seconds: float | None = None) -> int:
    return outbox.outbox_sweep(grace_seconds=grace_seconds)


@shared_task(name="notifications.tasks.reminders_queue", ignore_result=True)
def reminders_queue() -> int:
    return services.reminders_queue()
