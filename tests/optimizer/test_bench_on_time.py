"""The solver bench's on-time VROOM reference: VROOM told the SLA deadlines as hard
window ends, so its plan is late nowhere and its travel compares with ours."""

import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _bench():
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from bench import solver as bench_solver

    return bench_solver


def test_on_time_vroom_is_never_late_and_checks_out(tmp_path) -> None:
    bench = _bench()
    task = bench.Task(
        "dayvroomontime", "4x30s1", 0.0, technicians=4, jobs=30, seed=1, vroom_cache=str(tmp_path)
    )
    figures = bench.run_dayvroom_on_time(task).extra["vroom_on_time"]
    assert figures["violations"] == 0 and figures["late_h"] == 0
    assert figures["served"] > 0 and figures["travel_h"] > 0
    again = bench.run_dayvroom_on_time(task).extra["vroom_on_time"]  # from the cache
    assert again.pop("cached") is True and again == figures


def _figures(priority: int, travel_h: float) -> dict:
    return {
        "priority": priority,
        "served": 10,
        "travel_h": travel_h,
        "late_h": 0.0,
        "cost_h": travel_h,
        "seconds": 5.0,
        "violations": 0,
    }


def test_the_report_compares_ours_with_on_time_vroom_at_equal_priority() -> None:
    bench = _bench()
    rows = []
    for seed, (on_time, ours) in enumerate(
        [(_figures(100, 10.0), _figures(100, 10.1)), (_figures(90, 10.0), _figures(100, 12.0))]
    ):
        task = bench.Task(
            "fieldday", f"3x10s{seed}", 0.0, technicians=3, jobs=10, seed=seed,
            vroom_on_time=on_time,
        )  # fmt: skip
        rows.append(bench.Result(task, extra={"vroom": on_time, "ours": ours}))
    out = io.StringIO()
    bench.Report(rows, [5.0], out)._print_on_time(rows)
    text = out.getvalue()
    assert " 1.010" in text and "1.200 (prio differs)" in text
    assert "travel <= 1.02 x on-time VROOM on 1/1 days of equal priority" in text
