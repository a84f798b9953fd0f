"""OR-Tools routing model for a `Problem`, search driver and schedule extraction.

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
  and break placement (earliest start everywhere), not read from OR-Tools' integer
  cumul variables; that avoids rounding artefacts and gives the technician no idle
  departure. `checker.py` verifies it independently.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2
from ortools.util import optional_boolean_pb2

from . import parallel, polish, regret, vroom_start
from .decompose import solve_by_area
from .matrices import as_array, clear_cache
from .model import Break, Job, Number, Problem, Route, Solution, Step, Unassigned, Vehicle
from .objective import DropPenalties, describe_key, drop_penalties, solution_key

ProgressCallback = Callable[[float, float], None]

NO_SLOT = "no feasible slot within time limit"
# Regret insertion stops inserting after this share of the time budget (regret.py).
REGRET_SHARE = 0.2
# Longest complete search tried on tiny problems before the heuristic search.
EXACT_BUDGET_S = 1.0

FIRST_SOLUTION_STRATEGIES = tuple(routing_enums_pb2.FirstSolutionStrategy.Value.keys())
METAHEURISTICS = tuple(routing_enums_pb2.LocalSearchMetaheuristic.Value.keys())


@dataclass(frozen=True)
class SearchOptions:
    """Knobs of the OR-Tools search. Defaults were chosen on Solomon + field-service runs
    (see bench/solver.py)."""

    # Construction heuristics tried in turn, each followed by a greedy descent; the best
    # local optimum seeds the metaheuristic. The start matters a lot for GLS: on Solomon
    # RC208, LOCAL_CHEAPEST_INSERTION + descent is 27 % above the best known distance and
    # PARALLEL_SAVINGS + descent 4 %. PATH_CHEAPEST_ARC is not used: with every visit
    # mandatory it finds no solution at all on R101 in 30 s (verified, FAIL_TIMEOUT); with
    # our optional visits it starts by dropping jobs and needs GLS to reinsert them.
    first_solutions: tuple[str, ...] = (
        "PARALLEL_SAVINGS",
        "LOCAL_CHEAPEST_INSERTION",
        "SAVINGS",
        "PARALLEL_CHEAPEST_INSERTION",
    )
    # At most this share of the time budget goes to comparing starts.
    start_share: float = 0.15
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    # 0.3 beat the default 0.1 on 12 hard Solomon instances at 5 s (5.45 % vs 6.58 %)
    # and 30 s (3.41 % vs 3.64 %); small, noisy differences.
    guided_local_search_lambda: float = 0.3
    # None: use the problem's own time_scale.
    time_scale: int | None = None
    # Stop the metaheuristic after this many solutions (reproducible independent of CPU speed).
    solution_limit: int | None = None
    log_search: bool = False
    extra_operators: tuple[str, ...] = ()
    # Raw RoutingSearchParameters overrides, dotted paths: (("ls_operator_min_neighbors", 20),).
    parameter_overrides: tuple[tuple[str, object], ...] = ()
    # Above this many jobs, first solve areas of about `vehicles_per_area` vehicles
    # separately (using `decomposition_share` of the time) and seed the global search
    # with their routes. None disables it.
    decompose_above: int | None = 300
    vehicles_per_area: int = 8
    decomposition_share: float = 0.35
    # Problems with at most this many jobs are first searched completely (depth-first,
    # at most EXACT_BUDGET_S); a finished search is optimal and returned at once.
    exact_up_to: int = 7
    # "vroom": VROOM's routes (those our checker accepts) seed the OR-Tools search, and
    # are returned as they are if OR-Tools finds nothing better. "ortools": OR-Tools
    # construction heuristics (and decomposition by area for large problems) only.
    construction: str = "vroom"
    # "regret": our regret-k insertion (regret.py) instead of VROOM's routes; "vroom+regret":
    # both, the better under the objective seeds OR-Tools. Measured in bench/solver.py
    # (see README.md, "Regret insertion"): not better than "vroom", hence not the default.
    regret_k: int = 3
    vroom_exploration: int = 5
    vroom_threads: int = 2
    # VROOM stops after this share of the time budget (its own timeout).
    vroom_share: float = 0.4
    # Above `vroom_full_up_to` jobs, VROOM runs only its first `vroom_searches` heuristic
    # starts (each with a local search of depth `vroom_exploration`) instead of all 32:
    # it splits its timeout equally between searches, so all 32 are cut short on a large
    # day. 0 = VROOM's own count. The member (parallel.py) runs `member_vroom_searches`.
    vroom_searches: int = 1
    vroom_full_up_to: int = 200
    member_vroom_searches: int = 1
    # VROOM builds the start with SLA deadlines as hard window ends (vroom_start.py).
    vroom_sla_as_deadline: bool = True
    # OR-Tools' iterated local search (ruin and recreate + simulated annealing acceptance)
    # instead of `metaheuristic` for the final search. With OR-Tools' defaults it returned
    # no solution on R101 and a field day, so the ruin strategies are set explicitly.
    iterated_local_search: bool = False
    # Up to this many jobs, VROOM's routes compete with OR-Tools' constructions for the
    # start of the metaheuristic (above, those constructions are too slow to pay off).
    ortools_starts_up_to: int = 200
    # Run a second member (PyVRP where the problem translates exactly, else VROOM with
    # the whole budget) in a child process on the other core; the best under the
    # objective wins (parallel.py). Off when a solution limit asks for reproducibility.
    parallel_member: bool = True
    # Large days (VROOM runs above `vroom_full_up_to` jobs): the last `polish_share` of
    # each process's budget goes to our ruin-and-recreate local search (polish.py) from
    # the best plan it has, taking out up to `ruin_size` + 1 jobs at a time (runs of
    # consecutive jobs from the routes around a random job).
    # 0 turns it off.
    polish_share: float = 0.7
    ruin_size: int = 20
    # Record-to-record acceptance of the polish: a plan within this share of the best
    # one's cost becomes the current one (shrinking to 0 at the deadline).
    polish_accept: float = 0.002

    def polish_settings(self) -> polish.PolishSettings:
        return polish.PolishSettings(self.polish_share, self.ruin_size, self.polish_accept)

    def describe(self) -> dict[str, object]:
        return {
            "first_solutions": list(self.first_solutions),
            "start_share": self.start_share,
            "metaheuristic": self.metaheuristic,
            "guided_local_search_lambda": self.guided_local_search_lambda,
            "solution_limit": self.solution_limit,
            "extra_operators": list(self.extra_operators),
            "parameter_overrides": dict(self.parameter_overrides),
            "decompose_above": self.decompose_above,
            "vehicles_per_area": self.vehicles_per_area,
            "exact_up_to": self.exact_up_to,
            "construction": self.construction,
            "regret_k": self.regret_k,
            "vroom_exploration": self.vroom_exploration,
            "vroom_threads": self.vroom_threads,
            "vroom_share": self.vroom_share,
            "vroom_searches": self.vroom_searches,
            "vroom_full_up_to": self.vroom_full_up_to,
            "member_vroom_searches": self.member_vroom_searches,
            "vroom_sla_as_deadline": self.vroom_sla_as_deadline,
            "ortools_starts_up_to": self.ortools_starts_up_to,
            "parallel_member": self.parallel_member,
            "polish_share": self.polish_share,
            "ruin_size": self.ruin_size,
            "polish_accept": self.polish_accept,
        }


@dataclass
class _Model:
    """Everything needed to translate OR-Tools indices back to the problem."""

    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time_dimension: pywrapcp.RoutingDimension
    modelled_jobs: list[Job]
    scale: int
    breaks: dict[str, tuple[int, Break]] = field(default_factory=dict)
    penalties: DropPenalties = field(default_factory=lambda: DropPenalties(1, 1))
    allowed_vehicles: dict[int, list[int]] = field(default_factory=dict)


def solve(
    problem: Problem,
    time_limit_s: float = 30.0,
    on_progress: ProgressCallback | None = None,
    options: SearchOptions | None = None,
) -> Solution:
    """Optimise `problem` within about `time_limit_s` seconds of wall time (model building
    included) and return the routes, the unassigned jobs with reasons and the cost curve.

    `on_progress(elapsed_s, cost)` is called from the solver thread whenever the
    lexicographic objective improves (objective.py), with that solution's cost level:
    travel + fixed costs + SLA lateness cost, in problem cost units.
    """
    try:
        return _solve(problem, time_limit_s, on_progress, options or SearchOptions())
    finally:
        clear_cache()


def _solve(
    problem: Problem,
    time_limit_s: float,
    on_progress: ProgressCallback | None,
    options: SearchOptions,
) -> Solution:
    started = time.monotonic()
    scale = options.time_scale or problem.time_scale
    reasons, allowed = _prefilter(problem)
    modelled = [job for job in problem.jobs if job.id not in reasons]
    if not modelled:
        return _empty_solution(problem, reasons, started)

    if len(modelled) <= options.exact_up_to:
        exact = _solve_exactly(problem, modelled, allowed, reasons, scale, started, time_limit_s)
        if exact is not None:
            cost = solution_key(problem, exact)[2]
            exact.progress = [(time.monotonic() - started, cost)]
            if on_progress is not None:
                on_progress(*exact.progress[0])
            return exact

    member = None
    remaining = started + time_limit_s - time.monotonic()
    if (
        options.parallel_member
        and options.solution_limit is None
        and remaining >= parallel.MIN_BUDGET_S
    ):
        kind = parallel.member_for(problem)
        if kind is not None:
            member = parallel.launch(
                problem,
                kind,
                parallel.answer_deadline(remaining),
                vroom_searches=_vroom_searches(options, options.member_vroom_searches, problem),
                polishing=options.polish_settings(),
            )
    try:
        return _search(
            problem, time_limit_s, on_progress, options, member, started, reasons, allowed
        )
    finally:
        if member is not None:
            member.cancel()


def _search(
    problem: Problem,
    time_limit_s: float,
    on_progress: ProgressCallback | None,
    options: SearchOptions,
    member: parallel.Member | None,
    started: float,
    reasons: dict[int, str],
    allowed: dict[int, list[int]],
) -> Solution:
    """Construction, OR-Tools search and the parallel member's answer; the best wins."""
    scale = options.time_scale or problem.time_scale
    modelled = [job for job in problem.jobs if job.id not in reasons]
    warm_start: dict[int, list[int]] | None = None
    constructed: Solution | None = None
    construction_log: dict[str, object] = {}
    vroom_searches = _vroom_searches(options, options.vroom_searches, problem)
    vroom_orders = itertools.count(0, 2)
    # A solution limit asks for a reproducible run; VROOM's routes are not (two runs of
    # pyvroom 1.15 on one thread returned different routes of equal cost), so it is
    # left out then.
    vroom_ran = (
        options.construction in ("vroom", "vroom+regret")
        and options.solution_limit is None
        and vroom_start.available()
    )
    if vroom_ran:
        budget = time_limit_s * options.vroom_share
        begun = time.monotonic()
        if vroom_searches is not None:
            # Large day: whole VROOM runs of a few searches each, on the problem in
            # different orders (the member takes the odd orders), the best kept.
            raw_routes, runs = vroom_start.best_of_runs(
                problem,
                begun + budget,
                vroom_searches,
                vroom_orders,
                sla_as_deadline=options.vroom_sla_as_deadline,
                exploration=options.vroom_exploration,
            )
            construction_log["vroom_runs"] = runs
        else:
            raw_routes = vroom_start.vroom_routes(
                problem,
                options.vroom_exploration,
                # The member has the other core.
                1 if member is not None else options.vroom_threads,
                budget,
                sla_as_deadline=options.vroom_sla_as_deadline,
            )
        constructed = vroom_start.checked_solution(problem, raw_routes, NO_SLOT)
        if options.vroom_sla_as_deadline and any(
            left.id not in reasons for left in constructed.unassigned
        ):
            constructed = late_rather_than_left_out(
                problem, constructed, options, vroom_searches, budget / 2, construction_log
            )
        warm_start = jobs_by_vehicle(constructed)
        construction_log = {
            **construction_log,
            "construction": "vroom",
            "vroom_s": round(time.monotonic() - begun, 3),
            "vroom_routes": len(raw_routes),
            "vroom_routes_kept": len(constructed.routes),
            "vroom": describe_key(solution_key(problem, constructed)),
        }
    if options.construction in ("regret", "vroom+regret"):
        # Its own slice of the budget, after VROOM's: it takes milliseconds to seconds.
        constructed, warm_start = _regret_start(
            problem,
            allowed,
            options,
            time.monotonic() + time_limit_s * REGRET_SHARE,
            constructed,
            warm_start,
            construction_log,
        )
    elif (
        not vroom_ran
        and options.decompose_above is not None
        and len(modelled) > options.decompose_above
        and len(problem.vehicles) >= 2 * options.vehicles_per_area
    ):
        area_options = replace(
            options,
            decompose_above=None,
            log_search=False,
            construction="ortools",
            parallel_member=False,
        )

        def solve_area(area: Problem, limit: float) -> dict[int, list[int]]:
            return jobs_by_vehicle(_solve(area, limit, None, area_options))

        budget = time_limit_s * options.decomposition_share
        warm_start = solve_by_area(problem, modelled, options.vehicles_per_area, budget, solve_area)
    areas_s = time.monotonic() - started

    model = _build_model(problem, modelled, allowed, scale)
    routing = model.routing
    progress: list[tuple[float, float]] = []
    best = [math.inf]

    optional = [
        (manager_index, model.penalties.of(job.priority))
        for manager_index, job in (
            (model.manager.NodeToIndex(n), job) for n, job in enumerate(model.modelled_jobs)
        )
        if not job.in_progress
    ]

    def record_solution() -> None:
        if time.monotonic() > hard_deadline:
            # Safety net: once a 30 s field-day solve ran 46 s, OR-Tools still accepting
            # solutions after its own time limit; stop at the next search node.
            routing.solver().FinishCurrentSearch()
        objective = routing.CostVar().Value()
        if objective < best[0]:
            best[0] = objective
            # Report travel + SLA cost: the drop penalties only encode the order.
            dropped = sum(
                penalty for index, penalty in optional if routing.NextVar(index).Value() == index
            )
            cost = (objective - dropped) / scale
            elapsed = time.monotonic() - started
            progress.append((elapsed, cost))
            if on_progress is not None:
                on_progress(elapsed, cost)

    hard_deadline = started + time_limit_s
    routing.AddAtSolutionCallback(record_solution)
    # "loading" is model building only; time spent solving areas counts as solving.
    loading_s = time.monotonic() - started - areas_s
    # Keep a little time for turning the assignment into routes (grows with size).
    deadline = started + time_limit_s - min(0.02 * time_limit_s, 0.002 * len(modelled))
    warm_routes = (
        _warm_routes(problem, model, warm_start, allowed) if warm_start is not None else None
    )
    # Large days: OR-Tools and more VROOM runs stop where the polish starts.
    polishing = vroom_ran and vroom_searches is not None and options.polish_share > 0
    search_deadline = (
        min(deadline, started + time_limit_s * (1 - options.polish_share))
        if polishing
        else deadline
    )
    assignment, start_log = _ortools_search(model, options, search_deadline, warm_routes)
    if vroom_ran and vroom_searches is not None and assignment is None:
        # OR-Tools found nothing from VROOM's routes (on days with breaks it can fail
        # at once: SolveFromAssignment rejects the start that ReadAssignmentFromRoutes
        # built). Rather than leave this core idle, more VROOM runs until the deadline.
        raw_more, runs = vroom_start.best_of_runs(
            problem,
            search_deadline,
            vroom_searches,
            vroom_orders,
            sla_as_deadline=options.vroom_sla_as_deadline,
            exploration=options.vroom_exploration,
        )
        more = vroom_start.checked_solution(problem, raw_more, NO_SLOT) if runs else None
        construction_log["vroom_runs_after_ortools"] = runs
        if more is not None and solution_key(problem, more) < solution_key(problem, constructed):
            constructed = more
    assignment_solution = (
        _extract(problem, model, assignment, reasons) if assignment is not None else None
    )
    polished = None
    polish_log: dict[str, object] = {}
    if polishing:
        present = [c for c in (assignment_solution, constructed) if c is not None and c.routes]
        if present:
            base = min(present, key=lambda c: solution_key(problem, c))
            polished, log = polish.polish(
                problem,
                base,
                allowed,
                deadline,
                ruin=options.ruin_size,
                accept=options.polish_accept,
            )
            polish_log["polish"] = log.as_dict()
    solving_s = time.monotonic() - started - loading_s

    search_log: dict[str, object] = {
        **options.describe(),
        "time_limit_s": time_limit_s,
        "time_scale": scale,
        "determinism": (
            "OR-Tools on one thread, no random seed; only the time limit varies results"
            + ("" if member is None else f"; {member.kind} in a second process, seed 1")
        ),
        "status": _status_name(routing.status()),
        "improvements": len(progress),
        "areas_s": round(areas_s, 3),
        "starts": start_log,
        "stop_reason": "time_limit",
        **construction_log,
        **polish_log,
    }
    member_solution = None
    if member is not None:
        # Wait for the member no longer than our own time allows.
        time_left = started + time_limit_s - time.monotonic()
        wait_until = time.time() + time_left + parallel.GRACE_S
        member_solution, member_log = member.solution(problem, NO_SLOT, wait_until)
        search_log.update(member_log)
    if constructed is not None and not constructed.routes:
        constructed = None  # nothing of VROOM's passed our checker: not a plan
    if assignment is None and constructed is None and member_solution is None:
        return Solution(
            routes=[],
            unassigned=[],
            code=1,
            error=f"no solution found within {time_limit_s:g} s ({search_log['status']})",
            search_log=search_log,
        )
    candidates = {
        "ortools": assignment_solution,
        "construction": constructed,
        "polish": polished,
    }
    if member is not None:
        candidates[member.kind] = member_solution
    # On ties the first listed wins: OR-Tools, which saw SLA deadlines and pins.
    solution = _best_of(problem, list(candidates.values()), reasons, allowed)
    winner = next(name for name, c in candidates.items() if c is solution)
    search_log["winner"] = winner
    search_log["objective"] = describe_key(solution_key(problem, solution))
    if winner != "ortools":
        progress.append((time.monotonic() - started, solution_key(problem, solution)[2]))
        if on_progress is not None:
            on_progress(*progress[-1])
    solution.progress = progress
    solution.loading_ms = round(loading_s * 1000)
    solution.solving_ms = round(solving_s * 1000)
    solution.search_log = search_log
    return solution


def _regret_start(
    problem: Problem,
    allowed: dict[int, list[int]],
    options: SearchOptions,
    deadline: float,
    constructed: Solution | None,
    warm_start: dict[int, list[int]] | None,
    construction_log: dict[str, object],
) -> tuple[Solution | None, dict[int, list[int]] | None]:
    """Our regret insertion (checked like VROOM's routes); it replaces the current
    construction (VROOM's, if any) only when better under the objective."""
    result = regret.regret_routes(problem, allowed, k=options.regret_k, deadline=deadline)
    mine = vroom_start.checked_solution(problem, result.routes, NO_SLOT)
    construction_log["regret_s"] = round(result.seconds, 3)
    construction_log["regret_routes"] = len(result.routes)
    construction_log["regret_routes_kept"] = len(mine.routes)
    construction_log["regret"] = describe_key(solution_key(problem, mine))
    if constructed is not None and solution_key(problem, constructed) <= solution_key(
        problem, mine
    ):
        return constructed, warm_start
    construction_log["construction"] = "regret"
    return mine, jobs_by_vehicle(mine)


def jobs_by_vehicle(solution: Solution) -> dict[int, list[int]]:
    """Each route's job ids in order, by vehicle id: a warm start for OR-Tools."""
    return {r.vehicle: [s.id for s in r.steps if s.type == "job"] for r in solution.routes}


def late_rather_than_left_out(
    problem: Problem,
    constructed: Solution,
    options: SearchOptions,
    searches: int | None,
    timeout_s: float,
    log: dict[str, object],
) -> Solution:
    """VROOM's start takes SLA deadlines as hard window ends, so it leaves out a job
    nobody can reach in time, which our objective would rather serve late (lateness
    ranks below served priority and jobs). OR-Tools puts such a job back when it can
    search from VROOM's routes, but not on large days with breaks (README: it fails
    from those routes), so a run of VROOM that ignores the deadlines competes here and
    the objective decides."""
    raw = vroom_start.vroom_routes(
        problem, options.vroom_exploration, 1, timeout_s, sla_as_deadline=False, searches=searches
    )
    blind = vroom_start.checked_solution(problem, raw, NO_SLOT)
    log["vroom_sla_blind"] = describe_key(solution_key(problem, blind))
    if solution_key(problem, blind) < solution_key(problem, constructed):
        return blind
    return constructed


def _vroom_searches(options: SearchOptions, searches: int, problem: Problem) -> int | None:
    """How many of VROOM's searches to run: None (VROOM's own count for the exploration
    level) on problems small enough for all of them to finish, or when not limited."""
    if searches <= 0 or len(problem.jobs) <= options.vroom_full_up_to:
        return None
    return searches


def _best_of(
    problem: Problem,
    candidates: list[Solution | None],
    reasons: dict[int, str],
    allowed: dict[int, list[int]],
) -> Solution:
    """The best candidate under the objective, its unassigned jobs given reasons."""
    present = [c for c in candidates if c is not None]
    best = min(present, key=lambda c: solution_key(problem, c))
    served = {s.id for r in best.routes for s in r.steps if s.type == "job"}
    best.unassigned = [
        Unassigned(
            job.id,
            job.location,
            job.location_index,
            reasons.get(job.id) or _drop_reason(problem, job, served, allowed),
        )
        for job in problem.jobs
        if job.id not in served
    ]
    return best


def _solve_exactly(
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
    model = _build_model(problem, modelled, allowed, scale)
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
    solution = _extract(problem, model, assignment, reasons)
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


# --------------------------------------------------------------------------- prefilter


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
    for window_start, window_end in _service_windows(job):
        begin = max(window_start, earliest_arrival)
        if begin <= window_end and begin + job.service + back <= shift_end:
            return True
    return False


def _service_windows(job: Job) -> list[tuple[Number, Number]]:
    if job.pinned_start is not None:
        return [(job.pinned_start, job.pinned_start)]
    if job.in_progress or not job.time_windows:
        return [(0, math.inf)]
    return list(job.time_windows)


def _prefilter(problem: Problem) -> tuple[dict[int, str], dict[int, list[int]]]:
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


def _fits_capacity(job: Job, vehicle: Vehicle) -> bool:
    if not job.delivery:
        return True
    capacity = vehicle.capacity or [0] * len(job.delivery)
    return all(amount <= limit for amount, limit in zip(job.delivery, capacity, strict=False))


# --------------------------------------------------------------------------- model


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


def _build_model(
    problem: Problem, jobs: list[Job], allowed: dict[int, list[int]], scale: int
) -> _Model:
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
    model = _Model(manager, routing, time_dimension, jobs, scale)

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


def _add_vehicle_shifts(problem: Problem, model: _Model, horizon: int) -> None:
    routing, time_dimension, scale = model.routing, model.time_dimension, model.scale
    for v, vehicle in enumerate(problem.vehicles):
        if vehicle.time_window is None:
            continue
        start, end = vehicle.time_window
        lower, upper = math.ceil(start * scale), math.floor(end * scale)
        time_dimension.CumulVar(routing.Start(v)).SetRange(lower, upper)
        time_dimension.CumulVar(routing.End(v)).SetRange(lower, upper)


def _add_job_windows(problem: Problem, model: _Model, jobs: list[Job]) -> int:
    """Hard windows (with gaps removed) and soft SLA deadlines; returns an upper bound of
    the total lateness cost of any solution (scaled units)."""
    _routing, time_dimension, scale = model.routing, model.time_dimension, model.scale
    manager = model.manager
    lateness_bound = 0
    for n, job in enumerate(jobs):
        index = manager.NodeToIndex(n)
        cumul = time_dimension.CumulVar(index)
        windows = _service_windows(job)
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


def _add_breaks(problem: Problem, model: _Model, service: np.ndarray) -> None:
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


def _routes_of(model: _Model, assignment: object) -> list[list[int]]:
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


def _warm_routes(
    problem: Problem,
    model: _Model,
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


def _ortools_search(
    model: _Model,
    options: SearchOptions,
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
    options: SearchOptions, first_solution: str, metaheuristic: str, time_limit_s: float
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


def _status_name(status: int) -> str:
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


# --------------------------------------------------------------------------- extraction


def _empty_solution(problem: Problem, reasons: dict[int, str], started: float) -> Solution:
    unassigned = [
        Unassigned(job.id, job.location, job.location_index, reasons[job.id])
        for job in problem.jobs
    ]
    return Solution(
        routes=[], unassigned=unassigned, loading_ms=round((time.monotonic() - started) * 1000)
    )


def _extract(
    problem: Problem, model: _Model, assignment: object, reasons: dict[int, str]
) -> Solution:
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
        reason = reasons.get(job.id) or _drop_reason(problem, job, served, model.allowed_vehicles)
        unassigned.append(Unassigned(job.id, job.location, job.location_index, reason))
    return Solution(routes=routes, unassigned=unassigned)


def _drop_reason(
    problem: Problem, job: Job, served: set[int], allowed: dict[int, list[int]]
) -> str:
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


def _earliest_in_windows(moment: Number, windows: list[tuple[Number, Number]]) -> Number:
    for window_start, window_end in windows:
        if moment <= window_end:
            return max(moment, window_start)
    return moment  # no window left: keep the order, the checker will report it


def build_route(
    problem: Problem,
    vehicle: Vehicle,
    jobs: list[Job],
    breaks_per_gap: list[list[tuple[Break, float]]],
    scale: int = 1,
) -> Route:
    """Earliest-start schedule of `jobs` in order, breaks in the given gaps.

    Semantics shared with the checker: a break may be taken en route (part of the next
    leg is driven before it); waiting happens just before a job's or break's start.
    """
    first_route = _schedule(problem, vehicle, jobs, breaks_per_gap, None, scale)
    first_job_step = next(s for s in first_route.steps if s.type == "job")
    if not breaks_per_gap[0] and first_job_step.waiting_time > 0:
        # Leave later rather than wait at the first customer.
        departure = first_route.steps[0].arrival + first_job_step.waiting_time
        return _schedule(problem, vehicle, jobs, breaks_per_gap, departure, scale)
    return first_route


def _schedule(
    problem: Problem,
    vehicle: Vehicle,
    jobs: list[Job],
    breaks_per_gap: list[list[tuple[Break, float]]],
    departure: Number | None,
    scale: int,
) -> Route:
    shift_start = vehicle.time_window[0] if vehicle.time_window else 0
    clock: Number = shift_start if departure is None else departure
    load = [sum(values) for values in zip(*(j.delivery for j in jobs), strict=False)] or [
        0
    ] * problem.amount_size
    load = load + [0] * (problem.amount_size - len(load))
    steps = [
        Step(
            type="start",
            arrival=clock,
            duration=0,
            distance=0,
            load=list(load),
            location_index=vehicle.start_index,
            location=vehicle.start,
        )
    ]
    travelled: Number = 0
    distance: Number = 0
    cost: Number = vehicle.fixed_cost
    waiting_total: Number = 0
    lateness_total: Number = 0
    here = vehicle.start_index
    stops: list[Job | None] = [*jobs, None]
    for position, job in enumerate(stops):
        there = job.location_index if job is not None else vehicle.end_index
        leg = problem.travel_time(here, there)
        leg_distance = problem.distance(here, there)
        driven: Number = 0
        for brk, planned_start in sorted(breaks_per_gap[position], key=lambda b: b[1]):
            window = next(
                (w for w in brk.time_windows if w[0] <= planned_start + 1e-9 <= w[1] + 2e-9),
                brk.time_windows[0],
            )
            break_start = max(clock, window[0])
            drive = min(break_start - clock, leg - driven)
            driven += drive
            waiting = break_start - clock - drive
            waiting_total += waiting
            steps.append(
                Step(
                    type="break",
                    id=brk.id,
                    arrival=clock + drive,
                    waiting_time=waiting,
                    service=brk.service,
                    duration=travelled + driven,
                    distance=distance,
                    load=list(load),
                )
            )
            clock = break_start + brk.service
        arrival = clock + (leg - driven)
        travelled += leg
        distance += leg_distance
        cost += leg * vehicle.per_hour / 3600 + leg_distance * vehicle.per_km / 1000
        here = there
        if job is None:
            steps.append(
                Step(
                    type="end",
                    arrival=arrival,
                    duration=travelled,
                    distance=distance,
                    load=list(load),
                    location_index=vehicle.end_index,
                    location=vehicle.end,
                )
            )
            break
        service_start = _earliest_in_windows(arrival, _service_windows(job))
        for k, amount in enumerate(job.delivery):
            load[k] -= amount
        lateness = None
        if job.sla_deadline is not None:
            lateness = max(0, service_start - job.sla_deadline)
            lateness_total += lateness
        steps.append(
            Step(
                type="job",
                id=job.id,
                arrival=arrival,
                waiting_time=service_start - arrival,
                service=job.service,
                duration=travelled,
                distance=distance,
                load=list(load),
                location_index=job.location_index,
                location=job.location,
                sla_lateness=lateness,
            )
        )
        waiting_total += service_start - arrival
        clock = service_start + job.service
    if scale == 1 and isinstance(cost, float) and cost.is_integer():
        cost = int(cost)
    elif scale == 1 and isinstance(cost, float):
        cost = round(cost)
    delivery = [sum(values) for values in zip(*(j.delivery for j in jobs), strict=False)]
    return Route(
        vehicle=vehicle.id,
        steps=steps,
        cost=cost,
        service=sum(j.service for j in jobs)
        + sum(b.service for gap in breaks_per_gap for b, _ in gap),
        duration=travelled,
        waiting_time=waiting_total,
        distance=distance,
        priority=sum(j.priority for j in jobs),
        delivery=delivery + [0] * (problem.amount_size - len(delivery)),
        sla_lateness=lateness_total,
    )
