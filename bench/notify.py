"""Customer texts: 1,000 queued texts through a real Celery worker (issue targets in brackets).

    make bench-notify        (own database dispatch_bench_notify, rebuilt each run;
                              Redis database BENCH_REDIS_DB, default 11, flushed)

Steady: one producer commits 1,000 bookings (`visit_planned`, one transaction each, like a
dispatcher's drops); a `celery worker --concurrency=2` sends them with the real twilio
client to a local fake Twilio (tests/notifications/fake_twilio.py); the latency from
each cause's commit to its provider request [p95 ≤ 2 s]. Then one transaction queues
1,000 more (like the evening reminders) and the worker drains them: its throughput
[≥ 50 texts/s].
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.database import use_bench_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
BENCH_DB = "dispatch_bench_notify"
recreate_database = use_bench_database(BENCH_DB)
redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
BROKER = urlunparse(urlparse(redis_url)._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '11')}"))
os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = BROKER
os.environ.setdefault("CACHE_KEY_PREFIX", "bench-notify")

from tests.notifications.fake_twilio import start_fake_twilio, twilio_env  # noqa: E402

FAKE, SERVER = start_fake_twilio()
SETTINGS_ENV = twilio_env(FAKE) | {
    "NOTIFY_QUIET_HOURS": "00:00-00:00",  # the bench may run at night
    "NOTIFY_RATE_LIMIT_PER_HOUR": "1000",
    "NOTIFY_PUBLIC_BASE_URL": "https://dispatch.example.com",
}
os.environ.update(SETTINGS_ENV)


def populate(count: int):
    from technicians.models import Technician
    from tests.factories import TechnicianFactory, make_work_order
    from workorders.models import Customer, Site, WorkOrder

    tech: Technician = TechnicianFactory(display_name="Alex Bench")
    template = make_work_order()
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Bench {i}", phone=f"+1312{i:07d}", sms_consent=True) for i in range(count)]
    )
    sites = Site.objects.bulk_create(
        [Site(customer=c, address=f"{i} N State St", latitude=41.9, longitude=-87.6)
         for i, c in enumerate(customers)]
    )  # fmt: skip
    fields = {
        f.name: getattr(template, f.name)
        for f in WorkOrder._meta.concrete_fields
        if f.name not in ("id", "number", "customer", "site")
    }
    orders = WorkOrder.objects.bulk_create(
        [WorkOrder(**fields, customer=c, site=s) for c, s in zip(customers, sites, strict=True)]
    )
    for order in orders:
        order.number = f"WO-{order.pk:06d}"
    WorkOrder.objects.bulk_update(orders, ["number"])
    return tech, orders


def start_worker(concurrency: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": "60", "PYTHONUNBUFFERED": "1"}
    log = log_path.open("w")
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker", "--pool=prefork",
         f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-heartbeat",
         "--without-gossip", "--without-mingle", "-n", f"bench-notify-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def wait_ready(process: subprocess.Popen, log_path: Path) -> None:
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"worker exited:\n{log_path.read_text()[-2000:]}")
        try:
            if app.control.ping(timeout=0.5):
                return
        except Exception:
            pass
        time.sleep(0.5)
    raise SystemExit("worker not ready after 60 s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    import django

    recreate_database()
    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from notifications import services
    from notifications.models import OutboundMessage

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(BROKER).flushdb()
    tech, orders = populate(2 * args.texts)
    steady, burst = orders[: args.texts], orders[args.texts :]
    log_path = ROOT / ".var" / "bench-notify-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    worker = start_worker(args.concurrency, log_path)
    committed: dict[str, float] = {}
    start = timezone.now() + timedelta(days=1)

    def book(order, i: int) -> None:
        phone = order.customer.phone
        # the first on-commit callback stamps the commit, before the enqueue runs
        transaction.on_commit(lambda: committed.__setitem__(phone, time.time()))
        services.visit_planned(
            work_order=order,
            technician=tech,
            starts_at=start + timedelta(minutes=i),
            ends_at=start + timedelta(minutes=i + 30),
            cause="bench",
        )

    def wait_sent(total: int) -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if OutboundMessage.objects.filter(status="sent").count() >= total:
                return
            time.sleep(0.2)
        raise SystemExit(f"not all texts sent in 300 s; see {log_path}")

    try:
        wait_ready(worker, log_path)
        # 1. Steady: one producer commits a booking per transaction as fast as it can
        #    while the worker sends: latency from each commit to its provider request.
        began = time.time()
        for i, order in enumerate(steady):
            with transaction.atomic():
                book(order, i)
        produced = time.time()
        wait_sent(args.texts)
        # 2. Burst: one transaction queues 1,000 texts (like the evening reminders);
        #    the worker drains the backlog: its throughput.
        with transaction.atomic():
            for i, order in enumerate(burst):
                book(order, i)
        burst_committed = time.time()
        wait_sent(2 * args.texts)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        SERVER.shutdown()

    first_request: dict[str, float] = {}
    for hit in FAKE.hits:
        if hit.status == 201:
            first_request.setdefault(hit.to, hit.at)
    accepted = sum(1 for hit in FAKE.hits if hit.status == 201)

    def latencies(group) -> list[float]:
        phones = [order.customer.phone for order in group]
        return sorted(first_request[p] - committed[p] for p in phones if p in first_request)

    def p95(values: list[float]) -> float:
        return values[int(0.95 * (len(values) - 1))]

    steady_lat, burst_lat = latencies(steady), latencies(burst)
    steady_last = max(first_request[o.customer.phone] for o in steady)
    burst_last = max(first_request[o.customer.phone] for o in burst)
    steady_rate = len(steady_lat) / (steady_last - began)
    burst_rate = len(burst_lat) / (burst_last - burst_committed)
    sent = OutboundMessage.objects.filter(status="sent").count()
    duplicates = accepted - len(first_request)
    lines = [
        f"worker                  celery prefork, concurrency {args.concurrency}, "
        f"{os.cpu_count()} cores (shared), fake Twilio over HTTP, real twilio client",
        f"texts sent              {sent} of {2 * args.texts}, provider requests "
        f"{len(FAKE.hits)}, duplicates {duplicates}",
        f"steady: {args.texts} bookings, one transaction each, producer at "
        f"{args.texts / (produced - began):.0f}/s",
        f"  end-to-end rate       {steady_rate:.1f} texts/s (bounded by the producer)",
        f"  latency commit→request p50 {statistics.median(steady_lat):.3f} s  "
        f"p95 {p95(steady_lat):.3f} s  max {steady_lat[-1]:.3f} s   [target p95 ≤ 2 s]",
        f"burst: {args.texts} texts queued by one commit",
        f"  worker throughput     {burst_rate:.1f} texts/s   [target ≥ 50]",
        f"  time to drain         {burst_last - burst_committed:.1f} s "
        f"(p95 wait {p95(burst_lat):.2f} s)",
    ]
    print("\n".join(lines))
    ok = sent == 2 * args.texts and duplicates == 0 and burst_rate >= 50 and p95(steady_lat) <= 2
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
