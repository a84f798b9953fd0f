"""The checker must catch each kind of violation in deliberately broken solutions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from routing.optimizer import check, parse_problem

from .helpers import make_problem, solve_json


def base_problem(**vehicle_overrides: Any) -> dict[str, Any]:
    vehicle = {
        "id": 1,
        "start_index": 0,
        "end_index": 0,
        "skills": [1],
        "time_window": [0, 1000],
        "capacity": [3],
        "breaks": [{"id": 9, "time_windows": [[100, 400]], "service": 30}],
        **vehicle_overrides,
    }
    return make_problem(
        [0, 10, 20, 30],
        jobs=[
            {
                "id": 1,
                "location_index": 1,
                "service": 50,
                "delivery": [1],
                "time_windows": [[0, 500]],
            },
            {"id": 2, "location_index": 2, "service": 50, "delivery": [1], "skills": [1]},
            {"id": 3, "location_index": 3, "service": 50, "delivery": [1]},
        ],
        vehicles=[vehicle],
    )


@pytest.fixture(scope="module")
def solved() -> tuple[dict[str, Any], dict[str, Any]]:
    problem = base_problem()
    solution = solve_json(problem)
    assert solution["summary"]["unassigned"] == 0
    return problem, solution


def kinds(problem: dict[str, Any], solution: dict[str, Any]) -> dict[str, list]:
    found: dict[str, list] = {}
    for violation in check(parse_problem(problem), solution):
        found.setdefault(violation.kind, []).append(violation)
    return found


def job_step(solution: dict[str, Any], job_id: int) -> dict[str, Any]:
    return next(
        s for s in solution["routes"][0]["steps"] if s.get("id") == job_id and s["type"] == "job"
    )


def test_solver_solution_is_clean(solved: tuple) -> None:
    problem, solution = solved
    assert kinds(problem, solution) == {}


def test_late_arrival_outside_the_window(solved: tuple) -> None:
    problem, solution = solved
    broken = copy.deepcopy(solution)
    step = job_step(broken, 1)
    step["waiting_time"] = 900 - step["arrival"]
    step["service_start"] = 900
    found = kinds(problem, broken)
    assert "time_window" in found
    assert found["time_window"][0].job == 1 and found["time_window"][0].vehicle == 1


def test_service_before_arrival(solved: tuple) -> None:
    problem, solution = solved
    broken = copy.deepcopy(solution)
    step = job_step(broken, 3)
    step["service_start"] = step["arrival"] - 5
    assert "early_service" in kinds(problem, broken)


def test_wrong_skill(solved: tuple) -> None:
    _, solution = solved
    problem = base_problem(skills=[2])
    found = kinds(problem, solution)
    assert [v.job for v in found["skills"]] == [2]


def test_capacity_overflow(solved: tuple) -> None:
    _, solution = solved
    found = kinds(base_problem(capacity=[2]), solution)
    assert "capacity" in found and found["capacity"][0].vehicle == 1


def test_break_outside_its_window(solved: tuple) -> None:
    problem, solution = solved
    broken = copy.deepcopy(solution)
    step = next(s for s in broken["routes"][0]["steps"] if s["type"] == "break")
    step["service_start"] = 450
    step["waiting_time"] = 450 - step["arrival"]
    assert "break_window" in kinds(problem, broken)


def test_missing_break(solved: tuple) -> None:
    problem, solution = solved
    broken = copy.deepcopy(solution)
    broken["routes"][0]["steps"] = [s for s in broken["routes"][0]["steps"] if s["type"] != "break"]
    assert "missing_break" in kinds(problem, broken)


def test_missing_job(solved: tuple) -> None:
    problem, solution = solved
    broken = copy.deepcopy(solution)
    broken["routes"][0]["steps"] = [s for s in broken["routes"][0]["steps"] if s.get("id") != 3]
    found = kinds(problem, broken)
    assert [v.job for v in found["missing_job"]] == [3]


def test_duplicate_job(solved: tuple) -> None:
    problem, solution = solved
    broken = copy.deepcopy(solution)
    broken["unassigned"].append({"id": 2, "type": "job", "reason": "x"})
    found = kinds(problem, broken)
    assert [v.job for v in found["duplicate_job"]] == [2]


def test_unknown_job(solved: tuple) -> None:
    problem, solution = solved
    broken = copy.deepcopy(solution)
    broken["unassigned"].append({"id": 99, "type": "job"})
    assert "unknown_job" in kinds(problem, broken)


def test_max_tasks_exceeded(solved: tuple) -> None:
    _, solution = solved
    found = kinds(base_problem(max_tasks=2), solution)
    assert found["max_tasks"][0].vehicle == 1


def test_max_travel_time_exceeded(solved: tuple) -> None:
    _, solution = solved
    assert "max_travel_time" in kinds(base_problem(max_travel_time=20), solution)


def test_shift_end_exceeded(solved: tuple) -> None:
    _, solution = solved
    end = solution["routes"][0]["steps"][-1]["arrival"]
    found = kinds(base_problem(time_window=[0, end - 1]), solution)
    assert "shift_end" in found


def test_arrival_that_ignores_travel_time(solved: tuple) -> None:
    problem, solution = solved
    broken = copy.deepcopy(solution)
    job_step(broken, 2)["arrival"] -= 7
    assert "arrival_mismatch" in kinds(problem, broken)


def test_pinned_and_in_progress_are_enforced() -> None:
    problem = make_problem(
        [0, 10, 20],
        jobs=[
            {"id": 1, "location_index": 1},
            {"id": 2, "location_index": 2, "fieldops": {"pinned_vehicle": 2, "in_progress": True}},
        ],
        vehicles=[
            {"id": 1, "start_index": 0, "end_index": 0},
            {"id": 2, "start_index": 0, "end_index": 0},
        ],
    )
    solution = solve_json(problem)
    assert kinds(problem, solution) == {}
    broken = copy.deepcopy(solution)
    route = next(r for r in broken["routes"] if r["vehicle"] == 2)
    other = (
        next(r for r in broken["routes"] if r["vehicle"] == 1)
        if len(broken["routes"]) > 1
        else None
    )
    # Move the pinned job to vehicle 1 after job 1 -> pinned + in-progress violations.
    step = next(s for s in route["steps"] if s.get("id") == 2)
    route["steps"].remove(step)
    if other is None:
        other = {
            "vehicle": 1,
            "steps": [{"type": "start", "arrival": 0}, {"type": "end", "arrival": 0}],
        }
        broken["routes"].append(other)
    other["steps"].insert(len(other["steps"]) - 1, step)
    found = kinds(problem, broken)
    assert "pinned_vehicle" in found and "in_progress" in found
