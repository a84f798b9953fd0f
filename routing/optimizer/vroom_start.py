"""VROOM (pyvroom) as a construction heuristic for the OR-Tools search.

VROOM builds good routes quickly (regret insertion from many seeds, then local search)
and ranks solutions like we do: served priority, then jobs served, then cost. It does
not know our extensions, so the problem is translated with what it can express:

- pins become a private skill of the pinned vehicle (a pin overrides skills, as in the
  solver); a pinned start becomes a one-instant time window;
- an in-progress job is taken out and folded into its vehicle: the vehicle starts at
  the job's location once the job is done; the job is put back in front afterwards;
- SLA deadlines and `max_working_time` are not told to VROOM: each route is rescheduled
  with `schedule.build_route` and checked by `checker.check`; a route that breaks our full
  model is dropped (its jobs are left for OR-Tools to place).

The result is a `Solution` whose every route satisfies the checker.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from .checker import check
from .matrices import scaled_down, scaled_matrix, scaled_up, travel_costs
from .model import Break, Job, Problem, Route, Solution, Unassigned, Vehicle
from .objective import solution_key
from .schedule import build_route
from .vroom_json import solution_to_json

try:  # pyvroom is a pinned dependency; the solver still works without it.
    import vroom
except ImportError:  # pragma: no cover - exercised only in stripped installs
    vroom = None

# Raw routes of a construction: vehicle id -> [(step type, id, service start)], in the
# problem's units; `checked_solution` turns them into our schedule.
RawRoutes = dict[int, list[tuple[str, int, float]]]

# VROOM's heuristic parameter sets: exploration 5 uses all 32 (4 x 6 + 4 + 4); asking for
# more would read past VROOM's table.
MAX_SEARCHES = 32

# Skills used to express pins: far above any skill number a caller would use.
PIN_SKILL_BASE = 2**31


def available() -> bool:
    return vroom is not None


def _matrix(values: Any, scale: int, round_up: bool) -> np.ndarray:
    return scaled_matrix(values, scale, round_up, dtype=np.uint32)


def _sla_windows(job: Job) -> list[tuple[float, float]]:
    """The job's windows cut at its SLA deadline (service must start by it), or its own
    windows when none would be left."""
    if job.sla_deadline is None:
        return list(job.time_windows)
    windows = job.time_windows or [(0, job.sla_deadline)]
    cut = [(a, min(b, job.sla_deadline)) for a, b in windows if a <= job.sla_deadline]
    return cut or list(job.time_windows)


def _build_input(
    problem: Problem, scale: int, sla_as_deadline: bool = False
) -> tuple[Any, dict[int, Job]]:
    """Translate `problem` for VROOM; returns the input and in-progress job per vehicle.

    With `sla_as_deadline`, SLA deadlines become hard ends of the jobs' windows: VROOM
    then builds routes that are on time, leaving out what cannot be (OR-Tools puts those
    back, late). Without it, VROOM ignores SLA deadlines and minimises travel."""
    instance = vroom.Input()
    instance.set_durations_matrix("car", _matrix(problem.durations, scale, round_up=True))
    cost_models = travel_costs(problem)
    if len(cost_models) == 1:
        (costs,) = cost_models.values()
        instance.set_costs_matrix("car", _matrix(costs, scale, round_up=False))
    elif problem.distances is not None:
        instance.set_distances_matrix("car", _matrix(problem.distances, 1, round_up=False))

    in_progress = {job.pinned_vehicle: job for job in problem.jobs if job.in_progress}
    pinned_vehicles = {job.pinned_vehicle for job in problem.jobs if job.pinned_vehicle}
    size = problem.amount_size
    for position, vehicle in enumerate(problem.vehicles):
        instance.add_vehicle(
            _vehicle(
                problem,
                vehicle,
                position,
                in_progress.get(vehicle.id),
                pinned_vehicles,
                size,
                scale,
            )
        )
    position_of = {v.id: p for p, v in enumerate(problem.vehicles)}
    for job in problem.jobs:
        if job.in_progress:
            continue
        skills = (
            {PIN_SKILL_BASE + position_of[job.pinned_vehicle]}
            if job.pinned_vehicle is not None
            else set(job.skills)
        )
        if job.pinned_start is not None:
            windows = [
                vroom.TimeWindow(
                    scaled_up(job.pinned_start, scale), scaled_down(job.pinned_start, scale)
                )
            ]
        else:
            windows = [
                vroom.TimeWindow(scaled_up(a, scale), scaled_down(b, scale))
                for a, b in (_sla_windows(job) if sla_as_deadline else job.time_windows)
            ]
        delivery = list(job.delivery) + [0] * (size - len(job.delivery))
        instance.add_job(
            vroom.Job(
                job.id,
                location=job.location_index,
                default_service=scaled_up(job.service, scale),
                delivery=vroom.Amount(delivery),
                skills=skills,
                priority=job.priority,
                time_windows=windows,
            )
        )
    return instance, in_progress


def _vehicle(
    problem: Problem,
    vehicle: Vehicle,
    position: int,
    underway: Job | None,
    pinned_vehicles: set[int | None],
    amount_size: int,
    scale: int,
) -> Any:
    skills = set(vehicle.skills)
    if vehicle.id in pinned_vehicles:
        skills.add(PIN_SKILL_BASE + position)
    start_index = vehicle.start_index
    shift_start, shift_end = vehicle.time_window or (0, None)
    if underway is not None:
        shift_start = (
            shift_start
            + problem.travel_time(vehicle.start_index, underway.location_index)
            + underway.service
        )
        start_index = underway.location_index
    options: dict[str, Any] = {
        "skills": skills,
        "breaks": [_break(brk, scale) for brk in vehicle.breaks],
        "capacity": vroom.Amount(
            list(vehicle.capacity) + [0] * (amount_size - len(vehicle.capacity))
        ),
    }
    if start_index is not None:
        options["start"] = start_index
    if vehicle.end_index is not None:
        options["end"] = vehicle.end_index
    if vehicle.time_window is not None or underway is not None:
        end = scaled_down(shift_end, scale) if shift_end is not None else 2**31
        options["time_window"] = vroom.TimeWindow(scaled_up(shift_start, scale), max(end, 0))
    if vehicle.max_tasks is not None:
        options["max_tasks"] = vehicle.max_tasks
    if vehicle.max_travel_time is not None:
        options["max_travel_time"] = scaled_down(vehicle.max_travel_time, scale)
    if len({(v.per_hour, v.per_km) for v in problem.vehicles}) > 1:
        options["costs"] = vroom.VehicleCosts(
            fixed=vehicle.fixed_cost, per_hour=vehicle.per_hour, per_km=vehicle.per_km
        )
    elif vehicle.fixed_cost:
        options["costs"] = vroom.VehicleCosts(fixed=vehicle.fixed_cost * scale)
    return vroom.Vehicle(vehicle.id, **options)


def _break(brk: Break, scale: int) -> Any:
    return vroom.Break(
        brk.id,
        time_windows=[
            vroom.TimeWindow(scaled_up(a, scale), scaled_down(b, scale))
            for a, b in brk.time_windows
        ],
        service=scaled_up(brk.service, scale),
    )


def vroom_routes(
    problem: Problem,
    exploration: int,
    threads: int,
    timeout_s: float | None,
    sla_as_deadline: bool = False,
    searches: int | None = None,
    order: int = 0,
) -> dict[int, list[tuple[str, int, float]]]:
    """Raw VROOM routes: vehicle id -> [(step type, id, service start in problem units)].

    `searches`: run only VROOM's first `searches` heuristic starts, each followed by a
    local search of depth `exploration` (None: VROOM's own count for the level, 32 at
    exploration 5). VROOM splits its timeout equally between the searches of a thread,
    so on a large day a timeout cuts every one of 32 searches short; fewer searches get
    to finish theirs. `order` (see `reordered`) permutes the jobs and vehicles VROOM is
    given: its heuristics break ties by input order, so another order gives other routes
    of about the same quality, which is how several runs explore different regions."""
    scale = problem.time_scale
    instance, in_progress = _build_input(reordered(problem, order), scale, sla_as_deadline)
    timeout = dt.timedelta(seconds=timeout_s) if timeout_s is not None else None
    if searches is None:
        result = instance.solve(exploration_level=exploration, nb_threads=threads, timeout=timeout)
    else:
        result = _solve_searches(instance, searches, exploration, threads, timeout)
    routes: dict[int, list[tuple[str, int, float]]] = {}
    for route in result.to_dict().get("routes", []):
        steps = [
            (step["type"], step.get("id"), (step["arrival"] + step["waiting_time"]) / scale)
            for step in route["steps"]
            if step["type"] in ("job", "break")
        ]
        underway = in_progress.get(route["vehicle"])
        if underway is not None:
            steps.insert(0, ("job", underway.id, 0.0))
        routes[route["vehicle"]] = steps
    for vehicle_id, underway in in_progress.items():
        if vehicle_id not in routes:
            routes[vehicle_id] = [("job", underway.id, 0.0)] + [
                ("break", brk.id, brk.time_windows[0][0])
                for v in problem.vehicles
                if v.id == vehicle_id
                for brk in v.breaks
            ]
    return routes


def reordered(problem: Problem, order: int) -> Problem:
    """`problem` with its jobs and vehicles as given (order 0), reversed (1) or shuffled
    with seed `order` (2 and up). Ids are unchanged, so routes read back the same way."""
    if order == 0:
        return problem
    jobs, vehicles = list(problem.jobs), list(problem.vehicles)
    if order == 1:
        jobs.reverse()
        vehicles.reverse()
    else:
        rng = random.Random(order)
        rng.shuffle(jobs)
        rng.shuffle(vehicles)
    return replace(problem, jobs=jobs, vehicles=vehicles)


def best_of_runs(
    problem: Problem,
    deadline: float,
    searches: int,
    orders: Iterable[int],
    sla_as_deadline: bool = True,
    exploration: int = 5,
) -> tuple[RawRoutes, list[dict[str, float]]]:
    """Repeated VROOM runs on one thread, each of `searches` searches on the problem in
    the next of `orders`, until `deadline` (time.monotonic()); the best routes under the
    objective (after our schedule and checker) and a log line per run. A run starts
    only when the time left is at least 0.7 x the mean run so far (a run cut short by
    VROOM's timeout still returns routes, but usually worse ones); none starts once the
    deadline has passed ({} and an empty log then)."""
    best: RawRoutes = {}
    best_key: tuple[float, float, float] | None = None
    log: list[dict[str, float]] = []
    for order in orders:
        remaining = deadline - time.monotonic()
        if log and remaining < 0.7 * sum(r["s"] for r in log) / len(log):
            break
        if remaining <= 0.05:
            break
        begun = time.monotonic()
        routes = vroom_routes(
            problem,
            exploration,
            1,
            remaining,
            sla_as_deadline=sla_as_deadline,
            searches=searches,
            order=order,
        )
        key = solution_key(problem, checked_solution(problem, routes, ""))
        log.append({"order": order, "s": round(time.monotonic() - begun, 3), "cost": key[2]})
        if best_key is None or key < best_key:
            best, best_key = routes, key
    return best, log


def _solve_searches(
    instance: Any, searches: int, depth: int, threads: int, timeout: dt.timedelta | None
) -> Any:
    """pyvroom's `Input.solve` only takes an exploration level; its binding also has
    VROOM's (nb_searches, depth) entry point, used here the way `solve` uses the other."""
    from vroom.solution.solution import Solution as VroomSolution

    return VroomSolution(
        instance._solve(
            nb_searches=min(max(1, searches), MAX_SEARCHES),
            depth=depth,
            nb_threads=threads,
            timeout=timeout,
        )
    )


def schedule_routes(
    problem: Problem, routes: dict[int, list[tuple[str, int, float]]]
) -> list[Route]:
    """Our earliest-start schedule of each VROOM route (breaks kept in VROOM's gaps)."""
    jobs = {job.id: job for job in problem.jobs}
    scheduled: list[Route] = []
    for vehicle in problem.vehicles:
        steps = routes.get(vehicle.id)
        if not steps or not any(kind == "job" for kind, _, _ in steps):
            continue
        breaks = {brk.id: brk for brk in vehicle.breaks}
        sequence: list[Job] = []
        gaps: list[list[tuple[Break, float]]] = [[]]
        for kind, identifier, start in steps:
            if kind == "job":
                sequence.append(jobs[identifier])
                gaps.append([])
            elif identifier in breaks:
                gaps[-1].append((breaks[identifier], start))
        scheduled.append(build_route(problem, vehicle, sequence, gaps, problem.time_scale))
    return scheduled


def checked_solution(
    problem: Problem, routes: dict[int, list[tuple[str, int, float]]], reason: str
) -> Solution:
    """Schedule the routes with our semantics; keep only those the checker accepts."""
    kept: list[Route] = []
    for route in schedule_routes(problem, routes):
        rendered = solution_to_json(Solution(routes=[route], unassigned=[]), problem)
        # Only this route's own constraints matter here (missing jobs are expected).
        if not [v for v in check(problem, rendered) if v.kind != "missing_job"]:
            kept.append(route)
    served = {s.id for r in kept for s in r.steps if s.type == "job"}
    unassigned = [
        Unassigned(job.id, job.location, job.location_index, reason)
        for job in problem.jobs
        if job.id not in served
    ]
    return Solution(routes=kept, unassigned=unassigned)
