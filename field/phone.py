"""What a technician does from the phone, applied once each.

Acknowledge, en route, on site, completed (resolution note, photos), on hold (a
reason), can't complete (a reason: back to the queue, the dispatcher alerted), photos.
Every action carries an id made by the phone; offline phones queue actions and replay
them in order, possibly twice. An action is one transaction: the id is claimed in
`PhoneAction` (unique) in the same transaction as the status change, the actual time
on the booking (`bookings.booking_record_actual`) and the event log, so it happens
exactly once or not at all.

A refusal is a `PhoneRefusal`: a code the phone acts on and a sentence it shows.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.errors import DomainError
from dispatch.bookings import active_booking, booking_record_actual
from dispatch.live import bump_board_version
from dispatch.models import Booking, FieldAlert, PhoneAction
from dispatch.services import work_order_change_status
from technicians.images import validate_image_upload
from technicians.models import Technician
from workorders.events import event_record
from workorders.models import Event, WorkOrder
from workorders.services import work_order_add_photo
from workorders.status import Status

NOTE_MAX_CHARS = 2000


class RefusalCode(StrEnum):
    NOT_YOURS = "not_yours"
    DUPLICATE = "duplicate_action"
    BAD_INPUT = "bad_input"
    ILLEGAL_STATUS = "illegal_status"
    BUSY = "busy_elsewhere"
    TOO_OLD = "too_old"
    BAD_PHOTO = "bad_photo"
    OFF_SHIFT = "off_shift"
    RATE_LIMITED = "rate_limited"
    NOT_TODAY = "not_today"


# HTTP status of each refusal when the phone asks for JSON.
HTTP_STATUS = {
    RefusalCode.NOT_YOURS: 403,
    RefusalCode.BAD_INPUT: 400,
    RefusalCode.BAD_PHOTO: 400,
    RefusalCode.RATE_LIMITED: 429,
}


class PhoneRefusal(DomainError):
    """A phone action refused: `code` for the phone, the message for the technician."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 409)


class CannotCompleteReason(models.TextChoices):
    SKILLS = "skills", "Needs another skill or more hands"
    PARTS = "parts", "Parts or equipment missing"
    ACCESS = "access", "No access to the site"
    SAFETY = "safety", "Unsafe to work"
    TIME = "time", "Out of time today"
    OTHER = "other", "Other (say why)"


@dataclass(frozen=True)
class ActionInput:
    action_id: UUID
    kind: PhoneAction.Kind
    work_order_id: int
    occurred_at: datetime | None = None
    note: str = ""
    hold_reason: str = ""
    cannot_reason: str = ""
    photos: tuple[UploadedFile, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ActionOutcome:
    work_order: WorkOrder
    status: str
    message: str


def _occurred_at(claimed: datetime | None, now: datetime) -> datetime:
    """When it happened: the phone's time for a replayed action, never in the future."""
    if claimed is None:
        return now
    oldest = now - timedelta(hours=settings.PHONE_ACTION_MAX_AGE_HOURS)
    if claimed < oldest:
        raise PhoneRefusal(
            RefusalCode.TOO_OLD,
            f"This action was taken more than {settings.PHONE_ACTION_MAX_AGE_HOURS} hours ago "
            "and was not sent in time; tell the dispatcher what happened.",
        )
    return min(claimed, now)


def _not_before_known_facts(at: datetime, work_order: WorkOrder, booking: Booking) -> datetime:
    """A phone's clock may be wrong: its time never goes before what the server already
    knows (the work order existed, the technician set off or arrived). SLA times are set
    from it, so a backdated report must not meet an SLA retroactively."""
    known = [work_order.created_at, booking.en_route_at, booking.arrived_at]
    return max([at, *(moment for moment in known if moment is not None)])


def _check_input(action: ActionInput) -> None:
    """Refuse bad input before anything is written."""
    Kind = PhoneAction.Kind
    note = action.note.strip()
    if len(action.note) > NOTE_MAX_CHARS:
        raise PhoneRefusal(
            RefusalCode.BAD_INPUT, f"The note is too long: at most {NOTE_MAX_CHARS} characters."
        )
    if action.kind == Kind.COMPLETE and not note:
        raise PhoneRefusal(
            RefusalCode.BAD_INPUT, "Write a resolution note (what you did) before completing."
        )
    if action.kind == Kind.HOLD and action.hold_reason not in WorkOrder.HoldReason.values:
        raise PhoneRefusal(
            RefusalCode.BAD_INPUT, "Say why the job is on hold: awaiting parts or customer."
        )
    if action.kind == Kind.CANNOT_COMPLETE:
        if action.cannot_reason not in CannotCompleteReason.values:
            raise PhoneRefusal(RefusalCode.BAD_INPUT, "Say why you cannot complete the job.")
        if action.cannot_reason == CannotCompleteReason.OTHER and not note:
            raise PhoneRefusal(RefusalCode.BAD_INPUT, "Write why you cannot complete the job.")
    if action.kind == Kind.PHOTO and not action.photos:
        raise PhoneRefusal(RefusalCode.BAD_INPUT, "Choose or take a photo first.")
    if len(action.photos) > settings.PHONE_MAX_PHOTOS:
        raise PhoneRefusal(
            RefusalCode.BAD_PHOTO, f"At most {settings.PHONE_MAX_PHOTOS} photos at a time."
        )


def _check_photos(action: ActionInput) -> None:
    """Photos are opened only once the job is known to be the technician's: nobody makes
    the server read images for a job that is not theirs."""
    for photo in action.photos:
        try:
            validate_image_upload(photo)
        except ValidationError as error:
            raise PhoneRefusal(RefusalCode.BAD_PHOTO, " ".join(error.messages)) from None


def _hhmm(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def _claim(action: ActionInput, technician: Technician, work_order: WorkOrder, at: datetime):
    """Record the action id; a second application of the same id is refused."""
    try:
        with transaction.atomic():
            PhoneAction.objects.create(
                action_id=action.action_id,
                technician=technician,
                work_order=work_order,
                kind=action.kind,
                occurred_at=at,
            )
    except IntegrityError:
        raise _duplicate(action.action_id) from None


def _duplicate(action_id: UUID) -> PhoneRefusal:
    done = PhoneAction.objects.filter(action_id=action_id).first()
    when = f" at {_hhmm(done.applied_at)}" if done else ""
    return PhoneRefusal(
        RefusalCode.DUPLICATE, f"This action was already recorded{when}; nothing changed."
    )


def _report(actor, technician, work_order, summary: str, after: dict, reason: str = "") -> None:
    event_record(
        actor=actor,
        kind=Event.Kind.FIELD_REPORT,
        summary=summary,
        work_order=work_order,
        technician=technician,
        after=after,
        reason=reason,
    )


def _busy_elsewhere(technician: Technician, work_order: WorkOrder) -> WorkOrder | None:
    """Another of the technician's jobs they are driving to or working on."""
    other = (
        Booking.objects.filter(
            technician=technician,
            state=Booking.State.ACTIVE,
            work_order__status__in=[Status.EN_ROUTE, Status.ON_SITE],
        )
        .exclude(work_order=work_order)
        .select_related("work_order")
        .first()
    )
    return other.work_order if other else None


def _change(actor, work_order: WorkOrder, target: Status, at: datetime, **kwargs) -> WorkOrder:
    try:
        return work_order_change_status(
            actor=actor, work_order=work_order, target=target, at=at, **kwargs
        )
    except PhoneRefusal:
        raise
    except DomainError as error:
        raise PhoneRefusal(RefusalCode.ILLEGAL_STATUS, str(error)) from None


def _leave_site(booking: Booking, at: datetime) -> None:
    """Putting a job down after arriving ends the visit: its actual end is recorded."""
    if booking.arrived_at is not None and booking.finished_at is None:
        booking_record_actual(booking=booking, field="finished_at", at=at)


# Actions that say the technician is at the job: they belong to the day it is booked.
ON_THE_DAY = frozenset(
    {PhoneAction.Kind.EN_ROUTE, PhoneAction.Kind.ON_SITE, PhoneAction.Kind.COMPLETE}
)


def _check_day(action: ActionInput, work_order: WorkOrder, booking: Booking, now: datetime) -> None:
    """A job booked for a later day cannot be started or completed today: the board,
    the customer's texts and the SLA clock all expect the visit on its own day."""
    if action.kind not in ON_THE_DAY:
        return
    booked_day = timezone.localdate(booking.starts_at)
    if booked_day > timezone.localdate(now):
        raise PhoneRefusal(
            RefusalCode.NOT_TODAY,
            f"{work_order.number} is booked for {booked_day:%A, %B %-d}, not today. "
            "Nothing was recorded; call the dispatcher if you are doing it now, so that "
            "they can move it to today.",
        )


@transaction.atomic
def phone_action_apply(
    *, actor, technician: Technician, action: ActionInput, now: datetime | None = None
) -> ActionOutcome:
    """Apply one action of a technician to one of their own jobs, once."""
    now = now or timezone.now()
    Kind = PhoneAction.Kind
    if PhoneAction.objects.filter(action_id=action.action_id).exists():
        raise _duplicate(action.action_id)
    _check_input(action)
    at = _occurred_at(action.occurred_at, now)
    work_order = WorkOrder.objects.select_for_update().filter(pk=action.work_order_id).first()
    booking = active_booking(work_order) if work_order is not None else None
    if booking is None or booking.technician_id != technician.pk:
        number = work_order.number if work_order is not None else "That job"
        raise PhoneRefusal(
            RefusalCode.NOT_YOURS,
            f"{number} is not assigned to you (any more): it may have been reassigned "
            "or unassigned. Nothing was recorded; call the dispatcher if you are on it.",
        )
    _check_photos(action)
    _check_day(action, work_order, booking, now)
    at = _not_before_known_facts(at, work_order, booking)
    _claim(action, technician, work_order, at)
    number, status = work_order.number, Status(work_order.status)
    note = action.note.strip()
    stamp = {"action_id": str(action.action_id), "at": at}

    if action.kind == Kind.ACKNOWLEDGE:
        if status not in (Status.SCHEDULED, Status.DISPATCHED):
            raise PhoneRefusal(
                RefusalCode.ILLEGAL_STATUS,
                f"{number} is {status.label.lower()}; nothing to acknowledge.",
            )
        if booking.acknowledged_at is not None:
            raise PhoneRefusal(
                RefusalCode.ILLEGAL_STATUS,
                f"{number} was already acknowledged at {_hhmm(booking.acknowledged_at)}.",
            )
        booking_record_actual(booking=booking, field="acknowledged_at", at=at)
        _report(actor, technician, work_order, f"{number}: acknowledged by {technician}", stamp)
        message = f"{number}: acknowledged."

    elif action.kind == Kind.EN_ROUTE:
        busy = _busy_elsewhere(technician, work_order)
        if busy is not None:
            raise PhoneRefusal(
                RefusalCode.BUSY,
                f"You are {busy.get_status_display().lower()} at {busy.number}; "
                "complete it or put it on hold first.",
            )
        if status == Status.SCHEDULED:
            # Setting off on a job the office has not dispatched yet dispatches it.
            work_order = _change(actor, work_order, Status.DISPATCHED, at)
        work_order = _change(actor, work_order, Status.EN_ROUTE, at)
        booking_record_actual(booking=booking, field="en_route_at", at=at)
        _report(actor, technician, work_order, f"{number}: en route at {_hhmm(at)}", stamp)
        message = f"{number}: on your way."

    elif action.kind == Kind.ON_SITE:
        work_order = _change(actor, work_order, Status.ON_SITE, at)
        booking_record_actual(booking=booking, field="arrived_at", at=at)
        _report(actor, technician, work_order, f"{number}: arrived at {_hhmm(at)}", stamp)
        message = f"{number}: on site."

    elif action.kind == Kind.COMPLETE:
        work_order = _change(actor, work_order, Status.COMPLETED, at, reason=note)
        booking_record_actual(booking=booking, field="finished_at", at=at)
        for photo in action.photos:
            work_order_add_photo(actor=actor, work_order=work_order, upload=photo)
        _report(actor, technician, work_order, f"{number}: completed at {_hhmm(at)}", stamp, note)
        message = f"{number}: completed."

    elif action.kind == Kind.HOLD:
        _leave_site(booking, at)
        work_order = _change(
            actor, work_order, Status.ON_HOLD, at, hold_reason=action.hold_reason, reason=note
        )
        label = WorkOrder.HoldReason(action.hold_reason).label.lower()
        _report(actor, technician, work_order, f"{number}: on hold ({label})", stamp, note)
        message = f"{number}: on hold ({label}); it is off your day."

    elif action.kind == Kind.CANNOT_COMPLETE:
        _leave_site(booking, at)
        why = CannotCompleteReason(action.cannot_reason).label
        reason = f"{why}: {note}" if note else why
        work_order = _change(
            actor, work_order, Status.NEW, at, reason=f"cannot complete — {reason}"
        )
        field_alert_raise(
            actor=actor,
            kind=FieldAlert.Kind.CANNOT_COMPLETE,
            technician=technician,
            work_order=work_order,
            booking=booking,
            message=f"{technician} cannot complete {number}: {reason}"[:300],
        )
        message = f"{number}: back with the dispatcher ({why.lower()})."

    else:  # photos only
        for photo in action.photos:
            work_order_add_photo(
                actor=actor, work_order=work_order, upload=photo, caption=note[:200]
            )
        message = f"{number}: {len(action.photos)} photo(s) added."

    return ActionOutcome(work_order=work_order, status=work_order.status, message=message)


# Alerts to the dispatcher -------------------------------------------------------------


def field_alert_raise(
    *,
    actor,
    kind: FieldAlert.Kind,
    technician: Technician,
    message: str,
    work_order: WorkOrder | None = None,
    booking: Booking | None = None,
    plan_run=None,
    now: datetime | None = None,
) -> FieldAlert:
    """Put an alert on the board of the day (and in the event log)."""
    now = now or timezone.now()
    day = timezone.localdate(booking.starts_at if booking is not None else now)
    alert = FieldAlert.objects.create(
        kind=kind,
        technician=technician,
        work_order=work_order,
        booking=booking,
        day=day,
        message=message[:300],
        plan_run=plan_run,
    )
    event_record(
        actor=actor,
        kind=Event.Kind.FIELD_ALERT,
        summary=message,
        work_order=work_order,
        technician=technician,
        after={"alert": kind.value},
    )
    bump_board_version(day)
    return alert


@transaction.atomic
def field_alert_dismiss(*, actor, alert: FieldAlert) -> FieldAlert:
    alert = FieldAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.dismissed_at is not None:
        raise DomainError("That alert was already dismissed.")
    alert.dismissed_at = timezone.now()
    alert.dismissed_by = actor if actor is not None and actor.is_authenticated else None
    alert.save(update_fields=["dismissed_at", "dismissed_by"])
    bump_board_version(alert.day)
    return alert
