"""Large problems are first solved per area; the result must still be feasible."""

from __future__ import annotations

import random

from routing.optimizer import check, parse_problem, solution_to_json, solve
from routing.optimizer.decompose import cluster_jobs
from routing.optimizer.matrices import as_array
from routing.optimizer.solver import SearchOptions


def city(jobs: int, vehicles: int, seed: int = 3) -> dict:
    rng = random.Random(seed)

    def point() -> list[float]:
        return [round(4.8 + rng.random() * 0.1, 5), round(45.7 + rng.random() * 0.1, 5)]

    return {
        "vehicles": [
            {
                "id": v,
                "start": (home := point()),
                "end": home,
                "skills": [1, 2] if v % 2 else [1],
                "time_window": [8 * 3600, 17 * 3600],
                "breaks": [{"id": 1, "time_windows": [[12 * 3600, 14 * 3600]], "service": 1800}],
            }
            for v in range(vehicles)
        ],
        "jobs": [
            {
                "id": 100 + j,
                "location": point(),
                "service": 1200,
                "skills": [2] if j % 5 == 0 else [],
                **({"time_windows": [[9 * 3600, 12 * 3600]]} if j % 3 == 0 else {}),
            }
            for j in range(jobs)
        ],
    }


def test_area_warm_start_gives_a_feasible_complete_plan() -> None:
    problem = parse_problem(city(jobs=60, vehicles=16))
    options = SearchOptions(decompose_above=30, vehicles_per_area=4, construction="ortools")
    solution = solve(problem, 3.0, options=options)
    assert solution.search_log["areas_s"] > 0
    assert solution.search_log["starts"][0]["strategy"].startswith("warm routes")
    assert not solution.unassigned
    assert check(problem, solution_to_json(solution, problem)) == []


def test_clusters_group_nearby_locations() -> None:
    # Two obvious groups on a line: 0-3 and 100-103.
    positions = [0, 1, 2, 3, 100, 101, 102, 103]
    durations = as_array([[abs(a - b) for b in positions] for a in positions])
    labels, medoids = cluster_jobs(durations, list(range(8)), 2)
    assert len(set(labels[:4])) == 1 and len(set(labels[4:])) == 1
    assert labels[0] != labels[4]
    assert len(medoids) == 2
