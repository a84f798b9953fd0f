"""The second portfolio member (routing/optimizer/parallel.py): PyVRP where the problem
translates exactly, VROOM otherwise, in a child process; and VROOM's SLA-aware start.

Whatever the member returns is rescheduled and checked with our model, and only wins
when it is better under the lexicographic objective.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from routing.optimizer import check, parse_problem, solution_to_json, solve
from routing.optimizer.parallel import Member, launch, member_for
from routing.optimizer.pyvrp_member import pyvrp_routes, unsupported_reason
from routing.optimizer.solomon import read_solomon
from routing.optimizer.solver import SearchOptions
from routing.optimizer.vroom_start import checked_solution, vroom_routes

from .helpers import job_ids, make_problem, route_of

SOLOMON = Path("/work/shared/benchmarks/solomon")


def _plain_problem(**vehicle_extra) -> dict:
    """Two vehicles, six jobs on a line; only vehicle 2 has skill 1."""
    return make_problem(
        [0, 10, 20, 30, 40, 50, 60],
        jobs=[
            {"id": 1, "location_index": 1, "service": 5, "skills": [1]},
            {"id": 2, "location_index": 2, "service": 5},
            {"id": 3, "location_index": 3, "service": 5, "time_windows": [[0, 200]]},
            {"id": 4, "location_index": 4, "service": 5},
            {"id": 5, "location_index": 5, "service": 5, "skills": [1]},
            {"id": 6, "location_index": 6, "service": 5},
        ],
        vehicles=[
            {"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 1000], **vehicle_extra},
            {
                "id": 2,
                "start_index": 0,
                "end_index": 0,
                "skills": [1],
                "time_window": [0, 1000],
                **vehicle_extra,
            },
        ],
    )


@pytest.mark.parametrize(
    ("vehicle_extra", "reason"),
    [
        ({}, None),
        ({"fieldops": {"max_working_time": 100}}, None),  # as PyVRP's shift_duration
        ({"breaks": [{"id": 1, "time_windows": [[100, 200]], "service": 30}]}, "breaks"),
        ({"max_tasks": 3}, "max_travel_time or max_tasks"),
    ],
)
def test_pyvrp_gets_only_problems_it_can_express_exactly(vehicle_extra, reason) -> None:
    problem = parse_problem(_plain_problem(**vehicle_extra))
    assert unsupported_reason(problem) == reason
    assert member_for(problem) == ("pyvrp" if reason is None else "vroom")


def test_pins_and_open_routes_go_to_vroom() -> None:
    pinned = _plain_problem()
    pinned["jobs"][1]["fieldops"] = {"pinned_vehicle": 1}
    assert unsupported_reason(parse_problem(pinned)) == "pinned or underway jobs"
    open_route = _plain_problem()
    del open_route["vehicles"][0]["end_index"]
    assert unsupported_reason(parse_problem(open_route)) == "open routes"


def test_pyvrp_routes_respect_skills_and_pass_the_checker() -> None:
    problem = parse_problem(_plain_problem())
    raw = pyvrp_routes(problem, time.time() + 0.3)
    solution = checked_solution(problem, raw, "left out")
    assert not solution.unassigned
    assert check(problem, solution_to_json(solution, problem)) == []
    skilled = [step.id for r in solution.routes if r.vehicle == 2 for step in r.steps]
    assert {1, 5} <= set(skilled)


def test_pyvrp_keeps_the_working_time_cap() -> None:
    # 6 jobs x 5 s of service and a 120 s round trip to the farthest: a cap of 80 s per
    # technician cannot hold all on one route.
    problem = parse_problem(_plain_problem(fieldops={"max_working_time": 80}))
    solution = checked_solution(problem, pyvrp_routes(problem, time.time() + 0.3), "left out")
    assert solution.routes
    violations = check(problem, solution_to_json(solution, problem))
    assert [v for v in violations if v.kind != "missing_job"] == []
    for route in solution.routes:
        assert route.duration + route.service <= 80


def test_pyvrp_serves_the_emergency_when_only_one_side_fits() -> None:
    # One vehicle with 100 s: either the emergency far away (priority 100) or the two
    # near low-priority jobs fit, not both. Prizes make PyVRP rank like our objective.
    data = make_problem(
        [0, 10, 12, 45],
        jobs=[
            {"id": 1, "location_index": 1, "service": 20, "priority": 10},
            {"id": 2, "location_index": 2, "service": 20, "priority": 10},
            {"id": 3, "location_index": 3, "service": 5, "priority": 100},
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 100]}],
    )
    problem = parse_problem(data)
    solution = checked_solution(problem, pyvrp_routes(problem, time.time() + 0.3), "left out")
    assert [s.id for r in solution.routes for s in r.steps if s.type == "job"] == [3]


def test_solve_runs_pyvrp_beside_ortools_and_keeps_the_best() -> None:
    problem = read_solomon(SOLOMON / "R101.txt")
    started = time.monotonic()
    solution = solve(problem, 3.0)
    elapsed = time.monotonic() - started
    log = solution.search_log
    assert log["member"] == "pyvrp"
    assert log["member_routes_kept"] == log["member_routes"] > 0
    assert log["winner"] in ("ortools", "construction", "pyvrp")
    assert check(problem, solution_to_json(solution, problem)) == []
    assert not solution.unassigned
    assert elapsed < 3.0 + 1.5  # the member answers before the deadline


def test_no_member_when_asked_for_a_reproducible_run() -> None:
    problem = read_solomon(SOLOMON / "C101.txt")
    solution = solve(problem, 2.0, options=SearchOptions(solution_limit=50))
    assert "member" not in solution.search_log


def _member_running(code: str, kind: str = "pyvrp") -> Member:
    """A member whose child runs `code` instead of a solver."""
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    return Member(kind, process, time.time() + 2)


def test_a_failing_member_is_ignored_and_logged() -> None:
    problem = parse_problem(_plain_problem())
    member = _member_running("import sys; sys.exit('member crashed: out of memory')")
    solution, log = member.solution(problem, "left out", time.time() + 2)
    assert solution is None
    assert log["member_error"] == "member crashed: out of memory"


def test_a_member_answering_garbage_is_ignored() -> None:
    problem = parse_problem(_plain_problem())
    member = _member_running("print('not a pickle')", kind="vroom")
    solution, log = member.solution(problem, "left out", time.time() + 2)
    assert solution is None
    assert log["member_error"].startswith("UnpicklingError")


def test_a_member_still_running_at_the_deadline_is_killed() -> None:
    problem = parse_problem(_plain_problem())
    member = _member_running("import time; time.sleep(30)")
    hanging = member.process
    started = time.monotonic()
    solution, log = member.solution(problem, "left out", time.time() + 0.3)
    assert solution is None and log["member_error"] == "still running at the deadline"
    assert time.monotonic() - started < 2
    assert hanging.poll() is not None


def test_a_member_that_cannot_start_is_logged(monkeypatch) -> None:
    problem = parse_problem(_plain_problem())
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    member = launch(problem, "pyvrp", time.time() + 1)
    solution, log = member.solution(problem, "left out", time.time() + 1)
    assert solution is None and log["member_error"].startswith("could not start")
    assert not Path(member.input_path).exists()


def test_the_child_deletes_its_input_and_answers_by_its_deadline() -> None:
    problem = parse_problem(_plain_problem())
    member = launch(problem, "pyvrp", time.time() + 1.0)
    solution, log = member.solution(problem, "left out", time.time() + 3.0)
    assert solution is not None and log["member_routes_kept"] >= 1
    assert log["member_s"] < 2.0
    assert not Path(member.input_path).exists()


def test_pyvrp_stays_feasible_on_an_oversubscribed_day() -> None:
    # 40 jobs of 30 s with priorities, two vehicles of 300 s: most cannot be served.
    # PyVRP's default penalty ceiling is below our prizes; without raising it the
    # search settled on routes that break windows (none passed the checker).
    positions = [0] + [(7 * i) % 50 + 1 for i in range(1, 41)]
    data = make_problem(
        positions,
        jobs=[
            {
                "id": i,
                "location_index": i,
                "service": 30,
                "priority": (13 * i) % 60,
                "time_windows": [[(11 * i) % 200, (11 * i) % 200 + 80]],
            }
            for i in range(1, 41)
        ],
        vehicles=[
            {"id": v, "start_index": 0, "end_index": 0, "time_window": [0, 300]} for v in (1, 2)
        ],
    )
    problem = parse_problem(data)
    raw = pyvrp_routes(problem, time.time() + 0.5)
    solution = checked_solution(problem, raw, "left out")
    assert len(solution.routes) == len(raw) == 2  # every route passed the checker
    assert sum(len(r.steps) for r in solution.routes) > 0


def test_a_window_finer_than_the_time_grid_goes_to_vroom() -> None:
    data = _plain_problem()
    data["jobs"][1]["time_windows"] = [[100, 100]]
    assert unsupported_reason(parse_problem(data)) is None  # one instant fits the grid
    problem = parse_problem(data)
    problem.jobs[1] = replace(problem.jobs[1], time_windows=[(100.2, 100.7)])
    assert unsupported_reason(problem) == "a window narrower than the time grid"


def test_vroom_start_with_sla_deadlines_is_on_time() -> None:
    # Depot 0, end at 20. B at 5 (10 s of service), A at 10 due by 10. The shortest
    # route 0-5-10-20 (20 s) reaches A at 20, late; 0-10-5-20 (30 s) is on time. VROOM
    # alone minimises travel; with the deadline as a window end it must take A first.
    data = make_problem(
        [0, 5, 10, 20],
        jobs=[
            {"id": 1, "location_index": 2, "service": 1, "fieldops": {"sla_deadline": 10}},
            {"id": 2, "location_index": 1, "service": 10},
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 3, "time_window": [0, 500]}],
    )
    problem = parse_problem(data)

    def lateness(sla_as_deadline: bool) -> float:
        raw = vroom_routes(problem, 5, 1, None, sla_as_deadline=sla_as_deadline)
        start = checked_solution(problem, raw, "left out")
        assert not start.unassigned
        return sum(r.sla_lateness for r in start.routes)

    assert lateness(sla_as_deadline=False) > 0
    assert lateness(sla_as_deadline=True) == 0
    solved = solution_to_json(solve(problem, 1.0, options=SearchOptions(exact_up_to=0)), problem)
    assert job_ids(route_of(solved, 1)) == [1, 2]


def test_a_job_nobody_reaches_by_its_deadline_is_served_late_not_left_out() -> None:
    # A is 100 s away and due at 10 s: VROOM with deadlines as window ends cannot place
    # it; served late it still counts first in the objective.
    from routing.optimizer.solver import late_rather_than_left_out

    data = make_problem(
        [0, 100, 5],
        jobs=[
            {"id": 1, "location_index": 1, "service": 1, "priority": 90,
             "fieldops": {"sla_deadline": 10}},
            {"id": 2, "location_index": 2, "service": 1, "priority": 1},
        ],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 500]}],
    )  # fmt: skip
    problem = parse_problem(data)
    on_time = checked_solution(
        problem, vroom_routes(problem, 5, 1, None, sla_as_deadline=True), "left out"
    )
    assert [u.id for u in on_time.unassigned] == [1]
    log: dict = {}
    rescued = late_rather_than_left_out(problem, on_time, SearchOptions(), None, 1.0, log)
    assert not rescued.unassigned and log["vroom_sla_blind"]["served_priority"] == 91
    assert sum(r.sla_lateness for r in rescued.routes) > 0
    # In a solve whose start is VROOM's (the large-day path forced), the rescue runs.
    solution = solve(
        problem,
        2.0,
        options=SearchOptions(exact_up_to=0, vroom_full_up_to=0, parallel_member=False),
    )
    assert not solution.unassigned and "vroom_sla_blind" in solution.search_log
    assert check(problem, solution_to_json(solution, problem)) == []
