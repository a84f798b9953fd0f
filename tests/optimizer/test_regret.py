"""Regret-k insertion (regret.py): every route it builds passes our schedule and the
independent checker, hard rules (pins, jobs underway, skills, capacity, limits, breaks)
hold, higher priorities go first, and it plugs into the solver as a construction."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing.optimizer import check, parse_problem, solution_to_json, solve
from routing.optimizer.objective import solution_key
from routing.optimizer.regret import regret_routes
from routing.optimizer.solver import NO_SLOT, SearchOptions
from routing.optimizer.vroom_start import checked_solution

from .helpers import make_problem, rich_day


@pytest.mark.parametrize("seed", range(12))
def test_every_route_built_passes_the_checker(seed: int) -> None:
    problem = parse_problem(rich_day(seed))
    for k in (2, 3):
        result = regret_routes(problem, k=k)
        solution = checked_solution(problem, result.routes, NO_SLOT)
        # The schedule model is conservative: no route may be dropped by the checker.
        assert len(solution.routes) == len(result.routes)
        assert check(problem, solution_to_json(solution, problem)) == []
        assert result.inserted + result.left_out == len(problem.jobs)


def test_breaks_are_in_every_route_and_inside_their_windows() -> None:
    problem = parse_problem(rich_day(5))
    result = regret_routes(problem)
    assert result.routes
    for steps in result.routes.values():
        assert [i for kind, i, _ in steps if kind == "break"] == [1]


def test_pins_and_the_job_underway_keep_their_technician_and_place() -> None:
    data = rich_day(3)
    data["jobs"][5]["fieldops"] = {"pinned_vehicle": 3}
    data["jobs"][5]["priority"] = 10  # first in, so it cannot be crowded out
    data["jobs"][6]["fieldops"] = {"pinned_vehicle": 1, "in_progress": True}
    problem = parse_problem(data)
    routes = regret_routes(problem).routes
    assert 105 in [i for kind, i, _ in routes[3] if kind == "job"]
    elsewhere = [i for v, steps in routes.items() if v != 3 for kind, i, _ in steps]
    assert 105 not in elsewhere
    assert next(i for kind, i, _ in routes[1] if kind == "job") == 106
    assert 100 in [i for kind, i, _ in routes[2] if kind == "job"]
    solution = checked_solution(problem, routes, NO_SLOT)
    assert check(problem, solution_to_json(solution, problem)) == []


def test_higher_priority_wins_the_only_slot_and_misfits_are_left_out() -> None:
    # One technician with room for one job of two; a third job is out of reach.
    data = make_problem(
        [0, 10, 12, 5000],
        jobs=[
            {"id": 1, "location_index": 1, "service": 50, "priority": 1},
            {"id": 2, "location_index": 2, "service": 50, "priority": 9},
            {"id": 3, "location_index": 3, "service": 5},
        ],
        vehicles=[{"id": 7, "start_index": 0, "end_index": 0, "time_window": [0, 100]}],
    )
    problem = parse_problem(data)
    result = regret_routes(problem)
    assert [i for kind, i, _ in result.routes[7] if kind == "job"] == [2]
    assert result.left_out == 2


def test_sla_jobs_are_on_time_when_they_can_be() -> None:
    # Two jobs on a line; visiting the far one first would make the near one late.
    data = make_problem(
        [0, 10, 100],
        jobs=[
            {"id": 1, "location_index": 1, "service": 10, "fieldops": {"sla_deadline": 20}},
            {"id": 2, "location_index": 2, "service": 10},
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 1000]}],
    )
    problem = parse_problem(data)
    solution = checked_solution(problem, regret_routes(problem).routes, NO_SLOT)
    assert solution_key(problem, solution) == (0, -2, 200)


@pytest.mark.parametrize("construction", ["regret", "vroom+regret"])
def test_solve_with_the_regret_construction_is_feasible(construction: str) -> None:
    problem = parse_problem(rich_day(7))
    options = replace(SearchOptions(), exact_up_to=0, construction=construction)
    solution = solve(problem, 1.0, options=options)
    assert check(problem, solution_to_json(solution, problem)) == []
    assert "regret" in solution.search_log
    alone = checked_solution(problem, regret_routes(problem).routes, NO_SLOT)
    assert solution_key(problem, solution) <= solution_key(problem, alone)
