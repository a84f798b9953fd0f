"""Plan runs: the solve service, progress, proposal metrics, failures, idempotence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from planning.optimize import plan_run_start
from routing import services
from routing.models import PlanRun
from routing.proposal import build_proposal
from tests.routing.helpers import NORTH, SOUTH, at, book, future_monday, job_at, tech_on
from workorders.models import SLAPolicy, WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return future_monday()


@pytest.fixture
def relaxed():
    # Responses due weeks away: no SLA pressure unless a test sets a due time.
    return SLAPolicy.objects.create(
        tier="Relaxed",
        response_minutes=40 * 24 * 60,
        resolution_minutes=40 * 24 * 60,
        calendar="24x7",
    )


@pytest.fixture
def crossed(day, relaxed, django_capture_on_commit_callbacks):
    """Two technicians booked on each other's side of town: the optimizer swaps them."""
    north_tech, south_tech = tech_on(day, home=NORTH), tech_on(day, home=SOUTH)
    north_job, south_job = job_at(NORTH, policy=relaxed), job_at(SOUTH, policy=relaxed)
    book(north_job, south_tech, at(day, 9))
    book(south_job, north_tech, at(day, 9))
    fresh = job_at(NORTH, policy=relaxed)
    with django_capture_on_commit_callbacks(execute=False):  # no broker in these tests
        run = plan_run_start(actor=None, day=day, time_limit_s=1)
    return run, north_tech, south_tech, north_job, south_job, fresh


def test_run_solves_records_progress_and_proposal(crossed):
    run, north_tech, south_tech, north_job, south_job, fresh = crossed
    assert run.status == PlanRun.Status.QUEUED and run.celery_task_id

    assert services.plan_run_execute(run_id=run.pk) == "solved"

    run.refresh_from_db()
    assert run.status == PlanRun.Status.SUCCEEDED
    assert run.progress and run.best_cost is not None and run.finished_at
    actions = {c["work_order"]: c for c in run.proposal["changes"]}
    assert actions[north_job.pk]["action"] == "moved"
    assert actions[north_job.pk]["to"]["technician"] == north_tech.pk
    assert actions[south_job.pk]["to"]["technician"] == south_tech.pk
    assert actions[fresh.pk]["action"] == "new"
    assert actions[fresh.pk]["reason"] == "Was waiting in the queue; now planned within its SLA."
    # Every change says why (the page's "Why" column is never empty).
    assert all(c["reason"] for c in run.proposal["changes"] if c["action"] != "unchanged")
    metrics = run.metrics
    assert metrics["km_saved"] > 10 and metrics["hours_saved"] > 0
    assert metrics["counts"]["moved"] == 2 and metrics["counts"]["new"] == 1
    assert run.parameters["time_limit_s"] == 1 and run.problem and run.solution


def test_second_delivery_does_nothing(crossed):
    run = crossed[0]
    services.plan_run_execute(run_id=run.pk)
    finished = PlanRun.objects.get(pk=run.pk).finished_at
    assert services.plan_run_execute(run_id=run.pk) == "skipped"
    run.refresh_from_db()
    assert run.status == PlanRun.Status.SUCCEEDED and run.finished_at == finished


def test_malformed_problem_fails_with_the_reason(crossed):
    run = crossed[0]
    PlanRun.objects.filter(pk=run.pk).update(problem={"jobs": [], "vehicles": []})
    assert services.plan_run_execute(run_id=run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == PlanRun.Status.FAILED
    assert "vehicles" in run.failure_reason and not run.proposal


def test_unexpected_exception_fails_the_run(crossed, monkeypatch):
    run = crossed[0]

    def explode(*args, **kwargs):
        raise RuntimeError("solver blew up")

    monkeypatch.setattr(services, "solve", explode)
    assert services.plan_run_execute(run_id=run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == PlanRun.Status.FAILED
    assert run.failure_reason == "RuntimeError: solver blew up"


def test_redelivery_of_a_run_left_running_marks_it_failed(crossed):
    run = crossed[0]
    PlanRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())
    assert services.plan_run_execute(run_id=run.pk) == "abandoned"
    run.refresh_from_db()
    assert run.status == PlanRun.Status.FAILED
    assert run.failure_reason == services.WORKER_STOPPED


def test_sweep_fails_runs_stuck_past_their_time_limit(crossed):
    run = crossed[0]
    long_ago = timezone.now() - timedelta(seconds=run.time_limit_s + services.STUCK_GRACE_S + 5)
    PlanRun.objects.filter(pk=run.pk).update(status="running", started_at=long_ago)
    assert services.plan_runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == "failed" and run.failure_reason == services.WORKER_STOPPED
    assert services.plan_runs_sweep() == 0


def test_progress_is_written_while_solving(crossed, monkeypatch):
    run = crossed[0]
    seen = []
    real_flush = services._ProgressWriter.flush

    def spy(self):
        real_flush(self)
        seen.append(PlanRun.objects.get(pk=self.run_id).progress)

    monkeypatch.setattr(services._ProgressWriter, "flush", spy)
    services.plan_run_execute(run_id=run.pk)
    assert seen and seen[0]  # visible in the table before the run finished


def test_sla_breaches_before_and_after(day, relaxed):
    # Baseline: an urgent job due at 10:00 is booked at 15:00 → one breach; planned at
    # 08:xx → avoided. An unassigned job already due counts as a breach until planned.
    tech = tech_on(day)
    late = job_at(NORTH, policy=relaxed)
    due = at(day, 10)
    WorkOrder.objects.filter(pk=late.pk).update(response_due_at=due, response_at_risk_at=due)
    book(late, tech, at(day, 15))
    waiting = job_at(SOUTH, policy=relaxed)
    WorkOrder.objects.filter(pk=waiting.pk).update(response_due_at=due, response_at_risk_at=due)
    from planning.optimize import plan_inputs

    built = plan_inputs(day=day, now=at(day, 6))
    jobs = {str(late.pk), str(waiting.pk)}
    assert set(built.context["jobs"]) == jobs
    solution = {
        "routes": [
            {
                "vehicle": tech.pk,
                "steps": [
                    {"type": "start", "arrival": 8 * 3600, "duration": 0},
                    {"type": "job", "id": late.pk, "arrival": 8 * 3600 + 600, "duration": 600},
                    {"type": "end", "arrival": 10 * 3600, "duration": 1200},
                ],
            }
        ],
        "unassigned": [{"id": waiting.pk, "reason": "no feasible slot within time limit"}],
    }
    proposal = build_proposal(
        problem=built.problem, context=built.context, baseline=built.baseline, solution=solution
    )
    metrics = proposal["metrics"]
    assert metrics["sla_breaches_before"] == 2
    assert metrics["sla_breaches_after"] == 1
    assert metrics["sla_breaches_avoided"] == 1
    by_wo = {c["work_order"]: c for c in proposal["changes"]}
    assert by_wo[late.pk]["action"] == "moved"
    assert by_wo[late.pk]["reason"] == "Moved so that it meets its SLA."
    assert by_wo[waiting.pk]["action"] == "left_out"
    assert by_wo[waiting.pk]["reason"] == "no feasible slot within time limit"
