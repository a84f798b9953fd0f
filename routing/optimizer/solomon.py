"""Reader for the Solomon / Gehring-Homberger VRPTW text format.

Convention (see /work/shared/benchmarks/README.md): node 0 is the depot; distance and
travel time are both the Euclidean distance in double precision (not rounded or
truncated); READY TIME and DUE DATE bound the *start* of service; the depot's DUE DATE
bounds the return of every vehicle. The problem keeps the exact doubles; the solver
scales them to integers with `time_scale` (rounding travel times *up*, so any schedule
feasible on the integer grid is also feasible in double precision).
"""

from __future__ import annotations

import math
from pathlib import Path

from .model import Job, Problem, Vehicle

# x1000 keeps the per-arc rounding (< 0.001 time units) far below the gaps we measure
# while leaving route costs well inside int64. See README.md for the measurements.
SOLOMON_TIME_SCALE = 1000
CUSTOMER_COLUMNS = 7


class SolomonFormatError(ValueError):
    """One-line, specific description of what is wrong with a Solomon file."""


def looks_like_solomon(text: str) -> bool:
    upper = text.upper()
    return "VEHICLE" in upper and "CUSTOMER" in upper and not text.lstrip().startswith("{")


def parse_solomon(
    text: str, source: str = "<text>", time_scale: int = SOLOMON_TIME_SCALE
) -> Problem:
    lines = text.splitlines()  # copes with the files' CRLF endings
    name = next((line.strip() for line in lines if line.strip()), "")
    if not name:
        raise SolomonFormatError(f"{source}: empty file")
    fleet_size, capacity = _read_fleet(lines, source)
    rows = _read_customers(lines, source)
    if not rows:
        raise SolomonFormatError(f"{source}: no customer rows after the CUSTOMER header")
    depot_number, _depot_x, _depot_y, _depot_demand, depot_ready, depot_due, _ = rows[0][1]
    if depot_number != 0:
        raise SolomonFormatError(f"{source} line {rows[0][0]}: first customer row must be depot 0")

    coordinates = [(row[1], row[2]) for _, row in rows]
    size = len(coordinates)
    distances = [[0.0] * size for _ in range(size)]
    for i in range(size):
        xi, yi = coordinates[i]
        for j in range(i + 1, size):
            xj, yj = coordinates[j]
            distances[i][j] = distances[j][i] = math.hypot(xi - xj, yi - yj)

    seen: set[int] = set()
    jobs = []
    for index, (line_number, row) in enumerate(rows[1:], start=1):
        number, _, _, demand, ready, due, service = row
        if number in seen or number == 0:
            raise SolomonFormatError(f"{source} line {line_number}: duplicate customer {number:g}")
        seen.add(number)
        if ready > due:
            raise SolomonFormatError(
                f"{source} line {line_number}: READY TIME {ready:g} is after DUE DATE {due:g}"
            )
        jobs.append(
            Job(
                id=int(number),
                location_index=index,
                location=coordinates[index],
                service=_plain(service),
                time_windows=[(_plain(ready), _plain(due))],
                delivery=[int(demand)],
            )
        )
    vehicles = [
        Vehicle(
            id=k,
            start_index=0,
            end_index=0,
            start=coordinates[0],
            end=coordinates[0],
            time_window=(_plain(depot_ready), _plain(depot_due)),
            capacity=[capacity],
        )
        for k in range(fleet_size)
    ]
    return Problem(
        jobs=jobs,
        vehicles=vehicles,
        durations=distances,
        distances=distances,
        locations=coordinates,
        time_scale=time_scale,
        name=name,
    )


def read_solomon(path: str | Path, time_scale: int = SOLOMON_TIME_SCALE) -> Problem:
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError as error:
        raise SolomonFormatError(f"{path}: not a text file ({error.reason})") from None
    return parse_solomon(text, str(path), time_scale)


def _plain(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _numbers(line: str, line_number: int, source: str) -> list[float]:
    try:
        return [float(token) for token in line.split()]
    except ValueError:
        raise SolomonFormatError(
            f"{source} line {line_number}: non-numeric value in {line.strip()!r}"
        ) from None


def _read_fleet(lines: list[str], source: str) -> tuple[int, int]:
    for i, line in enumerate(lines):
        if line.strip().upper() == "VEHICLE":
            for j in range(i + 1, len(lines)):
                stripped = lines[j].strip()
                if not stripped or stripped.upper().startswith("NUMBER"):
                    continue
                values = _numbers(stripped, j + 1, source)
                if len(values) != 2 or any(v != int(v) or v <= 0 for v in values):
                    raise SolomonFormatError(
                        f"{source} line {j + 1}: expected 'NUMBER CAPACITY' as two positive integers"
                    )
                return int(values[0]), int(values[1])
    raise SolomonFormatError(f"{source}: missing VEHICLE section")


def _read_customers(lines: list[str], source: str) -> list[tuple[int, tuple[float, ...]]]:
    start = next((i for i, line in enumerate(lines) if line.strip().upper() == "CUSTOMER"), None)
    if start is None:
        raise SolomonFormatError(f"{source}: missing CUSTOMER section")
    rows = []
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.upper().startswith("CUST"):
            continue
        values = _numbers(stripped, i + 1, source)
        if len(values) != CUSTOMER_COLUMNS:
            raise SolomonFormatError(
                f"{source} line {i + 1}: expected 7 numbers (CUST NO. XCOORD. YCOORD. DEMAND "
                f"READY TIME DUE DATE SERVICE TIME), got {len(values)}"
            )
        number, _, _, demand, ready, _due, service = values
        if number != int(number) or demand < 0 or demand != int(demand) or service < 0 or ready < 0:
            raise SolomonFormatError(f"{source} line {i + 1}: invalid customer row {stripped!r}")
        rows.append((i + 1, tuple(values)))
    return rows
