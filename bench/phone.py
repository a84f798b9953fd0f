"""Phone speed: status actions and position posts (issue targets in brackets).

    make bench-phone        (uses its own database, dispatch_bench_phone, rebuilt each run)

Position posts per second [≥ 200/s] are measured twice, one post per technician (the
rate limit allows one per technician per POSITION_MIN_INTERVAL_S):

* through the real stack: a gunicorn started here as the demo runs it (its settings in
  gunicorn.conf.py, access log off), real HTTP with a session and a CSRF token as the
  phone sends them, from CONNECTIONS client threads.
  The load generator is a process of this benchmark on the same machine, so it takes
  its share of the same cores; the line says how many.
* in process, through Django's test client (middleware, database sessions, login;
  no HTTP, no CSRF check), one process and four forked ones.

The status action round trip [≤ 150 ms] is measured with the test client.
"""

import http.client
import multiprocessing
import os
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.database import use_bench_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
BENCH_DB = "dispatch_bench_phone"
recreate_database = use_bench_database(BENCH_DB)
os.environ.setdefault("CACHE_KEY_PREFIX", "bench-phone")

TECHNICIANS = 1400  # one position post each: 400 alone, 400 forked, 600 over HTTP
IN_PROCESS = 400
WORKERS = 4
# The web server's settings, as the demo runs it. WEB_WORKERS tries another count and
# gunicorn's own GUNICORN_CMD_ARGS another shape, e.g. GUNICORN_CMD_ARGS="--worker-class
# gthread --workers 2 --threads 4" (the demo's shape before 2026-11-28).
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"
CONNECTIONS = 8  # client threads of the load generator, one connection each at a time
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
    with connections["default"].cursor() as cursor:
        # Statistics, as autovacuum keeps them on a live database: the planner then
        # picks the indexes it would pick in production.
        cursor.execute("ANALYZE")

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
    alone, forked, over_http = (
        sessions[:IN_PROCESS],
        sessions[IN_PROCESS : 2 * IN_PROCESS],
        sessions[2 * IN_PROCESS :],
    )
    sequential = _post_positions(alone, offset=0)
    connections.close_all()  # the forked workers and the server open their own
    started = time.perf_counter()
    slices = [forked[i::WORKERS] for i in range(WORKERS)]
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        counts = pool.starmap(_post_positions_count, [(s, i + 1) for i, s in enumerate(slices)])
    parallel_elapsed = time.perf_counter() - started
    parallel = sum(counts) / parallel_elapsed
    http = _post_over_http(over_http, settings.SESSION_COOKIE_NAME)

    print(f"Phone benchmark: {TECHNICIANS} technicians on shift, one job each")
    print(
        f"  status action round trip     median {statistics.median(action_times) * 1000:7.1f} ms   "
        f"target ≤ 150 ms   ({len(action_times)} actions: en route, on site, complete)"
    )
    print(
        f"  position ingest, HTTP        {http.rate:7.0f} posts/s   target ≥ 200/s   "
        f"({len(over_http)} posts, gunicorn {http.server}, {CONNECTIONS} client threads of "
        f"a load generator on the same {os.cpu_count()} cores; median "
        f"{http.median * 1000:.1f} ms; load average {http.load:.2f} before)"
    )
    if http.cpu is not None:
        web, database, generator = (seconds / len(over_http) * 1000 for seconds in http.cpu)
        print(
            f"                               CPU per post: web {web:.1f} ms, PostgreSQL "
            f"{database:.1f} ms, load generator {generator:.1f} ms: {os.cpu_count()} cores "
            f"alone would serve ≈ {os.cpu_count() * 1000 / (web + database):.0f} posts/s"
        )
    print(
        f"  position ingest, test client {parallel:7.0f} posts/s   "
        f"({sum(counts)} posts, {WORKERS} forked processes, no HTTP)"
    )
    print(
        f"                               {sequential:7.0f} posts/s   "
        f"({len(alone)} posts, one process, one at a time)"
    )


@dataclass(frozen=True)
class HttpRun:
    rate: float  # posts per second
    server: str  # gunicorn's shape, e.g. "3 sync workers"
    median: float  # seconds, one post's round trip
    load: float  # the one-minute load average just before: others' work on the machine
    cpu: tuple[float, float, float] | None  # seconds: web, PostgreSQL, load generator


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def _database_backends() -> list[int]:
    """Server processes of this benchmark's database other than our own connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_server(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def _post_over_http(sessions: list[str], session_cookie: str) -> HttpRun:
    """`sessions` each posting once through a gunicorn run as the demo runs it.

    The machine may be shared, so besides the rate this measures the CPU time the
    posts cost: gunicorn's workers, the PostgreSQL server processes serving them (when
    PostgreSQL runs on this machine) and the load generator."""
    from django.utils.crypto import get_random_string

    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--config",
            str(GUNICORN_CONFIG),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),  # the bench database, cache prefix and settings
        start_new_session=True,  # its own process group: stopped with its workers below
    )
    try:
        _wait_for_server(port, server)
        # The phone's CSRF cookie holds a secret; the header repeats it (phone.js).
        csrf = get_random_string(32)
        slices = [sessions[i::CONNECTIONS] for i in range(CONNECTIONS)]
        times: list[float] = []  # list.append is atomic: no lock between threads
        failures: list[str] = []

        def connection(index: int, posts: list[str], warm: bool) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for number, session in enumerate(posts):
                if warm:  # the login page: each worker thread loads its URLconf and templates
                    conn.request("GET", "/login/")
                    conn.getresponse().read()
                    continue
                body = (
                    f"latitude={41.8 + number * 0.0001:.6f}"
                    f"&longitude={-87.65 + index * 0.01:.6f}&accuracy=10"
                )
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                    "X-CSRFToken": csrf,
                    "Cookie": f"{session_cookie}={session}; csrftoken={csrf}",
                }
                started = time.perf_counter()
                conn.request("POST", "/my/position/", body, headers)
                response = conn.getresponse()
                answer = response.read()
                times.append(time.perf_counter() - started)
                if response.status != 200:
                    failures.append(f"{response.status} {answer[:200]!r}")
            conn.close()

        def run(warm: bool) -> float:
            threads = [
                threading.Thread(target=connection, args=(i, [""] * 5 if warm else s, warm))
                for i, s in enumerate(slices)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return time.perf_counter() - started

        run(warm=True)
        load = os.getloadavg()[0]
        workers = _children(server.pid)
        web_before = sum(_cpu_seconds(pid) for pid in workers)
        generator_before = time.process_time()
        elapsed = run(warm=False)
        generator = time.process_time() - generator_before
        web = sum(_cpu_seconds(pid) for pid in workers) - web_before
        try:
            # The workers' connections were opened for this run (the warm-up reads no
            # table) and stay open (CONN_MAX_AGE).
            database = sum(_cpu_seconds(pid) for pid in _database_backends())
            cpu = (web, database, generator)
        except OSError:  # PostgreSQL on another machine: its CPU is not ours to see
            cpu = None
        if failures:
            raise SystemExit(f"{len(failures)} position posts failed, e.g. {failures[0]}")
        config = runpy.run_path(str(GUNICORN_CONFIG))
        shape = f"{config['workers']} {config['worker_class']} workers"
        if overrides := os.environ.get("GUNICORN_CMD_ARGS"):
            shape += f" overridden by GUNICORN_CMD_ARGS={overrides!r}"
        return HttpRun(len(sessions) / elapsed, shape, statistics.median(times), load, cpu)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    main()
