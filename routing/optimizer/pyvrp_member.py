"""PyVRP (MIT) as a portfolio member: its iterated local search on the problems it can
express exactly, run beside our OR-Tools search on the second core.

PyVRP is the strongest open solver for time-windowed routing we measured (Solomon mean
gap 0.15 % at 5 s against OR-Tools' 1.9 %), but it does not model everything a field day
has. A problem is handed to it only when nothing would be lost in translation
(`unsupported_reason` says why not otherwise):

- no breaks, pins, pinned starts or jobs underway;
- at most one time window per job;
- every vehicle starts and ends at a location (no open routes);
- no `max_travel_time` or `max_tasks`.

`max_working_time` (travel + service) becomes PyVRP's `shift_duration`, which also counts
waiting: stricter than our rule, so what PyVRP returns stays feasible for us; where
waiting matters the OR-Tools member will do better, and the better one wins.

What PyVRP does not see is still judged: skills become routing profiles whose arcs into
a job the vehicle may not serve cost more than any route, SLA deadlines are left out of
its search but counted when the portfolio compares solutions, and every route is
rescheduled with our semantics and checked by `checker.check` (`vroom_start.
checked_solution`), so a route breaking our model is never returned.

Every job is optional with a prize equal to its drop penalty (`objective.py`), so PyVRP
optimises the same lexicographic order: served priority, then jobs, then cost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from .matrices import scaled_down, scaled_matrix, scaled_up, travel_costs
from .model import Problem, Vehicle
from .objective import drop_penalties
from .vroom_start import RawRoutes

try:  # pinned dependency; the solver still works without it.
    import pyvrp
except ImportError:  # pragma: no cover - exercised only in stripped installs
    pyvrp = None


def available() -> bool:
    return pyvrp is not None


def unsupported_reason(problem: Problem) -> str | None:
    """Why PyVRP cannot be given `problem` exactly, or None when it can."""
    if not available():
        return "pyvrp is not installed"
    for job in problem.jobs:
        if job.pinned_vehicle is not None or job.pinned_start is not None or job.in_progress:
            return "pinned or underway jobs"
        if len(job.time_windows) > 1:
            return "several time windows on a job"
        if job.time_windows and _narrow(job.time_windows[0], problem.time_scale):
            return "a window narrower than the time grid"
    for vehicle in problem.vehicles:
        if vehicle.breaks:
            return "breaks"
        if vehicle.start_index is None or vehicle.end_index is None:
            return "open routes"
        if vehicle.max_travel_time is not None or vehicle.max_tasks is not None:
            return "max_travel_time or max_tasks"
        if vehicle.time_window is not None and _narrow(vehicle.time_window, problem.time_scale):
            return "a window narrower than the time grid"
    if prizes(problem) is None:
        return "priorities or times too large for PyVRP's integers"
    return None


def _narrow(window: tuple[float, float], scale: int) -> bool:
    """Rounding inwards (early up, late down) would leave nothing of the window."""
    return scaled_up(window[0], scale) > scaled_down(window[1], scale)


def _vehicle_groups(problem: Problem) -> Iterator[list[Vehicle]]:
    """Vehicles PyVRP can treat as one type (same depots, shift, capacity, skills, costs),
    in problem order."""
    groups: dict[tuple, list[Vehicle]] = {}
    for vehicle in problem.vehicles:
        key = (
            vehicle.start_index,
            vehicle.end_index,
            vehicle.time_window,
            tuple(vehicle.capacity),
            vehicle.skills,
            vehicle.fixed_cost,
            vehicle.per_hour,
            vehicle.per_km,
            vehicle.max_working_time,
        )
        groups.setdefault(key, []).append(vehicle)
    yield from groups.values()


def _build(problem: Problem, job_prizes: list[int]) -> tuple[Any, list[list[Vehicle]]]:
    scale = problem.time_scale
    # PyVRP separates depots (first) and clients; each gets its own location row, so a
    # job sharing a vehicle's address is still a separate client.
    depot_rows = sorted(
        {v.start_index for v in problem.vehicles} | {v.end_index for v in problem.vehicles}
    )
    depot_of = {row: position for position, row in enumerate(depot_rows)}
    rows = depot_rows + [job.location_index for job in problem.jobs]
    durations = scaled_matrix(problem.durations, scale, round_up=True)[np.ix_(rows, rows)]
    costs_by_model = travel_costs(problem)
    groups = list(_vehicle_groups(problem))
    cost_models = sorted({(g[0].per_hour, g[0].per_km) for g in groups})
    skill_sets = sorted({g[0].skills for g in groups}, key=sorted)
    # An arc into a job the vehicle may not serve costs more than any job's prize, and a
    # prize exceeds any route's travel: leaving the job out is always cheaper.
    forbidden = 2 * max(job_prizes, default=0) + 1
    profiles: dict[tuple, int] = {}
    distance_matrices: list[np.ndarray] = []
    duration_matrices: list[np.ndarray] = []
    for cost_model in cost_models:
        costs = scaled_matrix(costs_by_model[cost_model], scale, round_up=False)[np.ix_(rows, rows)]
        for skills in skill_sets:
            matrix = costs.copy()
            for position, job in enumerate(problem.jobs):
                if not job.skills <= skills:
                    matrix[:, len(depot_rows) + position] = forbidden
            np.fill_diagonal(matrix, 0)
            profiles[(cost_model, skills)] = len(distance_matrices)
            distance_matrices.append(matrix)
            duration_matrices.append(durations)

    locations = [pyvrp.Location(0, 0) for _ in rows]
    depots = [pyvrp.Depot(location=position) for position in range(len(depot_rows))]
    size = problem.amount_size
    clients = []
    for position, job in enumerate(problem.jobs):
        early, late = job.time_windows[0] if job.time_windows else (0, None)
        delivery = list(job.delivery) + [0] * (size - len(job.delivery))
        clients.append(
            pyvrp.Client(
                location=len(depot_rows) + position,
                delivery=delivery,
                service_duration=scaled_up(job.service, scale),
                tw_early=scaled_up(early, scale),
                tw_late=scaled_down(late, scale) if late is not None else pyvrp.constants.MAX_VALUE,
                prize=job_prizes[position],
                required=False,
            )
        )
    vehicle_types = []
    for group in groups:
        first = group[0]
        shift_start, shift_end = first.time_window or (0, None)
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(group),
                capacity=list(first.capacity) + [0] * (size - len(first.capacity)),
                start_depot=depot_of[first.start_index],
                end_depot=depot_of[first.end_index],
                fixed_cost=first.fixed_cost * scale,
                tw_early=scaled_up(shift_start, scale),
                tw_late=(
                    scaled_down(shift_end, scale)
                    if shift_end is not None
                    else pyvrp.constants.MAX_VALUE
                ),
                shift_duration=(
                    scaled_down(first.max_working_time, scale)
                    if first.max_working_time is not None
                    else pyvrp.constants.MAX_VALUE
                ),
                unit_distance_cost=1,
                unit_duration_cost=0,
                profile=profiles[((first.per_hour, first.per_km), first.skills)],
            )
        )
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=distance_matrices,
        duration_matrices=duration_matrices,
    )
    return data, groups


def prizes(problem: Problem) -> list[int] | None:
    """Each job's prize: its drop penalty under our objective without lateness, which
    PyVRP does not see (objective.py); None when the prizes would not fit PyVRP's
    integers."""
    scale = problem.time_scale
    costs = travel_costs(problem)
    max_arc = max(int(np.ceil(matrix.max() * scale)) for matrix in costs.values())
    travel_bound = (len(problem.jobs) + len(problem.vehicles)) * max(1, max_arc) + scale * sum(
        v.fixed_cost for v in problem.vehicles
    )
    penalties = drop_penalties(
        len(problem.jobs), max((j.priority for j in problem.jobs), default=0), travel_bound, 0
    )
    values = [penalties.of(job.priority) for job in problem.jobs]
    # PyVRP bounds each value (sums are int64: 1,000 jobs at this bound still fit); the
    # forbidden arcs of `_build` cost twice the largest prize.
    ceiling = 2 * max(values, default=0) + 1
    if not penalties.strict or ceiling > pyvrp.constants.MAX_VALUE:
        return None
    # The penalty per unit of lateness or overload is up to `ceiling` (pyvrp_routes):
    # times the worst possible violation it must stay inside int64.
    durations = np.asarray(problem.durations, dtype=np.float64)
    ends = [b for j in problem.jobs for _, b in j.time_windows] + [
        v.time_window[1] for v in problem.vehicles if v.time_window is not None
    ]
    worst_time = scale * (
        sum(j.service for j in problem.jobs)
        + (len(problem.jobs) + len(problem.vehicles)) * float(durations.max(initial=0))
        + max(ends, default=0)
    )
    worst_load = sum(sum(j.delivery) for j in problem.jobs)
    if ceiling * (worst_time + worst_load + 1) >= 2**62:
        return None
    return values


class _Deadline:
    """PyVRP stopping criterion on the wall clock: its own MaxRuntime starts counting
    only once the search loop runs, after the data, neighbourhoods and first descent
    (about half a second on 1,000 jobs)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, best_cost: float) -> bool:
        return time.time() >= self.deadline


def pyvrp_routes(problem: Problem, deadline: float, seed: int = 1) -> RawRoutes:
    """PyVRP's best routes found by `deadline` (time.time()): vehicle id ->
    [("job", id, 0.0)] (our schedule is recomputed from the order). Call only when
    `unsupported_reason` is None."""
    values = prizes(problem)
    assert values is not None
    data, groups = _build(problem, values)
    # Serving one more job is worth up to its prize: a unit of lateness or overload must
    # cost more, or the search settles on infeasible routes (PyVRP's default ceiling is
    # 1e5 per unit, below our prizes).
    params = pyvrp.SolveParams(penalty=pyvrp.PenaltyParams(max_penalty=2.0 * max(values) + 1))
    result = pyvrp.solve(
        data, stop=_Deadline(deadline), seed=seed, collect_stats=False, params=params
    )
    routes: RawRoutes = {}
    used = [0] * len(groups)
    for route in result.best.routes():
        group_index = route.vehicle_type()
        vehicle = groups[group_index][used[group_index]]
        used[group_index] += 1
        # A client activity's idx is the client's position, i.e. the job's.
        routes[vehicle.id] = [
            ("job", problem.jobs[activity.idx].id, 0.0)
            for activity in route
            if activity.is_client()
        ]
    return routes
