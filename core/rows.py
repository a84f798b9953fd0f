"""Model instances from hand-written SELECTs, for the few reads on every request.

Building a query with the ORM costs more than running it when it joins a few tables
(about 1 ms each for the session's login and for the phone's day of bookings), and
those run on every request or every position post. Here the SQL is written out once and the
rows become ordinary model instances through `Model.from_db`, as the ORM's own would.

Their statements run through `prepared_cursor`: PostgreSQL then plans each once per
connection instead of on every request (planning cost it more than running them)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

# Django's cursors bind parameters on the client, which PostgreSQL cannot prepare; this
# one binds them on the server, and psycopg prepares a statement once it has run
# `prepare_threshold` times on a connection (the setting in DATABASES' OPTIONS).
# Behind a pooler in transaction mode prepared statements would break; we connect to
# PostgreSQL directly.


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """A cursor for the few statements every request runs (they take parameters in
    psycopg's `%s` / `%(name)s` style, as every cursor here does)."""
    connection.ensure_connection()
    # Django's own wrapping (query logging in tests, execute wrappers, thread checks).
    with connection._prepare_cursor(ServerBindingCursor(connection.connection)) as cursor:
        yield cursor


class Columns:
    """All concrete columns of `model`, selected under the table alias `alias`."""

    def __init__(self, model: type[Model], alias: str) -> None:
        fields = model._meta.concrete_fields
        self.model = model
        self.alias = alias
        self.table = model._meta.db_table
        self.names = [field.attname for field in fields]
        self.pk_position = self.names.index(model._meta.pk.attname)
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in fields)

    def __len__(self) -> int:
        return len(self.names)

    def load(self, values: Sequence) -> Model:
        return self.model.from_db(connection.alias, self.names, values)


def fetch(sql: str, params: dict | Sequence, *columns: Columns) -> list[list[Model | None]]:
    """Run `sql`, whose first columns are `columns` in order (anything after them is
    kept as the row's last item), and return each row as one instance per `columns`
    (None where a LEFT JOIN found nothing: its primary key is NULL)."""
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        instances: list = []
        start = 0
        for group in columns:
            values = row[start : start + len(group)]
            missing = values[group.pk_position] is None
            instances.append(None if missing else group.load(values))
            start += len(group)
        instances.extend(row[start:])
        result.append(instances)
    return result
