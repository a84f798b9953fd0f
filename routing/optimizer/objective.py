"""The optimizer's objective, urgent first: a lexicographic order.

1. served priority (VROOM's definition: the sum of the priorities of served jobs), higher
   is better;
2. number of jobs served, higher is better;
3. then cost, lower is better: SLA lateness (seconds late x `sla_penalty`, default 10)
   plus travel (VROOM's cost model: per_hour, per_km, fixed). Lateness comes before
   travel by weight, not strictly: a strict third level would need a weight above any
   total travel, and on a 1,000-job day the resulting penalties overflow OR-Tools'
   64-bit objective. With the default, a second late costs ten seconds of driving.

OR-Tools minimises one integer, so the order is encoded in the drop penalty of each
job: `per_job + per_priority x priority`. `per_job` exceeds any possible total of
travel and lateness, so serving one more job is always worth any detour or delay;
`per_priority` exceeds `per_job` times the number of jobs plus that total, so one unit
of served priority is worth more than any number of jobs. Both bounds are computed
from the model (arc costs, fixed costs, the latest possible start of each SLA job).

Portfolio members (VROOM's routes, our own constructions, OR-Tools runs) are compared
with `solution_key`, the same order written as a tuple.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Problem, Solution

# Keep every objective value well inside OR-Tools' int64 (sums of penalties included).
INT64_HEADROOM = 2**62


@dataclass(frozen=True)
class DropPenalties:
    per_job: int
    per_priority: int
    # False when the exact bounds would overflow int64 and looser weights are used.
    strict: bool = True

    def of(self, priority: int) -> int:
        return self.per_job + self.per_priority * priority


def drop_penalties(
    job_count: int,
    max_priority: int,
    travel_bound: int,
    lateness_bound: int,
) -> DropPenalties:
    """Weights that make the scalar objective lexicographic (see the module docstring).

    `travel_bound` and `lateness_bound` are upper bounds, in scaled cost units, of the
    total travel (fixed costs included) and total lateness cost of any solution."""
    per_job = travel_bound + lateness_bound + 1
    per_priority = per_job * (job_count + 1)
    worst_total = job_count * (per_job + per_priority * max_priority)
    if worst_total < INT64_HEADROOM:
        return DropPenalties(per_job, per_priority)
    # Astronomic matrices: keep the order of priorities and jobs, give up the guarantee
    # that no amount of travel could ever outweigh a job.
    per_job = max(1, INT64_HEADROOM // (4 * (job_count + 1) ** 2 * (max_priority + 1)))
    return DropPenalties(per_job, per_job * (job_count + 1), strict=False)


def solution_key(problem: Problem, solution: Solution) -> tuple[float, float, float]:
    """Sort key of a solution under the objective: smaller is better."""
    jobs = {job.id: job for job in problem.jobs}
    served_priority = 0
    served = 0
    lateness_cost = 0.0
    for route in solution.routes:
        for step in route.steps:
            if step.type != "job" or step.id is None:
                continue
            job = jobs[step.id]
            served += 1
            served_priority += job.priority
            if step.sla_lateness:
                penalty = job.sla_penalty if job.sla_penalty is not None else problem.sla_penalty
                lateness_cost += step.sla_lateness * penalty
    travel_cost = float(sum(route.cost for route in solution.routes))
    return (-served_priority, -served, lateness_cost + travel_cost)


def describe_key(key: tuple[float, float, float]) -> dict[str, float]:
    served_priority, served, cost = key
    return {"served_priority": -served_priority, "served_jobs": -served, "cost": cost}
