"""Regret-k parallel insertion: a construction of our own for the solver portfolio.

Jobs are inserted one at a time into the route and position that cost the least; the
job inserted next is, within the highest priority tier left, the one with the largest
regret (how much more it would cost to place it in its 2nd..k-th best route than in its
best), because a job with few good options loses them first if it waits. Jobs that fit
nowhere are left out. Inserting a job only ever tightens a route, so a job that fits
nowhere now never will and is dropped for good.

Scheduling model (conservative with respect to `schedule.build_route` and the checker):
a route is a sequence of nodes start, jobs and breaks, end. A break is a node without a
location, taken where the vehicle is: the technician waits for the break window after
the previous stop, takes the break, then drives the whole next leg. build_route lets the
break interrupt the drive instead, which never arrives later, so every schedule accepted
here is accepted there; the final routes still go through `vroom_start.checked_solution`
(our scheduler and the independent checker) and a failing route is dropped.

Every route starts with all of its vehicle's breaks (the checker wants them all in any
non-empty route); inserting jobs before or after a break is how a break finds its gap.

SLA deadlines: each priority tier is built twice, first with deadlines as hard window
ends (the jobs placed then stay on time: later insertions must respect the cut window),
then the jobs left over with their own windows and lateness costed, like VROOM's start
with `sla_as_deadline` followed by OR-Tools putting the late jobs back.

Feasibility of an insertion is O(1) per position with each route's earliest departure
(forward) and latest feasible arrival (backward) per node, evaluated for all open jobs
and all positions of a route at once with numpy.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .feasibility import prefilter
from .model import Break, Job, Number, Problem, Vehicle
from .vroom_start import RawRoutes

INF = math.inf
# Slack for float noise; the checker's own tolerance (1e-6) is larger.
EPS = 1e-9


@dataclass
class _Node:
    kind: str  # "start" | "job" | "break" | "end"
    ident: int | None  # job or break id
    location: int  # row of the extended matrices (the sentinel row for "nowhere")
    service: Number
    windows: list[tuple[Number, Number]]


@dataclass
class _Route:
    vehicle: Vehicle
    nodes: list[_Node]
    load: np.ndarray
    capacity: np.ndarray
    travel: Number = 0
    service: Number = 0
    jobs: int = 0
    # Per node: departure (earliest schedule), real location at that node (a break is
    # where the previous stop was), latest arrival keeping the rest feasible.
    departure: list[Number] = field(default_factory=list)
    real_location: list[int] = field(default_factory=list)
    latest: list[Number] = field(default_factory=list)
    # Per node: index of the next node with a location (job or end), and the breaks in
    # between (the chain a job inserted right after this node is followed by).
    next_real: list[int] = field(default_factory=list)
    first_insertable: int = 0


@dataclass(frozen=True)
class RegretResult:
    routes: RawRoutes
    seconds: float
    inserted: int
    left_out: int


def _earliest(moment: Number, windows: list[tuple[Number, Number]]) -> Number:
    """Earliest point of the windows at or after `moment` (INF if none)."""
    for start, end in windows:
        if moment <= end + EPS:
            return max(moment, start)
    return INF


def _latest(bound: Number, windows: list[tuple[Number, Number]]) -> Number:
    """Latest point of the windows at or before `bound` (-INF if none)."""
    for start, end in reversed(windows):
        if start <= bound + EPS:
            return min(bound, end)
    return -INF


class _Instance:
    """Arrays shared by every insertion evaluation."""

    def __init__(self, problem: Problem, jobs: list[Job]) -> None:
        size = len(problem.durations)
        self.nowhere = size
        self.durations = _extended(np.asarray(problem.durations, dtype=float), size)
        distances = (
            np.asarray(problem.distances, dtype=float)
            if problem.distances is not None
            else np.zeros((size, size))
        )
        self.distances = _extended(distances, size)
        self.costs: dict[tuple[int, int], np.ndarray] = {}
        for vehicle in problem.vehicles:
            key = (vehicle.per_hour, vehicle.per_km)
            if key not in self.costs:
                self.costs[key] = self.durations * (vehicle.per_hour / 3600) + self.distances * (
                    vehicle.per_km / 1000
                )
        self.jobs = jobs
        self.location = np.array([job.location_index for job in jobs], dtype=np.int64)
        self.service = np.array([float(job.service) for job in jobs])
        self.priority = np.array([job.priority for job in jobs], dtype=np.int64)
        amount = max(problem.amount_size, 1)
        self.delivery = np.zeros((len(jobs), amount))
        for j, job in enumerate(jobs):
            self.delivery[j, : len(job.delivery)] = job.delivery
        self.deadline = np.array(
            [job.sla_deadline if job.sla_deadline is not None else INF for job in jobs]
        )
        self.penalty = np.array(
            [
                float(job.sla_penalty if job.sla_penalty is not None else problem.sla_penalty)
                for job in jobs
            ]
        )
        self.soft_windows = [_service_windows(job) for job in jobs]
        self.hard_windows = [
            _cut_at_deadline(job, w) for job, w in zip(jobs, self.soft_windows, strict=True)
        ]
        self.amount = amount
        # Jobs underway stay first on their vehicle's route (checker rule).
        self.underway = {job.id for job in jobs if job.in_progress}

    def window_arrays(self, hard: bool) -> tuple[np.ndarray, np.ndarray]:
        """Windows padded to a rectangle: (starts, ends), padding never matches."""
        windows = self.hard_windows if hard else self.soft_windows
        width = max((len(w) for w in windows), default=1)
        starts = np.full((len(windows), width), INF)
        ends = np.full((len(windows), width), -INF)
        for j, job_windows in enumerate(windows):
            for w, (start, end) in enumerate(job_windows):
                starts[j, w], ends[j, w] = start, end
        return starts, ends


def _extended(matrix: np.ndarray, size: int) -> np.ndarray:
    """One more row and column of zeros: the location of a missing start or end."""
    out = np.zeros((size + 1, size + 1))
    out[:size, :size] = matrix
    return out


def _service_windows(job: Job) -> list[tuple[Number, Number]]:
    # Same rules as feasibility.service_windows (pin, job underway, no window = any
    # time), the windows sorted.
    if job.pinned_start is not None:
        return [(job.pinned_start, job.pinned_start)]
    if job.in_progress or not job.time_windows:
        return [(0, INF)]
    return sorted(job.time_windows)


def _cut_at_deadline(job: Job, windows: list[tuple[Number, Number]]) -> list[tuple[Number, Number]]:
    """Windows ending at the SLA deadline (on time), or the job's own if none is left."""
    if job.sla_deadline is None or job.in_progress:
        return windows
    cut = [(a, min(b, job.sla_deadline)) for a, b in windows if a <= job.sla_deadline]
    return cut or windows


def _empty_route(instance: _Instance, vehicle: Vehicle) -> _Route:
    nowhere = instance.nowhere
    shift = vehicle.time_window or (0, INF)
    start = vehicle.start_index if vehicle.start_index is not None else nowhere
    end = vehicle.end_index if vehicle.end_index is not None else nowhere
    breaks = sorted(vehicle.breaks, key=lambda b: min(w[0] for w in b.time_windows))
    nodes = [_Node("start", None, start, 0, [(shift[0], shift[0])])]
    nodes += [_break_node(brk, nowhere) for brk in breaks]
    nodes.append(_Node("end", None, end, 0, [(-INF, shift[1])]))
    capacity = np.zeros(instance.amount)
    capacity[: len(vehicle.capacity)] = vehicle.capacity
    route = _Route(vehicle, nodes, np.zeros(instance.amount), capacity)
    _refresh(instance, route)
    return route


def _break_node(brk: Break, nowhere: int) -> _Node:
    return _Node("break", brk.id, nowhere, brk.service, sorted(brk.time_windows))


def _refresh(instance: _Instance, route: _Route) -> None:
    """Recompute the forward and backward passes after the route changed."""
    durations = instance.durations
    nodes = route.nodes
    count = len(nodes)
    departure: list[Number] = [0.0] * count
    real: list[int] = [0] * count
    departure[0] = nodes[0].windows[0][0]
    real[0] = nodes[0].location
    for k in range(1, count):
        node = nodes[k]
        if node.kind == "break":
            real[k] = real[k - 1]
            begin = _earliest(departure[k - 1], node.windows)
        else:
            real[k] = node.location
            arrival = departure[k - 1] + durations[real[k - 1], node.location]
            begin = _earliest(arrival, node.windows) if node.kind == "job" else arrival
            if node.kind == "end" and arrival > node.windows[0][1] + EPS:
                begin = INF
        departure[k] = begin + node.service
    latest: list[Number] = [0.0] * count
    latest[-1] = nodes[-1].windows[0][1]
    for k in range(count - 2, -1, -1):
        following = nodes[k + 1]
        leg = 0 if following.kind == "break" else durations[real[k], following.location]
        bound = latest[k + 1] - leg - nodes[k].service
        latest[k] = _latest(bound, nodes[k].windows) if k else bound
    next_real = [0] * count
    upcoming = count - 1
    for k in range(count - 1, -1, -1):
        next_real[k] = upcoming
        if nodes[k].kind != "break":
            upcoming = k
    route.departure, route.real_location, route.latest, route.next_real = (
        departure,
        real,
        latest,
        next_real,
    )
    underway = count > 1 and nodes[1].kind == "job" and nodes[1].ident in instance.underway
    route.first_insertable = 1 if underway else 0


def _feasible_start(route: _Route) -> bool:
    """The route as it stands can be driven (its breaks fit the shift)."""
    return route.departure[0] <= route.latest[0] + EPS and all(d < INF for d in route.departure)


def _evaluate(
    instance: _Instance,
    route: _Route,
    open_jobs: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    soft: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest insertion of each open job into `route`: (cost, gap index), INF where none.

    Gap k means "right after node k"."""
    vehicle = route.vehicle
    costs = instance.costs[(vehicle.per_hour, vehicle.per_km)]
    durations = instance.durations
    gaps = np.arange(route.first_insertable, len(route.nodes) - 1)
    location = instance.location[open_jobs]
    service = instance.service[open_jobs]
    departure = np.array(route.departure)[gaps]
    here = np.array(route.real_location)[gaps]
    following = np.array(route.next_real)[gaps]
    there = np.array([route.nodes[m].location for m in following])
    latest_there = np.array(route.latest)[following]

    to_job = durations[here][:, location].T  # (jobs, gaps): here -> job
    from_job = durations[location][:, there]
    arrival = departure[None, :] + to_job
    begin = np.full(arrival.shape, INF)
    job_starts, job_ends = starts[open_jobs], ends[open_jobs]
    for w in range(starts.shape[1]):
        candidate = np.maximum(arrival, job_starts[:, w, None])
        fits = candidate <= job_ends[:, w, None] + EPS
        begin = np.where(fits & (candidate < begin), candidate, begin)
    leave = begin + service[:, None]
    # Gaps followed by breaks: the breaks now come after the job, at its place.
    for g, k in enumerate(gaps):
        for m in range(k + 1, following[g]):
            brk = route.nodes[m]
            leave[:, g] = _earliest_many(leave[:, g], brk.windows) + brk.service
    ok = leave + from_job <= latest_there[None, :] + EPS

    detour = to_job + from_job - durations[here, there][None, :]
    ok &= _route_limits(route, detour, service)
    extra = costs[here][:, location].T + costs[location][:, there] - costs[here, there][None, :]
    if route.jobs == 0:
        extra = extra + vehicle.fixed_cost
    if soft:
        deadline = instance.deadline[open_jobs, None]
        timely = np.isfinite(deadline) & np.isfinite(begin)
        late = np.where(timely, begin, 0.0) - np.where(timely, deadline, 0.0)
        extra = extra + np.maximum(0.0, late) * instance.penalty[open_jobs, None]
    fits_route = _fits_load(instance, route, open_jobs)
    extra = np.where(ok & fits_route[:, None], extra, INF)
    if extra.shape[1] == 0:
        return np.full(len(open_jobs), INF), np.zeros(len(open_jobs), dtype=np.int64)
    best = np.argmin(extra, axis=1)
    return extra[np.arange(len(open_jobs)), best], gaps[best]


def _earliest_many(moments: np.ndarray, windows: list[tuple[Number, Number]]) -> np.ndarray:
    out = np.full(moments.shape, INF)
    for start, end in reversed(windows):
        candidate = np.maximum(moments, start)
        out = np.where(candidate <= end + EPS, candidate, out)
    return out


def _route_limits(route: _Route, detour: np.ndarray, service: np.ndarray) -> np.ndarray:
    """max_travel_time, max_working_time and max_tasks after the insertion."""
    vehicle = route.vehicle
    ok = np.ones(detour.shape, dtype=bool)
    if vehicle.max_travel_time is not None:
        ok &= route.travel + detour <= vehicle.max_travel_time + EPS
    if vehicle.max_working_time is not None:
        working = route.travel + route.service + detour + service[:, None]
        ok &= working <= vehicle.max_working_time + EPS
    if vehicle.max_tasks is not None and route.jobs + 1 > vehicle.max_tasks:
        ok &= False
    return ok


def _fits_load(instance: _Instance, route: _Route, open_jobs: np.ndarray) -> np.ndarray:
    total = route.load[None, :] + instance.delivery[open_jobs]
    return np.all(total <= route.capacity[None, :] + EPS, axis=1)


def _insert(instance: _Instance, route: _Route, j: int, gap: int, hard: bool) -> None:
    job = instance.jobs[j]
    windows = instance.hard_windows[j] if hard else instance.soft_windows[j]
    node = _Node("job", job.id, job.location_index, job.service, windows)
    here = route.real_location[gap]
    there = route.nodes[route.next_real[gap]].location
    durations = instance.durations
    route.travel += (
        durations[here, node.location] + durations[node.location, there] - durations[here, there]
    )
    route.service += job.service
    route.jobs += 1
    route.load = route.load + instance.delivery[j]
    route.nodes.insert(gap + 1, node)
    _refresh(instance, route)


def regret_routes(
    problem: Problem,
    allowed: dict[int, list[int]] | None = None,
    k: int = 3,
    deadline: float | None = None,
) -> RegretResult:
    """Regret-k insertion routes for `problem`, as raw routes for `checked_solution`.

    `allowed`: job id -> positions of the vehicles that may serve it (feasibility.prefilter);
    jobs not in it are left out. `deadline` (time.monotonic()): stop inserting then and
    return what is built."""
    begun = time.monotonic()
    if allowed is None:
        allowed = prefilter(problem)[1]
    jobs = [job for job in problem.jobs if job.id in allowed]
    instance = _Instance(problem, jobs)
    routes = _construct(instance, problem, allowed, k, deadline)
    raw: RawRoutes = {}
    inserted = 0
    for route in routes:
        if route.jobs == 0:
            continue
        inserted += route.jobs
        raw[route.vehicle.id] = [
            (node.kind, node.ident, float(route.departure[i] - node.service))
            for i, node in enumerate(route.nodes)
            if node.kind in ("job", "break")
        ]
    return RegretResult(raw, time.monotonic() - begun, inserted, len(problem.jobs) - inserted)


def _construct(
    instance: _Instance,
    problem: Problem,
    allowed: dict[int, list[int]],
    k: int,
    deadline: float | None,
) -> list[_Route]:
    routes = [_empty_route(instance, v) for v in problem.vehicles]
    usable = [_feasible_start(route) for route in routes]
    allowed_mask = np.zeros((len(instance.jobs), len(routes)), dtype=bool)
    for j, job in enumerate(instance.jobs):
        for p in allowed[job.id]:
            allowed_mask[j, p] = usable[p]
    placed = np.zeros(len(instance.jobs), dtype=bool)
    # Jobs underway are first on their vehicle whatever happens (checker rule).
    for j, job in enumerate(instance.jobs):
        if job.in_progress and allowed[job.id]:
            route = routes[allowed[job.id][0]]
            _insert(instance, route, j, 0, hard=False)
            placed[j] = True
    has_sla = bool(np.isfinite(instance.deadline).any())
    for tier in sorted(set(instance.priority.tolist()), reverse=True):
        for hard in (True, False) if has_sla else (False,):
            members = np.flatnonzero((instance.priority == tier) & ~placed)
            _fill(instance, routes, members, allowed_mask, placed, hard, k, deadline)
    return routes


def _fill(
    instance: _Instance,
    routes: list[_Route],
    members: np.ndarray,
    allowed_mask: np.ndarray,
    placed: np.ndarray,
    hard: bool,
    k: int,
    deadline: float | None,
) -> None:
    """Insert `members` (one priority tier) by regret until none fits anywhere."""
    if len(members) == 0:
        return
    starts, ends = instance.window_arrays(hard)
    soft = not hard
    cost = np.full((len(members), len(routes)), INF)
    gap = np.zeros((len(members), len(routes)), dtype=np.int64)
    for p, route in enumerate(routes):
        _update_column(instance, route, p, members, allowed_mask, starts, ends, soft, cost, gap)
    open_rows = np.ones(len(members), dtype=bool)
    while True:
        if deadline is not None and time.monotonic() > deadline:
            return
        open_rows &= np.isfinite(cost).any(axis=1)
        if not open_rows.any():
            return
        empty = np.array([route.jobs == 0 for route in routes])
        row = _pick(cost, open_rows, k, empty)
        p = int(np.argmin(cost[row]))
        j = int(members[row])
        _insert(instance, routes[p], j, int(gap[row, p]), hard)
        placed[j] = True
        open_rows[row] = False
        cost[row, :] = INF
        _update_column(
            instance, routes[p], p, members, allowed_mask, starts, ends, soft, cost, gap, open_rows
        )


def _update_column(
    instance: _Instance,
    route: _Route,
    p: int,
    members: np.ndarray,
    allowed_mask: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    soft: bool,
    cost: np.ndarray,
    gap: np.ndarray,
    open_rows: np.ndarray | None = None,
) -> None:
    rows = np.flatnonzero(allowed_mask[members, p])
    if open_rows is not None:
        cost[~open_rows, p] = INF
        rows = rows[open_rows[rows]]
    cost[:, p] = INF
    if len(rows) == 0:
        return
    best, where = _evaluate(instance, route, members[rows], starts, ends, soft)
    cost[rows, p] = best
    gap[rows, p] = where


def _pick(cost: np.ndarray, open_rows: np.ndarray, k: int, empty: np.ndarray) -> int:
    """Row of the open job with the largest regret-k; ties go to the cheapest insertion.

    All empty routes count as one option (the cheapest of them): with a fleet of idle
    technicians every job would otherwise see k equal "new route" options and regret 0,
    and the order would fall back to cheapest-first."""
    candidates = np.flatnonzero(open_rows)
    sub = cost[candidates]
    if empty.any():
        fresh = sub[:, empty].min(axis=1, keepdims=True)
        sub = np.concatenate([sub[:, ~empty], fresh], axis=1)
    width = min(k, sub.shape[1])
    smallest = (
        np.sort(sub, axis=1)[:, :width]
        if sub.shape[1] <= 64
        else np.sort(np.partition(sub, width - 1, axis=1)[:, :width], axis=1)
    )
    best = smallest[:, 0]
    others = smallest[:, 1:]
    # A job with fewer than k feasible routes goes first (fewest options first), then
    # the largest regret over the options it has.
    missing = (~np.isfinite(others)).sum(axis=1)
    regret = np.where(np.isfinite(others), others - best[:, None], 0.0).sum(axis=1)
    # lexsort: last key first.
    order = np.lexsort((best, -regret, -missing))
    return int(candidates[order[0]])
