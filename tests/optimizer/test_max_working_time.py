"""`fieldops.max_working_time` on a vehicle: travel + service, capped; solver and checker."""

from __future__ import annotations

import pytest

from routing.optimizer import ProblemError, check, parse_problem

from .helpers import job_ids, make_problem, route_of, solve_json


def _problem(max_working_time: int | None) -> dict:
    vehicle: dict = {"id": 1, "start_index": 0, "end_index": 0, "time_window": [0, 1000]}
    if max_working_time is not None:
        vehicle["fieldops"] = {"max_working_time": max_working_time}
    # Both jobs: 10 + 10 + 20 = 40 of travel + 80 of service = 120 of work.
    # Job 1 alone: 20 + 40 = 60. Job 2 alone: 40 + 40 = 80.
    return make_problem(
        [0, 10, 20],
        jobs=[
            {"id": 1, "location_index": 1, "service": 40},
            {"id": 2, "location_index": 2, "service": 40},
        ],
        vehicles=[vehicle],
    )


def test_without_a_cap_both_jobs_are_served() -> None:
    solution = solve_json(_problem(None))
    assert sorted(job_ids(route_of(solution, 1))) == [1, 2]


def test_cap_leaves_out_the_job_that_does_not_fit() -> None:
    problem = _problem(100)
    solution = solve_json(problem)
    assert job_ids(route_of(solution, 1)) == [1]
    assert [u["id"] for u in solution["unassigned"]] == [2]
    assert check(parse_problem(problem), solution) == []


def test_cap_equal_to_the_work_is_allowed() -> None:
    solution = solve_json(_problem(120))
    assert sorted(job_ids(route_of(solution, 1))) == [1, 2]


def test_job_too_long_for_the_cap_on_its_own_gets_a_reason() -> None:
    solution = solve_json(_problem(50))
    assert solution["routes"] == []
    assert {u["reason"] for u in solution["unassigned"]} == {"no time window fits any shift"}


def test_checker_reports_a_route_over_the_cap() -> None:
    uncapped = solve_json(_problem(None))
    violations = check(parse_problem(_problem(100)), uncapped)
    assert [v.kind for v in violations] == ["max_working_time"]
    assert "works 120" in violations[0].message


def test_extension_must_sit_under_fieldops() -> None:
    data = _problem(None)
    data["vehicles"][0]["max_working_time"] = 100
    with pytest.raises(ProblemError, match=r"vehicles\[0\]\.max_working_time"):
        parse_problem(data)


def test_negative_cap_is_rejected() -> None:
    with pytest.raises(ProblemError, match=r"vehicles\[0\]\.fieldops\.max_working_time"):
        parse_problem(_problem(-5))
