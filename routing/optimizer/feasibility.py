"""Which vehicles may serve each job, and why not.

`prefilter` decides, before any search, which jobs nobody can serve on their own
(skills, capacity, windows against shifts, travel and working-time limits) and which
vehicle positions may serve the rest; `drop_reason` says why a job a search left out
was left out. `service_windows` are the windows a job's service may start in, under
the rules every member and the schedule share (a pin is one instant, a job underway
or without windows may start any time).
"""

from __future__ import annotations

import math

from .model import Job, Number, Problem, Vehicle


def prefilter(problem: Problem) -> tuple[dict[int, str], dict[int, list[int]]]:
    """Return (reason per job that cannot be served by anyone, allowed vehicle positions)."""
    reasons: dict[int, str] = {}
    allowed: dict[int, list[int]] = {}
    all_skills = set().union(*(v.skills for v in problem.vehicles))
    for job in problem.jobs:
        if job.pinned_vehicle is not None:
            # A dispatcher's pin overrides skills: the technician was chosen by a human.
            candidates = [i for i, v in enumerate(problem.vehicles) if v.id == job.pinned_vehicle]
        else:
            candidates = [i for i, v in enumerate(problem.vehicles) if job.skills <= v.skills]
        if not candidates:
            missing = sorted(job.skills - all_skills)
            reasons[job.id] = (
                f"no technician has skills {missing}"
                if missing
                else f"no single technician has all skills {sorted(job.skills)}"
            )
            continue
        candidates = [i for i in candidates if _fits_capacity(job, problem.vehicles[i])]
        if not candidates:
            reasons[job.id] = f"amount {job.delivery} exceeds every capable vehicle's capacity"
            continue
        candidates = [
            i for i in candidates if _window_fits_shift(problem, job, problem.vehicles[i])
        ]
        if not candidates:
            reasons[job.id] = "no time window fits any shift"
            continue
        allowed[job.id] = candidates
    return reasons, allowed


def service_windows(job: Job) -> list[tuple[Number, Number]]:
    """The windows the job's service may start in: a pinned start is one instant; a job
    underway or without windows may start at any time."""
    if job.pinned_start is not None:
        return [(job.pinned_start, job.pinned_start)]
    if job.in_progress or not job.time_windows:
        return [(0, math.inf)]
    return list(job.time_windows)


def _window_fits_shift(problem: Problem, job: Job, vehicle: Vehicle) -> bool:
    shift_start, shift_end = vehicle.time_window or (0, math.inf)
    to_job = problem.travel_time(vehicle.start_index, job.location_index)
    back = problem.travel_time(job.location_index, vehicle.end_index)
    if vehicle.max_travel_time is not None and to_job + back > vehicle.max_travel_time:
        return False
    if (
        vehicle.max_working_time is not None
        and to_job + job.service + back > vehicle.max_working_time
    ):
        return False
    earliest_arrival = shift_start + to_job
    for window_start, window_end in service_windows(job):
        begin = max(window_start, earliest_arrival)
        if begin <= window_end and begin + job.service + back <= shift_end:
            return True
    return False


def _fits_capacity(job: Job, vehicle: Vehicle) -> bool:
    if not job.delivery:
        return True
    capacity = vehicle.capacity or [0] * len(job.delivery)
    return all(amount <= limit for amount, limit in zip(job.delivery, capacity, strict=False))


def drop_reason(problem: Problem, job: Job, served: set[int], allowed: dict[int, list[int]]) -> str:
    """Why a job the prefilter let through is not in the plan: a served job of higher
    priority could take one of its technicians, else no slot was found."""
    mine = set(allowed.get(job.id, []))
    outranked = any(
        other.id in served
        and other.priority > job.priority
        and mine & set(allowed.get(other.id, []))
        for other in problem.jobs
    )
    return (
        "lower priority than scheduled jobs" if outranked else "no feasible slot within time limit"
    )
