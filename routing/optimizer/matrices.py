"""Numpy views of the problem's matrices, converted once per solve.

Large problems are solved as many sub-problems sharing the same list-of-lists matrices;
converting a 1,100 x 1,100 matrix costs ~0.1 s, so conversions are cached for the
duration of one top-level `solve` call (`clear_cache` is called when it returns).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .model import Number, Problem

# id(matrix) -> (matrix, array). Keeping the matrix alive prevents id reuse.
_cache: dict[int, tuple[object, np.ndarray]] = {}


def as_array(matrix: Sequence[Sequence[Number]]) -> np.ndarray:
    entry = _cache.get(id(matrix))
    if entry is not None and entry[0] is matrix:
        return entry[1]
    array = np.asarray(matrix, dtype=np.float64)
    _cache[id(matrix)] = (matrix, array)
    return array


def clear_cache() -> None:
    _cache.clear()


# Integer grids for solvers that only take integers (VROOM, PyVRP): times round so a
# schedule feasible on the grid is feasible in the problem's own units (starts and
# travel up, ends down), costs to nearest. The epsilon absorbs float noise.
def scaled_up(value: float, scale: int) -> int:
    return math.ceil(value * scale - 1e-6)


def scaled_down(value: float, scale: int) -> int:
    return math.floor(value * scale + 1e-6)


def scaled_matrix(values: Any, scale: int, round_up: bool, dtype: Any = np.int64) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64) * scale
    array = np.ceil(array - 1e-6) if round_up else np.rint(array)
    return array.astype(dtype)


def travel_costs(problem: Problem) -> dict[tuple[int, int], np.ndarray]:
    """VROOM's cost model per (per_hour, per_km) pair of the fleet: the travel cost of
    each arc, in problem cost units."""
    durations = as_array(problem.durations)
    distances = (
        as_array(problem.distances) if problem.distances is not None else np.zeros_like(durations)
    )
    return {
        (per_hour, per_km): durations * (per_hour / 3600) + distances * (per_km / 1000)
        for per_hour, per_km in {(v.per_hour, v.per_km) for v in problem.vehicles}
    }
