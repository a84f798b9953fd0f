"""Shared helpers for the optimizer tests: tiny hand-checkable problems, no database."""

from __future__ import annotations

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
