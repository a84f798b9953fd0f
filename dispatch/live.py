"""A per-date board version in Redis, bumped after every committed change.

Open boards poll it (see README, "Live boards"): an unchanged version costs one
Redis GET and a 204; a changed one makes the board fetch fresh lanes.
"""

from datetime import date

from django.core.cache import cache
from django.db import transaction

TTL_SECONDS = 3 * 24 * 3600


def _key(day: date) -> str:
    return f"board-version:{day.isoformat()}"


def board_version(day: date) -> int:
    return int(cache.get(_key(day)) or 0)


def _bump(day: date) -> None:
    key = _key(day)
    cache.add(key, 0, TTL_SECONDS)
    cache.incr(key)
    cache.touch(key, TTL_SECONDS)


def bump_board_version(*days: date) -> None:
    """Announce a change to the boards of `days` once the current transaction commits."""
    for day in set(days):
        transaction.on_commit(lambda day=day: _bump(day))
