"""Parsing errors name the offending JSON path; geo estimates are sane."""

from __future__ import annotations

from typing import Any

import pytest

from routing.optimizer import ProblemError, parse_problem
from routing.optimizer.geo import build_matrices, haversine_m

from .helpers import make_problem


def valid() -> dict[str, Any]:
    return make_problem(
        [0, 10, 20],
        jobs=[{"id": 1, "location_index": 1}, {"id": 2, "location_index": 2}],
        vehicles=[{"id": 1, "start_index": 0, "end_index": 0}],
    )


def error_for(mutate: Any) -> str:
    problem = valid()
    mutate(problem)
    with pytest.raises(ProblemError) as caught:
        parse_problem(problem)
    return str(caught.value)


def test_valid_problem_parses() -> None:
    problem = parse_problem(valid())
    assert [j.id for j in problem.jobs] == [1, 2]
    assert problem.durations[1][2] == 10


def test_window_start_after_end() -> None:
    def mutate(p: dict) -> None:
        p["jobs"].extend({"id": 10 + i, "location_index": 1} for i in range(2))
        p["jobs"][3]["time_windows"] = [[900, 600]]

    assert error_for(mutate) == "jobs[3].time_windows[0]: start 900 is after end 600"


def test_unknown_location_index() -> None:
    message = error_for(lambda p: p["jobs"][1].update(location_index=7))
    assert message.startswith("jobs[1].location_index: unknown location_index 7")


def test_duplicate_job_ids() -> None:
    message = error_for(lambda p: p["jobs"][1].update(id=1))
    assert message == "jobs[1].id: duplicate job id 1"


def test_missing_vehicles() -> None:
    assert error_for(lambda p: p.pop("vehicles")).startswith("vehicles: missing")
    assert error_for(lambda p: p.update(vehicles=[])).startswith("vehicles: empty")


def test_non_integer_where_int_expected() -> None:
    assert (
        error_for(lambda p: p["jobs"][0].update(service=1.5))
        == "jobs[0].service: expected an integer, got 1.5"
    )
    assert error_for(lambda p: p["jobs"][0].update(skills=["a"])).startswith(
        "jobs[0].skills[0]: expected an integer"
    )


def test_priority_range() -> None:
    assert (
        error_for(lambda p: p["jobs"][0].update(priority=101))
        == "jobs[0].priority: must be <= 100, got 101"
    )


def test_extensions_must_be_namespaced_and_valid() -> None:
    message = error_for(lambda p: p["jobs"][0].update(sla_deadline=5))
    assert message == "jobs[0].sla_deadline: extension fields go under jobs[0].fieldops"
    message = error_for(lambda p: p["jobs"][0].update(fieldops={"pinned_vehicle": 42}))
    assert message == "jobs[0].fieldops.pinned_vehicle: unknown vehicle id 42"
    message = error_for(lambda p: p["jobs"][0].update(fieldops={"in_progress": True}))
    assert message == "jobs[0].fieldops.in_progress: an in-progress job needs pinned_vehicle"


def test_matrix_must_be_square() -> None:
    message = error_for(lambda p: p["matrices"]["car"]["durations"][2].pop())
    assert message == "matrices.car.durations[2]: has 2 entries, expected 3"


def test_locations_without_matrices_use_great_circle_estimates() -> None:
    problem = parse_problem(
        {
            "jobs": [{"id": 1, "location": [2.3522, 48.8566]}],
            "vehicles": [{"id": 1, "start": [2.2945, 48.8584], "end": [2.2945, 48.8584]}],
            "fieldops": {"road_factor": 1.3, "speed_kmh": 40},
        }
    )
    # ~4.2 km as the crow flies x 1.3 road factor, at 40 km/h.
    start, job = problem.vehicles[0].start_index, problem.jobs[0].location_index
    assert 5300 < problem.distances[start][job] < 5600
    assert problem.durations[start][job] == round(problem.distances[start][job] / (40 / 3.6))


def test_haversine_paris_london() -> None:
    assert abs(haversine_m((2.3522, 48.8566), (-0.1276, 51.5072)) / 1000 - 343.5) < 1.0


def test_matrix_builder_options() -> None:
    durations, distances = build_matrices([(0.0, 0.0), (0.0, 0.01)], road_factor=1.0, speed_kmh=36)
    assert distances[0][1] == distances[1][0] == 1112
    assert durations[0][1] == 111  # 10 m/s
    assert durations[0][0] == 0
