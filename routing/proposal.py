"""Turn a solver answer into a proposal a dispatcher can read, and measure it.

Pure data in, pure data out (the run's problem, context, baseline and solution), so
it is equally usable by the Celery task and by the urgent-insertion service.

Per work order the action is one of:
- `new`: unassigned before, booked by the plan;
- `moved`: another technician or another start time;
- `unchanged`;
- `unassign`: booked before, the plan could not keep it (it is taken off the lane);
- `left_out`: unassigned before and still unassigned, with the solver's reason;
- `fixed`: in progress or locked: never touched by the plan.

Metrics compare the same technicians and jobs before and after, with the travel
matrix of the problem (great-circle unless OSRM was used): driving km and hours,
and SLA response breaches: a job planned to start after its response due time, or
left unassigned while due before the end of the day.
"""

from __future__ import annotations

import itertools
import math
import re
from datetime import datetime, timedelta

from routing.optimizer import parse_problem
from routing.optimizer.model import Problem

MOVE_ACTIONS = frozenset({"new", "moved", "unassign"})


def _ceil_minute(seconds: float) -> int:
    return math.ceil(seconds / 60) * 60


def _iso(epoch: datetime, seconds: float) -> str:
    return (epoch + timedelta(seconds=seconds)).isoformat()


def _route_travel(problem: Problem, vehicle_index: int, job_ids: list[int]) -> tuple[int, int]:
    """(metres, seconds) driven by vehicle on the route start → jobs → end."""
    vehicle = problem.vehicles[vehicle_index]
    by_id = {job.id: job for job in problem.jobs}
    stops = [vehicle.start_index, *(by_id[j].location_index for j in job_ids), vehicle.end_index]
    stops = [s for s in stops if s is not None]
    metres = seconds = 0
    for a, b in itertools.pairwise(stops):
        metres += problem.distance(a, b)
        seconds += problem.travel_time(a, b)
    return metres, seconds


def _readable(reason: str, labels: dict[str, str]) -> str:
    """Solver reasons name encoded skills ("[31, 72]"): show "HVAC ≥ 1, Electrical ≥ 2"."""

    def names(match: re.Match) -> str:
        codes = [code.strip() for code in match.group(1).split(",") if code.strip()]
        if not all(code in labels for code in codes):
            return match.group(0)
        return ", ".join(labels[code] for code in codes)

    return re.sub(r"skills \[([\d, ]+)\]", lambda m: names(m), reason)


def build_proposal(*, problem: dict, context: dict, baseline: dict, solution: dict) -> dict:
    """Return {"changes": [...], "metrics": {...}, "warnings": [...]}."""
    parsed = parse_problem(problem)
    epoch = datetime.fromisoformat(context["epoch"])
    day_end = context["day_seconds"]
    jobs_meta: dict[str, dict] = context["jobs"]
    before: dict[int, dict] = {b["work_order"]: b for b in baseline.get("bookings", [])}

    after: dict[int, dict] = {}
    for route in solution.get("routes", []):
        previous_duration = 0
        for step in route["steps"]:
            if step["type"] == "job":
                start = _ceil_minute(step["arrival"] + step.get("waiting_time", 0))
                after[step["id"]] = {
                    "technician": route["vehicle"],
                    "start_s": start,
                    "travel_minutes": math.ceil((step["duration"] - previous_duration) / 60),
                }
            if step["type"] in ("job", "start"):
                previous_duration = step.get("duration", 0)
    labels = context.get("skills", {})
    reasons = {
        u["id"]: _readable(u.get("reason", ""), labels) for u in solution.get("unassigned", [])
    }

    changes: list[dict] = []
    warnings: list[str] = []
    breaches_before = breaches_after = 0
    for key, meta in jobs_meta.items():
        work_order = int(key)
        was = before.get(work_order)
        now = after.get(work_order)
        minutes = meta["minutes"]
        change: dict = {
            "work_order": work_order,
            "number": meta.get("number"),
            "summary": meta.get("summary", ""),
            "from": None,
            "to": None,
            "reason": "",
        }
        if was is not None:
            change["from"] = {
                "technician": was["technician"],
                "starts_at": was["starts_at"],
                "booking": was["booking"],
            }
        if now is not None:
            change["to"] = {
                "technician": now["technician"],
                "starts_at": _iso(epoch, now["start_s"]),
                "ends_at": _iso(epoch, now["start_s"] + minutes * 60),
                "travel_minutes": now["travel_minutes"],
            }
        if meta["role"] in ("pinned", "in_progress"):
            change["action"] = "fixed"
            change["to"] = None
            change["reason"] = "locked" if meta["role"] == "pinned" else "in progress"
            if now is None:
                warnings.append(
                    f"{meta.get('number')} is fixed but does not fit its technician's day "
                    f"({reasons.get(work_order, 'no reason given')}); it was kept as is."
                )
        elif was is None and now is None:
            change["action"] = "left_out"
            change["reason"] = reasons.get(work_order, "not planned")
        elif was is None:
            change["action"] = "new"
        elif now is None:
            change["action"] = "unassign"
            change["reason"] = reasons.get(work_order, "not planned")
        else:
            was_start = datetime.fromisoformat(was["starts_at"])
            same = was["technician"] == now["technician"] and was_start == epoch + timedelta(
                seconds=now["start_s"]
            )
            change["action"] = "unchanged" if same else "moved"
        changes.append(change)

        due = meta.get("due")
        if due is not None:
            was_s = (
                (datetime.fromisoformat(was["starts_at"]) - epoch).total_seconds()
                if was is not None
                else None
            )
            breaches_before += (was_s > due) if was_s is not None else (due <= day_end)
            if change["action"] == "fixed":
                breaches_after += was_s is not None and was_s > due
            elif now is not None:
                breaches_after += now["start_s"] > due
            else:
                breaches_after += due <= day_end

    # Travel before/after on the same matrix. Fixed jobs count on both sides.
    vehicle_index = {v.id: i for i, v in enumerate(parsed.vehicles)}
    lanes_before: dict[int, list[tuple[str, int]]] = {}
    for b in baseline.get("bookings", []):
        lanes_before.setdefault(b["technician"], []).append((b["starts_at"], b["work_order"]))
    metres_before = seconds_before = metres_after = seconds_after = 0
    for tech, lane in lanes_before.items():
        if tech in vehicle_index:
            m, s = _route_travel(parsed, vehicle_index[tech], [w for _, w in sorted(lane)])
            metres_before += m
            seconds_before += s
    for route in solution.get("routes", []):
        ids = [s["id"] for s in route["steps"] if s["type"] == "job"]
        m, s = _route_travel(parsed, vehicle_index[route["vehicle"]], ids)
        metres_after += m
        seconds_after += s

    count = {action: 0 for action in ("new", "moved", "unchanged", "unassign", "left_out", "fixed")}
    for change in changes:
        count[change["action"]] += 1
    order = {"new": 0, "moved": 1, "unassign": 2, "left_out": 3, "fixed": 4, "unchanged": 5}
    changes.sort(key=lambda c: (order[c["action"]], c["number"] or ""))
    metrics = {
        "jobs": len(jobs_meta),
        "technicians": len(parsed.vehicles),
        "assigned_before": len(before),
        "extra_jobs": 0,
        "assigned_after": sum(1 for c in changes if c["to"] is not None or c["action"] == "fixed"),
        "km_before": round(metres_before / 1000, 1),
        "km_after": round(metres_after / 1000, 1),
        "km_saved": round((metres_before - metres_after) / 1000, 1),
        "travel_hours_before": round(seconds_before / 3600, 2),
        "travel_hours_after": round(seconds_after / 3600, 2),
        "hours_saved": round((seconds_before - seconds_after) / 3600, 2),
        "sla_breaches_before": breaches_before,
        "sla_breaches_after": breaches_after,
        "sla_breaches_avoided": breaches_before - breaches_after,
        "counts": count,
        "excluded": len(context.get("excluded", [])),
    }
    metrics["extra_jobs"] = metrics["assigned_after"] - metrics["assigned_before"]
    return {"changes": changes, "metrics": metrics, "warnings": warnings}
