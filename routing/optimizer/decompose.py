"""Decomposition by area for large problems: a fast warm start for the global search.

OR-Tools' construction heuristics scale badly with breaks, skills and many vehicles: on
a 50-technician x 500-job day, PARALLEL_CHEAPEST_INSERTION needs ~14 s and the savings
heuristics leave jobs out. Split into areas of a few technicians each, the same
heuristics take a fraction of a second per area. The areas' routes then seed one global
guided local search, which can still move jobs across area borders.

Clustering uses only the duration matrix (k-medoids with farthest-point seeding), so it
works for coordinate and matrix inputs alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .matrices import as_array
from .model import Job, Problem, Vehicle

# A sub-problem solver: (problem, time limit) -> routes as job-id lists per vehicle id.
SubSolver = Callable[[Problem, float], dict[int, list[int]]]


def cluster_jobs(
    durations: np.ndarray, locations: list[int], count: int
) -> tuple[list[int], list[int]]:
    """Group locations (rows of `durations`) around `count` medoids.

    Returns (area label of each location, location index of each medoid)."""
    sub = durations[np.ix_(locations, locations)]
    symmetric = (sub + sub.T) / 2
    size = len(locations)
    count = max(1, min(count, size))
    # Farthest-point seeding spreads the medoids over the whole area, deterministically.
    medoids = [int(np.argmin(symmetric.sum(axis=1)))]
    nearest = symmetric[medoids[0]].copy()
    while len(medoids) < count:
        candidate = int(np.argmax(nearest))
        medoids.append(candidate)
        nearest = np.minimum(nearest, symmetric[candidate])
    labels = np.argmin(symmetric[medoids], axis=0)
    for _ in range(5):  # a few Voronoi iterations are enough for a warm start
        new_medoids = []
        for label in range(count):
            members = np.flatnonzero(labels == label)
            if len(members) == 0:
                new_medoids.append(medoids[label])
                continue
            within = symmetric[np.ix_(members, members)].sum(axis=1)
            new_medoids.append(int(members[np.argmin(within)]))
        if new_medoids == medoids:
            break
        medoids = new_medoids
        labels = np.argmin(symmetric[medoids], axis=0)
    return [int(label) for label in labels], [locations[m] for m in medoids]


def _assign_vehicles(
    problem: Problem, durations: np.ndarray, medoids: list[int], workload: list[float]
) -> list[list[Vehicle]]:
    """Share vehicles between areas in proportion to their work, nearest vehicles first."""
    vehicle_count = len(problem.vehicles)
    total = sum(workload) or 1.0
    quotas = [max(1, math.floor(vehicle_count * w / total)) if w else 0 for w in workload]
    # Hand out the vehicles left over by rounding to the areas with the most work per vehicle.
    while sum(quotas) < vehicle_count:
        area = max(range(len(quotas)), key=lambda a: workload[a] / (quotas[a] + 1))
        quotas[area] += 1
    while sum(quotas) > vehicle_count:
        area = max(
            range(len(quotas)), key=lambda a: quotas[a] - workload[a] / total * vehicle_count
        )
        quotas[area] -= 1

    def home(vehicle: Vehicle) -> int | None:
        return vehicle.start_index if vehicle.start_index is not None else vehicle.end_index

    pairs = sorted(
        (
            (durations[home(v), medoid] if home(v) is not None else 0.0, position, area)
            for position, v in enumerate(problem.vehicles)
            for area, medoid in enumerate(medoids)
        ),
    )
    areas: list[list[Vehicle]] = [[] for _ in medoids]
    placed: set[int] = set()
    for _, position, area in pairs:
        if position in placed or len(areas[area]) >= quotas[area]:
            continue
        areas[area].append(problem.vehicles[position])
        placed.add(position)
    return areas


def solve_by_area(
    problem: Problem,
    jobs: list[Job],
    vehicles_per_area: int,
    time_limit_s: float,
    sub_solver: SubSolver,
) -> dict[int, list[int]]:
    """Warm-start routes (vehicle id -> job ids) from independent per-area solves."""
    durations = as_array(problem.durations)
    area_count = max(1, round(len(problem.vehicles) / vehicles_per_area))
    free_jobs = [job for job in jobs if job.pinned_vehicle is None]
    labels, medoids = cluster_jobs(durations, [job.location_index for job in free_jobs], area_count)
    area_count = len(medoids)
    workload = [0.0] * area_count
    area_jobs: list[list[Job]] = [[] for _ in range(area_count)]
    for job, label in zip(free_jobs, labels, strict=True):
        area_jobs[label].append(job)
        # Service plus a typical leg: what a technician's day is spent on.
        workload[label] += job.service + float(np.median(durations[job.location_index]))
    area_vehicles = _assign_vehicles(problem, durations, medoids, workload)
    area_of_vehicle = {v.id: a for a, vs in enumerate(area_vehicles) for v in vs}
    for job in jobs:
        if job.pinned_vehicle is not None:
            area_jobs[area_of_vehicle[job.pinned_vehicle]].append(job)

    routes: dict[int, list[int]] = {}
    job_total = sum(len(a) for a in area_jobs) or 1
    for area in range(area_count):
        if not area_jobs[area] or not area_vehicles[area]:
            continue
        budget = time_limit_s * len(area_jobs[area]) / job_total
        sub_problem = replace(problem, jobs=area_jobs[area], vehicles=area_vehicles[area])
        routes.update(sub_solver(sub_problem, budget))
    return routes
