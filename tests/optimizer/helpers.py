"""Shared helpers for the optimizer tests: tiny hand-checkable problems, no database."""

from __future__ import annotations

import random
from typing import Any

from routing.optimizer import parse_problem, solution_to_json, solve
from routing.optimizer.solver import SearchOptions

# Short limits keep the suite fast; these instances are solved optimally in milliseconds.
TIME_LIMIT_S = 0.5


def line_matrix(positions: list[int]) -> list[list[int]]:
    """Durations between points on a line: |a - b| seconds. Easy to verify by hand."""
    return [[abs(a - b) for b in positions] for a in positions]


def make_problem(
    positions: list[int], jobs: list[dict[str, Any]], vehicles: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "matrices": {"car": {"durations": line_matrix(positions)}},
        "jobs": jobs,
        "vehicles": vehicles,
        **extra,
    }


# The three ways a solve can go: complete search (tiny problems, the default here),
# VROOM's routes refined by OR-Tools, OR-Tools' own constructions.
SEARCH_PATHS = {
    "exact": SearchOptions(),
    "vroom": SearchOptions(exact_up_to=0, construction="vroom"),
    "ortools": SearchOptions(exact_up_to=0, construction="ortools"),
}


def solve_json(
    problem_dict: dict[str, Any],
    time_limit_s: float = TIME_LIMIT_S,
    options: SearchOptions | None = None,
) -> dict[str, Any]:
    problem = parse_problem(problem_dict)
    solution = solve(problem, time_limit_s, options=options or SearchOptions())
    return solution_to_json(solution, problem)


def route_of(solution: dict[str, Any], vehicle_id: int) -> dict[str, Any] | None:
    return next((r for r in solution["routes"] if r["vehicle"] == vehicle_id), None)


def job_ids(route: dict[str, Any]) -> list[int]:
    return [step["id"] for step in route["steps"] if step["type"] == "job"]


def rich_day(seed: int, jobs: int = 40) -> dict:
    """Everything a constructor or a local search must respect, at random: one or two windows, SLA
    deadlines, skills, amounts and capacities, breaks with one or two windows, task,
    travel and working-time limits, a pinned start."""
    rng = random.Random(seed)
    positions = [0] + [rng.randint(1, 600) for _ in range(jobs)]
    job_list = []
    for n in range(jobs):
        job: dict = {
            "id": 100 + n,
            "location_index": n + 1,
            "service": rng.choice([0, 15, 40]),
            "priority": rng.choice([0, 0, 1, 5]),
            "delivery": [rng.randint(0, 3)],
        }
        if rng.random() < 0.5:
            start = rng.randint(0, 2000)
            windows = [[start, start + rng.randint(50, 600)]]
            if rng.random() < 0.4:
                later = windows[0][1] + rng.randint(10, 500)
                windows.append([later, later + rng.randint(50, 400)])
            job["time_windows"] = windows
        if rng.random() < 0.3:
            job["fieldops"] = {"sla_deadline": rng.randint(300, 2500)}
        if rng.random() < 0.2:
            job["skills"] = [rng.choice([1, 2])]
        job_list.append(job)
    vehicles = []
    for v in (1, 2, 3, 4):
        lunch = rng.randint(800, 1400)
        vehicle: dict = {
            "id": v,
            "start_index": 0,
            "end_index": 0,
            "skills": [1] if v % 2 else [2],
            "time_window": [rng.randint(0, 200), rng.randint(2500, 3200)],
            "capacity": [rng.randint(8, 30)],
            "breaks": [
                {"id": 1, "time_windows": [[lunch, lunch + 300]], "service": 60},
            ],
        }
        if v == 2:
            vehicle["breaks"][0]["time_windows"].append([lunch + 600, lunch + 700])
        if v == 3:
            vehicle["max_tasks"] = 6
            vehicle["max_travel_time"] = 1500
        if v == 4:
            vehicle["fieldops"] = {"max_working_time": 1800}
        vehicles.append(vehicle)
    job_list[0]["fieldops"] = {"pinned_vehicle": 2, "pinned_start": 1000}
    job_list[0].pop("time_windows", None)
    return make_problem(positions, jobs=job_list, vehicles=vehicles)
