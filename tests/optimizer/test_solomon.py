"""Solomon reader: convention and errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from routing.optimizer.solomon import SolomonFormatError, parse_solomon, read_solomon

C101 = Path("/work/shared/benchmarks/solomon/C101.txt")

TINY = """TINY

VEHICLE
NUMBER     CAPACITY
  2         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0         0          0          0       100          0
    1      3         4          5         10        20          2
"""


def test_tiny_instance() -> None:
    problem = parse_solomon(TINY.replace("\n", "\r\n"))
    assert problem.name == "TINY"
    assert len(problem.vehicles) == 2 and problem.vehicles[0].capacity == [10]
    assert problem.vehicles[0].time_window == (0, 100)
    job = problem.jobs[0]
    assert (job.id, job.service, job.time_windows, job.delivery) == (1, 2, [(10, 20)], [5])
    assert problem.durations[0][1] == problem.distances[0][1] == 5.0


@pytest.mark.skipif(not C101.exists(), reason="benchmark data not mounted")
def test_c101_uses_exact_euclidean_distances() -> None:
    problem = read_solomon(C101)
    assert len(problem.jobs) == 100 and len(problem.vehicles) == 25
    assert problem.durations[0][1] == math.hypot(40 - 45, 50 - 68)


def test_errors_are_specific() -> None:
    with pytest.raises(SolomonFormatError, match="line 11: non-numeric"):
        parse_solomon(TINY.replace("    1      3 ", "    1      x "))
    with pytest.raises(SolomonFormatError, match="READY TIME 30 is after DUE DATE 20"):
        parse_solomon(TINY.replace("10        20", "30        20"))
    with pytest.raises(SolomonFormatError, match="missing CUSTOMER section"):
        parse_solomon(TINY.split("CUSTOMER")[0])
