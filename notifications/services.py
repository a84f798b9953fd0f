"""Customer texts: the decisions. The API dispatch calls, the evening reminders, saving
a template.

The API for dispatch and work-order code
-----------------------------------------
Call these *inside* the transaction that makes the change (they join it; nothing is
sent and no network is touched: they write outbox rows and register an on-commit
enqueue, so a rolled-back change never texts anybody):

``visit_planned(*, work_order, technician, starts_at, ends_at, cause, previous_starts_at=None)``
    A visit was booked, or its planned time or technician changed (drop, optimizer
    accept, overrun of the job before, status report, ...). Call it once per visit
    per change with the *new* plan; calling it again with the same plan is a no-op.
    Decides the text: *booked* when the customer has not been told a time yet;
    otherwise, compared with the last text sent or queued for this visit, a
    *delay* (visit today) or *rescheduled* (another day, or the day changed) text
    when the planned start moved by ≥ NOTIFY_DELAY_THRESHOLD_MINUTES or left the
    promised window (``work_order.window_start/window_end``, else the arrival
    window we texted). A text still waiting in the outbox is rewritten in place,
    or dropped if the visit went back to what the customer was told: several calls
    for one drag give at most one text. ``previous_starts_at`` is informational.

``visit_released(*, work_order, cause)``
    The visit was taken off the board (unassigned, or about to be cancelled).
    Drops visit texts still waiting in the outbox; sends nothing by itself.

``visit_eta_recomputed(*, work_order, technician, starts_at, ends_at, cause)``
    The visit's ETA was recomputed (the technician's phone reported a position) while
    its plan stayed as it was. Decides like ``visit_planned``; an ETA equal to the one
    the visit holds, recorded less than ``ETA_REDECIDE_AFTER`` ago, writes nothing.

``work_order_status_changed(*, work_order, technician, old_status, new_status, eta_start=None, eta_end=None)``
    After a status change. dispatched → "dispatched" text, en_route → "on my way"
    text (both with the technician's first name, ETA = ``eta_start`` or the planned
    start, and the tracking link, created here); completed → "completed" text and
    the tracking link expires 24 h later; cancelled → "cancelled" text (only if the
    customer had been told about a visit) and the link expires now.
    ``technician`` may be None for completed/cancelled.

All three raise ``DomainError`` only for programming errors (naive datetimes, end
before start); consent, opt-out, quiet hours, disabled kinds and the rate limit are
handled here and never make the caller's change fail.

Where the rest lives
--------------------
The outbox (queue, enqueue on commit, claim, send, retry, sweep, delivery status
callbacks, quiet hours): ``notifications.outbox``. STOP / START and opt-out:
``notifications.consent``. Customers' replies: ``notifications.inbound``. Templates
and placeholder values: ``notifications.texts``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from core.rows import prepared_cursor
from notifications import outbox, texts
from notifications.models import (
    ETA_KINDS,
    UPDATE_KINDS,
    Kind,
    MessageTemplate,
    OutboundMessage,
    TrackingLink,
    Visit,
)
from technicians.models import Technician
from workorders.models import WorkOrder
from workorders.status import Status

Out = OutboundMessage.Status
TOLD = (Out.SENDING, Out.SENT, Out.DELIVERED)  # the customer has (or is getting) it
TRACKING_GRACE = timedelta(hours=24)


# --------------------------------------------------------------------------- helpers


def _aware(*values: datetime | None) -> None:
    for value in values:
        if value is not None and timezone.is_naive(value):
            raise DomainError("Visit times must be timezone-aware.")


def _eta_texts(work_order: WorkOrder):
    return (
        OutboundMessage.objects.select_for_update()
        .filter(work_order=work_order, kind__in=ETA_KINDS)
        .exclude(status__in=[Out.SKIPPED])
        .order_by("-created_at", "-id")
    )


def _needed_update(
    work_order: WorkOrder, told: OutboundMessage | None, starts_at: datetime
) -> str | None:
    """Which text a new planned start calls for, given what the customer was told."""
    if told is None or told.eta_at is None:
        return Kind.BOOKED if told is None else None
    today = timezone.localdate()
    new_day = timezone.localtime(starts_at).date()
    if new_day != timezone.localtime(told.eta_at).date():
        return Kind.RESCHEDULED
    threshold = timedelta(minutes=settings.NOTIFY_DELAY_THRESHOLD_MINUTES)
    moved = abs(starts_at - told.eta_at) >= threshold
    window = (
        (work_order.window_start, work_order.window_end)
        if work_order.window_start
        else texts.arrival_window(work_order, told.eta_at)
    )
    was_inside = window[0] <= told.eta_at <= window[1]
    left_window = was_inside and not window[0] <= starts_at <= window[1]
    if not (moved or left_window):
        return None
    return Kind.DELAY if new_day == today else Kind.RESCHEDULED


def _rewrite(
    message: OutboundMessage, *, kind: str, work_order, technician, eta: datetime, cause: str
) -> bool:
    body = texts.template_body(kind)
    if body is None:
        return outbox.message_supersede(message, f"{kind} texts are switched off")
    link = TrackingLink.objects.filter(work_order=work_order).first()
    # A waiting text goes out when it was due (quiet hours) or now, whichever is later.
    at = max(message.next_attempt_at or timezone.now(), timezone.now())
    values = texts.placeholder_values(work_order, technician=technician, eta=eta, link=link, at=at)
    return bool(
        OutboundMessage.objects.filter(pk=message.pk, status=Out.QUEUED).update(
            kind=kind, body=texts.render(body, values) or kind, eta_at=eta, cause=cause[:60]
        )
    )


# --------------------------------------------------------------------------- the API


@transaction.atomic(savepoint=False)  # joins the caller's transaction
def visit_planned(
    *,
    work_order: WorkOrder,
    technician: Technician,
    starts_at: datetime,
    ends_at: datetime,
    cause: str,
    previous_starts_at: datetime | None = None,
) -> None:
    """A visit was booked or its plan changed; see the module docstring."""
    _aware(starts_at, ends_at, previous_starts_at)
    if ends_at <= starts_at:
        raise DomainError("A visit must end after it starts.")
    # One upsert (INSERT … ON CONFLICT DO UPDATE): no savepoint, no read first.
    Visit.objects.bulk_create(
        [
            Visit(
                work_order=work_order,
                technician=technician,
                starts_at=starts_at,
                ends_at=ends_at,
                eta_start=None,
                eta_end=None,
                cause=cause[:60],
                updated_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["work_order"],
        update_fields=[
            "technician",
            "starts_at",
            "ends_at",
            "eta_start",
            "eta_end",
            "cause",
            "updated_at",
        ],
    )
    if work_order.status in (Status.ON_SITE, Status.COMPLETED, Status.CANCELLED):
        return
    rows = list(_eta_texts(work_order)[:20])
    pending = next((row for row in rows if row.status == Out.QUEUED), None)
    told = next((row for row in rows if row.status in TOLD), None)
    needed = _needed_update(work_order, told, starts_at)
    if needed == Kind.BOOKED and starts_at < timezone.now():
        needed = None
    if pending is not None:
        # A dispatched / on-my-way / reminder text not sent yet keeps its kind, new ETA.
        kind = needed if pending.kind in UPDATE_KINDS else pending.kind
        if kind is None:
            if outbox.message_supersede(
                pending, f"the visit went back to the time already texted ({cause})"
            ):
                return
        elif _rewrite(
            pending,
            kind=kind,
            work_order=work_order,
            technician=technician,
            eta=starts_at,
            cause=cause,
        ):
            return
        # The worker claimed it meanwhile: it is what the customer is being told now.
        told = OutboundMessage.objects.get(pk=pending.pk)
        needed = _needed_update(work_order, told, starts_at)
    if needed is None:
        return
    after = told.pk if told else 0
    outbox.message_queue(
        kind=needed,
        work_order=work_order,
        customer=work_order.customer,
        values=texts.placeholder_values(
            work_order, technician=technician, eta=starts_at, at=outbox.due_at(needed)
        ),
        dedupe_key=f"{needed}:{work_order.pk}:after:{after}",
        eta_at=starts_at,
        cause=cause,
    )


# A phone recomputes its next visit's ETA every minute; most of the time the answer is
# the one already recorded (the technician is ahead of plan, so the planned start
# holds). Repeating `visit_planned` then only repeats a decision made moments ago, at
# the price of an upsert and the outbox rows locked. Once this long has passed the
# decision is made again all the same: what it depends on besides the ETA (a text
# sent meanwhile, the rate limit's hour, consent) may have moved.
ETA_REDECIDE_AFTER = timedelta(minutes=10)


def visit_eta_recomputed(
    *,
    work_order: WorkOrder,
    technician: Technician,
    starts_at: datetime,
    ends_at: datetime,
    cause: str,
) -> bool:
    """A visit's expected (arrival, end) was recomputed without any change to its plan
    (the phone's position). Like `visit_planned`, except that the ETA this visit
    already holds, recorded less than ETA_REDECIDE_AFTER ago, is a no-op without a
    write (and without a transaction). True when the texts were decided again."""
    _aware(starts_at, ends_at)
    if _eta_held(work_order, technician, starts_at, ends_at):
        return False
    visit_planned(  # in the caller's transaction, else in one of its own
        work_order=work_order,
        technician=technician,
        starts_at=starts_at,
        ends_at=ends_at,
        cause=cause,
    )
    return True


def _eta_held(
    work_order: WorkOrder, technician: Technician, starts_at: datetime, ends_at: datetime
) -> bool:
    """Whether the visit holds this ETA, recorded less than ETA_REDECIDE_AFTER ago (in
    SQL: it runs on nearly every position post)."""
    with prepared_cursor() as cursor:
        cursor.execute(
            f"""SELECT 1 FROM {Visit._meta.db_table} WHERE work_order_id = %(work_order)s
            AND technician_id = %(technician)s AND starts_at = %(starts_at)s
            AND ends_at = %(ends_at)s AND updated_at > %(recent)s""",
            {
                "work_order": work_order.pk,
                "technician": technician.pk,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "recent": timezone.now() - ETA_REDECIDE_AFTER,
            },
        )
        return cursor.fetchone() is not None


@transaction.atomic(savepoint=False)  # joins the caller's transaction
def visit_released(*, work_order: WorkOrder, cause: str) -> None:
    """The visit left the board; drop its texts still waiting. Sends nothing."""
    Visit.objects.filter(work_order=work_order).update(
        technician=None,
        starts_at=None,
        ends_at=None,
        eta_start=None,
        eta_end=None,
        cause=cause[:60],
    )
    for row in _eta_texts(work_order).filter(status=Out.QUEUED):
        outbox.message_supersede(row, f"visit taken off the board ({cause})")


def _tracking_link(work_order: WorkOrder) -> TrackingLink:
    link, created = TrackingLink.objects.get_or_create(
        work_order=work_order, defaults={"token": secrets.token_urlsafe(32)}
    )
    if not created and link.expires_at is not None:
        link.expires_at = None
        link.save(update_fields=["expires_at"])
    return link


@transaction.atomic(savepoint=False)  # joins the caller's transaction
def work_order_status_changed(
    *,
    work_order: WorkOrder,
    technician: Technician | None,
    old_status: str,
    new_status: str,
    eta_start: datetime | None = None,
    eta_end: datetime | None = None,
) -> None:
    """A work order changed status; see the module docstring."""
    _aware(eta_start, eta_end)
    if old_status == new_status:
        return
    now = timezone.now()
    visit = Visit.objects.filter(work_order=work_order).first()
    if eta_start is not None and visit is not None:
        visit.eta_start, visit.eta_end = eta_start, eta_end
        visit.save(update_fields=["eta_start", "eta_end", "updated_at"])
    customer = work_order.customer
    if new_status in (Status.DISPATCHED, Status.EN_ROUTE):
        link = _tracking_link(work_order)
        technician = technician or (visit.technician if visit else None)
        eta = eta_start or texts.visit_arrival(visit)
        kind = Kind.DISPATCHED if new_status == Status.DISPATCHED else Kind.ON_MY_WAY
        # "On my way" makes a dispatched text still waiting (e.g. set off right away, or
        # held by quiet hours) pointless: the customer gets one text, the latest.
        replaced = (
            UPDATE_KINDS
            | {Kind.REMINDER}
            | ({Kind.DISPATCHED} if kind == Kind.ON_MY_WAY else set())
        )
        rows = list(_eta_texts(work_order)[:20])
        for row in rows:
            if row.status == Out.QUEUED and row.kind in replaced:
                outbox.message_supersede(row, f"replaced by the {kind} text")
        told = next((row for row in rows if row.status in TOLD), None)
        outbox.message_queue(
            kind=kind,
            work_order=work_order,
            customer=customer,
            values=texts.placeholder_values(
                work_order, technician=technician, eta=eta, link=link, at=outbox.due_at(kind)
            ),
            # Once per visit: a later visit (after a hold, a re-booking) is told again.
            dedupe_key=f"{kind}:{work_order.pk}:after:{told.pk if told else 0}",
            eta_at=eta,
            cause=f"status {new_status}",
        )
    elif new_status == Status.ON_SITE:
        # The technician is there: any ETA still waiting to go out would be stale.
        for row in _eta_texts(work_order).filter(status=Out.QUEUED):
            outbox.message_supersede(row, "the technician arrived")
    elif new_status in (Status.COMPLETED, Status.CANCELLED):
        expires = now + TRACKING_GRACE if new_status == Status.COMPLETED else now
        TrackingLink.objects.filter(work_order=work_order).update(expires_at=expires)
        rows = list(_eta_texts(work_order))
        for row in rows:
            if row.status == Out.QUEUED:
                outbox.message_supersede(row, f"work order {new_status}")
        if new_status == Status.CANCELLED and not any(row.status in TOLD for row in rows):
            return  # never told about a visit: nothing to cancel for the customer
        kind = Kind.COMPLETED if new_status == Status.COMPLETED else Kind.CANCELLED
        outbox.message_queue(
            kind=kind,
            work_order=work_order,
            customer=customer,
            values=texts.placeholder_values(work_order, technician=technician),
            dedupe_key=f"{kind}:{work_order.pk}",
            cause=f"status {new_status}",
        )


# --------------------------------------------------------------------------- reminders


def reminders_queue(*, now: datetime | None = None) -> int:
    """Beat: the evening before, queue a reminder per visit planned for tomorrow."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.NOTIFY_REMINDER_HOUR or outbox.in_quiet_hours(now):
        return 0
    tomorrow = local.date() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time.min), local.tzinfo)
    visits = Visit.objects.filter(
        starts_at__gte=start,
        starts_at__lt=start + timedelta(days=1),
        work_order__status__in=[Status.SCHEDULED, Status.DISPATCHED],
    ).select_related("work_order__customer", "technician")
    queued = 0
    for visit in visits:
        with transaction.atomic():
            row = outbox.message_queue(
                kind=Kind.REMINDER,
                work_order=visit.work_order,
                customer=visit.work_order.customer,
                values=texts.placeholder_values(
                    visit.work_order,
                    technician=visit.technician,
                    eta=visit.starts_at,
                    at=outbox.due_at(Kind.REMINDER, now),
                ),
                dedupe_key=f"reminder:{visit.work_order_id}:{tomorrow.isoformat()}",
                eta_at=visit.starts_at,
                cause="reminder",
            )
            queued += row is not None
    return queued


# --------------------------------------------------------------------------- templates


@transaction.atomic
def message_template_save(*, actor, kind: str, body: str, enabled: bool) -> MessageTemplate:
    if kind not in Kind.values:
        raise DomainError(f"“{kind}” is not a kind of text.")
    try:
        texts.validate_template(body)
    except texts.TemplateError as error:
        raise DomainError(str(error)) from None
    template, _ = MessageTemplate.objects.update_or_create(
        kind=kind,
        defaults={
            "body": body.strip(),
            "enabled": enabled,
            "updated_by": actor if actor and actor.is_authenticated else None,
        },
    )
    return template
