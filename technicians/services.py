"""Writes for technicians and their skills, shifts and time off."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

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


class TechnicianError(Exception):
    pass


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


@transaction.atomic
def technician_update(
    *,
    technician: Technician,
    data: dict,
    certifications: list[CertificationData],
    shifts: list[ShiftData],
    time_off: list[TimeOffData],
    photo: UploadedFile | None = None,
) -> Technician:
    """Replace a technician's profile, certifications, weekly shifts and time off at once."""
    technician = Technician.objects.select_for_update().get(pk=technician.pk)
    unknown = set(data) - set(TECHNICIAN_FIELDS)
    if unknown:
        raise TechnicianError(f"Unknown fields: {', '.join(sorted(unknown))}.")
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
    return technician


def _replace_certifications(technician: Technician, rows: list[CertificationData]) -> None:
    skills = [row.skill.pk for row in rows]
    if len(skills) != len(set(skills)):
        raise TechnicianError("Each skill may be certified only once.")
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
        raise TechnicianError("Each weekday may have only one shift.")
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
