"""Numpy views of the problem's matrices, converted once per solve.

Large problems are solved as many sub-problems sharing the same list-of-lists matrices;
converting a 1,100 x 1,100 matrix costs ~0.1 s, so conversions are cached for the
duration of one top-level `solve` call (`clear_cache` is called when it returns).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .model import Number

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
