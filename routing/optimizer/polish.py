"""Local search that polishes a finished plan: relocate, swap, or-opt and 2-opt* moves
between technicians' routes, then ruin and recreate, with the day's breaks placed
exactly.

Why it exists: on field days with lunch breaks OR-Tools cannot search from VROOM's
routes (README, "Why OR-Tools rejects VROOM's routes"), and VROOM's own local search
judges a move that shifts several jobs at once by placing the break greedily between
two neighbouring jobs (it never defers it past a job whose window closes before the
break window opens), so it refuses moves that are feasible. This search takes the best
plan found, tries every move between each job and its nearest neighbours, and keeps a
move when the plan's cost (travel plus SLA lateness, `objective.solution_key`'s third
level) falls; every move prices its travel change from the legs it alters, so hopeless
ones are skipped before a route is built or timed. Then, until the deadline, it takes
out runs of consecutive jobs from neighbouring routes, puts them back at their cheapest
feasible places and descends again around them, continuing from
plans within a shrinking margin of the best (record-to-record travel) and keeping the
best. Served jobs never change, so served priority and jobs stay as they were.

Feasibility is our own semantics (`schedule.build_route`, shared with the checker):
earliest-start schedule, one break per technician placed in whichever gap works best
(a break may be taken en route), windows, SLA lateness, shift end, capacity,
`max_tasks`, `max_travel_time`, `max_working_time` and skills (`allowed`). Routes of
technicians with a job underway or more than one break are left as they are. The result
is rebuilt with `build_route` and checked route by route by `checker.check`; if any
route fails, the plan is returned unchanged.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .checker import check
from .feasibility import service_windows
from .matrices import as_array, travel_costs
from .model import Number, Problem, Route, Solution, Unassigned
from .schedule import build_route
from .vroom_json import solution_to_json

# Moves must gain at least this much (cost units) to count: rounding noise is not a gain.
EPSILON = 1e-6
# Neighbours of each job tried as anchors for its moves (nearest first by travel time).
NEIGHBOURS = 12
# Nearest jobs a ruin may take out with its seed job.
RUIN_NEIGHBOURS = 30
# Longest run of consecutive jobs moved at once by or-opt.
SEGMENT = 3
# Longest run of consecutive jobs a ruin takes out of one route (SISR's L_max).
STRING = 10

# SLA lateness cost of a route, the gap its break is taken in and the break's start.
_Timing = tuple[float, int | None, Number | None]


@dataclass(frozen=True)
class PolishSettings:
    """How a process polishes on a large day (`SearchOptions`' `polish_share`,
    `ruin_size` and `polish_accept`): the last `share` of its budget (0: no polish),
    ruins of up to `ruin` + 1 jobs, record-to-record acceptance within `accept`."""

    share: float = 0.0
    ruin: int = 0
    accept: float = 0.0


@dataclass
class PolishLog:
    """What the polish did, for `fieldops.search.polish`: improving moves made by the
    descents (`kinds` by move; moves inside a round that was undone count too), rounds
    of ruin and recreate and how many of them found a new best, the cost before and
    after."""

    moves: int = 0
    passes: int = 0
    before: float = 0.0
    after: float = 0.0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)
    rejected: str | None = None
    rounds: int = 0
    kept: int = 0
    # Rounds whose recreate found no on-time place for a job taken out (undone).
    stuck: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "moves": self.moves,
            "passes": self.passes,
            "before": round(self.before, 3),
            "after": round(self.after, 3),
            "s": round(self.seconds, 3),
            "kinds": dict(self.kinds),
            "rounds": self.rounds,
            "kept": self.kept,
            "stuck": self.stuck,
            **({"rejected": self.rejected} if self.rejected else {}),
        }


class _Day:
    """The problem as flat lists indexed by job and vehicle position (fast to read)."""

    def __init__(self, problem: Problem, allowed: dict[int, list[int]]) -> None:
        self.problem = problem
        jobs = problem.jobs
        self.location = [job.location_index for job in jobs]
        self.windows = [service_windows(job) for job in jobs]
        self.service = [job.service for job in jobs]
        self.deadline = [job.sla_deadline for job in jobs]
        self.penalty = [
            job.sla_penalty if job.sla_penalty is not None else problem.sla_penalty for job in jobs
        ]
        size = problem.amount_size
        self.delivery = [list(job.delivery) + [0] * (size - len(job.delivery)) for job in jobs]
        self.loaded = any(any(d) for d in self.delivery)
        self.allowed = [frozenset(allowed.get(job.id, ())) for job in jobs]
        self.durations = problem.durations
        models = travel_costs(problem)
        matrices: dict[tuple[int, int], list[list[Number]]] = {}
        for key, matrix in models.items():
            per_hour, per_km = key
            same = per_hour == 3600 and (per_km == 0 or problem.distances is None)
            matrices[key] = problem.durations if same else matrix.tolist()
        vehicles = problem.vehicles
        self.costs = [matrices[(v.per_hour, v.per_km)] for v in vehicles]
        self.start = [v.start_index for v in vehicles]
        self.end = [v.end_index for v in vehicles]
        self.shift = [v.time_window or (0, math.inf) for v in vehicles]
        self.breaks = [v.breaks[0] if v.breaks else None for v in vehicles]
        self.capacity = [list(v.capacity) + [0] * (size - len(v.capacity)) for v in vehicles]
        self.fixed = [v.fixed_cost for v in vehicles]

    def travel(self, v: int, sequence: list[int]) -> float:
        """Travel cost of the route plus the vehicle's fixed cost when it has jobs."""
        if not sequence:
            return 0.0
        return self.fixed[v] + self._along(self.costs[v], v, sequence)

    def _along(self, matrix: list[list[Number]], v: int, sequence: list[int]) -> float:
        """Sum of `matrix` over the legs of vehicle v's route through `sequence`."""
        location = self.location
        total = 0.0
        here = self.start[v]
        for j in sequence:
            there = location[j]
            if here is not None:
                total += matrix[here][there]
            here = there
        if self.end[v] is not None:
            total += matrix[here][self.end[v]]
        return total

    def timing(self, v: int, sequence: list[int]) -> _Timing | None:
        """(SLA lateness cost, gap of the break, its start) of the earliest schedule, or
        None when the route breaks a hard constraint. Gap k: the break comes before the
        k-th stop (the end is stop len(sequence))."""
        if not sequence:
            return 0.0, None, None
        vehicle = self.problem.vehicles[v]
        if vehicle.max_tasks is not None and len(sequence) > vehicle.max_tasks:
            return None
        if self.loaded:
            delivery = self.delivery
            for k, capacity in enumerate(self.capacity[v]):
                if sum(delivery[j][k] for j in sequence) > capacity:
                    return None
        if vehicle.max_travel_time is not None or vehicle.max_working_time is not None:
            driven = self._along(self.durations, v, sequence)
            if vehicle.max_travel_time is not None and driven > vehicle.max_travel_time + 1e-9:
                return None
            if vehicle.max_working_time is not None and (
                driven + sum(self.service[j] for j in sequence) > vehicle.max_working_time + 1e-9
            ):
                return None
        # The schedule without the break: if it fails, a break (which only delays) does
        # too; its departures and lateness are the prefix of every schedule with one.
        departures: list[Number] = []
        late_before: list[float] = []
        durations, location, windows = self.durations, self.location, self.windows
        clock, shift_end = self.shift[v]
        here = self.start[v]
        lateness = 0.0
        for j in sequence:
            there = location[j]
            arrival = clock + (durations[here][there] if here is not None else 0)
            start = _earliest(arrival, windows[j])
            if start is None:
                return None
            late_before.append(lateness)
            deadline = self.deadline[j]
            if deadline is not None and start > deadline:
                lateness += (start - deadline) * self.penalty[j]
            clock = start + self.service[j]
            departures.append(clock)
            here = there
        end = self.end[v]
        if clock + (durations[here][end] if end is not None else 0) > shift_end + 1e-9:
            return None
        brk = self.breaks[v]
        if brk is None:
            return lateness, None, None
        late_before.append(lateness)
        opens = brk.time_windows[0][0]
        first = next((g + 1 for g, d in enumerate(departures) if d >= opens), len(sequence))
        best: _Timing | None = None
        for gap in _around(first, len(sequence) + 1):
            timing = self._with_break(v, sequence, gap, departures, late_before[gap])
            if timing is None:
                continue
            if timing[0] <= 0:
                return timing
            if best is None or timing[0] < best[0]:
                best = timing
        return best

    def _with_break(
        self,
        v: int,
        sequence: list[int],
        gap: int,
        departures: list[Number],
        lateness: float,
    ) -> _Timing | None:
        """The schedule with the break before stop `gap`, from the break-free prefix."""
        durations, location = self.durations, self.location
        brk = self.breaks[v]
        assert brk is not None
        if gap == 0:
            clock, here = self.shift[v][0], self.start[v]
        else:
            clock, here = departures[gap - 1], location[sequence[gap - 1]]
        shift_end = self.shift[v][1]
        break_start = _earliest(clock, brk.time_windows)
        if break_start is None:
            return None
        count = len(sequence)
        for position in range(gap, count + 1):
            there = location[sequence[position]] if position < count else self.end[v]
            leg = durations[here][there] if here is not None and there is not None else 0
            if position == gap:
                drive = min(break_start - clock, leg)
                clock = break_start + brk.service
                arrival = clock + leg - drive
            else:
                arrival = clock + leg
            if position == count:
                return (lateness, gap, break_start) if arrival <= shift_end + 1e-9 else None
            j = sequence[position]
            start = _earliest(arrival, self.windows[j])
            if start is None:
                return None
            deadline = self.deadline[j]
            if deadline is not None and start > deadline:
                lateness += (start - deadline) * self.penalty[j]
            clock = start + self.service[j]
            here = there
        return None  # pragma: no cover - the loop always returns at the end stop


def _around(first: int, count: int) -> list[int]:
    """0..count-1 ordered by distance from `first` (the gap where the break-free schedule
    reaches the break window: the likeliest place for the break)."""
    order = [first]
    for step in range(1, count):
        for gap in (first + step, first - step):
            if 0 <= gap < count:
                order.append(gap)
    return order


def _earliest(moment: Number, windows: list[tuple[Number, Number]]) -> Number | None:
    for window_start, window_end in windows:
        if moment <= window_end + 1e-9:
            return max(moment, window_start)
    return None


def polish(
    problem: Problem,
    solution: Solution,
    allowed: dict[int, list[int]],
    deadline: float,
    seed: int = 1,
    ruin: int = 0,
    accept: float = 0.0,
) -> tuple[Solution, PolishLog]:
    """A plan at most as costly as `solution`, serving the same jobs, found by local search
    until `deadline` (time.monotonic()) or a local optimum."""
    begun = time.monotonic()
    log = PolishLog()
    search = _Search.of(problem, solution, allowed, log)
    log.before = sum(search.value)
    rng = random.Random(seed)
    search.run(deadline, rng)
    if ruin:
        search.ruin_and_recreate(deadline, rng, ruin, accept)
    log.after = sum(search.value)
    log.seconds = time.monotonic() - begun
    if log.after >= log.before - EPSILON:
        return solution, log
    polished = _rebuild(problem, search.day, solution, search.routes, search.movable)
    if polished is None:
        log.rejected = "a polished route failed the checker"
        return solution, log
    return polished, log


class _Search:
    """The plan as job indexes per vehicle position, with each route's cost, and the
    moves, descents and rounds of ruin and recreate that change it in place."""

    def __init__(
        self,
        day: _Day,
        routes: list[list[int]],
        value: list[float],
        late: list[float],
        movable: list[bool],
        log: PolishLog,
    ) -> None:
        self.day = day
        self.routes = routes
        # Cost of each route (travel + lateness) and its lateness part.
        self.value = value
        self.late = late
        self.movable = movable
        self.log = log
        self.where: dict[int, tuple[int, int]] = {}
        for v in range(len(routes)):
            self._index(v)
        served = [j for v, r in enumerate(routes) if movable[v] for j in r]
        self.neighbours: dict[int, list[int]] = {}
        if served:
            # Nearest by travel both ways (numpy: a 600-job day sorts in milliseconds).
            where = np.array([day.location[j] for j in served])
            durations = as_array(day.durations)[np.ix_(where, where)]
            closeness = durations + durations.T
            np.fill_diagonal(closeness, np.inf)
            count = min(max(NEIGHBOURS, RUIN_NEIGHBOURS), len(served) - 1)
            nearest = np.argsort(closeness, axis=1, kind="stable")[:, :count]
            self.neighbours = {
                u: [served[n] for n in row] for u, row in zip(served, nearest.tolist(), strict=True)
            }

    @classmethod
    def of(
        cls, problem: Problem, solution: Solution, allowed: dict[int, list[int]], log: PolishLog
    ) -> _Search:
        """The search over `solution`'s routes. Routes with a job underway or more than one
        break, or that our scalar timing disagrees with, are not movable."""
        day = _Day(problem, allowed)
        index_of = {job.id: j for j, job in enumerate(problem.jobs)}
        position_of = {vehicle.id: v for v, vehicle in enumerate(problem.vehicles)}
        routes: list[list[int]] = [[] for _ in problem.vehicles]
        movable = [len(vehicle.breaks) <= 1 for vehicle in problem.vehicles]
        for route in solution.routes:
            v = position_of[route.vehicle]
            routes[v] = [index_of[s.id] for s in route.steps if s.type == "job"]
            if any(problem.jobs[j].in_progress for j in routes[v]):
                movable[v] = False
        value: list[float] = []
        late: list[float] = []
        for v, sequence in enumerate(routes):
            timing = day.timing(v, sequence)
            if timing is None:
                movable[v] = False  # our model disagrees with a checked route: leave it be
                timing = (0.0, None, None)
            late.append(timing[0])
            value.append(day.travel(v, sequence) + timing[0])
        return cls(day, routes, value, late, movable, log)

    def _index(self, v: int) -> None:
        for i, j in enumerate(self.routes[v]):
            self.where[j] = (v, i)

    def run(self, deadline: float, rng: random.Random) -> None:
        self.descend(list(self.neighbours), deadline, rng)

    def descend(self, jobs: list[int], deadline: float, rng: random.Random) -> None:
        jobs = list(jobs)
        improved = True
        while improved and time.monotonic() < deadline:
            improved = False
            self.log.passes += 1
            rng.shuffle(jobs)
            for u in jobs:
                if time.monotonic() >= deadline:
                    return
                if self._improve(u):
                    improved = True

    def ruin_and_recreate(
        self, deadline: float, rng: random.Random, size: int, accept: float = 0.0
    ) -> None:
        """Iterated local search: take out runs of jobs around a random job (`_strings`),
        put them back at their cheapest feasible places, descend around them. The result
        becomes the current plan when its cost is within `accept` (a share, shrinking
        linearly to 0 at the deadline) of the best plan's: record-to-record travel, so
        the search can cross small rises. The best plan is the one kept."""
        jobs = list(self.neighbours)
        day = self.day
        begun = time.monotonic()
        best_total = sum(self.value)
        best = self._snapshot()
        while jobs and time.monotonic() < deadline:
            self.log.rounds += 1
            saved = self._snapshot()
            seed = rng.choice(jobs)
            removed = self._strings(seed, rng, size)
            touched = {self.where[j][0] for j in removed}
            gone = set(removed)
            for v in touched:
                self.routes[v] = [j for j in self.routes[v] if j not in gone]
            rng.shuffle(removed)
            ok = True
            for j in removed:
                candidates = {
                    self.where[w][0] for w in self.neighbours[j][:NEIGHBOURS] if w not in gone
                }
                candidates |= touched
                if not self._insert(j, [v for v in candidates if v in day.allowed[j]]):
                    ok = False
                    self.log.stuck += 1
                    break
                gone.discard(j)
            if ok:
                changed = touched | {self.where[j][0] for j in removed}
                for v in changed:
                    self._index(v)
                    timing = day.timing(v, self.routes[v])
                    self.late[v] = timing[0] if timing else math.inf
                    self.value[v] = day.travel(v, self.routes[v]) + self.late[v]
                # Around the jobs put back only: measured on 60 x 600 s1 over four seeds,
                # 151 k on average against 155 k when descending on their whole routes
                # (more rounds in the time; 30 x 300 s1 the same either way).
                self.descend(removed, deadline, rng)
            total = sum(self.value)
            if ok and total < best_total - EPSILON:
                self.log.kept += 1
                best_total, best = total, self._snapshot()
                continue
            span = max(deadline - begun, 1e-9)
            threshold = accept * max(0.0, 1 - (time.monotonic() - begun) / span)
            if ok and total <= best_total * (1 + threshold) + EPSILON:
                continue
            self._restore(saved)
        self._restore(best)

    def _snapshot(self) -> tuple[list[list[int]], list[float], list[float]]:
        return [list(r) for r in self.routes], list(self.value), list(self.late)

    def _restore(self, saved: tuple[list[list[int]], list[float], list[float]]) -> None:
        routes, value, late = saved
        self.routes, self.value, self.late = [list(r) for r in routes], list(value), list(late)
        for v in range(len(self.routes)):
            self._index(v)

    def _strings(self, seed: int, rng: random.Random, size: int) -> list[int]:
        """Jobs to take out: 3 to `size` + 1 of them, as runs of consecutive jobs (up to
        `STRING` long), one run from each route met among the seed and its nearest jobs,
        each run holding the job it was met by (the string removal of SISR, Christiaens
        and Vanden Berghe 2020). A run frees a stretch of a technician's day, where
        scattered jobs would leave the same windows blocking it."""
        target = rng.randint(3, size + 1)
        removed: list[int] = []
        seen: set[int] = set()
        for j in [seed, *self.neighbours[seed]]:
            if len(removed) >= target:
                break
            v, at = self.where[j]
            if v in seen:
                continue
            seen.add(v)
            route = self.routes[v]
            length = rng.randint(1, min(len(route), STRING, target - len(removed)))
            first = rng.randint(max(0, at - length + 1), min(at, len(route) - length))
            removed.extend(route[first : first + length])
        return removed

    def _insert(self, j: int, vehicles: list[int]) -> bool:
        """Put job j at its cheapest feasible position among `vehicles` (by travel)."""
        day = self.day
        location = day.location[j]
        options: list[tuple[float, int, int]] = []
        for v in vehicles:
            if not self.movable[v]:
                continue
            route = self.routes[v]
            cost = day.costs[v]
            stops = [day.start[v], *(day.location[w] for w in route), day.end[v]]
            for position in range(len(route) + 1):
                before, after = stops[position], stops[position + 1]
                added = (cost[before][location] if before is not None else 0) + (
                    cost[location][after] if after is not None else 0
                )
                if before is not None and after is not None:
                    added -= cost[before][after]
                options.append((added, v, position))
        options.sort()
        for _, v, position in options:
            sequence = [*self.routes[v][:position], j, *self.routes[v][position:]]
            timing = day.timing(v, sequence)
            if timing is not None and timing[0] <= 0:
                self.routes[v] = sequence
                self.where[j] = (v, position)
                return True
        return False

    def _improve(self, u: int) -> bool:
        for w in self.neighbours[u][:NEIGHBOURS]:
            ru, i = self.where[u]
            rw, k = self.where[w]
            if not (self.movable[ru] and self.movable[rw]):
                continue
            for kind, changes, delta in self._moves(u, ru, i, w, rw, k):
                if self._try(kind, changes, delta):
                    return True
        return False

    def _stop(self, v: int, route: list[int], i: int) -> int | None:
        """Location of the i-th stop of `route` (-1: the start, len(route): the end)."""
        if i < 0:
            return self.day.start[v]
        if i >= len(route):
            return self.day.end[v]
        return self.day.location[route[i]]

    def _arc(self, v: int, a: int | None, b: int | None) -> float:
        return 0 if a is None or b is None else self.day.costs[v][a][b]

    def _segment_out(self, v: int, route: list[int], i: int, length: int) -> float:
        """Travel saved by taking route[i:i+length] out of vehicle v's route."""
        if length == len(route):
            return self.day.travel(v, route)
        arc, stop = self._arc, self._stop
        before, after = stop(v, route, i - 1), stop(v, route, i + length)
        saved = arc(v, before, stop(v, route, i)) + arc(v, stop(v, route, i + length - 1), after)
        for n in range(i, i + length - 1):
            saved += arc(v, stop(v, route, n), stop(v, route, n + 1))
        return saved - arc(v, before, after)

    def _segment_in(self, v: int, route: list[int], at: int, segment: list[int]) -> float:
        """Travel added by putting `segment` before route[at] in vehicle v's route."""
        arc, location = self._arc, self.day.location
        if not route:
            return self.day.travel(v, segment)
        before, after = self._stop(v, route, at - 1), self._stop(v, route, at)
        added = arc(v, before, location[segment[0]]) + arc(v, location[segment[-1]], after)
        for x, y in itertools.pairwise(segment):
            added += arc(v, location[x], location[y])
        return added - arc(v, before, after)

    def _moves(
        self, u: int, ru: int, i: int, w: int, rw: int, k: int
    ) -> Iterator[tuple[str, dict[int, list[int]], float | None]]:
        """Candidate moves as (kind, {vehicle: new sequence}, travel change or None when
        it must be costed in full), generated lazily. A move whose travel cannot fall by
        more than the changed routes' lateness is skipped before its sequences are built:
        lateness never goes below 0, so it cannot gain."""
        routes, day = self.routes, self.day
        a, b = routes[ru], routes[rw]
        if ru != rw:
            room = self.late[ru] + self.late[rw] - EPSILON
            if rw in day.allowed[u]:
                out = self._segment_out(ru, a, i, 1)
                for at in (k, k + 1):
                    delta = self._segment_in(rw, b, at, [u]) - out
                    if delta < room:
                        yield "relocate", {ru: a[:i] + a[i + 1 :], rw: [*b[:at], u, *b[at:]]}, delta
                if ru in day.allowed[w]:
                    lu, lw = day.location[u], day.location[w]
                    arc, stop = self._arc, self._stop
                    before_a, after_a = stop(ru, a, i - 1), stop(ru, a, i + 1)
                    before_b, after_b = stop(rw, b, k - 1), stop(rw, b, k + 1)
                    delta = (
                        arc(ru, before_a, lw)
                        + arc(ru, lw, after_a)
                        - arc(ru, before_a, lu)
                        - arc(ru, lu, after_a)
                        + arc(rw, before_b, lu)
                        + arc(rw, lu, after_b)
                        - arc(rw, before_b, lw)
                        - arc(rw, lw, after_b)
                    )
                    if delta < room:
                        swapped_a, swapped_b = list(a), list(b)
                        swapped_a[i], swapped_b[k] = w, u
                        yield "swap", {ru: swapped_a, rw: swapped_b}, delta
            for length in range(2, SEGMENT + 1):
                segment = a[i : i + length]
                if len(segment) < length or not all(rw in day.allowed[j] for j in segment):
                    break
                out = self._segment_out(ru, a, i, length)
                for at in (k, k + 1):
                    delta = self._segment_in(rw, b, at, segment) - out
                    if delta < room:
                        yield (
                            "or-opt",
                            {ru: a[:i] + a[i + length :], rw: b[:at] + segment + b[at:]},
                            delta,
                        )
            # 2-opt*: u is followed by w (cuts after u and before w), or w by u; the
            # tails change routes.
            for cut_a, cut_b in ((i + 1, k), (i, k + 1)):
                delta = self._exchange(ru, a, cut_a, rw, b, cut_b)
                if delta is not None and delta >= room:
                    continue
                tail_a, tail_b = a[cut_a:], b[cut_b:]
                if all(rw in day.allowed[j] for j in tail_a) and all(
                    ru in day.allowed[j] for j in tail_b
                ):
                    yield "2-opt*", {ru: a[:cut_a] + tail_b, rw: b[:cut_b] + tail_a}, delta
        else:
            room = self.late[ru] - EPSILON
            for target in (k, k + 1):
                for length in range(1, SEGMENT + 1):
                    if i <= target <= i + length or i + length > len(a):
                        continue
                    delta = self._shift(ru, a, i, length, target)
                    if delta >= room:
                        continue
                    segment = a[i : i + length]
                    rest = a[:i] + a[i + length :]
                    at = target if target < i else target - length
                    yield (
                        "relocate" if length == 1 else "or-opt",
                        {ru: rest[:at] + segment + rest[at:]},
                        delta,
                    )
            delta = self._exchange_inside(ru, a, i, k)
            if delta < room:
                swapped = list(a)
                swapped[i], swapped[k] = swapped[k], swapped[i]
                yield "swap", {ru: swapped}, delta

    def _exchange(
        self, ru: int, a: list[int], cut_a: int, rw: int, b: list[int], cut_b: int
    ) -> float | None:
        """Travel change of 2-opt* between two routes: a[:cut_a] + b[cut_b:] and
        b[:cut_b] + a[cut_a:]. None (cost it in full) when the two technicians cost travel
        differently, since the tails' own legs change price, or when a route empties."""
        day = self.day
        if day.costs[ru] is not day.costs[rw]:
            return None
        if cut_a + len(b) - cut_b == 0 or cut_b + len(a) - cut_a == 0:
            return None
        location, end_a, end_b = day.location, day.end[ru], day.end[rw]
        arc = self._arc
        before_a, before_b = self._stop(ru, a, cut_a - 1), self._stop(rw, b, cut_b - 1)
        first_a = location[a[cut_a]] if cut_a < len(a) else None
        first_b = location[b[cut_b]] if cut_b < len(b) else None
        old = arc(ru, before_a, end_a if first_a is None else first_a) + arc(
            rw, before_b, end_b if first_b is None else first_b
        )
        new = arc(ru, before_a, end_a if first_b is None else first_b) + arc(
            rw, before_b, end_b if first_a is None else first_a
        )
        # A tail now ends at the other technician's end of day.
        if first_a is not None:
            last = location[a[-1]]
            new += arc(rw, last, end_b) - arc(ru, last, end_a)
        if first_b is not None:
            last = location[b[-1]]
            new += arc(ru, last, end_a) - arc(rw, last, end_b)
        return new - old

    def _shift(self, v: int, route: list[int], i: int, length: int, target: int) -> float:
        """Travel change of moving route[i:i+length] to before route[target] (the end when
        target is len(route)) in the same route; target lies outside i..i+length."""
        arc, stop, location = self._arc, self._stop, self.day.location
        first, last = location[route[i]], location[route[i + length - 1]]
        before, after = stop(v, route, i - 1), stop(v, route, i + length)
        out = arc(v, before, first) + arc(v, last, after) - arc(v, before, after)
        before, after = stop(v, route, target - 1), stop(v, route, target)
        return arc(v, before, first) + arc(v, last, after) - arc(v, before, after) - out

    def _exchange_inside(self, v: int, route: list[int], i: int, k: int) -> float:
        """Travel change of swapping route[i] and route[k] (i != k) in one route."""
        arc, stop = self._arc, self._stop
        x, y = min(i, k), max(i, k)
        lx, ly = stop(v, route, x), stop(v, route, y)
        before, after = stop(v, route, x - 1), stop(v, route, y + 1)
        if y == x + 1:
            old = arc(v, before, lx) + arc(v, lx, ly) + arc(v, ly, after)
            return arc(v, before, ly) + arc(v, ly, lx) + arc(v, lx, after) - old
        inner_x, inner_y = stop(v, route, x + 1), stop(v, route, y - 1)
        old = arc(v, before, lx) + arc(v, lx, inner_x) + arc(v, inner_y, ly) + arc(v, ly, after)
        new = arc(v, before, ly) + arc(v, ly, inner_x) + arc(v, inner_y, lx) + arc(v, lx, after)
        return new - old

    def _try(self, kind: str, changes: dict[int, list[int]], delta: float | None) -> bool:
        """Make the move if it lowers the plan's cost. `delta`: its travel change when
        known (the moves' own arithmetic), else the sequences are costed in full."""
        day = self.day
        if not all(self.movable[v] for v in changes):
            return False
        old_late = sum(self.late[v] for v in changes)
        if delta is None:
            delta = sum(day.travel(v, s) for v, s in changes.items()) - sum(
                self.value[v] - self.late[v] for v in changes
            )
            if delta >= old_late - EPSILON:
                return False  # lateness only adds, so no gain is possible
        late: dict[int, float] = {}
        for v, sequence in changes.items():
            timing = day.timing(v, sequence)
            if timing is None:
                return False
            late[v] = timing[0]
        if delta + sum(late.values()) >= old_late - EPSILON:
            return False
        for v, sequence in changes.items():
            self.routes[v] = sequence
            self.late[v] = late[v]
            # Costed in full once made, so the route costs never drift by rounding.
            self.value[v] = day.travel(v, sequence) + late[v]
            self._index(v)
        self.log.moves += 1
        self.log.kinds[kind] = self.log.kinds.get(kind, 0) + 1
        return True


def _rebuild(
    problem: Problem,
    day: _Day,
    solution: Solution,
    routes: list[list[int]],
    movable: list[bool],
) -> Solution | None:
    """The polished routes scheduled by `build_route` and checked one by one; None when
    any fails (then the caller keeps the plan it had)."""
    original = {route.vehicle: route for route in solution.routes}
    rebuilt: list[Route] = []
    for v, vehicle in enumerate(problem.vehicles):
        if not movable[v]:
            if vehicle.id in original:
                rebuilt.append(original[vehicle.id])
            continue
        sequence = routes[v]
        if not sequence:
            continue
        timing = day.timing(v, sequence)
        if timing is None:
            return None
        gaps: list[list] = [[] for _ in range(len(sequence) + 1)]
        brk = day.breaks[v]
        if brk is not None:
            gaps[timing[1]].append((brk, timing[2]))
        jobs = [problem.jobs[j] for j in sequence]
        route = build_route(problem, vehicle, jobs, gaps, problem.time_scale)
        rendered = solution_to_json(Solution(routes=[route], unassigned=[]), problem)
        if [issue for issue in check(problem, rendered) if issue.kind != "missing_job"]:
            return None
        rebuilt.append(route)
    served = {s.id for r in rebuilt for s in r.steps if s.type == "job"}
    unassigned: list[Unassigned] = [u for u in solution.unassigned if u.id not in served]
    return Solution(routes=rebuilt, unassigned=unassigned)
