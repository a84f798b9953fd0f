"""Small instances whose optimal answer can be checked by hand."""

from __future__ import annotations

from routing.optimizer import check, parse_problem

from .helpers import job_ids, make_problem, route_of, solve_json

DEPOT = 0


def assert_feasible(problem_dict: dict, solution: dict) -> None:
    assert check(parse_problem(problem_dict), solution) == []


def test_job_only_one_technician_can_do_goes_to_that_technician() -> None:
    problem = make_problem(
        [0, 10, 20],
        jobs=[
            {"id": 1, "location_index": 1, "skills": [2]},
            {"id": 2, "location_index": 2, "skills": [3]},
        ],
        vehicles=[
            {"id": 10, "start_index": DEPOT, "end_index": DEPOT, "skills": [1]},
            {"id": 20, "start_index": DEPOT, "end_index": DEPOT, "skills": [1, 2]},
        ],
    )
    solution = solve_json(problem)
    assert route_of(solution, 10) is None
    assert job_ids(route_of(solution, 20)) == [1]
    assert solution["unassigned"] == [
        {"id": 2, "type": "job", "location_index": 2, "reason": "no technician has skills [3]"}
    ]
    assert_feasible(problem, solution)


def test_time_windows_force_the_order() -> None:
    # Position 100 is visited first although 10 is closer: its window closes early.
    problem = make_problem(
        [0, 10, 100],
        jobs=[
            {"id": 1, "location_index": 1, "time_windows": [[300, 400]]},
            {"id": 2, "location_index": 2, "time_windows": [[0, 150]]},
        ],
        vehicles=[{"id": 1, "start_index": DEPOT, "end_index": DEPOT, "time_window": [0, 1000]}],
    )
    solution = solve_json(problem)
    route = route_of(solution, 1)
    assert job_ids(route) == [2, 1]
    jobs = {s["id"]: s for s in route["steps"] if s["type"] == "job"}
    assert jobs[2]["arrival"] == 100 and jobs[2]["waiting_time"] == 0
    assert jobs[1]["arrival"] == 190 and jobs[1]["service_start"] == 300
    assert_feasible(problem, solution)


def test_pinned_job_stays_on_its_vehicle_even_when_another_is_closer() -> None:
    problem = make_problem(
        [0, 5, 100],
        jobs=[{"id": 1, "location_index": 1, "fieldops": {"pinned_vehicle": 2}}],
        vehicles=[
            {"id": 1, "start_index": 0, "end_index": 0},
            {"id": 2, "start_index": 2, "end_index": 2},
        ],
    )
    solution = solve_json(problem)
    assert route_of(solution, 1) is None
    assert job_ids(route_of(solution, 2)) == [1]
    assert_feasible(problem, solution)


def test_pinned_start_fixes_the_service_start() -> None:
    problem = make_problem(
        [0, 10],
        jobs=[
            {
                "id": 1,
                "location_index": 1,
                "time_windows": [[0, 1000]],
                "fieldops": {"pinned_start": 450},
            }
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 1000]}],
    )
    solution = solve_json(problem)
    step = next(s for s in route_of(solution, 1)["steps"] if s["type"] == "job")
    assert step["service_start"] == 450
    assert_feasible(problem, solution)


def test_break_appears_in_the_route_within_its_window() -> None:
    problem = make_problem(
        [0, 10, 20, 30],
        jobs=[{"id": j, "location_index": j, "service": 100} for j in (1, 2, 3)],
        vehicles=[
            {
                "id": 1,
                "start_index": 0,
                "end_index": 0,
                "time_window": [0, 1000],
                "breaks": [{"id": 7, "time_windows": [[150, 200]], "service": 60}],
            }
        ],
    )
    solution = solve_json(problem)
    steps = route_of(solution, 1)["steps"]
    breaks = [s for s in steps if s["type"] == "break"]
    assert len(breaks) == 1 and breaks[0]["id"] == 7
    assert 150 <= breaks[0]["service_start"] <= 200
    assert breaks[0]["service"] == 60
    # It does not overlap a service: it starts after the previous job's departure.
    previous = steps[steps.index(breaks[0]) - 1]
    assert breaks[0]["service_start"] >= previous["service_start"] + previous["service"]
    assert_feasible(problem, solution)


def test_in_progress_job_is_first_on_its_vehicle() -> None:
    problem = make_problem(
        [0, 5, 50],
        jobs=[
            {"id": 1, "location_index": 1},
            {"id": 2, "location_index": 2, "fieldops": {"pinned_vehicle": 1, "in_progress": True}},
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0}],
    )
    solution = solve_json(problem)
    assert job_ids(route_of(solution, 1)) == [2, 1]
    assert_feasible(problem, solution)


def test_with_room_for_one_job_the_higher_priority_is_kept() -> None:
    problem = make_problem(
        [0, 10, 90],
        jobs=[
            {"id": 1, "location_index": 1, "delivery": [1], "priority": 10},
            {"id": 2, "location_index": 2, "delivery": [1], "priority": 50},
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0, "capacity": [1]}],
    )
    solution = solve_json(problem)
    assert job_ids(route_of(solution, 1)) == [2]  # although job 1 is much closer
    assert [u["id"] for u in solution["unassigned"]] == [1]
    assert solution["unassigned"][0]["reason"] == "lower priority than scheduled jobs"
    assert_feasible(problem, solution)


def test_service_starts_after_the_gap_between_two_windows() -> None:
    problem = make_problem(
        [0, 200],
        jobs=[
            {"id": 1, "location_index": 1, "service": 10, "time_windows": [[0, 100], [500, 600]]}
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 1000]}],
    )
    solution = solve_json(problem)
    step = next(s for s in route_of(solution, 1)["steps"] if s["type"] == "job")
    assert step["service_start"] == 500
    assert_feasible(problem, solution)


def test_job_whose_windows_fit_no_shift_is_unassigned_with_reason() -> None:
    problem = make_problem(
        [0, 10],
        jobs=[{"id": 1, "location_index": 1, "time_windows": [[2000, 3000]]}],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 1000]}],
    )
    solution = solve_json(problem)
    assert solution["unassigned"][0]["reason"] == "no time window fits any shift"


def test_sla_deadline_is_soft_and_pulls_the_late_job_forward() -> None:
    # Without the SLA the cheapest order is 1 then 2 (along the line); job 2's deadline
    # at 60 makes visiting it first worth the detour.
    problem = make_problem(
        [0, 10, 50],
        jobs=[
            {"id": 1, "location_index": 1, "service": 100},
            {"id": 2, "location_index": 2, "fieldops": {"sla_deadline": 60}},
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0}],
    )
    solution = solve_json(problem)
    assert job_ids(route_of(solution, 1)) == [2, 1]
    step = next(s for s in route_of(solution, 1)["steps"] if s.get("id") == 2)
    assert step["fieldops"] == {"sla_lateness": 0}


def test_max_tasks_and_capacity_split_jobs_across_vehicles() -> None:
    problem = make_problem(
        [0, 1, 2, 3],
        jobs=[{"id": j, "location_index": j, "delivery": [1]} for j in (1, 2, 3)],
        vehicles=[
            {"id": 1, "start_index": 0, "end_index": 0, "capacity": [5], "max_tasks": 2},
            {"id": 2, "start_index": 0, "end_index": 0, "capacity": [1]},
        ],
    )
    solution = solve_json(problem)
    assert len(job_ids(route_of(solution, 1))) == 2
    assert len(job_ids(route_of(solution, 2))) == 1
    assert_feasible(problem, solution)


def test_progress_is_recorded_and_reported() -> None:
    from routing.optimizer import solve

    problem = parse_problem(
        make_problem(
            [0, 3, 1, 4, 2],
            jobs=[{"id": j, "location_index": j} for j in (1, 2, 3, 4)],
            vehicles=[{"id": 1, "start_index": 0, "end_index": 0}],
        )
    )
    seen: list[tuple[float, float]] = []
    solution = solve(problem, 0.3, on_progress=lambda t, cost: seen.append((t, cost)))
    assert seen and seen == solution.progress
    assert seen[-1][1] == solution.cost == 8
    costs = [cost for _, cost in seen]
    assert costs == sorted(costs, reverse=True)


def test_solution_limit_makes_runs_reproducible() -> None:
    from routing.optimizer import solve
    from routing.optimizer.solver import SearchOptions

    positions = [0, 7, 3, 9, 1, 12, 5, 8, 2, 11]
    problem = parse_problem(
        make_problem(
            positions,
            jobs=[
                {"id": j, "location_index": j, "delivery": [1]} for j in range(1, len(positions))
            ],
            vehicles=[
                {"id": v, "start_index": 0, "end_index": 0, "capacity": [4]} for v in (1, 2, 3)
            ],
        )
    )
    options = SearchOptions(solution_limit=30)
    runs = [solve(problem, 10.0, options=options) for _ in range(2)]
    routes = [[[s.id for s in r.steps] for r in run.routes] for run in runs]
    assert routes[0] == routes[1]
    timings = {"areas_s", "vroom_s"}
    logs = [{k: v for k, v in run.search_log.items() if k not in timings} for run in runs]
    assert logs[0] == logs[1]
