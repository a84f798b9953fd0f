"""Dashboard speed: one year of history, ≈100,000 work orders, 200 technicians.

    make bench-dashboard    (its own database, dispatch_dash_bench, rebuilt each run)

Prints the median time of the dashboard page (server render through Django's test
client, in process, real PostgreSQL) with no filter and with two filters (tier and
team) [target ≤ 500 ms each], and the query count of each. The data is bulk-inserted.
"""

import os
import random
import statistics
import sys
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.database import use_bench_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
BENCH_DB = os.environ.get("BENCH_DASHBOARD_DB", "dispatch_dash_bench")
recreate_database = use_bench_database(BENCH_DB)
os.environ.setdefault("CACHE_KEY_PREFIX", "bench-dashboard")
os.environ.setdefault("DJANGO_MANIFEST_STATIC", "0")

TECHNICIANS, DAYS, JOBS_PER_DAY, SITES = 200, 365, 275, 5000
RUNS = 9


def populate(today):
    from django.contrib.auth.models import Group, User

    from dispatch.bookings import ImportedBooking, bookings_import
    from technicians.models import Certification, ShiftPattern, Skill, Technician
    from technicians.selectors import at_local
    from workorders.models import Customer, Event, RequiredSkill, Site, SLAPolicy, WorkOrder

    rng = random.Random(7)
    skill = Skill.objects.create(code="hvac", name="HVAC")
    tiers = [
        SLAPolicy.objects.create(
            tier=name, response_minutes=r, resolution_minutes=s, calendar="24x7"
        )
        for name, r, s in [("Platinum", 240, 720), ("Gold", 480, 1440), ("Standard", 960, 2400)]
    ]
    manager = User.objects.create_user("bench-manager", password="x")
    manager.groups.add(Group.objects.get_or_create(name="manager")[0])
    customers = Customer.objects.bulk_create(
        [Customer(name=f"Customer {i}", phone="+13125550100") for i in range(1000)]
    )
    sites = Site.objects.bulk_create(
        [
            Site(
                customer=customers[i % len(customers)],
                address=f"{i} Bench St",
                latitude=41.75 + (i % 70) * 0.005,
                longitude=-87.80 + (i // 70) * 0.003,
            )
            for i in range(SITES)
        ]
    )
    users = User.objects.bulk_create(
        [User(username=f"bench-tech{i:03d}") for i in range(TECHNICIANS)]
    )
    techs = Technician.objects.bulk_create(
        [
            Technician(
                user=u,
                display_name=f"Bench Tech {i:03d}",
                phone="+13125550101",
                team=["North", "South", "West"][i % 3],
                home_latitude=41.8,
                home_longitude=-87.7,
            )
            for i, u in enumerate(users)
        ]
    )
    Certification.objects.bulk_create(
        [Certification(technician=t, skill=skill, level=3) for t in techs]
    )
    ShiftPattern.objects.bulk_create(
        [
            ShiftPattern(technician=t, weekday=w, starts_at=clock(7), ends_at=clock(17))
            for t in techs
            for w in range(5)
        ]
    )
    orders, plans = [], []
    for day_index in range(DAYS, 0, -1):
        day = today - timedelta(days=day_index)
        cursor = {t.pk: at_local(day, clock(7)) for t in techs}
        for n in range(JOBS_PER_DAY):
            tech = techs[(n * 7 + day_index) % len(techs)]
            tier = tiers[n % 3]
            start = cursor[tech.pk] + timedelta(minutes=20)
            end = start + timedelta(minutes=60)
            cursor[tech.pk] = end
            received = start - timedelta(minutes=rng.randint(30, tier.response_minutes * 2))
            responded = start + timedelta(minutes=rng.choice([0, 5, 10]))
            resolved = end + timedelta(minutes=rng.choice([0, 10, 30]))
            orders.append(
                WorkOrder(
                    customer_id=sites[(n * 13 + day_index) % SITES].customer_id,
                    site=sites[(n * 13 + day_index) % SITES],
                    job_type=["repair", "install", "maintenance"][n % 3],
                    priority=2,
                    summary=f"Bench job {day_index}-{n}",
                    estimated_minutes=60,
                    sla_policy=tier,
                    status="completed",
                    number=f"WO-Y{day_index:03d}{n:03d}",
                    created_at=received,
                    sla_started_at=received,
                    response_due_at=received + timedelta(minutes=tier.response_minutes),
                    response_at_risk_at=received + timedelta(minutes=tier.response_minutes * 0.75),
                    resolution_due_at=received + timedelta(minutes=tier.resolution_minutes),
                    resolution_at_risk_at=received
                    + timedelta(minutes=tier.resolution_minutes * 0.75),
                    responded_at=responded,
                    resolved_at=resolved,
                    window_start=start - timedelta(minutes=60) if n % 4 == 0 else None,
                    window_end=start + timedelta(minutes=60) if n % 4 == 0 else None,
                )
            )
            plans.append((tech, start, end))
    orders = WorkOrder.objects.bulk_create(orders, batch_size=5000)
    RequiredSkill.objects.bulk_create(
        [RequiredSkill(work_order=o, skill=skill, min_level=1) for o in orders], batch_size=5000
    )
    bookings = bookings_import(
        actor=None,
        rows=[
            ImportedBooking(work_order=o, technician=t, starts_at=s, ends_at=e, travel_minutes=20)
            for o, (t, s, e) in zip(orders, plans, strict=True)
        ],
    )
    Event.objects.bulk_create(
        [
            Event(
                kind=Event.Kind.OVERRIDE, work_order=o, summary="override", occurred_at=o.created_at
            )
            for o in orders[::50]
        ],
        batch_size=5000,
    )
    return manager, len(orders), len(bookings)


def main() -> None:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.utils import timezone

    from workorders.models import SLAPolicy

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    manager, orders, bookings = populate(timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    gold = SLAPolicy.objects.get(tier="Gold").pk
    cases = [("no filter", "/dashboard/"), ("tier + team", f"/dashboard/?tier={gold}&team=North")]
    print(
        f"Dashboard benchmark: {orders:,} work orders and {bookings:,} bookings over {DAYS} days, "
        f"{TECHNICIANS} technicians (built in {built:.0f} s); {RUNS} runs each, last 30 days"
    )
    for label, url in cases:
        assert client.get(url).status_code == 200  # warm up
        samples = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - t0)
            assert response.status_code == 200
        connection.force_debug_cursor = True
        reset_queries()
        client.get(url)
        queries = len(connection.queries)
        connection.force_debug_cursor = False
        median = statistics.median(samples) * 1000
        print(
            f"  dashboard, {label:<12} median {median:7.1f} ms   target ≤ 500 ms   ({queries} queries)"
        )


if __name__ == "__main__":
    main()
