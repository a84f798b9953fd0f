"""Phone speed: status actions and position posts (issue targets in brackets).

    make bench-phone        (uses its own database, dispatch_bench_phone, rebuilt each run)

Through Django's full request stack in process (middleware, database sessions, login,
CSRF-exempt test client, the real PostgreSQL): median round trip of a status action
from the phone [≤ 150 ms] and position posts per second [≥ 200/s], one technician
after another (the rate limit allows one post per technician per
POSITION_MIN_INTERVAL_S).
"""

import multiprocessing
import os
import statistics
import sys
import time
import uuid
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.database import use_bench_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.settings")
BENCH_DB = "dispatch_bench_phone"
recreate_database = use_bench_database(BENCH_DB)
os.environ.setdefault("CACHE_KEY_PREFIX", "bench-phone")

TECHNICIANS = 800  # position posts: one per technician (half alone, half in parallel)
WORKERS = 4
ACTION_TECHNICIANS = 30  # status actions: en route, on site, complete each


def populate():
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from dispatch.services import work_order_book
    from technicians.models import ShiftPattern, Technician
    from workorders.models import Customer, Site, SLAPolicy
    from workorders.services import work_order_create

    group = Group.objects.get_or_create(name="technician")[0]
    users = User.objects.bulk_create([User(username=f"phone{i:03d}") for i in range(TECHNICIANS)])
    group.user_set.add(*users)
    techs = Technician.objects.bulk_create(
        [
            Technician(
                user=u,
                display_name=f"Phone Tech {i:03d}",
                phone="+13125550101",
                home_latitude=41.8 + (i % 20) * 0.01,
                home_longitude=-87.7 + (i // 20) * 0.01,
            )
            for i, u in enumerate(users)
        ]
    )
    today = timezone.localdate()
    ShiftPattern.objects.bulk_create(
        [
            ShiftPattern(
                technician=t, weekday=today.weekday(), starts_at=clock(0), ends_at=clock(23, 59)
            )
            for t in techs
        ]
    )
    policy = SLAPolicy.objects.create(
        tier="Gold", response_minutes=2 * 24 * 60, resolution_minutes=3 * 24 * 60, calendar="24x7"
    )
    customer = Customer.objects.create(name="Bench customer", phone="+13125550100")
    jobs = []
    for index, tech in enumerate(techs):
        site = Site.objects.create(
            customer=customer,
            address=f"{index} Bench St",
            latitude=41.75 + (index % 40) * 0.008,
            longitude=-87.80 + (index // 40) * 0.008,
        )
        work_order = work_order_create(
            actor=None,
            data={
                "customer": customer,
                "site": site,
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
            required_skills=[],
        )
        work_order_book(
            actor=None,
            work_order=work_order,
            technician=tech,
            starts_at=timezone.now() + timedelta(hours=1),
        )
        jobs.append(work_order)
    return techs, jobs


def _post_positions(sessions: list[str], offset: int) -> float:
    """Posts per second of one process posting each session's position once."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/login/")  # load the middleware once, as a server process does
    started = time.perf_counter()
    for index, session in enumerate(sessions):
        client.cookies[settings.SESSION_COOKIE_NAME] = session
        response = client.post(
            "/my/position/",
            {
                "latitude": 41.8 + index * 0.0001,
                "longitude": -87.65 + offset * 0.01,
                "accuracy": 10,
            },
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200, response.content[:300]
    return len(sessions) / (time.perf_counter() - started)


def _post_positions_count(sessions: list[str], offset: int) -> int:
    _post_positions(sessions, offset)
    return len(sessions)


def main() -> None:
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    call_command("migrate", verbosity=0)
    techs, jobs = populate()

    from django.conf import settings

    action_times = []
    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/login/")  # load the middleware once, as a server process does
    for tech, job in zip(techs[:ACTION_TECHNICIANS], jobs, strict=False):
        login = Client()
        login.force_login(tech.user)
        client.cookies[settings.SESSION_COOKIE_NAME] = login.cookies[
            settings.SESSION_COOKIE_NAME
        ].value
        for kind, extra in (("en_route", {}), ("on_site", {}), ("complete", {"note": "Done"})):
            started = time.perf_counter()
            response = client.post(
                f"/my/jobs/{job.pk}/action/",
                {"action_id": str(uuid.uuid4()), "kind": kind, **extra},
                headers={"Accept": "application/json"},
            )
            action_times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:300]

    # One request handler (as one server process has), one login session per technician.
    sessions = []
    for tech in techs:
        login = Client()
        login.force_login(tech.user)
        sessions.append(login.cookies[settings.SESSION_COOKIE_NAME].value)
    sequential = _post_positions(sessions[: TECHNICIANS // 2], offset=0)
    connections.close_all()  # the forked workers open their own
    started = time.perf_counter()
    slices = [sessions[TECHNICIANS // 2 :][i::WORKERS] for i in range(WORKERS)]
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        counts = pool.starmap(_post_positions_count, [(s, i + 1) for i, s in enumerate(slices)])
    parallel_elapsed = time.perf_counter() - started
    parallel = sum(counts) / parallel_elapsed

    print(f"Phone benchmark: {TECHNICIANS} technicians on shift, one job each")
    print(
        f"  status action round trip     median {statistics.median(action_times) * 1000:7.1f} ms   "
        f"target ≤ 150 ms   ({len(action_times)} actions: en route, on site, complete)"
    )
    print(
        f"  position ingest              {parallel:7.0f} posts/s   target ≥ 200/s   "
        f"({sum(counts)} posts, {WORKERS} worker processes as a {WORKERS}-worker server would)"
    )
    print(
        f"                               {sequential:7.0f} posts/s   "
        f"({TECHNICIANS // 2} posts, one process, one at a time)"
    )


if __name__ == "__main__":
    main()
