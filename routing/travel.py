"""Travel times for the board and the planner.

The default provider needs no network: great-circle distance × a road factor ÷
an average speed (settings TRAVEL_ROAD_FACTOR, TRAVEL_SPEED_KMH). Points are
(latitude, longitude) here; the optimizer core speaks VROOM's [lon, lat].
"""

import hashlib
import json
import math
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache import cache

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


# --------------------------------------------------------------------------- OSRM + cache


class TravelError(Exception):
    """The routing engine could not answer; the message says which and why."""


@dataclass(frozen=True)
class OSRMProvider:
    """OSRM's table service: one request gives the whole matrix (road times and metres)."""

    base_url: str
    profile: str = "driving"
    timeout_s: float = 10.0

    def cache_params(self) -> str:
        return f"osrm|{self.base_url.rstrip('/')}|{self.profile}"

    def matrix(self, points: list[LatLng]) -> TravelMatrix:
        if not points:
            return TravelMatrix(seconds=[], metres=[])
        if len(points) == 1:
            return TravelMatrix(seconds=[[0]], metres=[[0]])
        coordinates = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        url = (
            f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coordinates}"
            "?annotations=duration,distance"
        )
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                payload = json.load(response)
        except urllib.error.HTTPError as error:
            detail = _osrm_message(error)
            raise TravelError(f"OSRM at {self.base_url} answered {error.code}{detail}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TravelError(f"OSRM at {self.base_url} is unreachable: {reason}") from error
        except ValueError as error:
            raise TravelError(f"OSRM at {self.base_url} sent something that is not JSON") from error
        if payload.get("code") != "Ok":
            raise TravelError(
                f"OSRM at {self.base_url} refused the table: "
                f"{payload.get('code')} {payload.get('message', '')}".strip()
            )
        size = len(points)
        durations = payload.get("durations")
        distances = payload.get("distances")
        if not _square(durations, size) or not _square(distances, size):
            raise TravelError(f"OSRM at {self.base_url} returned a table of the wrong size")
        # null = no route between the two points (an island, a closed area): make the
        # leg prohibitively long rather than failing the whole plan.
        return TravelMatrix(
            seconds=[
                [UNREACHABLE if v is None else math.ceil(v) for v in row] for row in durations
            ],
            metres=[[UNREACHABLE if v is None else round(v) for v in row] for row in distances],
        )


UNREACHABLE = 10_000_000  # seconds / metres: about 115 days, never chosen by the solver


def _square(matrix, size: int) -> bool:
    return (
        isinstance(matrix, list)
        and len(matrix) == size
        and all(isinstance(row, list) and len(row) == size for row in matrix)
    )


def _osrm_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return f": {message}" if message else ""


@dataclass(frozen=True)
class CachedProvider:
    """Keeps matrices in the Django cache (Redis) per set of locations.

    The key hashes the rounded coordinates *in order* plus the provider's parameters,
    so the same board asked twice costs one engine request; coordinates are rounded to
    ~1 m (5 decimals) so float noise does not defeat the cache.
    """

    inner: OSRMProvider
    ttl_s: int = 24 * 3600

    def key(self, points: list[LatLng]) -> str:
        rounded = ";".join(f"{lat:.5f},{lng:.5f}" for lat, lng in points)
        digest = hashlib.sha256(f"{self.inner.cache_params()}#{rounded}".encode()).hexdigest()
        return f"travel-matrix:{digest}"

    def matrix(self, points: list[LatLng]) -> TravelMatrix:
        key = self.key(points)
        cached = cache.get(key)
        if cached is not None:
            return TravelMatrix(seconds=cached["seconds"], metres=cached["metres"])
        result = self.inner.matrix(points)
        cache.set(key, {"seconds": result.seconds, "metres": result.metres}, self.ttl_s)
        return result


def matrix_provider() -> GreatCircleProvider | CachedProvider:
    """OSRM (cached) when OSRM_URL is set, else the offline great-circle estimate."""
    if settings.OSRM_URL:
        return CachedProvider(OSRMProvider(base_url=settings.OSRM_URL))
    return default_provider()
