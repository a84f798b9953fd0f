"""Convert between VROOM-API-shaped JSON and the optimizer's dataclasses.

See README.md in this package for the supported subset and the `fieldops` extensions.
Every validation failure raises `ProblemError` whose message starts with the JSON path
of the offending value, e.g. ``jobs[3].time_windows[0]: start 900 is after end 600``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from .geo import DEFAULT_ROAD_FACTOR, DEFAULT_SPEED_KMH, build_matrices
from .model import (
    DEFAULT_SLA_PENALTY_PER_SECOND,
    Break,
    Coordinates,
    Job,
    Number,
    Problem,
    ProblemError,
    Route,
    Solution,
    Step,
    TimeWindow,
    Vehicle,
)

EXTENSION_KEY = "fieldops"
JOB_EXTENSION_FIELDS = (
    "sla_deadline",
    "sla_penalty",
    "pinned_vehicle",
    "pinned_start",
    "in_progress",
)
VEHICLE_EXTENSION_FIELDS = ("max_working_time",)
UNSUPPORTED_TOP_LEVEL = ("shipments",)


# --------------------------------------------------------------------------- primitives


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: Any, path: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if not _is_int(value):
        raise ProblemError(path, f"expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ProblemError(path, f"must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ProblemError(path, f"must be <= {maximum}, got {value}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProblemError(path, f"expected a list, got {type(value).__name__}")
    return value


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProblemError(path, f"expected an object, got {type(value).__name__}")
    return value


def _int_list(value: Any, path: str, minimum: int | None = None) -> list[int]:
    return [_int(item, f"{path}[{i}]", minimum) for i, item in enumerate(_list(value, path))]


def _coordinates(value: Any, path: str) -> Coordinates:
    items = _list(value, path)
    if len(items) != 2 or not all(
        isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in items
    ):
        raise ProblemError(path, f"expected [lon, lat] numbers, got {value!r}")
    lon, lat = float(items[0]), float(items[1])
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise ProblemError(path, f"[lon, lat] out of range: {value!r}")
    return lon, lat


def _time_window(value: Any, path: str) -> TimeWindow:
    items = _list(value, path)
    if len(items) != 2:
        raise ProblemError(path, f"expected [start, end], got {value!r}")
    start = _int(items[0], f"{path}[0]", 0)
    end = _int(items[1], f"{path}[1]", 0)
    if start > end:
        raise ProblemError(path, f"start {start} is after end {end}")
    return start, end


def _time_windows(value: Any, path: str) -> list[TimeWindow]:
    windows = [_time_window(w, f"{path}[{i}]") for i, w in enumerate(_list(value, path))]
    windows.sort()
    for (_, previous_end), (start, _) in itertools.pairwise(windows):
        if start <= previous_end:
            raise ProblemError(path, "time windows overlap; merge them")
    return windows


def _check_unique(ids: list[int], path: str, what: str) -> None:
    seen: set[int] = set()
    for position, identifier in enumerate(ids):
        if identifier in seen:
            raise ProblemError(f"{path}[{position}].id", f"duplicate {what} id {identifier}")
        seen.add(identifier)


# --------------------------------------------------------------------------- locations


class _LocationTable:
    """Assigns matrix rows to coordinates (no matrices) or validates indices (matrices)."""

    def __init__(self, matrix_size: int | None) -> None:
        self.matrix_size = matrix_size
        self.coordinates: list[Coordinates] = []
        self._row_of: dict[Coordinates, int] = {}

    def resolve(
        self, entity: dict[str, Any], path: str, coord_key: str, index_key: str, required: bool
    ) -> tuple[int | None, Coordinates | None]:
        coords = (
            _coordinates(entity[coord_key], f"{path}.{coord_key}") if coord_key in entity else None
        )
        if self.matrix_size is not None:
            if index_key not in entity:
                if coords is None and not required:
                    return None, None
                raise ProblemError(f"{path}.{index_key}", "required when matrices are given")
            index = _int(entity[index_key], f"{path}.{index_key}", 0)
            if index >= self.matrix_size:
                raise ProblemError(
                    f"{path}.{index_key}",
                    f"unknown location_index {index} (matrices have {self.matrix_size} rows)",
                )
            return index, coords
        if coords is None:
            if index_key in entity:
                raise ProblemError(f"{path}.{index_key}", "needs `matrices`; give a location")
            if required:
                raise ProblemError(f"{path}.{coord_key}", "missing [lon, lat] location")
            return None, None
        if coords not in self._row_of:
            self._row_of[coords] = len(self.coordinates)
            self.coordinates.append(coords)
        return self._row_of[coords], coords


def _matrices(data: dict[str, Any]) -> tuple[list[list[int]] | None, list[list[int]] | None]:
    if "matrix" in data and "matrices" not in data:  # VROOM's legacy single-matrix key
        return _square_matrix(data["matrix"], "matrix"), None
    if "matrices" not in data:
        return None, None
    matrices = _object(data["matrices"], "matrices")
    profiles = [p for p in matrices]
    if len(profiles) != 1:
        raise ProblemError("matrices", f"exactly one profile is supported, got {profiles}")
    profile = profiles[0]
    path = f"matrices.{profile}"
    body = _object(matrices[profile], path)
    if "durations" not in body:
        raise ProblemError(f"{path}.durations", "missing")
    durations = _square_matrix(body["durations"], f"{path}.durations")
    distances = None
    if "distances" in body:
        distances = _square_matrix(body["distances"], f"{path}.distances")
        if len(distances) != len(durations):
            raise ProblemError(f"{path}.distances", "must have the same size as durations")
    return durations, distances


def _square_matrix(value: Any, path: str) -> list[list[int]]:
    rows = _list(value, path)
    if not rows:
        raise ProblemError(path, "empty matrix")
    size = len(rows)
    matrix = []
    for i, row in enumerate(rows):
        row_values = _list(row, f"{path}[{i}]")
        if len(row_values) != size:
            raise ProblemError(f"{path}[{i}]", f"has {len(row_values)} entries, expected {size}")
        for j, cell in enumerate(row_values):
            if not _is_int(cell) or cell < 0:
                _int(cell, f"{path}[{i}][{j}]", 0)
        matrix.append(list(row_values))
    return matrix


# --------------------------------------------------------------------------- parsing


def parse_problem(data: Any) -> Problem:
    """Validate a VROOM-shaped problem dict and return a `Problem`."""
    data = _object(data, "")
    for key in UNSUPPORTED_TOP_LEVEL:
        if data.get(key):
            raise ProblemError(key, "not supported by this optimizer")
    options = _object(data.get(EXTENSION_KEY, {}), EXTENSION_KEY)
    sla_penalty = _int(
        options.get("sla_penalty", DEFAULT_SLA_PENALTY_PER_SECOND),
        f"{EXTENSION_KEY}.sla_penalty",
        0,
    )
    if "vehicles" not in data:
        raise ProblemError("vehicles", "missing: a problem needs at least one vehicle")
    raw_vehicles = _list(data["vehicles"], "vehicles")
    if not raw_vehicles:
        raise ProblemError("vehicles", "empty: a problem needs at least one vehicle")
    raw_jobs = _list(data.get("jobs", []), "jobs")

    durations, distances = _matrices(data)
    locations = _LocationTable(len(durations) if durations is not None else None)

    vehicles = [_parse_vehicle(v, f"vehicles[{i}]", locations) for i, v in enumerate(raw_vehicles)]
    _check_unique([v.id for v in vehicles], "vehicles", "vehicle")
    vehicle_ids = {v.id for v in vehicles}
    jobs = [_parse_job(j, f"jobs[{i}]", locations, vehicle_ids) for i, j in enumerate(raw_jobs)]
    _check_unique([j.id for j in jobs], "jobs", "job")
    _check_amount_sizes(jobs, vehicles)
    _check_in_progress(jobs)

    if durations is None:
        road_factor = _positive_number(options, "road_factor", DEFAULT_ROAD_FACTOR)
        speed_kmh = _positive_number(options, "speed_kmh", DEFAULT_SPEED_KMH)
        durations, distances = build_matrices(locations.coordinates, road_factor, speed_kmh)
        coordinates: list[Coordinates] | None = locations.coordinates
    else:
        coordinates = None
    return Problem(
        jobs=jobs,
        vehicles=vehicles,
        durations=durations,
        distances=distances,
        locations=coordinates,
        sla_penalty=sla_penalty,
    )


def _positive_number(options: dict[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ProblemError(f"{EXTENSION_KEY}.{key}", f"expected a positive number, got {value!r}")
    return float(value)


def _parse_job(raw: Any, path: str, locations: _LocationTable, vehicle_ids: set[int]) -> Job:
    job = _object(raw, path)
    if "id" not in job:
        raise ProblemError(f"{path}.id", "missing")
    for key in JOB_EXTENSION_FIELDS:
        if key in job:
            raise ProblemError(f"{path}.{key}", f"extension fields go under {path}.{EXTENSION_KEY}")
    if job.get("pickup"):
        raise ProblemError(f"{path}.pickup", "not supported (jobs are deliveries only)")
    if "delivery" in job and "amount" in job:
        raise ProblemError(f"{path}.amount", "give either delivery or amount, not both")
    amount_key = "delivery" if "delivery" in job else "amount"
    location_index, coordinates = locations.resolve(job, path, "location", "location_index", True)
    assert location_index is not None
    extension = _object(job.get(EXTENSION_KEY, {}), f"{path}.{EXTENSION_KEY}")
    ext_path = f"{path}.{EXTENSION_KEY}"
    pinned_vehicle = None
    if "pinned_vehicle" in extension:
        pinned_vehicle = _int(extension["pinned_vehicle"], f"{ext_path}.pinned_vehicle")
        if pinned_vehicle not in vehicle_ids:
            raise ProblemError(f"{ext_path}.pinned_vehicle", f"unknown vehicle id {pinned_vehicle}")
    in_progress = extension.get("in_progress", False)
    if not isinstance(in_progress, bool):
        raise ProblemError(
            f"{ext_path}.in_progress", f"expected true or false, got {in_progress!r}"
        )
    if in_progress and pinned_vehicle is None:
        raise ProblemError(f"{ext_path}.in_progress", "an in-progress job needs pinned_vehicle")
    return Job(
        id=_int(job["id"], f"{path}.id"),
        location_index=location_index,
        location=coordinates,
        service=_int(job.get("service", 0), f"{path}.service", 0),
        skills=frozenset(_int_list(job.get("skills", []), f"{path}.skills", 0)),
        priority=_int(job.get("priority", 0), f"{path}.priority", 0, 100),
        time_windows=_time_windows(job.get("time_windows", []), f"{path}.time_windows"),
        delivery=_int_list(job.get(amount_key, []), f"{path}.{amount_key}", 0),
        description=job.get("description") if isinstance(job.get("description"), str) else None,
        sla_deadline=(
            _int(extension["sla_deadline"], f"{ext_path}.sla_deadline", 0)
            if "sla_deadline" in extension
            else None
        ),
        sla_penalty=(
            _int(extension["sla_penalty"], f"{ext_path}.sla_penalty", 0)
            if "sla_penalty" in extension
            else None
        ),
        pinned_vehicle=pinned_vehicle,
        pinned_start=(
            _int(extension["pinned_start"], f"{ext_path}.pinned_start", 0)
            if "pinned_start" in extension
            else None
        ),
        in_progress=in_progress,
    )


def _parse_vehicle(raw: Any, path: str, locations: _LocationTable) -> Vehicle:
    vehicle = _object(raw, path)
    if "id" not in vehicle:
        raise ProblemError(f"{path}.id", "missing")
    for key in VEHICLE_EXTENSION_FIELDS:
        if key in vehicle:
            raise ProblemError(f"{path}.{key}", f"extension fields go under {path}.{EXTENSION_KEY}")
    extension = _object(vehicle.get(EXTENSION_KEY, {}), f"{path}.{EXTENSION_KEY}")
    max_working_time = (
        _int(extension["max_working_time"], f"{path}.{EXTENSION_KEY}.max_working_time", 0)
        if "max_working_time" in extension
        else None
    )
    start_index, start = locations.resolve(vehicle, path, "start", "start_index", False)
    end_index, end = locations.resolve(vehicle, path, "end", "end_index", False)
    if start_index is None and end_index is None:
        raise ProblemError(f"{path}.start", "a vehicle needs a start or an end")
    costs = _object(vehicle.get("costs", {}), f"{path}.costs")
    breaks = [
        _parse_break(b, f"{path}.breaks[{i}]")
        for i, b in enumerate(_list(vehicle.get("breaks", []), f"{path}.breaks"))
    ]
    _check_unique([b.id for b in breaks], f"{path}.breaks", "break")
    return Vehicle(
        id=_int(vehicle["id"], f"{path}.id"),
        start_index=start_index,
        end_index=end_index,
        start=start,
        end=end,
        skills=frozenset(_int_list(vehicle.get("skills", []), f"{path}.skills", 0)),
        time_window=(
            _time_window(vehicle["time_window"], f"{path}.time_window")
            if "time_window" in vehicle
            else None
        ),
        breaks=breaks,
        capacity=_int_list(vehicle.get("capacity", []), f"{path}.capacity", 0),
        max_travel_time=(
            _int(vehicle["max_travel_time"], f"{path}.max_travel_time", 0)
            if "max_travel_time" in vehicle
            else None
        ),
        max_tasks=(
            _int(vehicle["max_tasks"], f"{path}.max_tasks", 0) if "max_tasks" in vehicle else None
        ),
        max_working_time=max_working_time,
        fixed_cost=_int(costs.get("fixed", 0), f"{path}.costs.fixed", 0),
        per_hour=_int(costs.get("per_hour", 3600), f"{path}.costs.per_hour", 0),
        per_km=_int(costs.get("per_km", 0), f"{path}.costs.per_km", 0),
        description=vehicle.get("description")
        if isinstance(vehicle.get("description"), str)
        else None,
    )


def _parse_break(raw: Any, path: str) -> Break:
    entry = _object(raw, path)
    if "id" not in entry:
        raise ProblemError(f"{path}.id", "missing")
    if "time_windows" not in entry:
        raise ProblemError(f"{path}.time_windows", "missing")
    windows = _time_windows(entry["time_windows"], f"{path}.time_windows")
    if not windows:
        raise ProblemError(f"{path}.time_windows", "needs at least one window")
    return Break(
        id=_int(entry["id"], f"{path}.id"),
        time_windows=windows,
        service=_int(entry.get("service", 0), f"{path}.service", 0),
        description=entry.get("description") if isinstance(entry.get("description"), str) else None,
    )


def _check_amount_sizes(jobs: list[Job], vehicles: list[Vehicle]) -> None:
    sizes: dict[int, str] = {}
    for i, vehicle in enumerate(vehicles):
        sizes.setdefault(len(vehicle.capacity), f"vehicles[{i}].capacity")
    for i, job in enumerate(jobs):
        if job.delivery:
            sizes.setdefault(len(job.delivery), f"jobs[{i}].delivery")
    non_empty = {size: where for size, where in sizes.items() if size}
    if len(non_empty) > 1:
        (size_a, where_a), (size_b, where_b) = list(non_empty.items())[:2]
        raise ProblemError(where_b, f"has {size_b} entries but {where_a} has {size_a}")
    if non_empty and 0 in sizes and any(v.capacity == [] for v in vehicles):
        index = next(i for i, v in enumerate(vehicles) if not v.capacity)
        raise ProblemError(f"vehicles[{index}].capacity", "missing while jobs have amounts")


def _check_in_progress(jobs: list[Job]) -> None:
    owner: dict[int, int] = {}
    for i, job in enumerate(jobs):
        if job.in_progress and job.pinned_vehicle is not None:
            if job.pinned_vehicle in owner:
                raise ProblemError(
                    f"jobs[{i}].{EXTENSION_KEY}.in_progress",
                    f"vehicle {job.pinned_vehicle} already has in-progress job {owner[job.pinned_vehicle]}",
                )
            owner[job.pinned_vehicle] = job.id


# --------------------------------------------------------------------------- output


def _step_to_json(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"type": step.type}
    if step.id is not None:
        out["id"] = step.id
    if step.location is not None:
        out["location"] = list(step.location)
    if step.location_index is not None:
        out["location_index"] = step.location_index
    out.update(
        arrival=step.arrival,
        duration=step.duration,
        distance=step.distance,
        service=step.service,
        waiting_time=step.waiting_time,
        service_start=step.service_start,
        load=list(step.load),
    )
    if step.sla_lateness is not None:
        out[EXTENSION_KEY] = {"sla_lateness": step.sla_lateness}
    return out


def _route_to_json(route: Route) -> dict[str, Any]:
    return {
        "vehicle": route.vehicle,
        "cost": route.cost,
        "delivery": list(route.delivery),
        "amount": list(route.delivery),
        "service": route.service,
        "duration": route.duration,
        "waiting_time": route.waiting_time,
        "priority": route.priority,
        "distance": route.distance,
        "steps": [_step_to_json(step) for step in route.steps],
        EXTENSION_KEY: {"sla_lateness": route.sla_lateness},
    }


def _sum_vectors(vectors: list[list[int]], size: int) -> list[int]:
    total = [0] * size
    for vector in vectors:
        for k, value in enumerate(vector):
            total[k] += value
    return total


def solution_to_json(solution: Solution, problem: Problem) -> dict[str, Any]:
    """Render a `Solution` in VROOM's output shape (plus a namespaced `fieldops` block)."""
    if solution.code != 0:
        return {"code": solution.code, "error": solution.error or "unknown error"}
    size = problem.amount_size
    delivery = _sum_vectors([r.delivery for r in solution.routes], size)

    def total(attribute: str) -> Number:
        return sum(getattr(route, attribute) for route in solution.routes)

    return {
        "code": 0,
        "summary": {
            "cost": solution.cost,
            "routes": len(solution.routes),
            "unassigned": len(solution.unassigned),
            "delivery": delivery,
            "amount": delivery,
            "service": total("service"),
            "duration": total("duration"),
            "waiting_time": total("waiting_time"),
            "priority": total("priority"),
            "distance": total("distance"),
            "computing_times": {
                "loading": solution.loading_ms,
                "solving": solution.solving_ms,
                "routing": 0,
            },
        },
        "unassigned": [
            {
                "id": item.id,
                "type": "job",
                **({"location": list(item.location)} if item.location is not None else {}),
                "location_index": item.location_index,
                "reason": item.reason,
            }
            for item in solution.unassigned
        ],
        "routes": [_route_to_json(route) for route in solution.routes],
        EXTENSION_KEY: {
            "sla_lateness": total("sla_lateness"),
            "progress": [[round(t, 3), cost] for t, cost in solution.progress],
            "search": solution.search_log,
        },
    }
