"""Search paths: complete search on tiny problems, VROOM's routes as a start, OR-Tools alone.

Every path must honour the whole model; VROOM does not know our extensions, so its
routes are translated (pins, in-progress jobs) and re-checked (max_working_time).
"""

from __future__ import annotations

import pytest

from routing.optimizer import check, parse_problem, solution_to_json, solve
from routing.optimizer.objective import solution_key
from routing.optimizer.solver import SearchOptions
from routing.optimizer.vroom_start import checked_solution, vroom_routes

from .helpers import SEARCH_PATHS, job_ids, make_problem, route_of, solve_json

PATHS = sorted(SEARCH_PATHS)


def _mixed_problem() -> dict:
    """Skills, a pin, an in-progress job, a pinned start, a lunch break and a work cap."""
    return make_problem(
        [0, 10, 20, 30, 40, 50, 60, 100],
        jobs=[
            {"id": 1, "location_index": 1, "service": 30, "skills": [1]},
            {"id": 2, "location_index": 2, "service": 30, "fieldops": {"pinned_vehicle": 2}},
            {
                "id": 3,
                "location_index": 3,
                "service": 30,
                "fieldops": {"pinned_vehicle": 1, "in_progress": True},
            },
            {"id": 4, "location_index": 4, "service": 30, "fieldops": {"pinned_start": 300}},
            {"id": 5, "location_index": 5, "service": 30, "time_windows": [[0, 400]]},
            {"id": 6, "location_index": 6, "service": 30, "priority": 50},
            {"id": 7, "location_index": 7, "service": 200},
        ],
        vehicles=[
            {
                "id": 1,
                "start_index": 0,
                "end_index": 0,
                "skills": [1],
                "time_window": [0, 800],
                "breaks": [{"id": 1, "time_windows": [[200, 300]], "service": 20}],
            },
            {
                "id": 2,
                "start_index": 7,
                "end_index": 7,
                "time_window": [0, 800],
                "fieldops": {"max_working_time": 400},
            },
        ],
    )


@pytest.mark.parametrize("path", PATHS)
def test_every_search_path_honours_the_whole_model(path: str) -> None:
    problem = _mixed_problem()
    solution = solve_json(problem, 1.0, SEARCH_PATHS[path])
    assert check(parse_problem(problem), solution) == []
    assert job_ids(route_of(solution, 1))[0] == 3  # in progress: first
    assert 2 in job_ids(route_of(solution, 2))  # pinned
    assert 1 not in job_ids(route_of(solution, 2) or {"steps": []})  # skill


def test_tiny_problem_stops_because_the_search_is_complete() -> None:
    # VROOM's docs/example_2.json in spirit: one vehicle, two jobs, coordinates.
    problem = parse_problem(
        {
            "vehicles": [{"id": 1, "start": [2.35044, 48.71764], "end": [2.35044, 48.71764]}],
            "jobs": [
                {"id": 1, "location": [1.98935, 48.701], "service": 300},
                {"id": 2, "location": [2.03655, 48.61128], "service": 300},
            ],
        }
    )
    solution = solve(problem, 10.0)
    assert solution.search_log["stop_reason"] == "optimal"
    assert len(solution.routes) == 1 and not solution.unassigned


def test_complete_search_is_never_worse_than_the_heuristics() -> None:
    problem = parse_problem(_mixed_problem())
    exact = solve(problem, 2.0)
    assert exact.search_log["stop_reason"] == "optimal"
    for path in ("vroom", "ortools"):
        heuristic = solve(problem, 1.0, options=SEARCH_PATHS[path])
        assert heuristic.search_log["stop_reason"] == "time_limit"
        assert solution_key(problem, exact) <= solution_key(problem, heuristic)


def test_problem_above_the_exact_size_uses_the_time_limit() -> None:
    problem = parse_problem(_mixed_problem())
    solution = solve(problem, 0.5, options=SearchOptions(exact_up_to=3))
    assert solution.search_log["stop_reason"] == "time_limit"


def test_vroom_route_over_the_work_cap_is_dropped_and_the_job_left_to_ortools() -> None:
    # VROOM does not know max_working_time: it serves both jobs (work 120 > cap 100).
    data = make_problem(
        [0, 10, 20],
        jobs=[
            {"id": 1, "location_index": 1, "service": 40},
            {"id": 2, "location_index": 2, "service": 40},
        ],
        vehicles=[
            {"id": 1, "start_index": 0, "end_index": 0, "fieldops": {"max_working_time": 100}}
        ],
    )
    problem = parse_problem(data)
    raw = vroom_routes(problem, exploration=5, threads=1, timeout_s=None)
    assert sorted(job for kind, job, _ in raw[1] if kind == "job") == [1, 2]
    assert checked_solution(problem, raw, "left out").routes == []
    solution = solve_json(data, 0.5, SEARCH_PATHS["vroom"])
    assert job_ids(route_of(solution, 1)) == [1]
    assert check(problem, solution) == []


def test_vroom_translation_keeps_pins_and_in_progress_jobs() -> None:
    problem = parse_problem(_mixed_problem())
    raw = vroom_routes(problem, exploration=5, threads=1, timeout_s=None)
    first_jobs = [job for kind, job, _ in raw[1] if kind == "job"]
    assert first_jobs[0] == 3
    assert 2 in [job for kind, job, _ in raw[2] if kind == "job"]
    kept = checked_solution(problem, raw, "left out")
    assert {route.vehicle for route in kept.routes} >= {1}


def test_iterated_local_search_returns_a_feasible_plan() -> None:
    # With OR-Tools' default ruin strategies ILS returned no solution at all on R101;
    # ours sets them explicitly.
    positions = [0, 7, 3, 9, 1, 12, 5, 8, 2, 11, 4, 6]
    data = make_problem(
        positions,
        jobs=[{"id": j, "location_index": j, "delivery": [1]} for j in range(1, len(positions))],
        vehicles=[{"id": v, "start_index": 0, "end_index": 0, "capacity": [4]} for v in (1, 2, 3)],
    )
    problem = parse_problem(data)
    options = SearchOptions(exact_up_to=0, construction="ortools", iterated_local_search=True)
    solution = solve(problem, 1.0, options=options)
    assert solution.code == 0 and not solution.unassigned
    assert check(problem, solution_to_json(solution, problem)) == []
