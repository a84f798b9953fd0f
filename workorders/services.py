"""Writes for customers, sites and work orders. Each function is one transaction."""

from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from core.errors import DomainError
from technicians.images import process_image_upload
from technicians.models import Skill
from workorders.clock import apply_due_times, calendar_for
from workorders.errors import IllegalTransition
from workorders.events import changed_fields, event_record, snapshot
from workorders.models import (
    Customer,
    Event,
    RequiredSkill,
    Site,
    SLAPause,
    WorkOrder,
    WorkOrderPhoto,
)
from workorders.sla import business_minutes_between
from workorders.status import Status, can_transition

CUSTOMER_FIELDS = ["name", "phone", "email", "sms_consent", "notes"]
SITE_FIELDS = ["label", "address", "latitude", "longitude", "access_notes"]
WORK_ORDER_FIELDS = [
    "customer",
    "site",
    "job_type",
    "priority",
    "summary",
    "estimated_minutes",
    "window_start",
    "window_end",
    "sla_policy",
    "billing_reference",
    "notes",
]
# Another system's id for the row (the API's integrations); the office forms leave it be.
EXTERNAL_FIELDS = ["external_source", "external_ref"]
CUSTOMER_LOGGED = CUSTOMER_FIELDS + EXTERNAL_FIELDS
WORK_ORDER_LOGGED = WORK_ORDER_FIELDS + EXTERNAL_FIELDS


@dataclass(frozen=True)
class SkillRequirement:
    skill: Skill
    min_level: int


@dataclass(frozen=True)
class SiteChange:
    """One row of the sites formset: `site` None creates, `delete` removes."""

    site: Site | None
    data: dict
    delete: bool = False


def _apply_fields(instance, data: dict, allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for name, value in data.items():
        setattr(instance, name, value)


def _save_sites(customer: Customer, changes: list[SiteChange]) -> None:
    for change in changes:
        if change.delete:
            if change.site is None:
                continue
            try:
                change.site.delete()
            except ProtectedError:
                raise DomainError(
                    f"Site “{change.site.label}” has work orders and cannot be removed."
                ) from None
            continue
        site = change.site or Site(customer=customer)
        if site.customer_id != customer.pk:
            raise DomainError("That site belongs to another customer.")
        if change.data.get("address") != site.address:
            site.geocode_attempted_at = None  # a new address is looked up again
        _apply_fields(site, change.data, SITE_FIELDS)
        site.coordinates_manual = site.latitude is not None
        site.full_clean()
        site.save()


@transaction.atomic
def customer_create(*, actor, data: dict, sites: list[SiteChange]) -> Customer:
    customer = Customer()
    _apply_fields(customer, data, CUSTOMER_LOGGED)
    customer.full_clean()
    customer.save()
    _save_sites(customer, sites)
    event_record(
        actor=actor,
        kind=Event.Kind.CUSTOMER_CHANGED,
        summary=f"Customer {customer.name} created",
        customer=customer,
        after=snapshot(customer, CUSTOMER_LOGGED),
    )
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, data: dict, sites: list[SiteChange]) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = snapshot(customer, CUSTOMER_LOGGED)
    _apply_fields(customer, data, CUSTOMER_LOGGED)
    customer.full_clean()
    customer.save()
    _save_sites(customer, sites)
    old, new = changed_fields(before, snapshot(customer, CUSTOMER_LOGGED))
    if old or new or sites:
        event_record(
            actor=actor,
            kind=Event.Kind.CUSTOMER_CHANGED,
            summary=f"Customer {customer.name} edited",
            customer=customer,
            before=old,
            after=new,
        )
    return customer


def _set_required_skills(work_order: WorkOrder, requirements: list[SkillRequirement]) -> list:
    seen: set[int] = set()
    for requirement in requirements:
        if requirement.skill.pk in seen:
            raise DomainError(f"Skill {requirement.skill} is listed twice.")
        seen.add(requirement.skill.pk)
    work_order.required_skills.all().delete()
    rows = [
        RequiredSkill(work_order=work_order, skill=r.skill, min_level=r.min_level)
        for r in requirements
    ]
    for row in rows:
        row.full_clean(exclude=["work_order"])
    RequiredSkill.objects.bulk_create(rows)
    return sorted(f"{r.skill.code}≥{r.min_level}" for r in requirements)


def _check_site(data: dict) -> None:
    site, customer = data.get("site"), data.get("customer")
    if site is not None and customer is not None and site.customer_id != customer.pk:
        raise DomainError("The site does not belong to the chosen customer.")


@transaction.atomic
def work_order_create(
    *,
    actor,
    data: dict,
    required_skills: list[SkillRequirement],
    photo: UploadedFile | None = None,
    received_at: datetime | None = None,
) -> WorkOrder:
    _check_site(data)
    work_order = WorkOrder(status=Status.NEW)
    _apply_fields(work_order, data, WORK_ORDER_LOGGED)
    work_order.created_at = work_order.sla_started_at = received_at or timezone.now()
    apply_due_times(work_order)
    work_order.full_clean(exclude=["number"])
    work_order.save()
    # The number comes from the primary key so it is unique without a second counter.
    work_order.number = f"WO-{work_order.pk:06d}"
    work_order.save(update_fields=["number"])
    skills = _set_required_skills(work_order, required_skills)
    event_record(
        actor=actor,
        kind=Event.Kind.WORK_ORDER_CREATED,
        summary=f"{work_order.number} created: {work_order.summary}",
        work_order=work_order,
        customer=work_order.customer,
        after=snapshot(work_order, WORK_ORDER_LOGGED) | {"required_skills": skills},
    )
    if photo is not None:
        _store_photo(actor=actor, work_order=work_order, upload=photo, caption="")
    return work_order


@transaction.atomic
def work_order_update(
    *,
    actor,
    work_order: WorkOrder,
    data: dict,
    required_skills: list[SkillRequirement],
    photo: UploadedFile | None = None,
) -> WorkOrder:
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if work_order.is_closed:
        raise DomainError(f"{work_order.number} is {work_order.get_status_display().lower()}.")
    _check_site(
        {
            "customer": data.get("customer", work_order.customer),
            "site": data.get("site", work_order.site),
        }
    )
    old_skills = sorted(
        f"{r.skill.code}≥{r.min_level}" for r in work_order.required_skills.select_related("skill")
    )
    before = snapshot(work_order, WORK_ORDER_LOGGED) | {"required_skills": old_skills}
    _apply_fields(work_order, data, WORK_ORDER_LOGGED)
    apply_due_times(work_order)
    work_order.full_clean()
    work_order.save()
    skills = _set_required_skills(work_order, required_skills)
    old, new = changed_fields(
        before, snapshot(work_order, WORK_ORDER_LOGGED) | {"required_skills": skills}
    )
    if old or new:
        event_record(
            actor=actor,
            kind=Event.Kind.WORK_ORDER_UPDATED,
            summary=f"{work_order.number} edited ({', '.join(new)})",
            work_order=work_order,
            before=old,
            after=new,
        )
    if photo is not None:
        _store_photo(actor=actor, work_order=work_order, upload=photo, caption="")
    return work_order


def work_order_transition(
    *,
    actor,
    work_order: WorkOrder,
    target: Status,
    hold_reason: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> WorkOrder:
    """One step of the status machine, without booking effects; callers hold the row lock.

    Not an entry point: a status change goes through `dispatch.services.
    work_order_change_status`, which calls this and releases or keeps the booking. Only
    the booking core's own writes (a drop schedules, an unassign or a plan re-queues)
    call it directly, inside the booking change that causes it."""
    current = Status(work_order.status)
    if not can_transition(current, target):
        raise IllegalTransition(
            f"{work_order.number} cannot go from {current.label} to {Status(target).label}."
        )
    if target == Status.ON_HOLD and hold_reason not in WorkOrder.HoldReason.values:
        raise DomainError("Say why the work order is on hold: awaiting parts or customer.")
    at = at or timezone.now()
    work_order.status = target
    work_order.hold_reason = hold_reason if target == Status.ON_HOLD else ""
    if target == Status.ON_SITE and work_order.responded_at is None:
        work_order.responded_at = at
    if target == Status.COMPLETED:
        work_order.resolved_at = at
        if work_order.sla_paused_since is not None:
            _close_pause(work_order, at)
    work_order.save()
    event_record(
        actor=actor,
        kind=Event.Kind.STATUS_CHANGED,
        summary=f"{work_order.number}: {current.label} → {Status(target).label}",
        work_order=work_order,
        before={"status": current.value},
        after={"status": target.value, "hold_reason": work_order.hold_reason},
        reason=reason,
    )
    return work_order


@transaction.atomic
def work_order_pause_sla(*, actor, work_order: WorkOrder, reason: str) -> WorkOrder:
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if not reason.strip():
        raise DomainError("A pause needs a reason, e.g. “customer not home”.")
    if work_order.sla_paused_since is not None:
        raise DomainError(f"The SLA clock of {work_order.number} is already paused.")
    if work_order.is_closed:
        raise DomainError(f"{work_order.number} is closed; its clock has stopped.")
    now = timezone.now()
    work_order.sla_paused_since = now
    work_order.save(update_fields=["sla_paused_since", "updated_at"])
    SLAPause.objects.create(work_order=work_order, started_at=now, reason=reason.strip())
    event_record(
        actor=actor,
        kind=Event.Kind.SLA_PAUSED,
        summary=f"{work_order.number}: SLA clock paused",
        work_order=work_order,
        reason=reason.strip(),
    )
    return work_order


def _close_pause(work_order: WorkOrder, at: datetime) -> int:
    pause = work_order.sla_pauses.select_for_update().get(ended_at__isnull=True)
    minutes = business_minutes_between(pause.started_at, at, calendar_for(work_order.sla_policy))
    pause.ended_at = at
    pause.business_minutes = minutes
    pause.save()
    work_order.sla_paused_since = None
    work_order.sla_paused_minutes += minutes
    apply_due_times(work_order)
    return minutes


@transaction.atomic
def work_order_resume_sla(*, actor, work_order: WorkOrder) -> WorkOrder:
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if work_order.sla_paused_since is None:
        raise DomainError(f"The SLA clock of {work_order.number} is not paused.")
    before = snapshot(work_order, ["response_due_at", "resolution_due_at"])
    minutes = _close_pause(work_order, timezone.now())
    work_order.save()
    event_record(
        actor=actor,
        kind=Event.Kind.SLA_RESUMED,
        summary=f"{work_order.number}: SLA clock resumed after {minutes} business minutes",
        work_order=work_order,
        before=before,
        after=snapshot(work_order, ["response_due_at", "resolution_due_at"]),
    )
    return work_order


@transaction.atomic
def work_order_add_photo(
    *, actor, work_order: WorkOrder, upload: UploadedFile, caption: str = ""
) -> WorkOrderPhoto:
    return _store_photo(actor=actor, work_order=work_order, upload=upload, caption=caption)


def _store_photo(
    *, actor, work_order: WorkOrder, upload: UploadedFile, caption: str
) -> WorkOrderPhoto:
    image, thumbnail = process_image_upload(upload, max_side=1600, thumb_side=240)
    photo = WorkOrderPhoto(work_order=work_order, caption=caption, uploaded_by=actor)
    photo.image.save(image.name, image, save=False)
    photo.thumbnail.save(thumbnail.name, thumbnail, save=False)
    photo.save()
    event_record(
        actor=actor,
        kind=Event.Kind.PHOTO_ADDED,
        summary=f"{work_order.number}: photo added",
        work_order=work_order,
        after={"caption": caption},
    )
    return photo
