"""Plain dataclasses for a dispatch problem and its solution.

These types are the optimizer's internal language: `vroom_json` and `solomon` build a
`Problem`, `solver.solve` returns a `Solution`, `vroom_json.solution_to_json` renders it.
Nothing here knows about OR-Tools, JSON or Django.

Times are in the problem's own unit (seconds for VROOM JSON, Solomon time units for
Solomon files). Matrices are indexed by *location index*; every job, vehicle start and
vehicle end refers to a row of the matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Number = int | float
TimeWindow = tuple[Number, Number]
Coordinates = tuple[float, float]

# Lateness of one second past an SLA deadline costs as much as this many seconds of
# driving. Strong enough that the solver drives a detour to be on time, weak enough
# that a job is never dropped merely because it would be late.
DEFAULT_SLA_PENALTY_PER_SECOND = 10


class ProblemError(ValueError):
    """The problem description is invalid; the message starts with the offending path."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class Break:
    id: int
    time_windows: list[TimeWindow]
    service: Number = 0
    description: str | None = None


@dataclass(frozen=True)
class Job:
    id: int
    location_index: int
    location: Coordinates | None = None
    service: Number = 0
    skills: frozenset[int] = frozenset()
    priority: int = 0
    # Empty means "any time": the job is then only bounded by the vehicle shift.
    time_windows: list[TimeWindow] = field(default_factory=list)
    delivery: list[int] = field(default_factory=list)
    description: str | None = None
    # fieldops extensions
    sla_deadline: Number | None = None
    sla_penalty: int | None = None
    pinned_vehicle: int | None = None
    pinned_start: Number | None = None
    in_progress: bool = False


@dataclass(frozen=True)
class Vehicle:
    id: int
    start_index: int | None = None
    end_index: int | None = None
    start: Coordinates | None = None
    end: Coordinates | None = None
    skills: frozenset[int] = frozenset()
    time_window: TimeWindow | None = None
    breaks: list[Break] = field(default_factory=list)
    capacity: list[int] = field(default_factory=list)
    max_travel_time: Number | None = None
    max_tasks: int | None = None
    # fieldops extension: cap on travel + service time (breaks and waiting excluded).
    max_working_time: Number | None = None
    fixed_cost: int = 0
    # VROOM's cost model: cost = per_hour * hours driven + per_km * km driven.
    per_hour: int = 3600
    per_km: int = 0
    description: str | None = None


@dataclass
class Problem:
    jobs: list[Job]
    vehicles: list[Vehicle]
    durations: list[list[Number]]
    distances: list[list[Number]] | None = None
    locations: list[Coordinates] | None = None
    sla_penalty: int = DEFAULT_SLA_PENALTY_PER_SECOND
    # Factor applied to times and matrix entries before they reach OR-Tools, which only
    # handles integers. 1 for integer inputs; Solomon files use a finer grid.
    time_scale: int = 1
    name: str | None = None

    @property
    def amount_size(self) -> int:
        sizes = [len(v.capacity) for v in self.vehicles] + [len(j.delivery) for j in self.jobs]
        return max(sizes, default=0)

    def distance(self, origin: int | None, destination: int | None) -> Number:
        if origin is None or destination is None or self.distances is None:
            return 0
        return self.distances[origin][destination]

    def travel_time(self, origin: int | None, destination: int | None) -> Number:
        if origin is None or destination is None:
            return 0
        return self.durations[origin][destination]


@dataclass
class Step:
    type: str  # "start" | "job" | "break" | "end"
    arrival: Number
    duration: Number  # cumulated travel time since the route start
    distance: Number  # cumulated travel distance since the route start
    service: Number = 0
    waiting_time: Number = 0
    load: list[int] = field(default_factory=list)
    id: int | None = None
    location_index: int | None = None
    location: Coordinates | None = None
    sla_lateness: Number | None = None

    @property
    def service_start(self) -> Number:
        return self.arrival + self.waiting_time


@dataclass
class Route:
    vehicle: int
    steps: list[Step]
    cost: Number
    service: Number
    duration: Number
    waiting_time: Number
    distance: Number
    priority: int
    delivery: list[int]
    sla_lateness: Number = 0


@dataclass
class Unassigned:
    id: int
    location: Coordinates | None
    location_index: int
    reason: str


@dataclass
class Solution:
    routes: list[Route]
    unassigned: list[Unassigned]
    code: int = 0
    error: str | None = None
    # (elapsed seconds, best objective so far in problem cost units)
    progress: list[tuple[float, float]] = field(default_factory=list)
    loading_ms: int = 0
    solving_ms: int = 0
    search_log: dict[str, object] = field(default_factory=dict)

    @property
    def cost(self) -> Number:
        return sum(route.cost for route in self.routes)

    @property
    def distance(self) -> Number:
        return sum(route.distance for route in self.routes)
