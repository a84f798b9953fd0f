"""The session store: Django's database sessions, read with one prepared statement.

Every request reads its session (a phone posts its position every minute); through the
ORM, building that query cost more than running it, and PostgreSQL planned it each
time. Everything else (saving, rotating, clearing expired sessions) is Django's."""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.rows import prepared_cursor

_LOAD = f"""SELECT session_data FROM {Session._meta.db_table}
    WHERE session_key = %(key)s AND expire_date > %(now)s"""


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        with prepared_cursor() as cursor:
            cursor.execute(_LOAD, {"key": self.session_key, "now": timezone.now()})
            row = cursor.fetchone()
        if row is None:  # unknown or expired: as Django's store, a new session starts
            self._session_key = None
            return {}
        return self.decode(row[0])
