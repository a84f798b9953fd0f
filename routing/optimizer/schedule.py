"""Earliest-start timing of one route: `build_route` turns a vehicle, its jobs in order
and the breaks of each gap into a scheduled `Route` in the problem's own units.

Every member's routes go through it (OR-Tools' assignments, VROOM's, regret's, PyVRP's
and the polish's), so they all share one timing semantics, the checker's (README,
"Timing semantics"); `checker.py` verifies it independently.
"""

from __future__ import annotations

from .feasibility import service_windows
from .model import Break, Job, Number, Problem, Route, Step, Vehicle


def build_route(
    problem: Problem,
    vehicle: Vehicle,
    jobs: list[Job],
    breaks_per_gap: list[list[tuple[Break, float]]],
    scale: int = 1,
) -> Route:
    """Earliest-start schedule of `jobs` in order, breaks in the given gaps.

    Semantics shared with the checker: a break may be taken en route (part of the next
    leg is driven before it); waiting happens just before a job's or break's start.
    """
    first_route = _schedule(problem, vehicle, jobs, breaks_per_gap, None, scale)
    first_job_step = next(s for s in first_route.steps if s.type == "job")
    if not breaks_per_gap[0] and first_job_step.waiting_time > 0:
        # Leave later rather than wait at the first customer.
        departure = first_route.steps[0].arrival + first_job_step.waiting_time
        return _schedule(problem, vehicle, jobs, breaks_per_gap, departure, scale)
    return first_route


def _schedule(
    problem: Problem,
    vehicle: Vehicle,
    jobs: list[Job],
    breaks_per_gap: list[list[tuple[Break, float]]],
    departure: Number | None,
    scale: int,
) -> Route:
    shift_start = vehicle.time_window[0] if vehicle.time_window else 0
    clock: Number = shift_start if departure is None else departure
    load = [sum(values) for values in zip(*(j.delivery for j in jobs), strict=False)] or [
        0
    ] * problem.amount_size
    load = load + [0] * (problem.amount_size - len(load))
    steps = [
        Step(
            type="start",
            arrival=clock,
            duration=0,
            distance=0,
            load=list(load),
            location_index=vehicle.start_index,
            location=vehicle.start,
        )
    ]
    travelled: Number = 0
    distance: Number = 0
    cost: Number = vehicle.fixed_cost
    waiting_total: Number = 0
    lateness_total: Number = 0
    here = vehicle.start_index
    stops: list[Job | None] = [*jobs, None]
    for position, job in enumerate(stops):
        there = job.location_index if job is not None else vehicle.end_index
        leg = problem.travel_time(here, there)
        leg_distance = problem.distance(here, there)
        driven: Number = 0
        for brk, planned_start in sorted(breaks_per_gap[position], key=lambda b: b[1]):
            window = next(
                (w for w in brk.time_windows if w[0] <= planned_start + 1e-9 <= w[1] + 2e-9),
                brk.time_windows[0],
            )
            break_start = max(clock, window[0])
            drive = min(break_start - clock, leg - driven)
            driven += drive
            waiting = break_start - clock - drive
            waiting_total += waiting
            steps.append(
                Step(
                    type="break",
                    id=brk.id,
                    arrival=clock + drive,
                    waiting_time=waiting,
                    service=brk.service,
                    duration=travelled + driven,
                    distance=distance,
                    load=list(load),
                )
            )
            clock = break_start + brk.service
        arrival = clock + (leg - driven)
        travelled += leg
        distance += leg_distance
        cost += leg * vehicle.per_hour / 3600 + leg_distance * vehicle.per_km / 1000
        here = there
        if job is None:
            steps.append(
                Step(
                    type="end",
                    arrival=arrival,
                    duration=travelled,
                    distance=distance,
                    load=list(load),
                    location_index=vehicle.end_index,
                    location=vehicle.end,
                )
            )
            break
        service_start = _earliest_in_windows(arrival, service_windows(job))
        for k, amount in enumerate(job.delivery):
            load[k] -= amount
        lateness = None
        if job.sla_deadline is not None:
            lateness = max(0, service_start - job.sla_deadline)
            lateness_total += lateness
        steps.append(
            Step(
                type="job",
                id=job.id,
                arrival=arrival,
                waiting_time=service_start - arrival,
                service=job.service,
                duration=travelled,
                distance=distance,
                load=list(load),
                location_index=job.location_index,
                location=job.location,
                sla_lateness=lateness,
            )
        )
        waiting_total += service_start - arrival
        clock = service_start + job.service
    if scale == 1 and isinstance(cost, float) and cost.is_integer():
        cost = int(cost)
    elif scale == 1 and isinstance(cost, float):
        cost = round(cost)
    delivery = [sum(values) for values in zip(*(j.delivery for j in jobs), strict=False)]
    return Route(
        vehicle=vehicle.id,
        steps=steps,
        cost=cost,
        service=sum(j.service for j in jobs)
        + sum(b.service for gap in breaks_per_gap for b, _ in gap),
        duration=travelled,
        waiting_time=waiting_total,
        distance=distance,
        priority=sum(j.priority for j in jobs),
        delivery=delivery + [0] * (problem.amount_size - len(delivery)),
        sla_lateness=lateness_total,
    )


def _earliest_in_windows(moment: Number, windows: list[tuple[Number, Number]]) -> Number:
    for window_start, window_end in windows:
        if moment <= window_end:
            return max(moment, window_start)
    return moment  # no window left: keep the order, the checker will report it
