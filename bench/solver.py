"""Solver benchmark: our OR-Tools optimizer vs best-known solutions and reference peers.

    .venv/bin/python bench/solver.py                       # full run (~35 min on 2 cores)
    .venv/bin/python bench/solver.py --instances C101,R101 --time-limits 5 --peers none
    .venv/bin/python bench/solver.py --instances none --fieldservice        # sizes only

What it measures
- Solomon (all 56) and a Homberger-200 sample through `routing.optimizer.solve`, each
  solve single-threaded in its own process (`--jobs` processes in parallel; one per
  core), at every `--time-limits` value. Distances are recomputed here from the
  coordinates in double precision (the literature convention), and every solution is
  verified by `routing.optimizer.checker` (count of infeasible solutions printed).
- Solomon gaps are against the distance-only BKS `dist_distance` of bks.csv. R109 and
  RC103 are flagged invalid there (below a lower bound): they are shown, marked `*`,
  and left out of means and worst cases. Homberger-200 instances only have hierarchical
  BKS (fewest vehicles first), so their gaps are labelled "vs hier" and can be negative.
- Peers on the same instances and the same integer scaling (x1000; travel times rounded
  up, distances to nearest): VROOM (pyvroom, exploration level 5, 1 thread, its own
  stopping rule) and PyVRP (time limit equal to ours). Ratios are our distance / theirs.
- Field-service instances from bench/fieldservice.py (50 x 500 in 30 s, 100 x 1000 in
  120 s): wall time including parsing and matrix building, feasibility, unassigned jobs,
  peak resident memory of the solving process (ru_maxrss, fresh process per solve).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import math
import multiprocessing
import os
import resource
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BENCHMARKS = Path(os.environ.get("FIELDOPS_BENCHMARKS", "/work/shared/benchmarks"))
SOLOMON_DIR = BENCHMARKS / "solomon"
HOMBERGER_DIR = BENCHMARKS / "homberger"
INVALID_BKS = {"R109", "RC103"}
HOMBERGER_SAMPLE = ("c1_2_1", "c2_2_1", "r1_2_1", "r2_2_1", "rc1_2_1", "rc2_2_1")
PEER_SCALE = 1000
FIELD_SERVICE_SIZES = ((50, 500, 30.0), (100, 1000, 60.0))
VROOM_EXPLORATION = 5
# Over-subscribed field days compared with VROOM: (technicians, jobs, seeds).
FIELD_DAYS = ((30, 300, (1, 2, 3)), (60, 600, (1, 2, 3)))
FIELD_DAY_CAP_S = 30.0
QUICK_SOLOMON = "C103,C204,R103,R108,R205,R211,RC105,RC208"


@dataclass(frozen=True)
class Task:
    kind: str  # "ours" | "vroom" | "pyvrp" | "fieldservice" | "fieldday"
    instance: str
    time_limit: float
    path: str = ""
    technicians: int = 0
    jobs: int = 0
    seed: int = 1
    # SearchOptions overrides for ours, "name=value,name=value" (see --options).
    options: str = ""
    # Field days: keep the jobs' SLA deadlines (VROOM cannot see them; ours trades travel
    # for lateness). False gives a like-for-like travel comparison.
    sla: bool = True

    @property
    def expected_seconds(self) -> float:
        if self.kind == "fieldday":
            return 2 * FIELD_DAY_CAP_S * self.jobs / 300
        return self.time_limit if self.kind != "vroom" else 10.0


@dataclass
class Result:
    task: Task
    distance: float = math.nan
    routes: int = 0
    unassigned: int = 0
    violations: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.error is None and self.violations == 0


# --------------------------------------------------------------------------- workers


def _route_distance(problem: Any, sequences: Iterable[list[int]]) -> float:
    """Double-precision distance from coordinates for routes given as job ids."""
    coordinates = problem.locations
    index_of = {job.id: job.location_index for job in problem.jobs}
    depot = problem.vehicles[0].start_index
    total = 0.0
    for sequence in sequences:
        stops = [depot, *(index_of[j] for j in sequence), depot]
        for a, b in itertools.pairwise(stops):
            (xa, ya), (xb, yb) = coordinates[a], coordinates[b]
            total += math.hypot(xa - xb, ya - yb)
    return total


def _verify_sequences(problem: Any, sequences: list[list[int]]) -> int:
    """Schedule peer routes with our conventions and count checker violations."""
    from routing.optimizer.checker import check
    from routing.optimizer.model import Solution, Unassigned
    from routing.optimizer.solver import build_route
    from routing.optimizer.vroom_json import solution_to_json

    jobs = {job.id: job for job in problem.jobs}
    routes = []
    for vehicle, sequence in zip(problem.vehicles, sequences, strict=False):
        if sequence:
            gaps: list[list[Any]] = [[] for _ in range(len(sequence) + 1)]
            routes.append(build_route(problem, vehicle, [jobs[j] for j in sequence], gaps))
    served = {j for sequence in sequences for j in sequence}
    unassigned = [
        Unassigned(j.id, j.location, j.location_index, "dropped by peer")
        for j in problem.jobs
        if j.id not in served
    ]
    solution = Solution(routes=routes, unassigned=unassigned)
    return len(check(problem, solution_to_json(solution, problem)))


def _scaled(value: float, up: bool) -> int:
    return math.ceil(value * PEER_SCALE - 1e-6) if up else round(value * PEER_SCALE)


def _search_options(spec: str) -> Any:
    """SearchOptions with "name=value,..." overrides, each value cast to the field's type."""
    from dataclasses import fields, replace

    from routing.optimizer.solver import SearchOptions

    options = SearchOptions()
    kinds = {f.name: type(getattr(options, f.name)) for f in fields(options)}
    changes: dict[str, Any] = {}
    for item in filter(None, spec.split(",")):
        name, value = item.split("=", 1)
        kind = kinds[name]
        changes[name] = (value == "true") if kind is bool else kind(value)
    return replace(options, **changes)


def run_ours(task: Task) -> Result:
    from routing.optimizer.checker import check
    from routing.optimizer.solomon import read_solomon
    from routing.optimizer.solver import solve
    from routing.optimizer.vroom_json import solution_to_json

    problem = read_solomon(task.path)
    started = time.monotonic()
    solution = solve(problem, task.time_limit, options=_search_options(task.options))
    seconds = time.monotonic() - started
    if solution.code != 0:
        return Result(task, seconds=seconds, error=solution.error)
    sequences = [[s.id for s in r.steps if s.type == "job"] for r in solution.routes]
    violations = check(problem, solution_to_json(solution, problem))
    return Result(
        task,
        distance=_route_distance(problem, sequences),
        routes=len(solution.routes),
        unassigned=len(solution.unassigned),
        violations=len(violations),
        seconds=seconds,
        extra={"starts": solution.search_log.get("starts")},
    )


def run_vroom(task: Task) -> Result:
    import numpy as np
    import vroom

    from routing.optimizer.solomon import read_solomon

    problem = read_solomon(task.path)
    size = len(problem.durations)
    durations = np.array(
        [[_scaled(problem.durations[i][j], True) for j in range(size)] for i in range(size)],
        dtype=np.uint32,
    )
    costs = np.array(
        [[_scaled(problem.distances[i][j], False) for j in range(size)] for i in range(size)],
        dtype=np.uint32,
    )
    instance = vroom.Input()
    instance.set_durations_matrix("car", durations)
    instance.set_costs_matrix("car", costs)
    for vehicle in problem.vehicles:
        start, end = vehicle.time_window
        instance.add_vehicle(
            vroom.Vehicle(
                vehicle.id,
                start=0,
                end=0,
                capacity=vehicle.capacity,
                time_window=vroom.TimeWindow(_scaled(start, False), _scaled(end, False)),
            )
        )
    for job in problem.jobs:
        (early, late) = job.time_windows[0]
        instance.add_job(
            vroom.Job(
                job.id,
                location=job.location_index,
                default_service=_scaled(job.service, False),
                delivery=job.delivery,
                time_windows=[vroom.TimeWindow(_scaled(early, False), _scaled(late, False))],
            )
        )
    started = time.monotonic()
    solution = instance.solve(exploration_level=VROOM_EXPLORATION, nb_threads=1)
    seconds = time.monotonic() - started
    frame = solution.routes
    sequences: dict[int, list[int]] = {}
    for vehicle_id, step_type, job_id in zip(
        frame["vehicle_id"], frame["type"], frame["id"], strict=False
    ):
        if str(step_type) == "job":
            sequences.setdefault(int(vehicle_id), []).append(int(job_id))
    ordered = [sequences.get(v.id, []) for v in problem.vehicles]
    served = sum(len(s) for s in ordered)
    return Result(
        task,
        distance=_route_distance(problem, ordered),
        routes=sum(1 for s in ordered if s),
        unassigned=len(problem.jobs) - served,
        violations=_verify_sequences(problem, ordered),
        seconds=seconds,
    )


def run_pyvrp(task: Task) -> Result:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    from routing.optimizer.solomon import read_solomon

    problem = read_solomon(task.path)
    model = pyvrp.Model()
    locations = [model.add_location(x, y) for x, y in problem.locations]
    vehicle = problem.vehicles[0]
    start, end = vehicle.time_window
    depot = model.add_depot(
        locations[0], tw_early=_scaled(start, False), tw_late=_scaled(end, False)
    )
    model.add_vehicle_type(
        num_available=len(problem.vehicles),
        capacity=vehicle.capacity,
        start_depot=depot,
        end_depot=depot,
        tw_early=_scaled(start, False),
        tw_late=_scaled(end, False),
    )
    for job in problem.jobs:
        early, late = job.time_windows[0]
        model.add_client(
            locations[job.location_index],
            delivery=job.delivery,
            service_duration=_scaled(job.service, False),
            tw_early=_scaled(early, False),
            tw_late=_scaled(late, False),
        )
    for i, origin in enumerate(locations):
        for j, destination in enumerate(locations):
            model.add_edge(
                origin,
                destination,
                distance=_scaled(problem.distances[i][j], False),
                duration=_scaled(problem.durations[i][j], True),
            )
    started = time.monotonic()
    result = model.solve(stop=MaxRuntime(task.time_limit), seed=1, display=False)
    seconds = time.monotonic() - started
    # Iterating a route yields scheduled activities; client activities carry the index
    # of the client in insertion order (checked against PyVRP's own distance below).
    job_ids = [job.id for job in problem.jobs]
    sequences = [
        [job_ids[activity.idx] for activity in route if activity.is_client()]
        for route in result.best.routes()
    ]
    ordered = sequences + [[] for _ in range(len(problem.vehicles) - len(sequences))]
    served = sum(len(s) for s in sequences)
    return Result(
        task,
        distance=_route_distance(problem, ordered),
        routes=len(sequences),
        unassigned=len(problem.jobs) - served,
        violations=_verify_sequences(problem, ordered) + (0 if result.best.is_feasible() else 1),
        seconds=seconds,
        extra={"pyvrp_scaled_distance": result.best.distance() / PEER_SCALE},
    )


def run_fieldservice(task: Task) -> Result:
    from bench.fieldservice import generate
    from routing.optimizer.checker import check
    from routing.optimizer.solver import solve
    from routing.optimizer.vroom_json import parse_problem, solution_to_json

    data = generate(task.technicians, task.jobs, seed=1)
    started = time.monotonic()
    problem = parse_problem(data)  # includes the great-circle matrix build
    parse_seconds = time.monotonic() - started
    solution = solve(
        problem, task.time_limit - parse_seconds, options=_search_options(task.options)
    )
    seconds = time.monotonic() - started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if solution.code != 0:
        return Result(task, seconds=seconds, error=solution.error, peak_rss_mb=peak_rss_mb)
    violations = check(problem, solution_to_json(solution, problem))
    reasons: dict[str, int] = {}
    for item in solution.unassigned:
        reasons[item.reason] = reasons.get(item.reason, 0) + 1
    return Result(
        task,
        distance=solution.distance / 1000,
        routes=len(solution.routes),
        unassigned=len(solution.unassigned),
        violations=len(violations),
        seconds=seconds,
        peak_rss_mb=peak_rss_mb,
        extra={
            "parse_s": round(parse_seconds, 2),
            "reasons": reasons,
            "first_violations": [str(v) for v in violations[:5]],
            "sla_lateness_s": sum(r.sla_lateness for r in solution.routes),
            "starts": solution.search_log.get("starts"),
            "progress_tail": solution.progress[-3:],
        },
    )


def _day_figures(problem: Any, solution: Any, seconds: float) -> dict[str, Any]:
    from routing.optimizer.checker import check
    from routing.optimizer.vroom_json import solution_to_json

    priority = {job.id: job.priority for job in problem.jobs}
    served = [s.id for r in solution.routes for s in r.steps if s.type == "job"]
    travel_cost = sum(r.cost for r in solution.routes)
    penalties = {
        job.id: job.sla_penalty if job.sla_penalty is not None else problem.sla_penalty
        for job in problem.jobs
    }
    lateness_cost = sum(
        (s.sla_lateness or 0) * penalties[s.id]
        for r in solution.routes
        for s in r.steps
        if s.type == "job"
    )
    return {
        "cost_h": (travel_cost + lateness_cost) / 3600,
        "priority": sum(priority[j] for j in served),
        "served": len(served),
        "travel_h": sum(r.duration for r in solution.routes) / 3600,
        "late_h": sum(r.sla_lateness for r in solution.routes) / 3600,
        "seconds": seconds,
        "violations": len(check(problem, solution_to_json(solution, problem))),
    }


def run_fieldday(task: Task) -> Result:
    """One generated field day: VROOM x5 on one thread, then ours with VROOM's wall time
    (capped at FIELD_DAY_CAP_S) unless a fixed limit is given. Both checked by our checker."""
    from bench.fieldservice import generate
    from routing.optimizer.model import Solution, Unassigned
    from routing.optimizer.solver import solve
    from routing.optimizer.vroom_json import parse_problem
    from routing.optimizer.vroom_start import schedule_routes, vroom_routes

    data = generate(task.technicians, task.jobs, seed=task.seed)
    if not task.sla:
        for job in data["jobs"]:
            job.pop("fieldops", None)
    problem = parse_problem(data)
    started = time.monotonic()
    raw = vroom_routes(problem, VROOM_EXPLORATION, 1, None)
    vroom_seconds = time.monotonic() - started
    routes = schedule_routes(problem, raw)
    served = {s.id for r in routes for s in r.steps if s.type == "job"}
    left = [
        Unassigned(j.id, j.location, j.location_index, "-")
        for j in problem.jobs
        if j.id not in served
    ]
    vroom = _day_figures(problem, Solution(routes=routes, unassigned=left), vroom_seconds)

    limit = task.time_limit or min(vroom_seconds, FIELD_DAY_CAP_S)
    started = time.monotonic()
    problem = parse_problem(data)  # ours pays for parsing and the matrix build
    solution = solve(
        problem, limit - (time.monotonic() - started), options=_search_options(task.options)
    )
    seconds = time.monotonic() - started
    if solution.code != 0:
        return Result(task, seconds=seconds, error=solution.error, extra={"vroom": vroom})
    ours = _day_figures(problem, solution, seconds)
    return Result(
        task,
        distance=solution.distance / 1000,
        routes=len(solution.routes),
        unassigned=len(solution.unassigned),
        violations=ours["violations"],
        seconds=seconds,
        extra={
            "vroom": vroom,
            "ours": ours,
            "limit": limit,
            "winner": solution.search_log.get("winner"),
            "vroom_inside_s": solution.search_log.get("vroom_s"),
        },
    )


RUNNERS = {
    "ours": run_ours,
    "vroom": run_vroom,
    "pyvrp": run_pyvrp,
    "fieldservice": run_fieldservice,
    "fieldday": run_fieldday,
}


def run_task(task: Task) -> Result:
    try:
        result = RUNNERS[task.kind](task)
    except Exception as error:  # a crashed peer must not sink the whole run
        result = Result(task, error=f"{type(error).__name__}: {error}")
    if not result.peak_rss_mb:
        result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


# --------------------------------------------------------------------------- reporting


def _read_bks() -> tuple[dict[str, float], dict[str, float]]:
    solomon: dict[str, float] = {}
    with (SOLOMON_DIR / "bks.csv").open() as handle:
        for row in csv.DictReader(handle):
            solomon[row["instance"]] = float(row["dist_distance"])
    homberger: dict[str, float] = {}
    with (HOMBERGER_DIR / "bks.csv").open() as handle:
        for row in csv.DictReader(handle):
            homberger[row["instance"]] = float(row["hier_distance"])
    return solomon, homberger


def _gap(distance: float, reference: float) -> float:
    return 100.0 * (distance / reference - 1.0)


def _fmt(value: float, digits: int = 2, width: int = 8) -> str:
    return f"{value:{width}.{digits}f}" if not math.isnan(value) else f"{'-':>{width}}"


class Report:
    def __init__(self, results: list[Result], limits: list[float], out: Any) -> None:
        self.by_key = {(r.task.kind, r.task.instance, r.task.time_limit): r for r in results}
        self.results = results
        self.limits = limits
        self.out = out
        self.solomon_bks, self.homberger_bks = _read_bks()

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def get(self, kind: str, instance: str, limit: float = 0.0) -> Result | None:
        return self.by_key.get((kind, instance, limit))

    def distance(self, kind: str, instance: str, limit: float = 0.0) -> float:
        result = self.get(kind, instance, limit)
        return result.distance if result is not None and result.error is None else math.nan

    def instances(self, suite: str) -> list[str]:
        names = {
            r.task.instance
            for r in self.results
            if r.task.kind in ("ours", "vroom", "pyvrp")
            and (r.task.instance in self.solomon_bks) == (suite == "solomon")
        }
        return sorted(names, key=lambda n: (n.rstrip("0123456789_"), n))

    def print_suite(self, suite: str) -> None:
        names = self.instances(suite)
        if not names:
            return
        bks = self.solomon_bks if suite == "solomon" else self.homberger_bks
        label = "dist-only BKS" if suite == "solomon" else "hier BKS"
        self.line()
        self.line(f"== {suite}: distance (double precision) and gap vs {label} ==")
        header = f"{'instance':10s} {'BKS':>9s}"
        for limit in self.limits:
            header += f" | ours@{limit:g}s {'gap%':>6s} {'rt':>3s}"
        header += f" | {'vroom':>9s} {'gap%':>6s} {'s':>5s}"
        for limit in self.limits:
            header += f" | pyvrp@{limit:g}s {'gap%':>6s}"
        self.line(header)
        for name in names:
            reference = bks.get(name, math.nan)
            mark = "*" if name in INVALID_BKS else " "
            row = f"{name + mark:10s} {reference:9.2f}"
            for limit in self.limits:
                result = self.get("ours", name, limit)
                d = self.distance("ours", name, limit)
                flag = "" if result is None or result.feasible else "!"
                row += f" | {_fmt(d, 2, 9)}{flag:1s} {_fmt(_gap(d, reference), 2, 6)} {result.routes if result else 0:3d}"
            vroom_result = self.get("vroom", name)
            d = self.distance("vroom", name)
            row += f" | {_fmt(d, 2, 9)} {_fmt(_gap(d, reference), 2, 6)} {_fmt(vroom_result.seconds if vroom_result else math.nan, 1, 5)}"
            for limit in self.limits:
                d = self.distance("pyvrp", name, limit)
                row += f" | {_fmt(d, 2, 10)} {_fmt(_gap(d, reference), 2, 6)}"
            self.line(row)
        self.print_summary(suite, names, bks)

    def print_summary(self, suite: str, names: list[str], bks: dict[str, float]) -> None:
        counted = [n for n in names if n not in INVALID_BKS]
        label = (
            "gap vs distance-only BKS"
            if suite == "solomon"
            else "gap vs HIERARCHICAL BKS (no distance-only BKS exists)"
        )
        self.line()
        excluded = sorted(set(names) & INVALID_BKS)
        note = f" (excluding {', '.join(excluded)}: invalid BKS)" if excluded else ""
        self.line(f"-- {suite} summary, {len(counted)} instances{note}; {label} --")
        rows = (
            [("ours", limit) for limit in self.limits]
            + [("vroom", 0.0)]
            + [("pyvrp", limit) for limit in self.limits]
        )
        for kind, limit in rows:
            results = [self.get(kind, n, limit) for n in names]
            present = [r for r in results if r is not None]
            if not present:
                continue
            gaps = [
                _gap(self.distance(kind, n, limit), bks[n])
                for n in counted
                if self.get(kind, n, limit)
            ]
            gaps = [g for g in gaps if not math.isnan(g)]
            infeasible = sum(1 for r in present if not r.feasible)
            unassigned = sum(r.unassigned for r in present)
            seconds = statistics.mean(r.seconds for r in present)
            name = f"{kind}@{limit:g}s" if kind != "vroom" else f"vroom x{VROOM_EXPLORATION}"
            if gaps:
                self.line(
                    f"{name:12s} mean gap {statistics.mean(gaps):6.2f} %  worst {max(gaps):6.2f} %  "
                    f"infeasible {infeasible}/{len(present)}  unassigned {unassigned}  mean time {seconds:5.1f} s"
                )
        for limit in self.limits:
            for peer, peer_limit in (("vroom", 0.0), ("pyvrp", limit)):
                ratios = []
                for n in names:
                    ours, theirs = (
                        self.distance("ours", n, limit),
                        self.distance(peer, n, peer_limit),
                    )
                    if not math.isnan(ours) and not math.isnan(theirs):
                        ratios.append(ours / theirs)
                if ratios:
                    self.line(
                        f"ours@{limit:g}s / {peer}{'@' + format(peer_limit, 'g') + 's' if peer_limit else ''}: "
                        f"mean ratio {statistics.mean(ratios):.4f}  worst {max(ratios):.4f}  "
                        f"best {min(ratios):.4f}  ({len(ratios)} instances)"
                    )

    def print_fieldservice(self) -> None:
        rows = [r for r in self.results if r.task.kind == "fieldservice"]
        if not rows:
            return
        self.line()
        self.line("== field service (bench/fieldservice.py, seed 1) ==")
        self.line(
            f"{'size':>12s} {'limit s':>8s} {'wall s':>7s} {'feasible':>8s} {'routes':>6s} "
            f"{'unassigned':>10s} {'km':>9s} {'peak RSS MB':>11s}"
        )
        for r in sorted(rows, key=lambda r: r.task.jobs):
            size = f"{r.task.technicians}x{r.task.jobs}"
            status = "yes" if r.feasible else ("ERROR" if r.error else f"NO({r.violations})")
            self.line(
                f"{size:>12s} {r.task.time_limit:8.0f} {r.seconds:7.1f} {status:>8s} {r.routes:6d} "
                f"{r.unassigned:10d} {_fmt(r.distance, 1, 9)} {r.peak_rss_mb:11.0f}"
            )
            if r.error:
                self.line(f"    error: {r.error}")
            if r.extra.get("reasons"):
                self.line(f"    unassigned reasons: {r.extra['reasons']}")
            if r.extra.get("first_violations"):
                self.line(f"    violations: {r.extra['first_violations']}")

    def print_fielddays(self) -> None:
        rows = sorted(
            (r for r in self.results if r.task.kind == "fieldday"),
            key=lambda r: (r.task.jobs, r.task.seed),
        )
        if not rows:
            return
        self.line()
        self.line(
            f"== field days (bench/fieldservice.py): ours vs VROOM x{VROOM_EXPLORATION} "
            "(1 thread), both checked by our checker =="
        )
        self.line(
            "ours gets VROOM's wall time, capped at "
            f"{FIELD_DAY_CAP_S:g} s (or --fieldday-limit); travel in driving hours; cost h = "
            "our objective's cost level (travel + sla_penalty x lateness, in driving hours)"
        )
        if not rows[0].task.sla:
            self.line("SLA deadlines removed (--no-fieldday-sla): like-for-like travel")
        head = (
            f"{'prio':>6s} {'jobs':>5s} {'travel h':>8s} {'late h':>7s} {'cost h':>7s} "
            f"{'wall s':>6s} {'ok':>3s}"
        )
        self.line(f"{'day':12s} | VROOM {head} | ours  {head} | prio>= time<= travel<=1.02")
        met = {"prio": 0, "time": 0, "travel": 0, "travel_n": 0}
        for r in rows:
            day = f"{r.task.technicians}x{r.task.jobs} s{r.task.seed}"
            vroom, ours = r.extra.get("vroom"), r.extra.get("ours")
            if not vroom or not ours:
                self.line(f"{day:12s} | error: {r.error}")
                continue

            def cells(f: dict[str, Any]) -> str:
                ok = "yes" if f["violations"] == 0 else f"NO{f['violations']}"
                return (
                    f"{f['priority']:6d} {f['served']:5d} {f['travel_h']:8.1f} {f['late_h']:7.1f} "
                    f"{f['cost_h']:7.1f} {f['seconds']:6.1f} {ok:>3s}"
                )

            prio_ok = ours["priority"] >= vroom["priority"]
            time_ok = (
                ours["seconds"] <= max(vroom["seconds"], 0) + 0.5
                and ours["seconds"] <= FIELD_DAY_CAP_S + 0.5
            )
            equal = ours["priority"] == vroom["priority"]
            travel_ratio = ours["travel_h"] / vroom["travel_h"] if vroom["travel_h"] else math.nan
            met["prio"] += prio_ok
            met["time"] += time_ok
            if equal:
                met["travel_n"] += 1
                met["travel"] += travel_ratio <= 1.02
            self.line(
                f"{day:12s} | VROOM {cells(vroom)} | ours  {cells(ours)} | "
                f"{'yes' if prio_ok else 'NO':>6s} {'yes' if time_ok else 'NO':>5s} "
                f"{travel_ratio:6.3f}{'' if equal else ' (prio differs)'}"
            )
        self.line(
            f"-- served priority >= VROOM on {met['prio']}/{len(rows)} days; wall time within "
            f"target on {met['time']}/{len(rows)}; travel <= 1.02 x VROOM on "
            f"{met['travel']}/{met['travel_n']} days of equal priority --"
        )

    def print_errors(self) -> None:
        errors = [r for r in self.results if r.error]
        if errors:
            self.line()
            self.line("== errors ==")
            for r in errors:
                self.line(f"{r.task.kind} {r.task.instance} @{r.task.time_limit:g}s: {r.error}")


# --------------------------------------------------------------------------- main


def _instance_paths(selection: str, homberger_sample: list[str]) -> list[tuple[str, Path]]:
    solomon = sorted(SOLOMON_DIR.glob("*.txt"))
    if selection == "none":
        return []
    chosen: list[tuple[str, Path]] = []
    if selection in ("all", "solomon"):
        chosen += [(p.stem, p) for p in solomon]
    if selection in ("all", "homberger"):
        chosen += [(name, HOMBERGER_DIR / f"{name}.txt") for name in homberger_sample]
    if chosen:
        return chosen
    for name in selection.split(","):
        name = name.strip()
        for folder in (SOLOMON_DIR, HOMBERGER_DIR):
            if (folder / f"{name}.txt").exists():
                chosen.append((name, folder / f"{name}.txt"))
                break
        else:
            raise SystemExit(f"error: unknown instance {name!r}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--instances", default="all", help="all | solomon | homberger | none | C101,r1_2_1,..."
    )
    parser.add_argument("--homberger-sample", default=",".join(HOMBERGER_SAMPLE))
    parser.add_argument("--time-limits", default="5,30", help="seconds, comma-separated")
    parser.add_argument(
        "--jobs", type=int, default=2, help="parallel processes (default 2 = cores)"
    )
    parser.add_argument("--peers", default="vroom,pyvrp", help="vroom,pyvrp | none")
    parser.add_argument("--fieldservice", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--fieldservice-sizes",
        default=",".join(f"{t}x{j}:{s:g}" for t, j, s in FIELD_SERVICE_SIZES),
    )
    parser.add_argument(
        "--fielddays",
        default=";".join(
            f"{t}x{j}:{','.join(str(s) for s in seeds)}" for t, j, seeds in FIELD_DAYS
        ),
        help="over-subscribed days vs VROOM: 30x300:1,2,3;60x600:1,2,3 | none",
    )
    parser.add_argument(
        "--fieldday-limit",
        type=float,
        default=0.0,
        help="seconds for ours on field days (default 0: VROOM's wall time, capped at 30 s)",
    )
    parser.add_argument(
        "--fieldday-sla",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep SLA deadlines on field days (--no-fieldday-sla: like-for-like travel)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"iterate fast: Solomon {QUICK_SOLOMON} at 5 s, field days 30x300 seed 1 "
        "and 60x600 seed 1, no Homberger or sizes",
    )
    parser.add_argument(
        "--options",
        default="",
        help="SearchOptions overrides for ours, e.g. construction=ortools,vroom_share=0.3",
    )
    parser.add_argument("--json", help="also write raw results here (one JSON object per line)")
    parser.add_argument(
        "--save",
        action="store_true",
        help="also write the report to bench/results/solver-<date>.txt",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.instances = QUICK_SOLOMON
        args.time_limits = "5"
        args.fielddays = "30x300:1;60x600:1"
        args.fieldservice = False

    limits = [float(x) for x in args.time_limits.split(",") if x]
    peers = [] if args.peers in ("", "none") else args.peers.split(",")
    instances = _instance_paths(args.instances, args.homberger_sample.split(","))
    tasks: list[Task] = []
    for name, path in instances:
        for limit in limits:
            tasks.append(Task("ours", name, limit, str(path), options=args.options))
            if "pyvrp" in peers:
                tasks.append(Task("pyvrp", name, limit, str(path)))
        if "vroom" in peers:
            tasks.append(Task("vroom", name, 0.0, str(path)))
    if args.fieldservice:
        for spec in args.fieldservice_sizes.split(","):
            size, limit = spec.split(":")
            technicians, jobs = (int(x) for x in size.split("x"))
            tasks.append(
                Task(
                    "fieldservice",
                    size,
                    float(limit),
                    technicians=technicians,
                    jobs=jobs,
                    options=args.options,
                )
            )
    if args.fielddays not in ("", "none"):
        for spec in args.fielddays.split(";"):
            size, seeds = spec.split(":")
            technicians, jobs = (int(x) for x in size.split("x"))
            for seed in (int(x) for x in seeds.split(",")):
                tasks.append(
                    Task(
                        "fieldday",
                        f"{size}s{seed}",
                        args.fieldday_limit,
                        technicians=technicians,
                        jobs=jobs,
                        seed=seed,
                        options=args.options,
                        sla=args.fieldday_sla,
                    )
                )
    # Longest first so the two workers finish together.
    tasks.sort(key=lambda t: -t.expected_seconds)
    total = sum(t.expected_seconds for t in tasks) / max(1, args.jobs)
    started = time.monotonic()
    print(
        f"# bench/solver.py {dt.datetime.now().isoformat(timespec='seconds')}  tasks={len(tasks)} "
        f"jobs={args.jobs} limits={limits} peers={peers or 'none'} load={os.getloadavg()[0]:.2f} "
        f"cpus={os.cpu_count()}  (about {total / 60:.0f} min)",
        flush=True,
    )
    results: list[Result] = []
    json_out = open(args.json, "w") if args.json else None  # noqa: SIM115
    # A fresh process per task: peak RSS is then per solve, and no state leaks between runs.
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.jobs, maxtasksperchild=1) as pool:
        for done, result in enumerate(pool.imap_unordered(run_task, tasks), start=1):
            results.append(result)
            status = (
                "ok" if result.feasible else (result.error or f"{result.violations} violations")
            )
            print(
                f"[{done}/{len(tasks)} {time.monotonic() - started:6.0f}s] {result.task.kind:12s} "
                f"{result.task.instance:9s} @{result.task.time_limit:g}s dist={result.distance:.2f} "
                f"routes={result.routes} unassigned={result.unassigned} {status}",
                file=sys.stderr,
                flush=True,
            )
            if json_out:
                json_out.write(
                    json.dumps(
                        {
                            **result.task.__dict__,
                            **{k: v for k, v in result.__dict__.items() if k != "task"},
                        }
                    )
                    + "\n"
                )
    if json_out:
        json_out.close()

    out = _Tee(sys.stdout)
    header = (
        f"# bench/solver.py {' '.join(argv if argv is not None else sys.argv[1:])}  "
        f"{dt.datetime.now().isoformat(timespec='seconds')}  tasks={len(tasks)} jobs={args.jobs} "
        f"cpus={os.cpu_count()}"
    )
    report = Report(results, limits, out)
    report.line(header)
    report.print_suite("solomon")
    report.print_suite("homberger")
    report.print_fielddays()
    report.print_fieldservice()
    report.print_errors()
    report.line()
    report.line(
        f"# finished in {(time.monotonic() - started) / 60:.1f} min, load average now {os.getloadavg()[0]:.2f}"
    )
    if args.save:
        target = REPO / "bench" / "results" / f"solver-{dt.date.today().isoformat()}.txt"
        target.write_text("".join(out.lines))
        print(f"saved {target.relative_to(REPO)}", file=sys.stderr)
    return 0


class _Tee:
    """Writes to a stream and keeps a copy for --save."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.stream.write(text)
        self.lines.append(text)

    def flush(self) -> None:
        self.stream.flush()


if __name__ == "__main__":
    sys.exit(main())
