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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from routing.optimizer import parse_problem
from routing.optimizer.model import Problem
from workorders.sla import forecast_breach

MOVE_ACTIONS = frozenset({"new", "moved", "unassign"})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class BookedPlace:
    """Where a booking was when the plan was made (a change's "from")."""

    technician: int
    starts_at: datetime
    booking: int

    def to_json(self) -> dict:
        return {
            "technician": self.technician,
            "starts_at": _iso(self.starts_at),
            "booking": self.booking,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> BookedPlace | None:
        if data is None:
            return None
        return cls(data["technician"], datetime.fromisoformat(data["starts_at"]), data["booking"])


@dataclass(frozen=True)
class Placement:
    """Where the plan puts a work order (a change's "to")."""

    technician: int
    starts_at: datetime
    ends_at: datetime
    travel_minutes: int

    def to_json(self) -> dict:
        return {
            "technician": self.technician,
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
            "travel_minutes": self.travel_minutes,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> Placement | None:
        if data is None:
            return None
        return cls(
            data["technician"],
            datetime.fromisoformat(data["starts_at"]),
            datetime.fromisoformat(data["ends_at"]),
            data["travel_minutes"],
        )


@dataclass(frozen=True)
class BaselineBooking:
    """A booking as the plan saw it; accepting compares the board with it."""

    booking: int
    work_order: int
    technician: int
    starts_at: datetime
    ends_at: datetime
    status: str
    locked: bool
    role: str

    def to_json(self) -> dict:
        return {
            "booking": self.booking,
            "work_order": self.work_order,
            "technician": self.technician,
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
            "status": self.status,
            "locked": self.locked,
            "role": self.role,
        }

    @classmethod
    def from_json(cls, data: dict) -> BaselineBooking:
        return cls(
            data["booking"],
            data["work_order"],
            data["technician"],
            datetime.fromisoformat(data["starts_at"]),
            datetime.fromisoformat(data["ends_at"]),
            data["status"],
            data["locked"],
            data["role"],
        )

    @property
    def place(self) -> BookedPlace:
        return BookedPlace(self.technician, self.starts_at, self.booking)


@dataclass(frozen=True)
class Change:
    """One line of a proposal: what happens to one work order."""

    work_order: int
    number: str | None
    summary: str
    action: str  # new | moved | unchanged | unassign | left_out | fixed
    before: BookedPlace | None
    after: Placement | None
    reason: str = ""

    def to_json(self) -> dict:
        return {
            "work_order": self.work_order,
            "number": self.number,
            "summary": self.summary,
            "action": self.action,
            "from": self.before.to_json() if self.before else None,
            "to": self.after.to_json() if self.after else None,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict) -> Change:
        return cls(
            data["work_order"],
            data.get("number"),
            data.get("summary", ""),
            data["action"],
            BookedPlace.from_json(data.get("from")),
            Placement.from_json(data.get("to")),
            data.get("reason", ""),
        )


@dataclass(frozen=True)
class ClockSnapshot:
    """A work order's SLA clock as the plan saw it (implements workorders.sla.SLAClock)."""

    response_due_at: datetime
    resolution_due_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    sla_paused_since: datetime | None

    def to_json(self) -> dict:
        return {name: _iso(value) if value else None for name, value in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict) -> ClockSnapshot:
        return cls(**{k: datetime.fromisoformat(v) if v else None for k, v in data.items()})

    @classmethod
    def of(cls, work_order) -> ClockSnapshot:
        return cls(
            work_order.response_due_at,
            work_order.resolution_due_at,
            work_order.responded_at,
            work_order.resolved_at,
            work_order.sla_paused_since,
        )


def _ceil_minute(seconds: float) -> int:
    return math.ceil(seconds / 60) * 60


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

    changes: list[Change] = []
    warnings: list[str] = []
    breaches_before = breaches_after = 0
    day_ends_at = epoch + timedelta(seconds=day_end)
    for key, meta in jobs_meta.items():
        work_order = int(key)
        was = BaselineBooking.from_json(before[work_order]) if work_order in before else None
        now = after.get(work_order)
        placement = None
        if now is not None:
            starts_at = epoch + timedelta(seconds=now["start_s"])
            placement = Placement(
                now["technician"],
                starts_at,
                starts_at + timedelta(minutes=meta["minutes"]),
                now["travel_minutes"],
            )
        reason = ""
        if meta["role"] in ("pinned", "in_progress"):
            action = "fixed"
            reason = "locked" if meta["role"] == "pinned" else "in progress"
            if placement is None:
                warnings.append(
                    f"{meta.get('number')} is fixed but does not fit its technician's day "
                    f"({reasons.get(work_order, 'no reason given')}); it was kept as is."
                )
            placement = None
        elif was is None and placement is None:
            action, reason = "left_out", reasons.get(work_order, "not planned")
        elif was is None:
            action = "new"
        elif placement is None:
            action, reason = "unassign", reasons.get(work_order, "not planned")
        else:
            same = was.technician == placement.technician and was.starts_at == placement.starts_at
            action = "unchanged" if same else "moved"

        clock = ClockSnapshot.from_json(meta["clock"])
        breach_before = _breaches(clock, was.starts_at if was else None, meta, day_ends_at)
        kept = was.starts_at if was else None
        planned = kept if action == "fixed" else (placement.starts_at if placement else None)
        breach_after = _breaches(clock, planned, meta, day_ends_at)
        breaches_before += breach_before
        breaches_after += breach_after
        if action in ("new", "moved"):
            reason = _why_placed(action, was, placement, breach_before, breach_after)
        change = Change(
            work_order=work_order,
            number=meta.get("number"),
            summary=meta.get("summary", ""),
            action=action,
            before=was.place if was else None,
            after=placement,
            reason=reason,
        )
        changes.append(change)

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
        count[change.action] += 1
    order = {"new": 0, "moved": 1, "unassign": 2, "left_out": 3, "fixed": 4, "unchanged": 5}
    changes.sort(key=lambda c: (order[c.action], c.number or ""))
    metrics = {
        "jobs": len(jobs_meta),
        "technicians": len(parsed.vehicles),
        "assigned_before": len(before),
        "extra_jobs": 0,
        "assigned_after": sum(1 for c in changes if c.after is not None or c.action == "fixed"),
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
    return {
        "changes": [change.to_json() for change in changes],
        "metrics": metrics,
        "warnings": warnings,
    }


def _why_placed(
    action: str,
    was: BaselineBooking | None,
    placement: Placement | None,
    breach_before: int,
    breach_after: int,
) -> str:
    """Why the plan places a job where it does, in the dispatcher's words. The search
    minimises driving while serving as much work as it can on time; each reason says
    which of those the change is for."""
    if action == "new":
        if breach_after:
            return "Was waiting in the queue; planned, though nobody can reach it within its SLA."
        return "Was waiting in the queue; now planned within its SLA."
    if breach_before and not breach_after:
        return "Moved so that it meets its SLA."
    if breach_after and not breach_before:
        return "Moved later, past its SLA, so that more urgent work fits."
    if was is not None and placement is not None and was.technician == placement.technician:
        return "Re-timed on the same technician's day to cut the day's driving."
    return "Handed to another technician to cut the day's total driving."


def _breaches(
    clock: ClockSnapshot, starts_at: datetime | None, meta: dict, day_ends_at: datetime
) -> int:
    """1 when a work order planned from `starts_at` (None: left unassigned, so at the
    earliest tomorrow) misses an SLA target, by the one forecast the board uses."""
    if starts_at is None:
        return int(forecast_breach(clock, arrival=day_ends_at, finish=day_ends_at) is not None)
    finish = starts_at + timedelta(minutes=meta["minutes"])
    return int(forecast_breach(clock, arrival=starts_at, finish=finish) is not None)
