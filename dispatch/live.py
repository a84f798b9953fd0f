"""A per-date board version in Redis, bumped after every committed change.

Open boards poll it (see README, "Live boards"): an unchanged version costs one
Redis GET and a 204; a changed one makes the board fetch fresh lanes.

Redis is an accelerator here, never a source of truth: when it cannot be reached
the version reads as unknown (boards say "live updates paused" and keep polling
until it answers again) and a bump after a commit is logged and dropped, so a
saved change never turns into an error.
"""

import logging
from datetime import date
from functools import partial

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

TTL_SECONDS = 3 * 24 * 3600


def _key(day: date) -> str:
    return f"board-version:{day.isoformat()}"


def board_version(day: date) -> int | None:
    """The day's version, or None when Redis cannot be reached."""
    try:
        return int(cache.get(_key(day)) or 0)
    except Exception:  # any cache failure means "unknown", never an error page
        logger.warning("board version of %s unavailable: cache unreachable", day, exc_info=True)
        return None


def _bump(day: date) -> None:
    key = _key(day)
    try:
        cache.add(key, 0, TTL_SECONDS)
        cache.incr(key)
        cache.touch(key, TTL_SECONDS)
    except Exception:  # the change is committed; open boards catch up when Redis is back
        logger.warning("board version of %s not bumped: cache unreachable", day, exc_info=True)


def bump_board_version(*days: date) -> None:
    """Announce a change to the boards of `days` once the current transaction commits.

    A drop re-plans a dozen bookings of one day: each day is bumped once per
    transaction, not once per booking (a bump is three Redis calls)."""
    connection = transaction.get_connection()
    here = set(connection.savepoint_ids)  # the same (nested) transaction as this call
    queued = {
        getattr(func, "board_day", None)
        for sids, func, _ in (connection.run_on_commit if connection.in_atomic_block else [])
        if sids == here
    }
    for day in set(days) - queued:
        bump = partial(_bump, day)
        bump.board_day = day
        transaction.on_commit(bump)
