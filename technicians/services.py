"""Writes for technicians and their skills, shifts and time off."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from core.errors import DomainError
from technicians.audit import record_technician_change
from technicians.images import process_image_upload
from technicians.models import Certification, ShiftPattern, Skill, Technician, TimeOff

TECHNICIAN_FIELDS = [
    "display_name",
    "phone",
    "team",
    "home_address",
    "home_latitude",
    "home_longitude",
    "active",
    "max_daily_hours",
]


@dataclass(frozen=True)
class CertificationData:
    skill: Skill
    level: int
    expires_on: date | None


@dataclass(frozen=True)
class ShiftData:
    weekday: int
    starts_at: time
    ends_at: time


@dataclass(frozen=True)
class TimeOffData:
    kind: str
    starts_at: datetime
    ends_at: datetime
    reason: str


def _snapshot(technician: Technician) -> dict:
    """Everything an edit can change, as the audit trail keeps it."""
    profile = {name: getattr(technician, name) for name in TECHNICIAN_FIELDS}
    profile["max_daily_hours"] = f"{Decimal(profile['max_daily_hours']):.2f}"
    return {
        **profile,
        "photo": technician.photo.name or "",
        "certifications": [
            f"{c.skill.name} {c.level}"
            + (f" until {c.expires_on:%Y-%m-%d}" if c.expires_on else "")
            for c in technician.certifications.select_related("skill").order_by("skill__name")
        ],
        "shifts": [
            f"{s.get_weekday_display()} {s.starts_at:%H:%M}–{s.ends_at:%H:%M}"
            for s in technician.shifts.order_by("weekday")
        ],
        "time_off": [
            f"{t.get_kind_display()} {t.starts_at.isoformat()}–{t.ends_at.isoformat()}"
            + (f" ({t.reason})" if t.reason else "")
            for t in technician.time_off.order_by("starts_at")
        ],
    }


def time_off_fingerprint(technician: Technician) -> str:
    """A digest of a technician's time off, as an edit form saw it: an edit may replace
    the time off only if nobody added or removed any meanwhile (a sick call, say)."""
    rows = technician.time_off.order_by("pk").values_list("pk", "starts_at", "ends_at")
    text = ";".join(f"{pk}@{start.isoformat()}-{end.isoformat()}" for pk, start, end in rows)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


@transaction.atomic
def time_off_add(
    *, actor, technician: Technician, kind: str, starts_at: datetime, ends_at: datetime, reason: str
) -> TimeOff:
    """Add one stretch of time off (a sick call from the board, say), logged."""
    technician = Technician.objects.select_for_update().get(pk=technician.pk)
    before = _snapshot(technician)
    entry = TimeOff(
        technician=technician, kind=kind, starts_at=starts_at, ends_at=ends_at, reason=reason
    )
    entry.full_clean()
    entry.save()
    record_technician_change(
        actor=actor,
        technician=technician,
        summary=f"{technician}: {entry.get_kind_display().lower()} added"
        + (f" ({reason})" if reason else ""),
        before={"time_off": before["time_off"]},
        after={"time_off": _snapshot(technician)["time_off"]},
    )
    return entry


@transaction.atomic
def technician_update(
    *,
    actor,
    technician: Technician,
    data: dict,
    certifications: list[CertificationData],
    shifts: list[ShiftData],
    time_off: list[TimeOffData],
    photo: UploadedFile | None = None,
    expected_time_off: str = "",
) -> Technician:
    """Replace a technician's profile, certifications, weekly shifts and time off at once.

    With `expected_time_off` (the fingerprint the form was loaded with), the time off is
    replaced only if nobody changed it since; otherwise nothing is saved."""
    technician = Technician.objects.select_for_update().get(pk=technician.pk)
    if expected_time_off and time_off_fingerprint(technician) != expected_time_off:
        raise DomainError(
            f"{technician}'s time off changed while you were editing (a sick call from the "
            "board?). Nothing was saved: reload the page to see it, then edit again."
        )
    unknown = set(data) - set(TECHNICIAN_FIELDS)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = _snapshot(technician)
    for name, value in data.items():
        setattr(technician, name, value)
    technician.full_clean(exclude=["photo", "photo_thumbnail"])
    if photo is not None:
        image, thumbnail = process_image_upload(photo, max_side=800, thumb_side=128)
        technician.photo.save(image.name, image, save=False)
        technician.photo_thumbnail.save(thumbnail.name, thumbnail, save=False)
    technician.save()
    _replace_certifications(technician, certifications)
    _replace_shifts(technician, shifts)
    _replace_time_off(technician, time_off)
    after = _snapshot(technician)
    changed = [key for key in after if before[key] != after[key]]
    if changed:
        record_technician_change(
            actor=actor,
            technician=technician,
            summary=f"{technician} edited: {', '.join(name.replace('_', ' ') for name in changed)}",
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return technician


def _replace_certifications(technician: Technician, rows: list[CertificationData]) -> None:
    skills = [row.skill.pk for row in rows]
    if len(skills) != len(set(skills)):
        raise DomainError("Each skill may be certified only once.")
    technician.certifications.exclude(skill__in=skills).delete()
    for row in rows:
        cert, _ = Certification.objects.get_or_create(
            technician=technician, skill=row.skill, defaults={"level": row.level}
        )
        cert.level, cert.expires_on = row.level, row.expires_on
        cert.full_clean()
        cert.save()


def _replace_shifts(technician: Technician, rows: list[ShiftData]) -> None:
    days = [row.weekday for row in rows]
    if len(days) != len(set(days)):
        raise DomainError("Each weekday may have only one shift.")
    technician.shifts.all().delete()
    for row in rows:
        shift = ShiftPattern(
            technician=technician, weekday=row.weekday, starts_at=row.starts_at, ends_at=row.ends_at
        )
        shift.full_clean()
        shift.save()


def _replace_time_off(technician: Technician, rows: list[TimeOffData]) -> None:
    technician.time_off.all().delete()
    for row in rows:
        entry = TimeOff(
            technician=technician,
            kind=row.kind,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            reason=row.reason,
        )
        entry.full_clean()
        entry.save()
