"""A lived-in past for the demo: weeks of completed work, so the dashboard means something.

BULK WRITES, NOT SERVICES. The booking and status services stamp `now()` on
bookings, statuses, SLA times and the event log (and the event log cannot be
corrected afterwards: it is append-only), and going through them for thousands of
jobs takes minutes. So this module writes the past directly with `bulk_create`:
work orders (due times computed by `workorders.clock.apply_due_times`), required
skills, bookings (through `dispatch.bookings.bookings_import`, the one module
that writes booking rows), SLA pauses, event-log rows and a few applied plan runs.
The database still enforces every invariant (no overlapping bookings, one active
booking per work order, check constraints).

Idempotent: each day's work orders carry `HIST-YYYYMMDD-nnn` billing references; a
day that has them is skipped, so a re-run on the same day changes nothing and a run
on a later day adds only the days in between.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q

from demo import places
from dispatch.bookings import ImportedBooking, bookings_import
from routing.models import PlanRun
from routing.travel import travel_minutes
from technicians.models import Skill, Technician
from technicians.selectors import at_local, shift_on, technicians_for_day
from workorders.clock import apply_due_times
from workorders.models import Customer, Event, RequiredSkill, Site, SLAPause, SLAPolicy, WorkOrder
from workorders.status import Status

PREFIX = "HIST-"
JOBS_PER_SHIFT = (2, 4)
PAUSE_SHARE = 0.07
REPEAT_SHARE = 0.08
OVERRIDE_SHARE = 0.03
PAUSE_REASONS = ["Customer not home", "Awaiting parts from supplier", "Site access refused"]


@dataclass
class Planned:
    work_order: WorkOrder
    technician: Technician
    starts_at: datetime
    ends_at: datetime
    travel: int
    skills: list[tuple[Skill, int]]
    pause: tuple[datetime, datetime, str, int] | None
    override: bool
    actual: "Actual"


@dataclass(frozen=True)
class Actual:
    """What really happened at a visit. `recorded` is False for the visits whose
    technician did not use the phone (the office typed the times into the work order)."""

    en_route_at: datetime
    arrived_at: datetime
    finished_at: datetime
    recorded: bool


# Like a real month: most arrivals are within minutes of the plan, some run late
# (traffic, the job before overran); work takes about as long as estimated, a few
# jobs much longer. One visit in ten was never reported from the phone.
ARRIVAL_OFFSETS = [-10, -5, 0, 0, 0, 5, 5, 10, 15, 25, 45, 75]
WORK_FACTORS = [0.7, 0.85, 0.9, 1.0, 1.0, 1.1, 1.2, 1.4, 1.8]
PHONE_SHARE = 0.9


def _actual_times(facts, received, starts, minutes, travel, free_at) -> Actual:
    arrived = max(
        starts + timedelta(minutes=facts.choice(ARRIVAL_OFFSETS)),
        free_at + timedelta(minutes=travel),  # not before the last job really ended
        received + timedelta(minutes=travel + 5),  # nor before anyone could set off
    )
    finished = arrived + timedelta(minutes=round(minutes * facts.choice(WORK_FACTORS)))
    return Actual(
        en_route_at=arrived - timedelta(minutes=travel),
        arrived_at=arrived,
        finished_at=finished,
        recorded=facts.random() < PHONE_SHARE,
    )


def _reference(day: date, index: int) -> str:
    return f"{PREFIX}{day:%Y%m%d}-{index:03d}"


def _done_days(first: date, last: date) -> set[date]:
    references = WorkOrder.objects.filter(
        billing_reference__gte=f"{PREFIX}{first:%Y%m%d}",
        billing_reference__lt=f"{PREFIX}{last + timedelta(days=1):%Y%m%d}",
    ).values_list("billing_reference", flat=True)
    return {
        datetime.strptime(ref[len(PREFIX) : len(PREFIX) + 8], "%Y%m%d").date() for ref in references
    }


def _qualified_templates(tech: Technician, day: date, skills: dict[str, Skill]) -> list:
    valid = {
        c.skill_id for c in tech.certifications.all() if c.expires_on is None or c.expires_on >= day
    }
    return [
        template
        for template in places.JOB_TEMPLATES
        if template[0] != "emergency" and all(skills[code].pk in valid for code in template[2])
    ]


def _plan_day(rng, facts, day, techs, sites, skills, policies, recent, visited) -> list[Planned]:
    """The day's completed visits; `rng` draws the plan, `facts` what really happened
    (a separate stream, so the plan of a day does not depend on how it went)."""
    planned: list[Planned] = []
    index = 0
    for tech in techs:
        shift = shift_on(tech, day)
        if shift is None or tech.time_off.all():
            continue
        templates = _qualified_templates(tech, day, skills)
        if not templates:
            continue
        cursor, position = shift.starts_at, (tech.home_latitude, tech.home_longitude)
        free_at = shift.starts_at  # when the technician really finished the last visit
        for _ in range(rng.randint(*JOBS_PER_SHIFT)):
            repeat = [r for r in recent if r[1] in templates and r[2] < day] if recent else []
            if repeat and rng.random() < REPEAT_SHARE:
                site, template, _ = rng.choice(repeat)
            else:  # a site that had no job of this type lately, when one can be found
                for _attempt in range(20):
                    site, template = rng.choice(sites), rng.choice(templates)
                    if (site.pk, template[0]) not in visited:
                        break
            visited.add((site.pk, template[0]))
            job_type, summary, needed, minutes = template
            travel = travel_minutes(position, (site.latitude, site.longitude))
            starts = cursor + timedelta(minutes=travel + rng.choice([0, 0, 10, 25]))
            ends = starts + timedelta(minutes=minutes)
            if ends > shift.ends_at:
                break
            policy = rng.choices(policies, weights=[2, 3, 5])[0]
            # Received some time before the visit: mostly inside the response target,
            # sometimes (the breaches) well before it.
            lead = policy.response_minutes * rng.choice([0.2, 0.4, 0.6, 0.8, 1.0, 1.6, 2.5])
            received = starts - timedelta(minutes=lead + rng.randint(5, 30))
            index += 1
            work_order = WorkOrder(
                customer_id=site.customer_id,
                site=site,
                job_type=job_type,
                priority=rng.choice([1, 2, 2, 2, 3]),
                summary=summary,
                estimated_minutes=minutes,
                sla_policy=policy,
                status=Status.COMPLETED,
                billing_reference=_reference(day, index),
                created_at=received,
                sla_started_at=received,
            )
            if rng.random() < 0.35:  # a customer window around the visit, sometimes missed
                window_start = starts - timedelta(minutes=rng.choice([-20, 10, 30, 60, 90, 150]))
                work_order.window_start = window_start
                work_order.window_end = window_start + timedelta(hours=2)
            pause = None
            if rng.random() < PAUSE_SHARE:
                paused = received + timedelta(minutes=rng.randint(5, 30))
                resumed = paused + timedelta(minutes=rng.randint(30, 180))
                pause = (
                    paused,
                    resumed,
                    rng.choice(PAUSE_REASONS),
                    int((resumed - paused).total_seconds() // 60),
                )
                work_order.sla_paused_minutes = pause[3]
            apply_due_times(work_order)
            actual = _actual_times(facts, received, starts, minutes, travel, free_at)
            work_order.responded_at = actual.arrived_at
            work_order.resolved_at = actual.finished_at
            work_order.updated_at = work_order.resolved_at
            free_at = actual.finished_at
            planned.append(
                Planned(
                    work_order=work_order,
                    technician=tech,
                    starts_at=starts,
                    ends_at=ends,
                    travel=travel,
                    skills=[(skills[code], 1) for code in needed],
                    pause=pause,
                    override=rng.random() < OVERRIDE_SHARE,
                    actual=actual,
                )
            )
            recent.append((site, template, day))
            cursor, position = ends, (site.latitude, site.longitude)
    return planned


HISTORY_CUSTOMERS = 900


def _sites(seed: int) -> list[Site]:
    """The demo's customers plus regulars who only appear in the history (made once)."""
    if not Customer.objects.filter(notes__startswith="HIST-C").exists():
        rng = random.Random(seed)
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    name=f"{rng.choice(places.FIRST_NAMES)} {rng.choice(places.LAST_NAMES)}",
                    phone=f"+1{places.AREA_CODES[n % 3]}55502{n % 100:02d}",
                    notes=f"HIST-C{n:04d} demo history customer",
                    sms_consent=rng.random() < 0.8,
                )
                for n in range(HISTORY_CUSTOMERS)
            ]
        )
        sites = []
        for n, customer in enumerate(customers):
            hood = places.NEIGHBOURHOODS[n % len(places.NEIGHBOURHOODS)]
            sites.append(
                Site(
                    customer=customer,
                    address=f"{rng.randint(100, 4999)} {rng.choice(hood[3])}, {hood[0]}, IL",
                    latitude=round(hood[1] + rng.uniform(-0.012, 0.012), 5),
                    longitude=round(hood[2] + rng.uniform(-0.012, 0.012), 5),
                )
            )
        Site.objects.bulk_create(sites)
    return list(
        Site.objects.filter(
            Q(customer__notes__startswith="DEMO-C") | Q(customer__notes__startswith="HIST-C"),
            latitude__isnull=False,
        ).order_by("pk")
    )


def _events(plan: Planned, manager: User) -> list[Event]:
    wo, tech = plan.work_order, plan.technician
    booked_at = wo.created_at + (plan.starts_at - wo.created_at) * 0.3
    rows = [
        (
            wo.created_at,
            None,
            Event.Kind.WORK_ORDER_CREATED,
            f"{wo.number} created: {wo.summary}",
            "",
        ),
        (
            booked_at,
            tech,
            Event.Kind.ASSIGNED,
            f"{wo.number} assigned to {tech} at {plan.starts_at:%a %H:%M}",
            "",
        ),
    ]
    if plan.override:
        rows.append(
            (
                booked_at,
                tech,
                Event.Kind.OVERRIDE,
                f"{wo.number}: overtime accepted",
                "Customer is a hospital kitchen",
            )
        )
    if plan.pause:
        paused, resumed, reason, minutes = plan.pause
        rows.append((paused, None, Event.Kind.SLA_PAUSED, f"{wo.number}: SLA clock paused", reason))
        rows.append(
            (
                resumed,
                None,
                Event.Kind.SLA_RESUMED,
                f"{wo.number}: SLA clock resumed after {minutes} business minutes",
                "",
            )
        )
    steps = [
        (plan.starts_at - timedelta(minutes=plan.travel + 15), "scheduled", "dispatched"),
        (plan.actual.en_route_at, "dispatched", "en_route"),
        (wo.responded_at, "en_route", "on_site"),
        (wo.resolved_at, "on_site", "completed"),
    ]
    for at, before, after in steps:
        rows.append(
            (
                at,
                tech,
                Event.Kind.STATUS_CHANGED,
                f"{wo.number}: {Status(before).label} → {Status(after).label}",
                "",
            )
        )
    return [
        Event(
            occurred_at=at,
            actor=manager if kind in (Event.Kind.ASSIGNED, Event.Kind.OVERRIDE) else None,
            kind=kind,
            work_order=wo,
            technician=technician,
            customer_id=wo.customer_id if kind == Event.Kind.WORK_ORDER_CREATED else None,
            summary=summary[:300],
            reason=reason,
        )
        for at, technician, kind, summary, reason in rows
    ]


def _bookings(planned: list[Planned], manager: User) -> None:
    bookings_import(
        actor=manager,
        rows=[
            ImportedBooking(
                work_order=p.work_order,
                technician=p.technician,
                starts_at=p.starts_at,
                ends_at=p.ends_at,
                travel_minutes=p.travel,
                booked_at=p.work_order.created_at + (p.starts_at - p.work_order.created_at) * 0.3,
                en_route_at=p.actual.en_route_at if p.actual.recorded else None,
                arrived_at=p.actual.arrived_at if p.actual.recorded else None,
                finished_at=p.actual.finished_at if p.actual.recorded else None,
            )
            for p in planned
        ],
    )


@transaction.atomic
def build_history(*, days: int, today: date, seed: int = 1) -> int:
    """Fill the `days` days before `today` with completed work; returns work orders added."""
    if days <= 0:
        return 0
    first = today - timedelta(days=days)
    done = _done_days(first, today - timedelta(days=1))
    todo = [first + timedelta(days=n) for n in range(days) if first + timedelta(days=n) not in done]
    if not todo:
        return 0
    manager = User.objects.filter(username="manager").first()
    skills = {skill.code: skill for skill in Skill.objects.all()}
    policies = list(SLAPolicy.objects.order_by("response_minutes"))[:3]
    sites = _sites(seed)
    if not sites or len(policies) < 3:
        return 0
    planned: list[Planned] = []
    recent: list = []
    for day in todo:
        rng_day = random.Random(f"{seed}-{day.isoformat()}")
        facts = random.Random(f"{seed}-{day.isoformat()}-facts")
        techs = list(
            technicians_for_day(day).filter(user__username__startswith="tech").order_by("pk")
        )
        visited = {(site.pk, template[0]) for site, template, _ in recent}
        planned += _plan_day(rng_day, facts, day, techs, sites, skills, policies, recent, visited)
        recent[:] = [r for r in recent if (day - r[2]).days <= 30]
    orders = WorkOrder.objects.bulk_create([p.work_order for p in planned], batch_size=1000)
    for order in orders:
        order.number = f"WO-{order.pk:06d}"
    WorkOrder.objects.bulk_update(orders, ["number"], batch_size=1000)
    RequiredSkill.objects.bulk_create(
        [
            RequiredSkill(work_order=p.work_order, skill=s, min_level=level)
            for p in planned
            for s, level in p.skills
        ],
        batch_size=2000,
    )
    _bookings(planned, manager)
    SLAPause.objects.bulk_create(
        [
            SLAPause(
                work_order=p.work_order,
                started_at=p.pause[0],
                ended_at=p.pause[1],
                reason=p.pause[2],
                business_minutes=p.pause[3],
            )
            for p in planned
            if p.pause
        ]
    )
    Event.objects.bulk_create([e for p in planned for e in _events(p, manager)], batch_size=2000)
    _plan_runs(todo, manager)
    # auto_now stamped updated_at on insert; the history was last touched when resolved.
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(updated_at=F("resolved_at"))
    return len(orders)


def _plan_runs(days: list[date], manager: User) -> None:
    """An optimizer run accepted on most Mondays (the dispatcher plans the week's start)."""
    runs = [
        PlanRun(
            day=day,
            status=PlanRun.Status.APPLIED,
            requested_by=manager,
            decided_by=manager,
            decided_at=at_local(day, time(7)),
            time_limit_s=10,
            parameters={"demo_history": True},
        )
        for day in days
        if day.weekday() == 0
    ]
    PlanRun.objects.bulk_create(runs)
