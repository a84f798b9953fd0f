"""Board speed: 200 technicians, 2,000 bookings on one date (issue targets in brackets).

    make bench-board        (uses its own database, dispatch_bench, rebuilt each run)

Prints medians over repeated requests through Django's test client, in process,
against the real PostgreSQL and Redis: board page [≤ 300 ms], drop round trip
[≤ 100 ms], ranking of one job [≤ 200 ms], urgent insertion [≤ 1 s], and the
board's query count.
"""

import os
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
BENCH_DB = "dispatch_bench"
recreate_database = use_bench_database(BENCH_DB)
os.environ.setdefault("CACHE_KEY_PREFIX", "bench")

TECHNICIANS, BOOKINGS_PER_TECH, QUEUE = 200, 10, 300
RUNS = 15


def populate(day):
    from django.contrib.auth.models import Group, User

    from dispatch.bookings import ImportedBooking, bookings_import
    from technicians.models import Certification, ShiftPattern, Skill, Technician
    from technicians.selectors import at_local
    from workorders.models import Customer, RequiredSkill, Site, SLAPolicy, WorkOrder
    from workorders.services import SkillRequirement, work_order_create

    skill = Skill.objects.create(code="hvac", name="HVAC")
    policy = SLAPolicy.objects.create(
        tier="Gold", response_minutes=2 * 24 * 60, resolution_minutes=3 * 24 * 60, calendar="24x7"
    )
    dispatcher = User.objects.create_user("bench-dispatcher", password="x")
    dispatcher.groups.add(Group.objects.get_or_create(name="dispatcher")[0])
    customer = Customer.objects.create(name="Bench customer", phone="+13125550100")
    sites = Site.objects.bulk_create(
        [
            Site(
                customer=customer,
                address=f"{i} Bench St",
                latitude=41.75 + (i % 40) * 0.008,
                longitude=-87.80 + (i // 40) * 0.008,
            )
            for i in range(400)
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
                team=["North", "South"][i % 2],
                home_latitude=41.8 + (i % 20) * 0.01,
                home_longitude=-87.7 + (i // 20) * 0.01,
            )
            for i, u in enumerate(users)
        ]
    )
    Certification.objects.bulk_create(
        [Certification(technician=t, skill=skill, level=3) for t in techs]
    )
    ShiftPattern.objects.bulk_create(
        [
            ShiftPattern(technician=t, weekday=day.weekday(), starts_at=clock(6), ends_at=clock(22))
            for t in techs
        ]
    )
    template = work_order_create(
        actor=None,
        data={
            "customer": customer,
            "site": sites[0],
            "job_type": "repair",
            "priority": 2,
            "summary": "Bench job",
            "estimated_minutes": 60,
            "window_start": None,
            "window_end": None,
            "sla_policy": policy,
            "billing_reference": "",
            "notes": "",
        },
        required_skills=[SkillRequirement(skill=skill, min_level=1)],
    )
    due = {
        f: getattr(template, f)
        for f in (
            "response_due_at",
            "response_at_risk_at",
            "resolution_due_at",
            "resolution_at_risk_at",
            "sla_started_at",
        )
    }
    orders = WorkOrder.objects.bulk_create(
        [
            WorkOrder(
                customer=customer,
                site=sites[i % len(sites)],
                job_type="repair",
                priority=2,
                summary=f"Bench job {i}",
                estimated_minutes=60,
                sla_policy=policy,
                status="scheduled" if i < TECHNICIANS * BOOKINGS_PER_TECH else "new",
                number=f"WO-B{i:06d}",
                **due,
            )
            for i in range(TECHNICIANS * BOOKINGS_PER_TECH + QUEUE)
        ]
    )
    RequiredSkill.objects.bulk_create(
        [RequiredSkill(work_order=o, skill=skill, min_level=1) for o in orders]
    )
    bookings = []
    for t_index, tech in enumerate(techs):
        start = at_local(day, clock(7))
        for b in range(BOOKINGS_PER_TECH):
            order = orders[t_index * BOOKINGS_PER_TECH + b]
            bookings.append(
                ImportedBooking(
                    work_order=order,
                    technician=tech,
                    starts_at=start + timedelta(minutes=15),
                    ends_at=start + timedelta(minutes=75),
                    travel_minutes=15,
                )
            )
            start += timedelta(minutes=75)
    bookings_import(actor=None, rows=bookings)
    return dispatcher, techs, orders[TECHNICIANS * BOOKINGS_PER_TECH :]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.utils import timezone

    from dispatch.ranking import rank_technicians

    call_command("migrate", verbosity=0)
    day = timezone.localdate() + timedelta(days=1)
    dispatcher, techs, queue = populate(day)
    with connection.cursor() as cursor:
        # A live database has planner statistics (autovacuum); a freshly filled one does
        # not, and without them PostgreSQL picks nested loops for the queue's anti-join.
        cursor.execute("ANALYZE")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(dispatcher)
    board_url = f"/board/{day.isoformat()}/"

    client.get(board_url)  # warm caches and imports
    board_times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(board_url)
        board_times.append(time.perf_counter() - started)
        assert response.status_code == 200
    connection.force_debug_cursor = True
    reset_queries()
    client.get(board_url)
    board_queries = len(connection.queries)
    connection.force_debug_cursor = False

    drop_times = []
    for index, work_order in enumerate(queue[:RUNS]):
        tech = techs[(index * 7) % len(techs)]
        started = time.perf_counter()
        response = client.post(
            f"/board/{day.isoformat()}/assign/",
            {"work_order": work_order.pk, "technician": tech.pk, "position": 5, "confirm": "on"},
            headers={"HX-Request": "true"},
        )
        drop_times.append(time.perf_counter() - started)
        assert b"assigned to" in response.content, response.content[:500]

    rank_times, view_times = [], []
    for work_order in queue[RUNS : RUNS * 2]:
        started = time.perf_counter()
        ranking = rank_technicians(work_order, day)
        rank_times.append(time.perf_counter() - started)
        assert ranking.candidates
        started = time.perf_counter()
        client.get(
            f"/board/{day.isoformat()}/jobs/{work_order.pk}/", headers={"HX-Request": "true"}
        )
        view_times.append(time.perf_counter() - started)

    from planning.urgent import urgent_insertion_find

    urgent_times = []
    for work_order in queue[RUNS * 2 : RUNS * 3]:
        started = time.perf_counter()
        search = urgent_insertion_find(work_order=work_order, day=day)
        urgent_times.append(time.perf_counter() - started)
        assert search.best is not None

    print(
        f"Board benchmark: {TECHNICIANS} technicians, {TECHNICIANS * BOOKINGS_PER_TECH} bookings on {day}, {QUEUE} queued, {RUNS} runs each"
    )
    print(
        f"  board page (server render)   median {median_ms(board_times):7.1f} ms   target ≤ 300 ms   ({board_queries} queries)"
    )
    print(
        f"  drop round trip (htmx POST)  median {median_ms(drop_times):7.1f} ms   target ≤ 100 ms"
    )
    print(
        f"  urgent insertion (200 lanes) median {median_ms(urgent_times):7.1f} ms   target ≤ 1000 ms"
    )
    print(
        f"  ranking of one job           median {median_ms(rank_times):7.1f} ms   target ≤ 200 ms   (view incl. render: {median_ms(view_times):.1f} ms)"
    )


if __name__ == "__main__":
    main()
