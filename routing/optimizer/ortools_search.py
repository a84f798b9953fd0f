"""OR-Tools routing model for a `Problem`, its search, and the routes read back from an
assignment.

Design notes (why, not what):
- Transit costs come from precomputed integer matrices registered with
  `RegisterTransitMatrix`, so OR-Tools never calls back into Python while searching.
- OR-Tools only handles integers: times and matrices are multiplied by `time_scale`.
  Travel times are rounded *up* so a schedule feasible for OR-Tools is feasible with
  the exact values; costs are rounded to nearest so the objective is unbiased.
- Every job is optional (a disjunction) with a penalty larger than any detour or SLA
  lateness could cost, growing with priority: a job is dropped only when it does not
  fit, and lower priorities go first.
- The reported schedule is recomputed in the problem's own units from the route order
  and break placement (earliest start everywhere, `schedule.build_route`), not read
  from OR-Tools' integer cumul variables; that avoids rounding artefacts and gives the
  technician no idle departure. `checker.py` verifies it independently.

The driver (`solver.py`) decides what to search from and for how long; this module
does not import it: the search reads its knobs from the `SearchOptions` it is given
(`SearchKnobs` lists which).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2
from ortools.util import optional_boolean_pb2

from .feasibility import drop_reason, service_windows
from .matrices import as_array
from .model import Break, Job, Number, Problem, Route, Solution, Unassigned
from .objective import DropPenalties, describe_key, drop_penalties, solution_key
from .schedule import build_route

# Longest complete search tried on tiny problems before the heuristic search.
EXACT_BUDGET_S = 1.0

FIRST_SOLUTION_STRATEGIES = tuple(routing_enums_pb2.FirstSolutionStrategy.Value.keys())
METAHEURISTICS = tuple(routing_enums_pb2.LocalSearchMetaheuristic.Value.keys())


class SearchKnobs(Protocol):
    """The fields of `solver.SearchOptions` the search reads (see there for what they
    mean); the driver passes its options as they are."""

    @property
    def first_solutions(self) -> tuple[str, ...]: ...
    @property
    def start_share(self) -> float: ...
    @property
    def metaheuristic(self) -> str: ...
    @property
    def guided_local_search_lambda(self) -> float: ...
    @property
    def solution_limit(self) -> int | None: ...
    @property
    def log_search(self) -> bool: ...
    @property
    def extra_operators(self) -> tuple[str, ...]: ...
    @property
    def parameter_overrides(self) -> tuple[tuple[str, object], ...]: ...
    @property
    def iterated_local_search(self) -> bool: ...
    @property
    def ortools_starts_up_to(self) -> int: ...


@dataclass
class OrToolsModel:
    """Everything needed to translate OR-Tools indices back to the problem."""

    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time_dimension: pywrapcp.RoutingDimension
    modelled_jobs: list[Job]
    scale: int
    breaks: dict[str, tuple[int, Break]] = field(default_factory=dict)
    penalties: DropPenalties = field(default_factory=lambda: DropPenalties(1, 1))
    allowed_vehicles: dict[int, list[int]] = field(default_factory=dict)


def _node_layout(
    problem: Problem, jobs: list[Job]
) -> tuple[list[int | None], list[int], list[int]]:
    """Location index of each OR-Tools node (jobs first, then one node per distinct depot
    location) and each vehicle's start and end node. Sharing depot nodes between vehicles
    lets OR-Tools see identical vehicles, which makes its local search markedly faster."""
    nodes: list[int | None] = [job.location_index for job in jobs]
    depot_node: dict[int | None, int] = {}

    def node_for(location_index: int | None) -> int:
        if location_index not in depot_node:
            depot_node[location_index] = len(nodes)
            nodes.append(location_index)
        return depot_node[location_index]

    starts = [node_for(v.start_index) for v in problem.vehicles]
    ends = [node_for(v.end_index) for v in problem.vehicles]
    return nodes, starts, ends


def _node_matrix(
    matrix: Sequence[Sequence[Number]], nodes: list[int | None], scale: int, round_up: bool
) -> np.ndarray:
    """Scaled integer matrix between nodes; a missing start/end location costs nothing."""
    base = as_array(matrix) if not isinstance(matrix, np.ndarray) else matrix
    present = np.array([n if n is not None else 0 for n in nodes], dtype=np.int64)
    values = base[np.ix_(present, present)] * scale
    # The epsilon absorbs binary noise such as 5.000000000000001 * 1000.
    values = np.ceil(values - 1e-6) if round_up else np.rint(values)
    values = values.astype(np.int64)
    missing = np.array([n is None for n in nodes])
    values[missing, :] = 0
    values[:, missing] = 0
    return values


def build_model(
    problem: Problem, jobs: list[Job], allowed: dict[int, list[int]], scale: int
) -> OrToolsModel:
    """The routing model of `jobs` (those the prefilter kept; `allowed`: the vehicle
    positions of each), times and costs multiplied by `scale`."""
    vehicle_count = len(problem.vehicles)
    nodes, starts, ends = _node_layout(problem, jobs)
    manager = pywrapcp.RoutingIndexManager(len(nodes), vehicle_count, starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    travel = _node_matrix(problem.durations, nodes, scale, round_up=True)
    service = np.zeros(len(nodes), dtype=np.int64)
    for n, job in enumerate(jobs):
        service[n] = math.ceil(job.service * scale - 1e-6)
    # Time transit includes the service at the origin, the usual OR-Tools convention.
    time_callback = routing.RegisterTransitMatrix((travel + service[:, None]).tolist())

    cost_callbacks = _register_costs(problem, routing, nodes, scale)
    max_arc_cost = max(largest for _, largest in cost_callbacks.values())
    if len(cost_callbacks) == 1:
        routing.SetArcCostEvaluatorOfAllVehicles(next(iter(cost_callbacks.values()))[0])
    for v, vehicle in enumerate(problem.vehicles):
        if len(cost_callbacks) > 1:
            routing.SetArcCostEvaluatorOfVehicle(
                cost_callbacks[(vehicle.per_hour, vehicle.per_km)][0], v
            )
        if vehicle.fixed_cost:
            routing.SetFixedCostOfVehicle(vehicle.fixed_cost * scale, v)

    horizon = _horizon(problem, jobs, travel, service, scale)
    routing.AddDimension(time_callback, horizon, horizon, False, "time")
    time_dimension = routing.GetDimensionOrDie("time")
    model = OrToolsModel(manager, routing, time_dimension, jobs, scale)

    _add_vehicle_shifts(problem, model, horizon)
    lateness_bound = _add_job_windows(problem, model, jobs)
    _add_capacities(problem, routing, jobs, nodes)
    _add_max_tasks(problem, routing, jobs, nodes)
    _add_max_travel_time(problem, routing, travel, scale)
    _add_max_working_time(problem, routing, time_callback, travel, service, scale)
    _add_breaks(problem, model, service)

    # Lexicographic objective (objective.py): priority served, then jobs served, then
    # lateness, then travel, encoded in the drop penalties.
    travel_bound = (len(jobs) + vehicle_count) * max_arc_cost + scale * sum(
        v.fixed_cost for v in problem.vehicles
    )
    model.penalties = drop_penalties(
        len(jobs), max((job.priority for job in jobs), default=0), travel_bound, lateness_bound
    )
    for n, job in enumerate(jobs):
        index = manager.NodeToIndex(n)
        vehicles = allowed[job.id]
        model.allowed_vehicles[job.id] = vehicles
        if len(vehicles) < vehicle_count:
            # (SetAllowedVehiclesForIndex's SWIG binding rejects Python lists in 9.15.)
            routing.VehicleVar(index).SetValues([-1, *vehicles])
        if job.in_progress:
            v = vehicles[0]
            routing.NextVar(routing.Start(v)).SetValue(index)
        else:
            routing.AddDisjunction([index], model.penalties.of(job.priority))
    return model


def _register_costs(
    problem: Problem, routing: pywrapcp.RoutingModel, nodes: list[int | None], scale: int
) -> dict[tuple[int, int], tuple[int, int]]:
    """One matrix callback per distinct (per_hour, per_km) pair: fewer vehicle classes."""
    callbacks: dict[tuple[int, int], tuple[int, int]] = {}
    durations = as_array(problem.durations)
    distances = (
        as_array(problem.distances) if problem.distances is not None else np.zeros_like(durations)
    )
    for vehicle in problem.vehicles:
        key = (vehicle.per_hour, vehicle.per_km)
        if key in callbacks:
            continue
        cost = durations * (vehicle.per_hour / 3600) + distances * (vehicle.per_km / 1000)
        matrix = _node_matrix(cost, nodes, scale, round_up=False)
        callbacks[key] = (routing.RegisterTransitMatrix(matrix.tolist()), int(matrix.max()))
    return callbacks


def _horizon(
    problem: Problem, jobs: list[Job], travel: np.ndarray, service: np.ndarray, scale: int
) -> int:
    latest = [v.time_window[1] for v in problem.vehicles if v.time_window is not None]
    latest += [w[1] for job in jobs for w in job.time_windows]
    latest += [job.pinned_start for job in jobs if job.pinned_start is not None]
    latest += [b.time_windows[-1][1] for v in problem.vehicles for b in v.breaks]
    # Room for a whole serial tour after the latest fixed time, for unbounded shifts.
    slack = int(travel.max(initial=0)) * (len(jobs) + 1) + int(service.sum())
    slack += sum(b.service for v in problem.vehicles for b in v.breaks) * scale
    if all(v.time_window is not None for v in problem.vehicles):
        return math.ceil(max(latest) * scale) + 1
    return math.ceil(max(latest, default=0) * scale) + int(slack) + 1


def _add_vehicle_shifts(problem: Problem, model: OrToolsModel, horizon: int) -> None:
    routing, time_dimension, scale = model.routing, model.time_dimension, model.scale
    for v, vehicle in enumerate(problem.vehicles):
        if vehicle.time_window is None:
            continue
        start, end = vehicle.time_window
        lower, upper = math.ceil(start * scale), math.floor(end * scale)
        time_dimension.CumulVar(routing.Start(v)).SetRange(lower, upper)
        time_dimension.CumulVar(routing.End(v)).SetRange(lower, upper)


def _add_job_windows(problem: Problem, model: OrToolsModel, jobs: list[Job]) -> int:
    """Hard windows (with gaps removed) and soft SLA deadlines; returns an upper bound of
    the total lateness cost of any solution (scaled units)."""
    _routing, time_dimension, scale = model.routing, model.time_dimension, model.scale
    manager = model.manager
    lateness_bound = 0
    for n, job in enumerate(jobs):
        index = manager.NodeToIndex(n)
        cumul = time_dimension.CumulVar(index)
        windows = service_windows(job)
        if windows[0][1] != math.inf:
            first_start = math.ceil(windows[0][0] * scale)
            last_end = math.floor(windows[-1][1] * scale)
            cumul.SetRange(first_start, last_end)
            for (_, gap_start), (gap_end, _) in itertools.pairwise(windows):
                cumul.RemoveInterval(
                    math.floor(gap_start * scale) + 1, math.ceil(gap_end * scale) - 1
                )
        if job.sla_deadline is not None:
            penalty = job.sla_penalty if job.sla_penalty is not None else problem.sla_penalty
            if penalty > 0:
                deadline = math.floor(job.sla_deadline * scale)
                time_dimension.SetCumulVarSoftUpperBound(index, deadline, penalty)
                lateness_bound += max(0, cumul.Max() - deadline) * penalty
    return lateness_bound


def _add_capacities(
    problem: Problem, routing: pywrapcp.RoutingModel, jobs: list[Job], nodes: list[int | None]
) -> None:
    for k in range(problem.amount_size):
        demands = [0] * len(nodes)
        for n, job in enumerate(jobs):
            demands[n] = job.delivery[k] if k < len(job.delivery) else 0
        capacities = [v.capacity[k] if k < len(v.capacity) else 0 for v in problem.vehicles]
        callback = routing.RegisterUnaryTransitVector(demands)
        routing.AddDimensionWithVehicleCapacity(callback, 0, capacities, True, f"load{k}")


def _add_max_tasks(
    problem: Problem, routing: pywrapcp.RoutingModel, jobs: list[Job], nodes: list[int | None]
) -> None:
    if all(v.max_tasks is None for v in problem.vehicles):
        return
    counts = [1 if n < len(jobs) else 0 for n in range(len(nodes))]
    limits = [v.max_tasks if v.max_tasks is not None else len(jobs) for v in problem.vehicles]
    callback = routing.RegisterUnaryTransitVector(counts)
    routing.AddDimensionWithVehicleCapacity(callback, 0, limits, True, "tasks")


def _add_max_travel_time(
    problem: Problem, routing: pywrapcp.RoutingModel, travel: np.ndarray, scale: int
) -> None:
    if all(v.max_travel_time is None for v in problem.vehicles):
        return
    unbounded = int(travel.sum(axis=1).max()) + 1
    limits = [
        math.floor(v.max_travel_time * scale) if v.max_travel_time is not None else unbounded
        for v in problem.vehicles
    ]
    callback = routing.RegisterTransitMatrix(travel.tolist())
    routing.AddDimensionWithVehicleCapacity(callback, 0, limits, True, "travel")


def _add_max_working_time(
    problem: Problem,
    routing: pywrapcp.RoutingModel,
    time_callback: int,
    travel: np.ndarray,
    service: np.ndarray,
    scale: int,
) -> None:
    """Working time = travel + service (the time transit without waiting or breaks)."""
    if all(v.max_working_time is None for v in problem.vehicles):
        return
    unbounded = int(travel.sum(axis=1).max()) + int(service.sum()) + 1
    limits = [
        math.floor(v.max_working_time * scale) if v.max_working_time is not None else unbounded
        for v in problem.vehicles
    ]
    routing.AddDimensionWithVehicleCapacity(time_callback, 0, limits, True, "work")


def _add_breaks(problem: Problem, model: OrToolsModel, service: np.ndarray) -> None:
    routing, time_dimension, scale = model.routing, model.time_dimension, model.scale
    if not any(v.breaks for v in problem.vehicles):
        return
    solver = routing.solver()
    manager = model.manager
    # Breaks may not overlap a job's service; they may interrupt travel.
    visit_transits = [int(service[manager.IndexToNode(i)]) for i in range(routing.Size())]
    for v, vehicle in enumerate(problem.vehicles):
        intervals = []
        for brk in vehicle.breaks:
            earliest = math.ceil(brk.time_windows[0][0] * scale)
            latest = math.floor(brk.time_windows[-1][1] * scale)
            duration = math.ceil(brk.service * scale)
            name = f"break:{v}:{brk.id}"
            interval = solver.FixedDurationIntervalVar(earliest, latest, duration, False, name)
            start_var = interval.StartExpr().Var()
            for (_, gap_start), (gap_end, _) in zip(
                brk.time_windows, brk.time_windows[1:], strict=False
            ):
                start_var.RemoveInterval(
                    math.floor(gap_start * scale) + 1, math.ceil(gap_end * scale) - 1
                )
            # Keep the break inside the working day (OR-Tools would allow it after the end).
            solver.Add(interval.StartExpr() >= time_dimension.CumulVar(routing.Start(v)))
            solver.Add(interval.EndExpr() <= time_dimension.CumulVar(routing.End(v)))
            intervals.append(interval)
            model.breaks[name] = (v, brk)
        time_dimension.SetBreakIntervalsOfVehicle(intervals, v, visit_transits)


def _routes_of(model: OrToolsModel, assignment: object) -> list[list[int]]:
    routing = model.routing
    routes = []
    for v in range(routing.vehicles()):
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(index):
            route.append(index)
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return routes


def warm_indices(
    problem: Problem,
    model: OrToolsModel,
    routes: dict[int, list[int]],
    allowed: dict[int, list[int]],
) -> list[list[int]]:
    """Routes as OR-Tools indices, without jobs the model does not allow there (a lock
    chain that contradicts the model would be rejected as a whole)."""
    node_of_job = {job.id: n for n, job in enumerate(model.modelled_jobs)}
    return [
        [
            model.manager.NodeToIndex(node_of_job[job_id])
            for job_id in routes.get(vehicle.id, [])
            if job_id in node_of_job and position in allowed.get(job_id, [])
        ]
        for position, vehicle in enumerate(problem.vehicles)
    ]


def search(
    model: OrToolsModel,
    options: SearchKnobs,
    deadline: float,
    warm_routes: list[list[int]] | None = None,
) -> tuple[object | None, list[dict[str, object]]]:
    """Descend from each construction heuristic, then run the metaheuristic from the best."""
    routing = model.routing
    log: list[dict[str, object]] = []
    # With a solution limit the run should not depend on CPU speed: descents then run to
    # their local optimum instead of sharing a slice of the clock.
    share = 1.0 if options.solution_limit is not None else options.start_share
    start_budget = max(0.0, deadline - time.monotonic()) * share
    start_deadline = time.monotonic() + start_budget
    best_routes: list[list[int]] | None = None
    best_objective = math.inf
    strategies = list(options.first_solutions) if len(options.first_solutions) > 1 else []
    if warm_routes is not None:
        # Warm routes are read as an assignment. When that fails (it can when breaks and
        # SLA soft bounds are combined), they become lock chains that the insertion
        # heuristic completes. Locks stay in force for every later search of the model
        # and forbid every local-search move (measured: 1.2 million neighbours, none
        # accepted), so that fallback keeps the completed routes as they are.
        remaining = max(0.05, deadline - time.monotonic())
        parameters = _search_parameters(
            options, "LOCAL_CHEAPEST_INSERTION", options.metaheuristic, remaining
        )
        routing.CloseModelWithParameters(parameters)
        initial = routing.ReadAssignmentFromRoutes(warm_routes, True)
        if initial is None:
            first = _search_parameters(
                options, "LOCAL_CHEAPEST_INSERTION", "GREEDY_DESCENT", remaining
            )
            first.solution_limit = 1
            locked = routing.ApplyLocksToAllVehicles(warm_routes, False)
            log.append({"strategy": "warm locks+LOCAL_CHEAPEST_INSERTION", "locked": bool(locked)})
            return routing.SolveWithParameters(first), log
        if len(model.modelled_jobs) > options.ortools_starts_up_to or not strategies:
            log.append({"strategy": "warm routes+" + options.metaheuristic})
            return routing.SolveFromAssignmentWithParameters(initial, parameters), log
        # Portfolio of starts: the warm routes compete with OR-Tools' constructions, each
        # after a greedy descent; the metaheuristic starts from the best.
        per_start = max(0.01, start_deadline - time.monotonic()) / (len(strategies) + 1)
        descent = _search_parameters(
            options, "LOCAL_CHEAPEST_INSERTION", "GREEDY_DESCENT", per_start
        )
        assignment = routing.SolveFromAssignmentWithParameters(initial, descent)
        objective = assignment.ObjectiveValue() if assignment is not None else None
        log.append({"strategy": "warm routes", "objective": objective and objective / model.scale})
        if assignment is not None:
            best_objective = objective
            best_routes = _routes_of(model, assignment)
    for position, strategy in enumerate(strategies):
        remaining = start_deadline - time.monotonic()
        if remaining <= 0.01:
            break
        per_start = (
            remaining
            if options.solution_limit is not None
            else remaining / (len(strategies) - position)
        )
        parameters = _search_parameters(options, strategy, "GREEDY_DESCENT", per_start)
        assignment = routing.SolveWithParameters(parameters)
        objective = assignment.ObjectiveValue() if assignment is not None else None
        log.append({"strategy": strategy, "objective": objective and objective / model.scale})
        if assignment is not None and objective < best_objective:
            best_objective = objective
            best_routes = _routes_of(model, assignment)

    remaining = max(0.05, deadline - time.monotonic())
    first = options.first_solutions[0] if options.first_solutions else "LOCAL_CHEAPEST_INSERTION"
    parameters = _search_parameters(options, first, options.metaheuristic, remaining)
    if options.solution_limit is not None:
        parameters.solution_limit = options.solution_limit
    if best_routes is not None:
        initial = routing.ReadAssignmentFromRoutes(best_routes, True)
        if initial is not None:
            return routing.SolveFromAssignmentWithParameters(initial, parameters), log
    return routing.SolveWithParameters(parameters), log


def _search_parameters(
    options: SearchKnobs, first_solution: str, metaheuristic: str, time_limit_s: float
) -> object:
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    parameters.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic
    )
    parameters.guided_local_search_lambda_coefficient = options.guided_local_search_lambda
    if options.iterated_local_search and metaheuristic != "GREEDY_DESCENT":
        _use_ruin_and_recreate(parameters)
    parameters.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    for operator in options.extra_operators:
        setattr(parameters.local_search_operators, operator, optional_boolean_pb2.BOOL_TRUE)
    parameters.log_search = options.log_search
    for path, value in options.parameter_overrides:
        *parents, leaf = path.split(".")
        target = parameters
        for parent in parents:
            target = getattr(target, parent)
        setattr(target, leaf, value)
    return parameters


def _use_ruin_and_recreate(parameters: object) -> None:
    parameters.use_iterated_local_search = True
    ils = parameters.iterated_local_search_parameters
    ils.perturbation_strategy = routing_ils_pb2.PerturbationStrategy.RUIN_AND_RECREATE
    ruin = ils.ruin_recreate_parameters
    del ruin.ruin_strategies[:]
    ruin.ruin_strategies.add().spatially_close_routes.num_ruined_routes = 2
    sisr = ruin.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = 10
    sisr.avg_num_removed_visits = 10
    sisr.bypass_factor = 0.01
    ruin.ruin_composition_strategy = routing_ils_pb2.RuinCompositionStrategy.RUN_ONE_RANDOMLY
    ruin.recreate_strategy.heuristic = (
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    )
    ils.improve_perturbed_solution = True
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.automatic_temperatures = True
    ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()


def status_name(status: int) -> str:
    names = {
        0: "NOT_SOLVED",
        1: "SUCCESS",
        2: "PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED",
        3: "FAIL",
        4: "FAIL_TIMEOUT",
        5: "INVALID",
        6: "INFEASIBLE",
        7: "OPTIMAL",
    }
    return names.get(status, str(status))


def solve_exactly(
    problem: Problem,
    modelled: list[Job],
    allowed: dict[int, list[int]],
    reasons: dict[int, str],
    scale: int,
    started: float,
    time_limit_s: float,
) -> Solution | None:
    """Complete depth-first search for tiny problems: when it exhausts the tree within
    its budget the answer is optimal and the solve stops there, in milliseconds instead
    of the whole time limit. None if the tree is too big for the budget."""
    budget = min(EXACT_BUDGET_S, time_limit_s * 0.25)
    model = build_model(problem, modelled, allowed, scale)
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.use_depth_first_search = True
    parameters.time_limit.FromMilliseconds(max(1, int(budget * 1000)))
    begun = time.monotonic()
    assignment = model.routing.SolveWithParameters(parameters)
    searched_s = time.monotonic() - begun
    # OR-Tools reports the same status whether the tree was exhausted or the clock ran
    # out, so completeness is judged by the clock: finishing well before the limit means
    # the tree was exhausted.
    if assignment is None or searched_s >= budget * 0.9:
        return None
    solution = extract(problem, model, assignment, reasons)
    solution.loading_ms = round((begun - started) * 1000)
    solution.solving_ms = round(searched_s * 1000)
    solution.search_log = {
        "strategy": "depth-first search (complete)",
        "time_limit_s": time_limit_s,
        "time_scale": scale,
        "status": "OPTIMAL",
        "stop_reason": "optimal",
        "objective": describe_key(solution_key(problem, solution)),
    }
    return solution


# --------------------------------------------------------------------------- extraction


def extract(
    problem: Problem, model: OrToolsModel, assignment: object, reasons: dict[int, str]
) -> Solution:
    """The plan of an assignment, rescheduled in the problem's units (`build_route`);
    jobs left out get their prefilter reason (`reasons`) or `drop_reason`."""
    routing, manager, scale = model.routing, model.manager, model.scale
    break_starts: dict[int, list[tuple[int, Break]]] = {}
    intervals = assignment.IntervalVarContainer()
    for i in range(intervals.Size()):
        element = intervals.Element(i)
        name = element.Var().Name()
        if name in model.breaks and element.PerformedValue():
            v, brk = model.breaks[name]
            break_starts.setdefault(v, []).append((element.StartValue(), brk))

    routes: list[Route] = []
    served: set[int] = set()
    for v, vehicle in enumerate(problem.vehicles):
        visits: list[tuple[Job, int]] = []
        index = assignment.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            job = model.modelled_jobs[manager.IndexToNode(index)]
            visits.append((job, assignment.Value(model.time_dimension.CumulVar(index))))
            index = assignment.Value(routing.NextVar(index))
        if not visits:
            continue
        served.update(job.id for job, _ in visits)
        placed = _place_breaks(visits, sorted(break_starts.get(v, []), key=lambda b: b[0]), scale)
        routes.append(build_route(problem, vehicle, [job for job, _ in visits], placed, scale))

    unassigned = []
    for job in problem.jobs:
        if job.id in served:
            continue
        reason = reasons.get(job.id) or drop_reason(problem, job, served, model.allowed_vehicles)
        unassigned.append(Unassigned(job.id, job.location, job.location_index, reason))
    return Solution(routes=routes, unassigned=unassigned)


def _place_breaks(
    visits: list[tuple[Job, int]], breaks: list[tuple[int, Break]], scale: int
) -> list[list[tuple[Break, float]]]:
    """For each gap (before job 0, ..., after the last job), the breaks OR-Tools put there,
    with OR-Tools' start time in problem units (used to pick the break's time window)."""
    gaps: list[list[tuple[Break, float]]] = [[] for _ in range(len(visits) + 1)]
    for start, brk in breaks:
        position = sum(1 for _, cumul in visits if cumul < start)
        gaps[position].append((brk, start / scale))
    return gaps
