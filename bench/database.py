"""Each benchmark fills a PostgreSQL database of its own, rebuilt on every run, on the
server `DATABASE_URL` names (the demo's database is never touched)."""

import os
from collections.abc import Callable
from urllib.parse import urlparse, urlunparse

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/dispatch"


def use_bench_database(name: str) -> Callable[[], None]:
    """Point DATABASE_URL at database `name` on the same server (before Django starts);
    returns the function that drops and creates it afresh."""
    server = urlparse(os.environ.get("DATABASE_URL", DEFAULT_URL))
    os.environ["DATABASE_URL"] = urlunparse(server._replace(path=f"/{name}"))

    def recreate() -> None:
        import psycopg

        with psycopg.connect(
            urlunparse(server._replace(path="/postgres")), autocommit=True
        ) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")

    return recreate
