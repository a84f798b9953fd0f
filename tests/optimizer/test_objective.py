"""The lexicographic objective, checked on instances small enough to verify by hand.

Order: served priority (sum), then jobs served, then SLA lateness, then travel.
Durations are distances on a line (helpers.line_matrix), so every route is easy to add up.
"""

from __future__ import annotations

from routing.optimizer import check, parse_problem
from routing.optimizer.objective import drop_penalties, solution_key
from routing.optimizer.solver import solve

from .helpers import job_ids, make_problem, route_of, solve_json

ONE_VEHICLE = [{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 200]}]


def _served(solution: dict) -> set[int]:
    return {s["id"] for r in solution["routes"] for s in r["steps"] if s["type"] == "job"}


def test_emergency_is_served_rather_than_two_low_priority_jobs() -> None:
    # Emergency alone: 30 + 140 + 30 = 200, fits the 200 s shift exactly.
    # The two others: 10 + 70 + 10 + 70 + 20 = 180, fits. Emergency plus either other
    # job: at least 10 + 70 + 20 + 140 + 30 = 270 > 200. So it is one or the other.
    problem = make_problem(
        [0, 10, 20, 30],
        jobs=[
            {"id": 1, "location_index": 1, "service": 70, "priority": 10},
            {"id": 2, "location_index": 2, "service": 70, "priority": 10},
            {"id": 3, "location_index": 3, "service": 140, "priority": 100},
        ],
        vehicles=ONE_VEHICLE,
    )
    solution = solve_json(problem)
    assert _served(solution) == {3}
    assert solution["summary"]["priority"] == 100
    assert check(parse_problem(problem), solution) == []


def test_equal_served_priority_prefers_more_jobs() -> None:
    # Job 3 (priority 20) alone: 30 + 140 + 30 = 200. Jobs 1 + 2 (priority 10 each):
    # 180. Same served priority (20), so the two jobs win although they drive as much.
    problem = make_problem(
        [0, 10, 20, 30],
        jobs=[
            {"id": 1, "location_index": 1, "service": 70, "priority": 10},
            {"id": 2, "location_index": 2, "service": 70, "priority": 10},
            {"id": 3, "location_index": 3, "service": 140, "priority": 20},
        ],
        vehicles=ONE_VEHICLE,
    )
    solution = solve_json(problem)
    assert _served(solution) == {1, 2}
    assert [u["id"] for u in solution["unassigned"]] == [3]


def test_equal_jobs_served_prefers_less_travel() -> None:
    # Only one of the two fits (each needs 150 of service in a 200 s shift); job 1 is
    # 20 s of driving, job 2 is 80 s. Same priority: the nearer one is served.
    problem = make_problem(
        [0, 10, 40],
        jobs=[
            {"id": 1, "location_index": 1, "service": 150, "priority": 30},
            {"id": 2, "location_index": 2, "service": 150, "priority": 30},
        ],
        vehicles=ONE_VEHICLE,
    )
    solution = solve_json(problem)
    assert job_ids(route_of(solution, 1)) == [1]
    assert solution["summary"]["cost"] == 20


def test_sla_lateness_is_weighed_before_travel() -> None:
    # Start at 0, end at 100. Job 1 at 90 is due by 90; job 2 at 10 takes 100 s.
    # Job 2 first (on the way): drives 10 + 80 + 10 = 100, job 1 starts at 190, 100 s late.
    # Job 1 first (detour): drives 90 + 80 + 90 = 260, on time.
    # 100 s late x 10 (default sla_penalty) = 1,000 > 160 s of extra driving.
    problem = make_problem(
        [0, 10, 90, 100],
        jobs=[
            {"id": 1, "location_index": 2, "fieldops": {"sla_deadline": 90}},
            {"id": 2, "location_index": 1, "service": 100},
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 3}],
    )
    solution = solve_json(problem)
    assert job_ids(route_of(solution, 1)) == [1, 2]
    assert solution["fieldops"]["sla_lateness"] == 0
    assert solution["summary"]["cost"] == 260


def test_drop_penalties_make_the_order_strict() -> None:
    penalties = drop_penalties(job_count=5, max_priority=100, travel_bound=1000, lateness_bound=500)
    # One more job served beats any total of travel and lateness.
    assert penalties.per_job > 1000 + 500
    # One unit of priority beats serving all five jobs plus any travel and lateness.
    assert penalties.per_priority > 5 * penalties.per_job + 1000 + 500
    assert penalties.of(3) == penalties.per_job + 3 * penalties.per_priority
    assert penalties.strict


def test_solution_key_orders_priority_then_jobs_then_cost() -> None:
    problem = parse_problem(
        make_problem(
            [0, 10, 20, 30],
            jobs=[
                {"id": 1, "location_index": 1, "service": 70, "priority": 10},
                {"id": 2, "location_index": 2, "service": 70, "priority": 10},
                {"id": 3, "location_index": 3, "service": 140, "priority": 100},
            ],
            vehicles=ONE_VEHICLE,
        )
    )
    solution = solve(problem, 0.5)
    assert solution_key(problem, solution) == (-100, -1, 60.0)
