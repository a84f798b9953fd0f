"""A real Celery worker for end-to-end tests, isolated from any demo worker.

The worker runs as a subprocess against pytest-django's test database and a dedicated
Redis database (flushed first), so it can neither steal tasks from a demo worker nor
see demo data. Tests using it need `transactional_db`: the worker is another process
and only sees committed rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import pools

ROOT = Path(__file__).resolve().parent.parent
CELERY = ROOT / ".venv" / "bin" / "celery"
# Two checkouts testing at once on one machine pick different databases.
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "15"))
READY_TIMEOUT_S = 40


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path
    broker_url: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count(text) >= count:
                return
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not seen {count}x in the worker log:\n{self.log()[-3000:]}")

    def pool_children(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(pid) for pid in out.split()]


def _test_redis_url() -> str:
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", "", ""))


def _test_database_url() -> str:
    data = connection.settings_dict
    user = data.get("USER") or "postgres"
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    host = data.get("HOST") or "127.0.0.1"
    port = data.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{data['NAME']}"


@pytest.fixture
def celery_worker(transactional_db, tmp_path) -> Iterator[Worker]:
    """Start `celery worker` (prefork, 1 child) on the test DB and Redis db 15."""
    from config.celery import app

    broker = _test_redis_url()
    redis.Redis.from_url(broker).flushdb()
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "DATABASE_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(CELERY) if CELERY.exists() else sys.executable,
                *([] if CELERY.exists() else ["-m", "celery"]),
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"pytest-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole below
        )
    # This process sends to the same broker: point the app there (connection pools are
    # created lazily, so dropping the cached ones is enough) and restore afterwards.
    old_url = app.conf.broker_url
    app.conf.broker_url = broker
    app._pool = None
    app.amqp._producer_pool = None
    worker = Worker(process=process, log_path=log_path, broker_url=broker)
    try:
        worker.wait_for_log(" ready.", timeout=READY_TIMEOUT_S)
        yield worker
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        pools.reset()  # close the connections to the test broker and forget the pools
        app.conf.broker_url = old_url
        app._pool = None
        app.amqp._producer_pool = None
