"""The polishing local search (polish.py): it only ever lowers the plan's cost, serves the
same jobs, keeps every hard rule (checked by the independent checker), places the break
where the day needs it, leaves a job underway where it is, and runs in the solver on
large days."""

from __future__ import annotations

import math
import random
import time

import pytest

from routing.optimizer import check, parallel, parse_problem, solution_to_json, solve
from routing.optimizer.feasibility import prefilter
from routing.optimizer.objective import solution_key
from routing.optimizer.polish import (
    NEIGHBOURS,
    STRING,
    PolishLog,
    PolishSettings,
    _Search,
    polish,
)
from routing.optimizer.regret import regret_routes
from routing.optimizer.solver import NO_SLOT, SearchOptions
from routing.optimizer.vroom_start import checked_solution

from .helpers import job_ids, make_problem, rich_day, route_of


def _served(solution) -> set[int]:
    return {s.id for r in solution.routes for s in r.steps if s.type == "job"}


def _polished(problem, raw_routes, seconds: float = 0.5, ruin: int = 6):
    start = checked_solution(problem, raw_routes, NO_SLOT)
    _, allowed = prefilter(problem)
    polished, log = polish(problem, start, allowed, time.monotonic() + seconds, ruin=ruin)
    return start, polished, log


def test_crossed_routes_are_untangled() -> None:
    # Depots at 0 and 1000; jobs at 10 and 20 near the first, 990 near the second.
    # Crossed: technician 1 drives 0-10-990-0 (1980 s), technician 2 1000-20-1000 (1960 s).
    # Untangled: 0-10-20-0 (40 s) and 1000-990-1000 (20 s).
    problem = parse_problem(
        make_problem(
            [0, 10, 20, 990, 1000],
            jobs=[
                {"id": 1, "location_index": 1},
                {"id": 2, "location_index": 2},
                {"id": 3, "location_index": 3},
            ],
            vehicles=[
                {"id": 1, "start_index": 0, "end_index": 0},
                {"id": 2, "start_index": 4, "end_index": 4},
            ],
        )
    )
    start, polished, log = _polished(
        problem, {1: [("job", 1, 0), ("job", 3, 0)], 2: [("job", 2, 0)]}
    )
    assert solution_key(problem, start)[2] == 3940
    assert solution_key(problem, polished)[2] == 60
    rendered = solution_to_json(polished, problem)
    assert sorted(job_ids(route_of(rendered, 1))) == [1, 2]
    assert job_ids(route_of(rendered, 2)) == [3]
    assert check(problem, rendered) == []
    assert log.before == 3940 and log.after == 60 and log.moves > 0


def test_the_break_waits_until_after_the_morning_jobs() -> None:
    # Lunch opens at 500; both jobs close before it, so technician 1 can serve both
    # only by taking the break after them. Technician 2 (depot at 200) is then not needed.
    problem = parse_problem(
        make_problem(
            [0, 10, 20, 200],
            jobs=[
                {"id": 1, "location_index": 1, "service": 30, "time_windows": [[0, 100]]},
                {"id": 2, "location_index": 2, "service": 30, "time_windows": [[0, 200]]},
            ],
            vehicles=[
                {
                    "id": v,
                    "start_index": depot,
                    "end_index": depot,
                    "time_window": [0, 1000],
                    "breaks": [{"id": 1, "time_windows": [[500, 600]], "service": 50}],
                }
                for v, depot in ((1, 0), (2, 3))
            ],
        )
    )
    start, polished, _ = _polished(
        problem,
        {
            1: [("job", 1, 0), ("break", 1, 500)],
            2: [("job", 2, 0), ("break", 1, 500)],
        },
    )
    assert len(start.routes) == 2
    assert solution_key(problem, start)[2] == 20 + 360
    assert solution_key(problem, polished)[2] == 40
    rendered = solution_to_json(polished, problem)
    assert route_of(rendered, 2) is None
    route = route_of(rendered, 1)
    assert [s["type"] for s in route["steps"]] == ["start", "job", "job", "break", "end"]
    assert sorted(job_ids(route)) == [1, 2]
    assert check(problem, rendered) == []


@pytest.mark.parametrize("seed", range(8))
def test_never_worse_same_jobs_and_every_rule_kept(seed: int) -> None:
    # Random days with one- and two-window jobs and breaks, SLA deadlines, skills,
    # capacities, task, travel and working-time limits and a pinned start.
    problem = parse_problem(rich_day(seed))
    start, polished, _ = _polished(problem, regret_routes(problem).routes)
    assert solution_key(problem, polished) <= solution_key(problem, start)
    assert _served(polished) == _served(start)
    rendered = solution_to_json(polished, problem)
    assert [v for v in check(problem, rendered) if v.kind != "missing_job"] == []
    if 100 in _served(start):  # pinned to technician 2 at a fixed time
        assert 100 in job_ids(route_of(rendered, 2))


def test_a_job_underway_keeps_its_route() -> None:
    data = rich_day(3)
    data["jobs"][6]["fieldops"] = {"pinned_vehicle": 1, "in_progress": True}
    data["jobs"][6].pop("time_windows", None)
    problem = parse_problem(data)
    start, polished, _ = _polished(problem, regret_routes(problem).routes)
    before = job_ids(route_of(solution_to_json(start, problem), 1))
    after = job_ids(route_of(solution_to_json(polished, problem), 1))
    assert before[0] == 106 and after == before


def test_large_days_are_polished_in_the_solver() -> None:
    # A day above `vroom_full_up_to` takes the large-day path: VROOM runs, OR-Tools,
    # then the polish (and the VROOM member polishes its own routes in its process).
    problem = parse_problem(rich_day(1, jobs=30))
    options = SearchOptions(exact_up_to=0, vroom_full_up_to=10)
    solution = solve(problem, 3.0, options=options)
    log = solution.search_log
    assert log["polish"]["after"] <= log["polish"]["before"]
    assert log["member"] == "vroom"
    assert check(problem, solution_to_json(solution, problem)) == []


def test_the_vroom_member_polishes_its_routes() -> None:
    problem = parse_problem(rich_day(2, jobs=30))
    deadline = time.time() + 1.5
    settings = PolishSettings(share=0.5, ruin=6, accept=0.002)
    routes = parallel._vroom_routes(problem, deadline, searches=1, polishing=settings)
    solution = checked_solution(problem, routes, NO_SLOT)
    assert len(solution.routes) == len(routes)  # every polished route passes the checker
    assert check(problem, solution_to_json(solution, problem)) == []


@pytest.mark.parametrize("seed", range(4))
def test_every_move_knows_its_travel_change(seed: int) -> None:
    # The moves price themselves from the legs they change, so the search skips the
    # hopeless ones without building them. Here every move between each job and its
    # neighbours is generated and its price compared with the routes costed in full, on
    # a day with two ways of pricing travel, technicians living apart and an open route.
    data = rich_day(seed, jobs=30)
    vehicles = data["vehicles"]
    vehicles[1]["costs"] = {"per_hour": 7200, "fixed": 50}
    vehicles[2]["start_index"], vehicles[2]["end_index"] = 5, 9
    del vehicles[3]["end_index"]
    problem = parse_problem(data)
    start = checked_solution(problem, regret_routes(problem).routes, NO_SLOT)
    _, allowed = prefilter(problem)
    search = _Search.of(problem, start, allowed, PolishLog())
    search.late = [math.inf] * len(search.late)  # no move is skipped as hopeless
    day, routes = search.day, search.routes
    priced = costed = 0
    for u in search.neighbours:
        for w in search.neighbours[u][:NEIGHBOURS]:
            (ru, i), (rw, k) = search.where[u], search.where[w]
            for _, changes, delta in search._moves(u, ru, i, w, rw, k):
                before = [j for v in changes for j in routes[v]]
                after = [j for sequence in changes.values() for j in sequence]
                assert sorted(after) == sorted(before)  # the same jobs, moved
                exact = sum(day.travel(v, s) - day.travel(v, routes[v]) for v, s in changes.items())
                if delta is None:
                    costed += 1
                else:
                    priced += 1
                    assert delta == pytest.approx(exact, abs=1e-6)
    assert priced > 200
    assert costed > 0  # 2-opt* between technicians who price travel differently


def test_a_ruin_takes_runs_of_consecutive_jobs_from_neighbouring_routes() -> None:
    problem = parse_problem(rich_day(5, jobs=40))
    start = checked_solution(problem, regret_routes(problem).routes, NO_SLOT)
    _, allowed = prefilter(problem)
    search = _Search.of(problem, start, allowed, PolishLog())
    rng = random.Random(7)
    for seed in list(search.neighbours)[:20]:
        removed = search._strings(seed, rng, 12)
        assert seed in removed
        assert 1 <= len(removed) <= 13 and len(set(removed)) == len(removed)
        runs: dict[int, list[int]] = {}
        for j in removed:
            v, _ = search.where[j]
            runs.setdefault(v, []).append(search.where[j][1])
        for positions in runs.values():  # one run per route, no gaps in it
            assert positions == list(range(positions[0], positions[0] + len(positions)))
            assert len(positions) <= STRING
        nearby = {seed, *search.neighbours[seed]}
        assert all(any(j in nearby for j in removed if search.where[j][0] == v) for v in runs)
