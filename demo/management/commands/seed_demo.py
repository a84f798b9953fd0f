"""Load realistic demo data: a Chicago field-service company on an ordinary day.

Idempotent: every object has a natural key (usernames, customer phone numbers,
`DEMO-nnnn` billing references), so a re-run adds only what is missing.
Demo logins exist only through this command.
"""

import math
import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo import history, places
from dispatch.models import Booking
from dispatch.services import work_order_book, work_order_change_status
from routing.travel import travel_minutes
from technicians.models import Certification, ShiftPattern, Skill, Technician, TimeOff
from technicians.roles import Role
from technicians.selectors import (
    at_local,
    certification_problem,
    day_bounds,
    shift_on,
    technicians_for_day,
)
from workorders.clock import calendar_for
from workorders.models import Customer, SLAPolicy, WorkOrder
from workorders.services import SiteChange, SkillRequirement, customer_create, work_order_create
from workorders.sla import business_minutes_between
from workorders.status import Status

DEMO_PASSWORD = "demo"
# After this local time the demo also books the next working day (shifts end 15:30–19:00).
DAY_NEARLY_OVER = time(16)
OFFICE_USERS = [
    ("dispatcher", "Dana", "Dispatcher", Role.DISPATCHER),
    ("office", "Olive", "Office", Role.OFFICE),
    ("manager", "Morgan", "Manager", Role.MANAGER),
    ("admin", "Ada", "Admin", Role.ADMIN),
]
# Rotas so that every day of the week, weekends included, has a crew on shift.
ROTAS = [
    [0, 1, 2, 3, 4],
    [2, 3, 4, 5, 6],
    [5, 6, 0, 1, 2],
]
SHIFT_HOURS = [(time(7), time(15, 30)), (time(8), time(17)), (time(10), time(19))]
# The login the README suggests for trying the phone app: on shift every day with
# every skill, and first in line for a few of the day's jobs.
PHONE_DEMO_USER = "tech01"
PHONE_DEMO_JOBS = 4
# A normal working day, not a crisis: of the new work, a handful is close to its SLA
# response target and two or three have just missed it; the rest arrived recently and
# is due later today or this week. A share of the day's lanes is left free for the
# calls that come in during the day.
AT_RISK_JOBS = 6
BREACHED_JOBS = (2, 3)
BOOKED_SHARE = 0.6
LANE_FILL = 0.8  # of each technician's daily hours


class Command(BaseCommand):
    help = "Create demo users, technicians, customers and work orders (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--technicians", type=int, default=40)
        parser.add_argument("--work-orders", type=int, default=300)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--history-days",
            type=int,
            default=0,
            help="Also fill this many past days with completed work (dashboard history).",
        )

    def handle(
        self, *args, technicians: int, work_orders: int, seed: int, history_days: int, **options
    ):
        if not 1 <= technicians <= 999:
            raise CommandError("--technicians must be between 1 and 999.")
        if not 0 <= work_orders <= 100_000:
            raise CommandError("--work-orders must be between 0 and 100000.")
        if not 0 <= history_days <= 400:
            raise CommandError("--history-days must be between 0 and 400.")
        rng = random.Random(seed)
        self._password_hash = make_password(DEMO_PASSWORD)
        today = timezone.localdate()
        with transaction.atomic():
            self._office_users()
            skills = self._skills()
            policies = self._sla_policies()
            techs = self._technicians(rng, technicians, skills, today)
            created = self._work_orders(rng, work_orders, skills, policies, today)
        added = history.build_history(days=history_days, today=today, seed=seed)
        booked = {}
        # Fresh jobs close to or past their SLA stay in the queue: the dispatcher's first
        # work of the day (on a later run everything waiting is booked as before).
        hold = {wo.pk for wo in created if _needs_dispatcher(wo)}
        for day in self._board_days(today):
            with transaction.atomic():
                to_book = [wo for wo in self._to_book(created, day) if wo.pk not in hold]
                booked[day] = self._book_day(rng, to_book, techs, day)
        boards = ", ".join(f"{count} booked for {day:%a %Y-%m-%d}" for day, count in booked.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(techs)} technicians, {WorkOrder.objects.count()} work orders "
                f"({len(created)} new, {boards}; "
                f"{added} completed in the last {history_days} days added)."
            )
        )

    def _board_days(self, today: date) -> list[date]:
        """Today, and the next working day too when today is a weekend or nearly over,
        so the demo always has a day of work still to come."""
        days = [today]
        if today.weekday() >= 5 or timezone.localtime().time() >= DAY_NEARLY_OVER:
            following = today + timedelta(days=1)
            while following.weekday() >= 5:
                following += timedelta(days=1)
            days.append(following)
        return days

    # People ---------------------------------------------------------------

    def _user(self, username: str, first: str, last: str, role: Role) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            # One hash for all demo users: hashing is deliberately slow, the password is public.
            user.password = self._password_hash
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.save()
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        return user

    def _office_users(self) -> None:
        for username, first, last, role in OFFICE_USERS:
            self._user(username, first, last, role)

    def _skills(self) -> dict[str, Skill]:
        return {
            code: Skill.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in places.SKILLS
        }

    def _sla_policies(self) -> list[SLAPolicy]:
        policies = []
        for tier, response, resolution, calendar in places.SLA_TIERS:
            policy, _ = SLAPolicy.objects.get_or_create(
                tier=tier,
                defaults={
                    "response_minutes": response,
                    "resolution_minutes": resolution,
                    "calendar": calendar,
                    "business_weekdays": [0, 1, 2, 3, 4] if calendar == "business" else [],
                },
            )
            policies.append(policy)
        return policies

    def _technicians(
        self, rng: random.Random, count: int, skills: dict[str, Skill], today: date
    ) -> list[Technician]:
        techs = []
        skill_codes = list(skills)
        for number in range(1, count + 1):
            username = f"tech{number:02d}"
            first = places.FIRST_NAMES[(number - 1) % len(places.FIRST_NAMES)]
            last = places.LAST_NAMES[(number * 7) % len(places.LAST_NAMES)]
            user = self._user(username, first, last, Role.TECHNICIAN)
            existing = Technician.objects.filter(user=user).first()
            if existing:
                techs.append(existing)
                continue
            hood = places.NEIGHBOURHOODS[rng.randrange(len(places.NEIGHBOURHOODS))]
            tech = Technician.objects.create(
                user=user,
                display_name=f"{first} {last}",
                phone=f"+1{places.AREA_CODES[number % 3]}55501{number % 100:02d}",
                team=["North", "South", "West"][number % 3],
                home_address=f"{rng.randint(1000, 5999)} {rng.choice(hood[3])}, {hood[0]}",
                home_latitude=round(hood[1] + rng.uniform(-0.01, 0.01), 5),
                home_longitude=round(hood[2] + rng.uniform(-0.01, 0.01), 5),
                max_daily_hours=rng.choice([8, 8, 9, 10]),
            )
            primary = rng.sample(skill_codes, k=rng.randint(2, 4))
            if username == PHONE_DEMO_USER:
                primary = skill_codes
            for index, code in enumerate(primary):
                expired = rng.random() < 0.08 and username != PHONE_DEMO_USER
                Certification.objects.create(
                    technician=tech,
                    skill=skills[code],
                    level=4
                    if username == PHONE_DEMO_USER
                    else rng.choice([2, 3, 3, 4, 5])
                    if index == 0
                    else rng.randint(1, 4),
                    expires_on=today - timedelta(days=rng.randint(1, 60))
                    if expired
                    else today + timedelta(days=rng.randint(30, 720)),
                )
            starts, ends = SHIFT_HOURS[number % len(SHIFT_HOURS)]
            rota = ROTAS[number % len(ROTAS)]
            if username == PHONE_DEMO_USER:
                starts, ends, rota = time(7), time(19), range(7)
            for weekday in rota:
                ShiftPattern.objects.create(
                    technician=tech, weekday=weekday, starts_at=starts, ends_at=ends
                )
            if number % 13 == 0:
                TimeOff.objects.create(
                    technician=tech,
                    kind=TimeOff.Kind.VACATION,
                    starts_at=at_local(today - timedelta(days=1), time.min),
                    ends_at=at_local(today + timedelta(days=4), time.min),
                    reason="Family trip",
                )
            elif number % 17 == 0:
                TimeOff.objects.create(
                    technician=tech,
                    kind=TimeOff.Kind.TRAINING,
                    starts_at=at_local(today, time(12)),
                    ends_at=at_local(today, time(16)),
                    reason="Refrigerant handling course",
                )
            techs.append(tech)
        return techs

    # Customers and work orders -------------------------------------------

    def _customer(self, rng: random.Random, index: int) -> Customer:
        phone = f"+1{places.AREA_CODES[index % 3]}55501{index % 100:02d}"
        name_key = f"DEMO-C{index:04d}"
        existing = Customer.objects.filter(notes__startswith=name_key).first()
        if existing:
            return existing
        hood = places.NEIGHBOURHOODS[index % len(places.NEIGHBOURHOODS)]
        business = index % 3 == 0
        name = (
            f"{places.LAST_NAMES[index % len(places.LAST_NAMES)]} {places.BUSINESS_WORDS[index % len(places.BUSINESS_WORDS)]}"
            if business
            else f"{places.FIRST_NAMES[(index * 3) % len(places.FIRST_NAMES)]} {places.LAST_NAMES[(index * 5) % len(places.LAST_NAMES)]}"
        )
        site = {
            "label": "Main",
            "address": f"{rng.randint(100, 4999)} {rng.choice(hood[3])}, {hood[0]}, IL",
            "latitude": round(hood[1] + rng.uniform(-0.012, 0.012), 5),
            "longitude": round(hood[2] + rng.uniform(-0.012, 0.012), 5),
            "access_notes": rng.choice(
                ["", "", "Ring bell at side door", "Gate code 4411", "Ask for the manager"]
            ),
        }
        return customer_create(
            actor=None,
            data={
                "name": name,
                "phone": phone,
                "email": f"customer{index:04d}@example.com",
                "sms_consent": rng.random() < 0.8,
                "notes": f"{name_key} demo customer",
            },
            sites=[SiteChange(site=None, data=site)],
        )

    def _work_orders(self, rng, count, skills, policies, today) -> list[WorkOrder]:
        existing = set(
            WorkOrder.objects.filter(billing_reference__startswith="DEMO-").values_list(
                "billing_reference", flat=True
            )
        )
        created = []
        now = timezone.now()
        customer_count = max(1, count * 2 // 3)
        late = set(rng.sample(range(count), k=min(count, rng.choice(BREACHED_JOBS))))
        close = set(
            rng.sample(sorted(set(range(count)) - late), k=min(count - len(late), AT_RISK_JOBS))
        )
        for index in range(count):
            reference = f"DEMO-{index:04d}"
            if reference in existing:
                rng.random()  # keep the sequence stable across partial re-runs
                continue
            customer = self._customer(rng, index % customer_count)
            job_type, summary, needed, minutes = places.JOB_TEMPLATES[
                rng.randrange(len(places.JOB_TEMPLATES))
            ]
            policy = rng.choices(policies, weights=[2, 3, 5])[0]
            if job_type == "emergency":
                policy = policies[0]
            # The share of its response target a job has used by now: most arrived
            # recently, a handful are close to the target, two or three are past it.
            if index in late:
                used = rng.uniform(1.05, 1.4)
            elif index in close:
                used = rng.uniform(0.8, 0.95)
            else:
                used = rng.uniform(0.0, 0.6)
            received = min(
                _received_having_used(policy, used, now),
                now - timedelta(minutes=rng.randint(5, 90)),
            )
            window = None
            if rng.random() < 0.35:
                start_hour = rng.choice([8, 10, 12, 14])
                window = (at_local(today, time(start_hour)), at_local(today, time(start_hour + 4)))
            work_order = work_order_create(
                actor=None,
                data={
                    "customer": customer,
                    "site": customer.sites.first(),
                    "job_type": job_type,
                    "priority": WorkOrder.Priority.EMERGENCY
                    if job_type == "emergency"
                    else rng.choice([1, 2, 2, 2, 3]),
                    "summary": summary,
                    "estimated_minutes": minutes,
                    "window_start": window[0] if window else None,
                    "window_end": window[1] if window else None,
                    "sla_policy": policy,
                    "billing_reference": reference,
                    "notes": "",
                },
                required_skills=[
                    SkillRequirement(skill=skills[code], min_level=rng.choice([1, 1, 2, 3]))
                    for code in needed
                ],
                received_at=received,
            )
            created.append(work_order)
        return created

    def _to_book(self, created: list[WorkOrder], day: date) -> list[WorkOrder]:
        """Jobs to put on `day`'s board: the new ones still waiting, or, when the demo is
        started again on a later day with an empty board, the demo jobs in the queue.
        A job whose customer window is on another day stays in the queue."""
        start, end = day_bounds(day)
        if Booking.objects.filter(
            work_order__billing_reference__startswith="DEMO-",
            state=Booking.State.ACTIVE,
            starts_at__range=(start, end),
        ).exists():
            return []
        waiting = WorkOrder.objects.filter(billing_reference__startswith="DEMO-", status=Status.NEW)
        if created:
            waiting = waiting.filter(pk__in=[wo.pk for wo in created])
        return [
            wo
            for wo in waiting.select_related("site").order_by("pk")
            if wo.window_start is None or timezone.localdate(wo.window_start) == day
        ]

    def _book_day(
        self, rng, work_orders: list[WorkOrder], techs: list[Technician], today: date
    ) -> int:
        """Give about a third of the jobs to qualified technicians on shift that day."""

        on_shift = []
        for tech in technicians_for_day(today).filter(pk__in=[t.pk for t in techs]):
            shift = shift_on(tech, today)
            if shift and not tech.time_off.all():
                on_shift.append((tech, shift))
        if not on_shift:
            return 0
        cursor = {
            tech.pk: (shift.starts_at, (tech.home_latitude, tech.home_longitude))
            for tech, shift in on_shift
        }
        phone_demo = next(
            (tech for tech, _ in on_shift if tech.user.username == PHONE_DEMO_USER), None
        )
        if phone_demo is not None:
            # Whoever tries the phone finds their whole day still ahead of them.
            free_at, home = cursor[phone_demo.pk]
            soon = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=30)
            cursor[phone_demo.pk] = (max(free_at, soon), home)
        phone_demo_jobs = 0
        booked = 0
        worked = {tech.pk: 0 for tech, _ in on_shift}
        candidates = [wo for wo in work_orders if wo.priority < WorkOrder.Priority.EMERGENCY]
        for work_order in candidates[: math.ceil(len(candidates) * BOOKED_SHARE)]:
            needs = [
                (r.skill_id, r.skill.name, r.min_level)
                for r in work_order.required_skills.select_related("skill")
            ]
            site = (work_order.site.latitude, work_order.site.longitude)
            options = [
                (tech, shift)
                for tech, shift in on_shift
                if certification_problem(tech, needs, today) is None
            ]
            rng.shuffle(options)
            if phone_demo_jobs < PHONE_DEMO_JOBS:
                options.sort(key=lambda option: option[0] != phone_demo)
            for tech, shift in options:
                free_at, position = cursor[tech.pk]
                travel = travel_minutes(position, site)
                starts = free_at + timedelta(minutes=travel)
                if work_order.window_start and starts < work_order.window_start:
                    starts = work_order.window_start
                ends = starts + timedelta(minutes=work_order.estimated_minutes)
                minutes = worked[tech.pk] + travel + work_order.estimated_minutes
                if ends > shift.ends_at or minutes > float(tech.max_daily_hours) * 60 * LANE_FILL:
                    continue
                work_order_book(
                    actor=None,
                    work_order=work_order,
                    technician=tech,
                    starts_at=starts,
                    travel_minutes=travel,
                )
                cursor[tech.pk] = (ends, site)
                worked[tech.pk] = minutes
                booked += 1
                phone_demo_jobs += tech == phone_demo
                break
        # Jobs earlier today have moved along; the rest wait to be dispatched.
        now = timezone.now()
        for booking in Booking.objects.filter(
            work_order__in=work_orders, state=Booking.State.ACTIVE
        ).select_related("work_order"):
            self._advance(booking, now)
        return booked

    def _advance(self, booking: Booking, now: datetime) -> None:
        path = []
        if booking.ends_at <= now:
            path = [Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SITE, Status.COMPLETED]
        elif booking.starts_at <= now:
            path = [Status.DISPATCHED, Status.EN_ROUTE, Status.ON_SITE]
        elif booking.starts_at - now < timedelta(minutes=45):
            path = [Status.DISPATCHED, Status.EN_ROUTE]
        for target in path:
            work_order_change_status(actor=None, work_order=booking.work_order, target=target)


def _received_having_used(policy: SLAPolicy, used: float, now: datetime) -> datetime:
    """When a job must have arrived to have used `used` of its response target by `now`
    (open time of the policy's calendar; the latest such moment)."""
    calendar = calendar_for(policy)
    target = policy.response_minutes * used
    early, late = now - timedelta(days=21), now  # early has used enough, late not
    for _ in range(40):  # to well under a minute
        middle = early + (late - early) / 2
        if business_minutes_between(middle, now, calendar) >= target:
            early = middle
        else:
            late = middle
    return early.replace(second=0, microsecond=0)


def _needs_dispatcher(work_order: WorkOrder) -> bool:
    """Close to or past its SLA response target."""
    return work_order.response_at_risk_at <= timezone.now()
