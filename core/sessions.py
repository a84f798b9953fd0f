"""The session store: Django's database sessions, read with one prepared statement.

Every request reads its session (a phone posts its position every minute); through the
ORM, building that query cost more than running it, and PostgreSQL planned it each
time. Everything else (saving, rotating, clearing expired sessions) is Django's."""

import re

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.rows import prepared_cursor

_LOAD = f"""SELECT session_data FROM {Session._meta.db_table}
    WHERE session_key = %(key)s AND expire_date > %(now)s"""


# What Django's get_new_session_key makes: 32 of VALID_KEY_CHARS (a-z, 0-9).
_KEY = re.compile(r"[a-z0-9]{32}")


class SessionStore(db.SessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        """Only a key Django could have made reaches the database: a cookie with a NUL
        (which PostgreSQL refuses to compare) or any other junk starts a new session."""
        return bool(key) and _KEY.fullmatch(key) is not None

    def load(self) -> dict:
        with prepared_cursor() as cursor:
            cursor.execute(_LOAD, {"key": self.session_key, "now": timezone.now()})
            row = cursor.fetchone()
        if row is None:  # unknown or expired: as Django's store, a new session starts
            self._session_key = None
            return {}
        return self.decode(row[0])
