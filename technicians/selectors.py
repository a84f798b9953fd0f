"""Reads about technicians: availability on a date, valid certifications."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from technicians.models import Certification, ShiftException, ShiftPattern, Technician, TimeOff


@dataclass(frozen=True)
class ShiftWindow:
    starts_at: datetime
    ends_at: datetime


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def at_local(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=local_zone())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = at_local(day, time.min)
    return start, at_local(day, time.max)


def technicians_for_day(day: date, with_certifications: bool = True) -> QuerySet[Technician]:
    """Active technicians with everything needed to judge them on `day`, in five queries."""
    start, end = day_bounds(day)
    prefetches = [
        Prefetch("shifts", queryset=ShiftPattern.objects.filter(weekday=day.weekday())),
        Prefetch("shift_exceptions", queryset=ShiftException.objects.filter(date=day)),
        Prefetch("time_off", queryset=TimeOff.objects.filter(starts_at__lt=end, ends_at__gt=start)),
    ]
    if with_certifications:
        # Rules read skill ids and levels only; names come from the job's requirements.
        prefetches.append(Prefetch("certifications", queryset=Certification.objects.all()))
    return Technician.objects.filter(active=True).prefetch_related(*prefetches)


def shift_on(technician: Technician, day: date) -> ShiftWindow | None:
    """The shift on `day` after exceptions; uses prefetched rows when present."""
    exceptions = [e for e in technician.shift_exceptions.all() if e.date == day]
    if exceptions:
        exception = exceptions[0]
        if exception.is_off:
            return None
        return ShiftWindow(at_local(day, exception.starts_at), at_local(day, exception.ends_at))
    patterns = [p for p in technician.shifts.all() if p.weekday == day.weekday()]
    if not patterns:
        return None
    return ShiftWindow(at_local(day, patterns[0].starts_at), at_local(day, patterns[0].ends_at))


def time_off_overlapping(technician: Technician, start: datetime, end: datetime) -> list[TimeOff]:
    return [t for t in technician.time_off.all() if t.starts_at < end and t.ends_at > start]


class CertificationIssue(StrEnum):
    MISSING = "missing"
    LEVEL_TOO_LOW = "level_too_low"
    EXPIRED = "expired"


@dataclass(frozen=True)
class CertificationProblem:
    issue: CertificationIssue
    message: str


def certification_problem(
    technician: Technician, requirements: list[tuple[int, str, int]], day: date
) -> CertificationProblem | None:
    """Why `technician` may not do a job needing (skill_id, skill_name, min_level) on `day`."""
    by_skill = {c.skill_id: c for c in technician.certifications.all()}
    for skill_id, skill_name, min_level in requirements:
        cert = by_skill.get(skill_id)
        if cert is None:
            return CertificationProblem(
                CertificationIssue.MISSING, f"{technician} has no {skill_name} skill"
            )
        if cert.level < min_level:
            return CertificationProblem(
                CertificationIssue.LEVEL_TOO_LOW,
                f"{technician} has {skill_name} level {cert.level}, the job needs {min_level}",
            )
        if not cert.is_valid_on(day):
            return CertificationProblem(
                CertificationIssue.EXPIRED,
                f"{technician}'s {skill_name} certification expired on {cert.expires_on:%Y-%m-%d}",
            )
    return None


def technician_list(*, search: str = "", team: str = "") -> QuerySet[Technician]:
    today = timezone.localdate()
    expired = Certification.objects.filter(technician=OuterRef("pk"), expires_on__lt=today)
    qs = Technician.objects.select_related("user").annotate(has_expired_cert=Exists(expired))
    if search:
        qs = qs.filter(Q(display_name__icontains=search) | Q(user__username__icontains=search))
    if team:
        qs = qs.filter(team=team)
    return qs.order_by("display_name")


def on_shift_sql(now: datetime, margin: timedelta, technician: str) -> tuple[str, dict]:
    """Whether the technician whose id is the SQL `technician` is on shift at `now`
    (give or take `margin`): the day's shift exception if there is one, else the weekly
    pattern. SQL and its parameters, for the position post's conditional UPDATE (the
    hot path of every phone: written out, it costs nothing to build)."""
    local = timezone.localtime(now)
    day = local.date()
    latest_start = (local + margin).time() if (local + margin).date() == day else time.max
    earliest_end = (local - margin).time() if (local - margin).date() == day else time.min
    exceptions = f"""SELECT 1 FROM {ShiftException._meta.db_table} e
        WHERE e.technician_id = {technician} AND e.date = %(shift_day)s"""
    worked = f"""{exceptions} AND NOT e.is_off
        AND e.starts_at <= %(shift_latest_start)s AND e.ends_at >= %(shift_earliest_end)s"""
    pattern = f"""SELECT 1 FROM {ShiftPattern._meta.db_table} p
        WHERE p.technician_id = {technician} AND p.weekday = %(shift_weekday)s
        AND p.starts_at <= %(shift_latest_start)s AND p.ends_at >= %(shift_earliest_end)s"""
    sql = f"(EXISTS ({worked}) OR (NOT EXISTS ({exceptions}) AND EXISTS ({pattern})))"
    return sql, {
        "shift_day": day,
        "shift_weekday": day.weekday(),
        "shift_latest_start": latest_start,
        "shift_earliest_end": earliest_end,
    }
