"""Seeded generator of field-service dispatch problems in the optimizer's JSON shape.

A metro area of about 30 km x 25 km (centred on Lyon, France; only the geometry
matters), technicians with skills, shifts and a lunch break, jobs clustered around
neighbourhood hot spots with service times, one or two time windows, priorities and
SLA deadlines. Times are seconds since midnight.

    .venv/bin/python bench/fieldservice.py --technicians 50 --jobs 500 --seed 1 > p.json
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from typing import Any

CENTRE_LON, CENTRE_LAT = 4.835, 45.76
HALF_WIDTH_KM, HALF_HEIGHT_KM = 15.0, 12.5
SKILLS = (1, 2, 3, 4, 5, 6)  # e.g. 1 boiler, 2 electrical, 3 gas certified, ...
HOUR = 3600


def _point(rng: random.Random, centre: tuple[float, float] | None, spread_km: float) -> list[float]:
    km_per_lon = 111.32 * math.cos(math.radians(CENTRE_LAT))
    if centre is None:
        dx = rng.uniform(-HALF_WIDTH_KM, HALF_WIDTH_KM)
        dy = rng.uniform(-HALF_HEIGHT_KM, HALF_HEIGHT_KM)
        lon, lat = CENTRE_LON + dx / km_per_lon, CENTRE_LAT + dy / 110.57
    else:
        lon = centre[0] + rng.gauss(0, spread_km) / km_per_lon
        lat = centre[1] + rng.gauss(0, spread_km) / 110.57
    return [round(lon, 6), round(lat, 6)]


def generate(technicians: int, jobs: int, seed: int = 1) -> dict[str, Any]:
    """Return a problem dict; same arguments give the same problem."""
    rng = random.Random(seed)
    hot_spots = [tuple(_point(rng, None, 0)) for _ in range(max(4, jobs // 40))]
    vehicles = []
    for tech in range(technicians):
        shift_start = rng.choice((7, 8, 8, 8, 9)) * HOUR
        skills = sorted(rng.sample(SKILLS, rng.randint(2, 4)))
        home = _point(rng, None, 0)
        lunch_start = rng.choice((11.5, 12.0, 12.0, 12.5)) * HOUR
        vehicle: dict[str, Any] = {
            "id": tech + 1,
            "description": f"Technician {tech + 1}",
            "start": home,
            "end": home,
            "skills": skills,
            "time_window": [shift_start, shift_start + 9 * HOUR],
            "breaks": [
                {
                    "id": 1,
                    "description": "lunch",
                    "time_windows": [[int(lunch_start), int(lunch_start + 2 * HOUR)]],
                    "service": rng.choice((30, 45)) * 60,
                }
            ],
            "capacity": [30],
        }
        if rng.random() < 0.2:
            vehicle["max_tasks"] = rng.randint(8, 12)
        if rng.random() < 0.2:
            vehicle["max_travel_time"] = rng.choice((3, 4)) * HOUR
        vehicles.append(vehicle)

    job_list = []
    for job_number in range(jobs):
        centre = rng.choice(hot_spots)
        job: dict[str, Any] = {
            "id": 1000 + job_number,
            "location": _point(rng, centre if rng.random() < 0.8 else None, 1.5),
            "service": rng.choice((15, 20, 20, 30, 30, 45)) * 60,
            "priority": rng.choice((0, 0, 10, 20, 30, 50))
            if rng.random() < 0.9
            else rng.randint(80, 100),
            "delivery": [rng.randint(0, 3)],
        }
        if rng.random() < 0.75:
            job["skills"] = [rng.choice(SKILLS)]
        kind = rng.random()
        if kind < 0.3:
            job["time_windows"] = (
                [[8 * HOUR, 12 * HOUR]] if rng.random() < 0.5 else [[13 * HOUR, 17 * HOUR]]
            )
        elif kind < 0.4:
            job["time_windows"] = [[8 * HOUR, 10 * HOUR], [15 * HOUR, 17 * HOUR]]
        elif kind < 0.55:
            slot = rng.randint(8, 15) * HOUR
            job["time_windows"] = [[slot, slot + 2 * HOUR]]
        if rng.random() < 0.2:
            # Contract SLA: start within a few hours of the earliest possible start.
            earliest = job["time_windows"][0][0] if "time_windows" in job else 8 * HOUR
            job["fieldops"] = {"sla_deadline": earliest + rng.choice((2, 3, 4)) * HOUR}
        job_list.append(job)
    return {
        "vehicles": vehicles,
        "jobs": job_list,
        "fieldops": {"road_factor": 1.3, "speed_kmh": 30, "sla_penalty": 10},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--technicians", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    json.dump(generate(args.technicians, args.jobs, args.seed), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
