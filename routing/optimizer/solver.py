"""The solve driver: what runs, in which order, for how much of the time budget, and
which plan wins.

For a `Problem` it prefilters the jobs (`feasibility.py`), searches tiny problems
completely, builds a start (VROOM's routes, our regret insertion or areas solved
apart), runs the OR-Tools search from it (`ortools_search.py`), polishes on large days
(`polish.py`) and collects the second member's answer from the other core
(`parallel.py`); the best plan under the lexicographic objective (`objective.py`) is
returned, its left-out jobs given reasons.

The members it runs import the modules below them (schedule, feasibility, model,
objective, checker), never this one: the `layers` contract in pyproject.toml says so.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import ortools_search, parallel, polish, regret, vroom_start
from .decompose import solve_by_area
from .feasibility import drop_reason, prefilter
from .matrices import clear_cache
from .model import Problem, Solution, Unassigned
from .objective import describe_key, solution_key

ProgressCallback = Callable[[float, float], None]

NO_SLOT = "no feasible slot within time limit"
# Regret insertion stops inserting after this share of the time budget (regret.py).
REGRET_SHARE = 0.2


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
    # at most ortools_search.EXACT_BUDGET_S); a finished search is optimal and returned
    # at once.
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
    reasons, allowed = prefilter(problem)
    modelled = [job for job in problem.jobs if job.id not in reasons]
    if not modelled:
        return _empty_solution(problem, reasons, started)

    if len(modelled) <= options.exact_up_to:
        exact = ortools_search.solve_exactly(
            problem, modelled, allowed, reasons, scale, started, time_limit_s
        )
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

    model = ortools_search.build_model(problem, modelled, allowed, scale)
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
        ortools_search.warm_indices(problem, model, warm_start, allowed)
        if warm_start is not None
        else None
    )
    # Large days: OR-Tools and more VROOM runs stop where the polish starts.
    polishing = vroom_ran and vroom_searches is not None and options.polish_share > 0
    search_deadline = (
        min(deadline, started + time_limit_s * (1 - options.polish_share))
        if polishing
        else deadline
    )
    assignment, start_log = ortools_search.search(model, options, search_deadline, warm_routes)
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
        ortools_search.extract(problem, model, assignment, reasons)
        if assignment is not None
        else None
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
        "status": ortools_search.status_name(routing.status()),
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
            reasons.get(job.id) or drop_reason(problem, job, served, allowed),
        )
        for job in problem.jobs
        if job.id not in served
    ]
    return best


def _empty_solution(problem: Problem, reasons: dict[int, str], started: float) -> Solution:
    unassigned = [
        Unassigned(job.id, job.location, job.location_index, reasons[job.id])
        for job in problem.jobs
    ]
    return Solution(
        routes=[], unassigned=unassigned, loading_ms=round((time.monotonic() - started) * 1000)
    )
