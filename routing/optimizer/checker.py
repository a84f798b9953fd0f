"""Independent feasibility checker for a VROOM-shaped solution.

It re-derives every timing from the problem's matrices and the step order, sharing no
code with the solver's scheduling (`schedule.build_route`): a bug there cannot hide here.

Timing semantics checked (also documented in README.md):
- a route starts at the reported `start` arrival, not before the shift start;
- arrival at a stop = departure from the previous stop + travel time, except that a
  break may be taken en route: the part of the leg driven before the break is
  min(break start - previous departure, leg); the rest is driven after the break;
- a job's `service_start` (arrival + waiting) must be >= the computed arrival and lie
  in one of its time windows (or equal its pinned start); departure = start + service;
- a break starts inside one of its windows, after the previous departure;
- the `end` arrival must not exceed the shift end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .model import Job, Number, Problem, Solution, Vehicle

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str
    vehicle: int | None = None
    job: int | None = None

    def __str__(self) -> str:
        where = []
        if self.vehicle is not None:
            where.append(f"vehicle {self.vehicle}")
        if self.job is not None:
            where.append(f"job {self.job}")
        prefix = f"[{self.kind}] " + (", ".join(where) + ": " if where else "")
        return prefix + self.message


def check_solution(problem: Problem, solution: Solution) -> list[Violation]:
    """Convenience wrapper for in-process use: render then check."""
    from .vroom_json import solution_to_json

    return check(problem, solution_to_json(solution, problem))


def check(problem: Problem, solution: dict[str, Any]) -> list[Violation]:
    """Return every constraint violation found in `solution` (empty list = feasible)."""
    if not isinstance(solution, dict):
        return [Violation("structure", "solution is not a JSON object")]
    if solution.get("code", 0) != 0:
        return [
            Violation(
                "structure", f"solution has code {solution.get('code')}: {solution.get('error')}"
            )
        ]
    violations: list[Violation] = []
    jobs_by_id = {job.id: job for job in problem.jobs}
    vehicles_by_id = {vehicle.id: vehicle for vehicle in problem.vehicles}
    seen_jobs: dict[int, str] = {}

    def mark(job_id: Any, where: str, vehicle_id: int | None) -> None:
        if job_id not in jobs_by_id:
            violations.append(
                Violation("unknown_job", f"job id {job_id!r} is not in the problem", vehicle_id)
            )
            return
        if job_id in seen_jobs:
            violations.append(
                Violation(
                    "duplicate_job",
                    f"appears in {seen_jobs[job_id]} and again in {where}",
                    vehicle_id,
                    job_id,
                )
            )
            return
        seen_jobs[job_id] = where

    seen_vehicles: set[int] = set()
    for route in solution.get("routes", []):
        vehicle_id = route.get("vehicle")
        vehicle = vehicles_by_id.get(vehicle_id)
        if vehicle is None:
            violations.append(
                Violation("unknown_vehicle", f"route for unknown vehicle {vehicle_id!r}")
            )
            continue
        if vehicle_id in seen_vehicles:
            violations.append(Violation("duplicate_route", "vehicle has two routes", vehicle_id))
        seen_vehicles.add(vehicle_id)
        steps = route.get("steps", [])
        for step in steps:
            if step.get("type") == "job":
                mark(step.get("id"), f"route of vehicle {vehicle_id}", vehicle_id)
        violations.extend(_check_route(problem, vehicle, steps, jobs_by_id))

    for item in solution.get("unassigned", []):
        mark(item.get("id"), "unassigned", None)
    for job in problem.jobs:
        if job.id not in seen_jobs:
            violations.append(
                Violation("missing_job", "neither routed nor listed as unassigned", job=job.id)
            )
    return violations


def _number(step: dict[str, Any], key: str) -> Number:
    value = step.get(key, 0)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else math.nan


def _start_of(step: dict[str, Any]) -> Number:
    if "service_start" in step:
        return _number(step, "service_start")
    return _number(step, "arrival") + _number(step, "waiting_time")


def _inside(moment: Number, windows: list[tuple[Number, Number]]) -> bool:
    return any(start - TOLERANCE <= moment <= end + TOLERANCE for start, end in windows)


def _leg(problem: Problem, origin: int | None, destination: int | None) -> Number:
    if origin is None or destination is None:
        return 0
    return problem.durations[origin][destination]


def _check_route(
    problem: Problem, vehicle: Vehicle, steps: list[dict[str, Any]], jobs_by_id: dict[int, Job]
) -> list[Violation]:
    found: list[Violation] = []
    vid = vehicle.id

    def add(kind: str, message: str, job: int | None = None) -> None:
        found.append(Violation(kind, message, vid, job))

    if not steps or steps[0].get("type") != "start" or steps[-1].get("type") != "end":
        add("structure", "route must begin with a start step and finish with an end step")
        return found
    shift_start, shift_end = vehicle.time_window or (-math.inf, math.inf)
    clock = _number(steps[0], "arrival")
    if clock < shift_start - TOLERANCE:
        add("shift_start", f"leaves at {clock} before the shift starts at {shift_start}")

    # Physical location of each step (breaks have none: they happen where the vehicle is).
    def location_of(step: dict[str, Any]) -> int | None:
        kind = step.get("type")
        if kind == "job":
            job = jobs_by_id.get(step.get("id"))
            return job.location_index if job else None
        if kind == "end":
            return vehicle.end_index
        return None

    here = vehicle.start_index
    driven_on_leg: Number = 0
    travel_total: Number = 0
    service_total: Number = 0
    job_count = 0
    delivered = [0] * max(len(vehicle.capacity), problem.amount_size)
    breaks_by_id = {brk.id: brk for brk in vehicle.breaks}
    breaks_taken: list[int] = []
    first_job_seen = False

    for position, step in enumerate(steps[1:], start=1):
        kind = step.get("type")
        if kind == "break":
            brk = breaks_by_id.get(step.get("id"))
            if brk is None:
                add("unknown_break", f"break id {step.get('id')!r} is not defined for this vehicle")
                continue
            if brk.id in breaks_taken:
                add("duplicate_break", f"break {brk.id} is taken twice")
            breaks_taken.append(brk.id)
            next_stop = next((s for s in steps[position:] if s.get("type") != "break"), steps[-1])
            leg = _leg(problem, here, location_of(next_stop))
            begin = _start_of(step)
            if begin < clock - TOLERANCE:
                add(
                    "break_overlap",
                    f"break {brk.id} starts at {begin} before the previous step ends at {clock}",
                )
            if not _inside(begin, brk.time_windows):
                add("break_window", f"break {brk.id} starts at {begin}, outside {brk.time_windows}")
            driven_on_leg += max(0, min(begin - clock, leg - driven_on_leg))
            clock = max(clock, begin) + brk.service
            continue
        if kind not in ("job", "end"):
            add("structure", f"unexpected step type {kind!r}")
            continue
        destination = location_of(step)
        leg = _leg(problem, here, destination)
        travel_total += leg
        arrival = clock + (leg - driven_on_leg)
        driven_on_leg = 0
        here = destination
        reported_arrival = _number(step, "arrival")
        if not abs(reported_arrival - arrival) <= TOLERANCE * max(1.0, abs(arrival)):
            add(
                "arrival_mismatch",
                f"reported arrival {reported_arrival} but travel gives {arrival}",
                step.get("id") if kind == "job" else None,
            )
        if kind == "end":
            if arrival > shift_end + TOLERANCE:
                add("shift_end", f"returns at {arrival} after the shift end {shift_end}")
            break
        job = jobs_by_id.get(step.get("id"))
        if job is None:
            continue  # reported by the caller as unknown_job
        job_count += 1
        if job.in_progress and first_job_seen:
            add("in_progress", "in-progress job is not the first job of the route", job.id)
        first_job_seen = True
        if job.in_progress and job.pinned_vehicle != vid:
            add("in_progress", f"in-progress job belongs to vehicle {job.pinned_vehicle}", job.id)
        if job.pinned_vehicle is not None and job.pinned_vehicle != vid:
            add("pinned_vehicle", f"pinned to vehicle {job.pinned_vehicle}", job.id)
        if job.pinned_vehicle != vid and not job.skills <= vehicle.skills:
            add(
                "skills",
                f"needs skills {sorted(job.skills - vehicle.skills)} the vehicle lacks",
                job.id,
            )
        begin = _start_of(step)
        if begin < arrival - TOLERANCE * max(1.0, abs(arrival)):
            add("early_service", f"service starts at {begin} before arrival at {arrival}", job.id)
        if job.pinned_start is not None:
            if abs(begin - job.pinned_start) > TOLERANCE:
                add("pinned_start", f"starts at {begin}, pinned to {job.pinned_start}", job.id)
        elif not job.in_progress and job.time_windows and not _inside(begin, job.time_windows):
            add(
                "time_window",
                f"service starts at {begin}, outside {job.time_windows} (late arrival)",
                job.id,
            )
        for k, amount in enumerate(job.delivery):
            delivered[k] += amount
        service_total += job.service
        clock = max(begin, arrival) + job.service

    capacity = vehicle.capacity or [0] * len(delivered)
    for k, total in enumerate(delivered):
        limit = capacity[k] if k < len(capacity) else 0
        if total > limit:
            add("capacity", f"carries {total} in dimension {k}, capacity {limit}")
    if vehicle.max_tasks is not None and job_count > vehicle.max_tasks:
        add("max_tasks", f"{job_count} jobs, max_tasks {vehicle.max_tasks}")
    if vehicle.max_travel_time is not None and travel_total > vehicle.max_travel_time + TOLERANCE:
        add("max_travel_time", f"travels {travel_total}, max_travel_time {vehicle.max_travel_time}")
    working = travel_total + service_total
    if vehicle.max_working_time is not None and working > vehicle.max_working_time + TOLERANCE:
        add(
            "max_working_time",
            f"works {working} (travel + service), max_working_time {vehicle.max_working_time}",
        )
    if job_count:
        for brk in vehicle.breaks:
            if brk.id not in breaks_taken:
                add("missing_break", f"break {brk.id} is not in the route")
    return found
