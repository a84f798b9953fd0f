"""Travel estimates from coordinates when the caller provides no routing-engine matrices.

Road distance is approximated as great-circle distance x `road_factor` (streets are not
straight lines; 1.3 is a common urban detour index), and travel time as that distance at
a constant `speed_kmh`. Both are pure functions so the Django side can reuse them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .model import Coordinates

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_ROAD_FACTOR = 1.3
DEFAULT_SPEED_KMH = 40.0


def haversine_m(origin: Coordinates, destination: Coordinates) -> float:
    """Great-circle distance in metres between two [lon, lat] points (VROOM order)."""
    lon1, lat1 = map(math.radians, origin)
    lon2, lat2 = map(math.radians, destination)
    half_chord = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(half_chord)))


def build_matrices(
    locations: Sequence[Coordinates],
    road_factor: float = DEFAULT_ROAD_FACTOR,
    speed_kmh: float = DEFAULT_SPEED_KMH,
) -> tuple[list[list[int]], list[list[int]]]:
    """Return (durations in whole seconds, distances in whole metres) between locations."""
    if road_factor <= 0 or speed_kmh <= 0:
        raise ValueError("road_factor and speed_kmh must be positive")
    metres_per_second = speed_kmh * 1000 / 3600
    size = len(locations)
    distances = [[0] * size for _ in range(size)]
    durations = [[0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1, size):
            road_m = haversine_m(locations[i], locations[j]) * road_factor
            distances[i][j] = distances[j][i] = round(road_m)
            durations[i][j] = durations[j][i] = round(road_m / metres_per_second)
    return durations, distances
