"""The plan-run task end to end: a real worker, real Redis, the test database."""

import os
import signal
import time

import pytest

from planning.optimize import plan_run_start
from routing.models import PlanRun
from routing.services import WORKER_STOPPED
from routing.tasks import plan_run_execute
from tests.routing.helpers import NORTH, SOUTH, at, book, future_monday, job_at, tech_on

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _wait_status(run, statuses, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run #{run.pk} still {run.status}")


def _board(jobs: int = 2):
    day = future_monday()
    north, south = tech_on(day, home=NORTH), tech_on(day, home=SOUTH)
    book(job_at(NORTH), south, at(day, 9))
    book(job_at(SOUTH), north, at(day, 9))
    for _ in range(jobs):
        job_at(NORTH)
    return day


def test_worker_solves_a_run_and_ignores_a_second_delivery(celery_worker):
    day = _board()
    run = plan_run_start(actor=None, day=day, time_limit_s=1)  # enqueued on commit

    _wait_status(run, {"succeeded", "failed"})
    assert run.status == "succeeded", run.failure_reason
    assert run.progress and run.best_cost is not None
    assert run.metrics["counts"]["new"] == 2
    finished = run.finished_at
    celery_worker.wait_for_log(f"plan run {run.pk}: solved")

    plan_run_execute.apply_async(args=[run.pk], task_id=run.celery_task_id)
    celery_worker.wait_for_log(f"plan run {run.pk}: skipped")
    run.refresh_from_db()
    assert run.status == "succeeded" and run.finished_at == finished


def test_worker_marks_a_malformed_problem_failed(celery_worker):
    day = _board()
    run = plan_run_start(actor=None, day=day, time_limit_s=1)
    _wait_status(run, {"succeeded", "failed"})
    broken = PlanRun.objects.create(
        day=day, problem={"jobs": [{"id": 1}], "vehicles": [{"id": 1}]}, celery_task_id="broken-1"
    )
    plan_run_execute.apply_async(args=[broken.pk], task_id=broken.celery_task_id)
    _wait_status(broken, {"failed", "succeeded"})
    assert broken.status == "failed"
    assert broken.failure_reason.startswith("invalid problem: ")
    assert broken.solution is None and not broken.proposal


def test_killed_worker_leaves_the_run_failed(celery_worker):
    day = _board(jobs=30)
    run = plan_run_start(actor=None, day=day, time_limit_s=60)
    _wait_status(run, {"running"})
    (child,) = celery_worker.pool_children()
    os.kill(child, signal.SIGKILL)  # the pool child dies mid-solve

    # reject_on_worker_lost requeues the message; the redelivery finds the run
    # "running" and fails it instead of solving it again.
    _wait_status(run, {"failed", "succeeded"}, timeout=40)
    assert run.status == "failed"
    assert run.failure_reason == WORKER_STOPPED
    assert not run.proposal
