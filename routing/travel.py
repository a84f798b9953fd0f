"""Travel times for the board and the planner.

The default provider needs no network: great-circle distance × a road factor ÷
an average speed (settings TRAVEL_ROAD_FACTOR, TRAVEL_SPEED_KMH). Points are
(latitude, longitude) here; the optimizer core speaks VROOM's [lon, lat].
"""

import math
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from routing.optimizer.geo import build_matrices, haversine_m

type LatLng = tuple[float, float]


@dataclass(frozen=True)
class TravelMatrix:
    seconds: list[list[int]]
    metres: list[list[int]]


class TravelProvider(Protocol):
    def matrix(self, points: list[LatLng]) -> TravelMatrix: ...


@dataclass(frozen=True)
class GreatCircleProvider:
    road_factor: float
    speed_kmh: float

    def matrix(self, points: list[LatLng]) -> TravelMatrix:
        seconds, metres = build_matrices(
            [(lng, lat) for lat, lng in points],
            road_factor=self.road_factor,
            speed_kmh=self.speed_kmh,
        )
        return TravelMatrix(seconds=seconds, metres=metres)

    def seconds_between(self, origin: LatLng, destination: LatLng) -> int:
        metres = (
            haversine_m((origin[1], origin[0]), (destination[1], destination[0])) * self.road_factor
        )
        return round(metres / (self.speed_kmh * 1000 / 3600))


def default_provider() -> GreatCircleProvider:
    return GreatCircleProvider(
        road_factor=settings.TRAVEL_ROAD_FACTOR, speed_kmh=settings.TRAVEL_SPEED_KMH
    )


def travel_minutes(origin: LatLng | None, destination: LatLng | None) -> int:
    """Whole minutes of driving, rounded up; 0 when either end has no coordinates."""
    if origin is None or destination is None:
        return 0
    return math.ceil(default_provider().seconds_between(origin, destination) / 60)
