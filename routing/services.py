"""Writes for plan runs and site coordinates.

A plan run moves queued → running → succeeded | failed, then succeeded → applied |
discarded (`planning.apply`). Every status change here is a conditional UPDATE
(`WHERE status = <expected>`), so a redelivered Celery message and the original
worker can never both move the same run: whoever loses sees 0 rows and stops.

The solve runs outside any transaction on purpose: progress rows must commit while
the solver is still searching so the board can poll them.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import date, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from routing.models import PlanRun
from routing.optimizer import (
    ProblemError,
    SearchOptions,
    parse_problem,
    solution_to_json,
    solve,
)
from routing.problem import BuiltProblem, attach_matrices
from routing.proposal import build_proposal
from routing.travel import TravelError, matrix_provider
from workorders.models import Site

logger = logging.getLogger(__name__)

MAX_TIME_LIMIT_S = 120
DEFAULT_TIME_LIMIT_S = 10
PROGRESS_EVERY_S = 0.5
# A running run older than its time limit plus this is considered abandoned.
STUCK_GRACE_S = 120
# A queued run nobody picked up for this long: no worker is running.
QUEUED_TIMEOUT_S = 15 * 60
WORKER_STOPPED = "worker stopped while solving"

Status = PlanRun.Status


def _move(run_id: int, source: str, target: str, **fields) -> bool:
    """Conditional status change; True when this caller won it."""
    assert PlanRun.can_transition(source, target), f"{source} → {target}"
    return bool(PlanRun.objects.filter(pk=run_id, status=source).update(status=target, **fields))


QUEUE_UNAVAILABLE = (
    "The worker queue is unavailable (Redis cannot be reached), so nothing was planned. "
    "Try again once it is back."
)


def worker_queue_available() -> bool:
    """Whether a task can be handed to the workers now (one quick broker connection)."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=1)
    except Exception:
        return False
    return True


def _enqueue(run: PlanRun) -> None:
    """Hand a committed run to the workers; an unreachable broker fails the run with
    the reason instead of turning the dispatcher's click into an error page."""
    from routing.tasks import plan_run_execute  # tasks import services; keep it one-way

    try:
        result = plan_run_execute.apply_async(
            args=[run.pk], task_id=run.celery_task_id, retry=False
        )
    except Exception:
        logger.warning("plan run %s not queued: broker unreachable", run.pk, exc_info=True)
        plan_run_fail(run_id=run.pk, reason=QUEUE_UNAVAILABLE, source=Status.QUEUED)
        return
    logger.info("plan run %s queued as task %s", run.pk, result.id)


@transaction.atomic
def plan_run_create(
    *,
    actor,
    day: date,
    technician_ids: list[int],
    built: BuiltProblem,
    time_limit_s: int = DEFAULT_TIME_LIMIT_S,
    parameters: dict | None = None,
) -> PlanRun:
    """Store a queued optimize run with its problem and baseline; solve it on commit."""
    if not 1 <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise DomainError(f"The time limit must be between 1 and {MAX_TIME_LIMIT_S} seconds.")
    if not built.problem["vehicles"]:
        raise DomainError(f"None of the chosen technicians is working on {day:%a %b %d}.")
    if not built.problem["jobs"]:
        raise DomainError(f"There is nothing to plan on {day:%a %b %d}.")
    run = PlanRun.objects.create(
        kind=PlanRun.Kind.OPTIMIZE,
        day=day,
        technician_ids=sorted(technician_ids),
        requested_by=actor if actor is not None and actor.is_authenticated else None,
        time_limit_s=time_limit_s,
        parameters={
            "time_limit_s": time_limit_s,
            "technicians": sorted(technician_ids),
            "travel": "osrm" if settings.OSRM_URL else "great-circle",
            "road_factor": settings.TRAVEL_ROAD_FACTOR,
            "speed_kmh": settings.TRAVEL_SPEED_KMH,
            **(parameters or {}),
        },
        problem=built.problem,
        context=built.context,
        baseline=built.baseline,
        celery_task_id=str(uuid.uuid4()),
    )
    transaction.on_commit(lambda: _enqueue(run))
    return run


def plan_run_fail(*, run_id: int, reason: str, source: str = Status.RUNNING) -> bool:
    return _move(
        run_id,
        source,
        Status.FAILED,
        failure_reason=(reason or "unknown error")[:2000],
        finished_at=timezone.now(),
    )


class _ProgressWriter:
    """Collects (elapsed, cost) and writes them with a short UPDATE at most every 0.5 s.

    Called from inside the OR-Tools search (same thread, autocommit), so each write
    commits at once and the board's poll sees it.
    """

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.points: list[list[float]] = []
        self.last_write = 0.0

    def __call__(self, elapsed: float, cost: float) -> None:
        self.points.append([round(elapsed, 3), round(cost, 1)])
        if time.monotonic() - self.last_write >= PROGRESS_EVERY_S:
            self.flush()

    def flush(self) -> None:
        self.last_write = time.monotonic()
        if not self.points:
            return
        PlanRun.objects.filter(pk=self.run_id, status=Status.RUNNING).update(
            progress=self.points,
            best_cost=self.points[-1][1],
            elapsed_s=self.points[-1][0],
            heartbeat_at=timezone.now(),
        )


def plan_run_execute(*, run_id: int) -> str:
    """Solve a queued run. Safe to call twice: only a queued run is solved.

    Returns what happened ("solved", "failed", "skipped", "abandoned") for logs/tests.
    A run found `running` means an earlier delivery died mid-solve (the worker was
    killed; acks_late + reject_on_worker_lost redelivered the message): it is marked
    failed instead of being solved again, so a problem that kills workers cannot loop.
    """
    started = timezone.now()
    if not _move(run_id, Status.QUEUED, Status.RUNNING, started_at=started, heartbeat_at=started):
        current = PlanRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
        if current == Status.RUNNING and plan_run_fail(run_id=run_id, reason=WORKER_STOPPED):
            logger.warning("plan run %s: %s", run_id, WORKER_STOPPED)
            return "abandoned"
        return "skipped"
    run = PlanRun.objects.get(pk=run_id)
    try:
        problem_dict = run.problem
        if settings.OSRM_URL and "matrices" not in problem_dict:
            problem_dict = attach_matrices(problem_dict, matrix_provider())
            PlanRun.objects.filter(pk=run_id).update(problem=problem_dict)
        problem = parse_problem(problem_dict)
        progress = _ProgressWriter(run_id)
        solution = solve(
            problem,
            time_limit_s=float(run.time_limit_s),
            on_progress=progress,
            options=SearchOptions(parallel_member=settings.OPTIMIZER_PARALLEL),
        )
        progress.flush()
        payload = solution_to_json(solution, problem)
        if payload.get("code", 0) != 0:
            raise DomainError(payload.get("error") or "the solver found no solution")
        proposal = build_proposal(
            problem=problem_dict, context=run.context, baseline=run.baseline, solution=payload
        )
    except ProblemError as error:
        reason = f"invalid problem: {error}"
    except TravelError as error:
        reason = str(error)
    except DomainError as error:
        reason = str(error)
    except Exception as error:  # any bug must leave the run failed, never running
        logger.exception("plan run %s failed", run_id)
        reason = f"{type(error).__name__}: {error}"
    else:
        finished = timezone.now()
        won = _move(
            run_id,
            Status.RUNNING,
            Status.SUCCEEDED,
            solution=payload,
            proposal={"changes": proposal["changes"], "warnings": proposal["warnings"]},
            metrics=proposal["metrics"],
            progress=progress.points,
            best_cost=progress.points[-1][1] if progress.points else payload["summary"]["cost"],
            elapsed_s=(finished - started).total_seconds(),
            finished_at=finished,
            heartbeat_at=finished,
        )
        return "solved" if won else "skipped"
    plan_run_fail(run_id=run_id, reason=reason)
    return "failed"


def plan_runs_sweep(*, now=None) -> int:
    """Fail runs stuck in running past their time limit + grace, or never picked up."""
    now = now or timezone.now()
    failed = 0
    for run in PlanRun.objects.filter(status__in=PlanRun.ACTIVE).only(
        "pk", "status", "time_limit_s", "started_at", "created_at"
    ):
        if run.status == Status.RUNNING:
            deadline = (run.started_at or run.created_at) + timedelta(
                seconds=run.time_limit_s + STUCK_GRACE_S
            )
            if now > deadline and plan_run_fail(run_id=run.pk, reason=WORKER_STOPPED):
                failed += 1
        elif now > run.created_at + timedelta(seconds=QUEUED_TIMEOUT_S) and plan_run_fail(
            run_id=run.pk,
            reason="no worker picked the run up; is the Celery worker running?",
            source=Status.QUEUED,
        ):
            failed += 1
    return failed


@transaction.atomic
def plan_run_record_ready(
    *,
    actor,
    kind: str,
    day: date,
    technician_ids: list[int],
    problem: dict,
    context: dict,
    baseline: dict,
    solution: dict,
    proposal: dict,
    parameters: dict,
    elapsed_s: float,
    work_order=None,
) -> PlanRun:
    """Store a proposal computed in-process (urgent insertion) as a succeeded run."""
    now = timezone.now()
    return PlanRun.objects.create(
        kind=kind,
        day=day,
        technician_ids=sorted(technician_ids),
        work_order=work_order,
        status=Status.SUCCEEDED,
        requested_by=actor if actor is not None and actor.is_authenticated else None,
        started_at=now - timedelta(seconds=elapsed_s),
        finished_at=now,
        heartbeat_at=now,
        time_limit_s=1,
        parameters=parameters,
        problem=problem,
        context=context,
        baseline=baseline,
        solution=solution,
        proposal={"changes": proposal["changes"], "warnings": proposal.get("warnings", [])},
        metrics=proposal["metrics"],
        progress=[[round(elapsed_s, 3), 0]],
        elapsed_s=elapsed_s,
    )


# --------------------------------------------------------------------------- geocoding


@transaction.atomic
def site_geocode(*, site_id: int, client=None) -> Site | None:
    """Look a site's address up and store its coordinates.

    Skips sites whose coordinates were typed in by staff (`coordinates_manual`) and does
    nothing when geocoding is off. Returns the site when coordinates were written.
    Re-geocodes sites that already have automatic coordinates: the address may have
    been edited since.
    """
    from routing.geocoding import geocode_address, geocoding_enabled

    site = Site.objects.select_for_update().filter(pk=site_id).first()
    if site is None or site.coordinates_manual:
        return None
    if client is None and not geocoding_enabled():
        return None
    # GeocodingError propagates: the task retries later, nothing is written.
    point = geocode_address(site.address, client=client)
    site.geocode_attempted_at = timezone.now()
    if point is None:
        logger.info("no geocoding result for site %s (%s)", site.pk, site.address)
        site.save(update_fields=["geocode_attempted_at"])
        return None
    site.latitude, site.longitude = point
    site.save(update_fields=["latitude", "longitude", "geocode_attempted_at"])
    return site


def sites_awaiting_geocoding(limit: int) -> list[int]:
    """Sites without coordinates whose current address was never looked up."""
    return list(
        Site.objects.filter(
            latitude__isnull=True, coordinates_manual=False, geocode_attempted_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
