"""Customer texts: writes. The API dispatch calls, the sender, inbound replies.

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

Sending
-------
``outbox_send`` claims one row by a conditional UPDATE that takes a lease, sends,
and records the provider id, all guarded by the lease token, so a redelivered task
or a second worker cannot send a claimed row. A worker that dies after claiming
leaves the lease to expire; the beat sweep then hands the row out again.
"""

from __future__ import annotations

import logging
import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import DomainError
from core.rows import prepared_cursor
from notifications import texts
from notifications.models import (
    ETA_KINDS,
    UPDATE_KINDS,
    URGENT_KINDS,
    InboundMessage,
    Kind,
    MessageTemplate,
    OutboundMessage,
    TrackingLink,
    Visit,
)
from notifications.providers import UNSUBSCRIBED, SendError, get_provider
from technicians.models import Technician
from workorders.events import event_record
from workorders.models import Customer, Event, WorkOrder
from workorders.status import Status

logger = logging.getLogger(__name__)

Out = OutboundMessage.Status
TOLD = (Out.SENDING, Out.SENT, Out.DELIVERED)  # the customer has (or is getting) it
TRACKING_GRACE = timedelta(hours=24)
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})


# --------------------------------------------------------------------------- helpers


def _aware(*values: datetime | None) -> None:
    for value in values:
        if value is not None and timezone.is_naive(value):
            raise DomainError("Visit times must be timezone-aware.")


def quiet_hours() -> tuple[time, time]:
    start, end = settings.NOTIFY_QUIET_HOURS.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def in_quiet_hours(at: datetime) -> bool:
    start, end = quiet_hours()
    now = timezone.localtime(at).time()
    if start == end:
        return False
    return start <= now < end if start < end else now >= start or now < end


def quiet_hours_end(at: datetime) -> datetime:
    """The first moment at or after `at` outside quiet hours."""
    if not in_quiet_hours(at):
        return at
    _, end = quiet_hours()
    local = timezone.localtime(at)
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = timezone.make_aware(
            datetime.combine(local.date() + timedelta(days=1), end), local.tzinfo
        )
    return candidate


def arrival_window(work_order: WorkOrder, starts_at: datetime) -> tuple[datetime, datetime]:
    """The promised window if the planned start is in it, else one around the start."""
    if work_order.window_start and work_order.window_start <= starts_at <= work_order.window_end:
        return work_order.window_start, work_order.window_end
    local = timezone.localtime(starts_at)
    floor = local.replace(minute=0 if local.minute < 30 else 30, second=0, microsecond=0)
    return floor, floor + timedelta(minutes=settings.NOTIFY_ARRIVAL_WINDOW_MINUTES)


def _template(kind: str) -> str | None:
    """The body for a kind, or None when office staff switched the kind off."""
    row = MessageTemplate.objects.filter(kind=kind).first()
    if row is None:
        return texts.DEFAULTS[kind]
    return row.body if row.enabled else None


def tracking_url(link: TrackingLink) -> str:
    return f"{settings.NOTIFY_PUBLIC_BASE_URL}/t/{link.token}/"


def status_callback_url() -> str:
    return f"{settings.NOTIFY_PUBLIC_BASE_URL}/sms/status/"


def _values(
    work_order: WorkOrder,
    *,
    technician: Technician | None = None,
    eta: datetime | None = None,
    link: TrackingLink | None = None,
) -> dict[str, str]:
    values = {
        "company": settings.NOTIFY_COMPANY_NAME,
        "customer": texts.first_name(work_order.customer.name),
        "number": work_order.number or "",
        "summary": work_order.summary[:60],
        "technician": texts.first_name(technician.display_name)
        if technician
        else "Your technician",
        "link": tracking_url(link) if link else "",
    }
    if eta is not None:
        start, end = arrival_window(work_order, eta)
        values |= {
            "date": texts.local_date(eta),
            "eta": texts.local_time(eta),
            "window": texts.window_text(start, end),
        }
    else:
        values |= {"date": "", "eta": "soon", "window": ""}
    return values


ENQUEUE_CHUNK = 10


def _enqueue(message_id: int, countdown: float | None = None) -> None:
    _enqueue_many([message_id], countdown=countdown)


def _enqueue_many(message_ids: list[int], countdown: float | None = None) -> None:
    """Hand rows to the worker, a task per chunk. Redis is an accelerator: a failure
    is only logged (the rows are committed; the beat sweep sends them later)."""
    from notifications.tasks import send_texts  # tasks import services; keep it one-way

    try:
        # One quick connection attempt, no publish retries: with Redis down the caller
        # (often a request that just committed) must not wait for Celery's retry loop.
        with send_texts.app.pool.acquire(block=True, timeout=1) as connection:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=1
            )
            for start in range(0, len(message_ids), ENQUEUE_CHUNK):
                chunk = message_ids[start : start + ENQUEUE_CHUNK]
                send_texts.apply_async(
                    args=[chunk], countdown=countdown, retry=False, connection=connection
                )
    except Exception as error:
        logger.warning(
            "texts %s not enqueued (%s); the outbox sweep will send them", message_ids, error
        )


def _enqueue_on_commit(message_id: int) -> None:
    """Collect the rows written in this transaction; enqueue them together on commit.

    One list per transaction, flushed by one on-commit callback. If that callback was
    discarded (its savepoint rolled back), a new list and callback are registered.
    """
    connection = transaction.get_connection()
    pending = getattr(connection, "_notify_pending", None)
    registered = pending is not None and any(
        getattr(entry[1], "notify_pending", None) is pending for entry in connection.run_on_commit
    )
    if not registered:
        pending = []

        def flush() -> None:
            # Only rows that committed and still wait (not rolled back in a savepoint,
            # not superseded later in the same transaction).
            try:
                ids = list(
                    OutboundMessage.objects.filter(pk__in=pending, status=Out.QUEUED)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            except Exception:
                logger.exception("texts %s not enqueued; the outbox sweep will send them", pending)
                return
            if ids:
                _enqueue_many(ids)

        flush.notify_pending = pending
        connection._notify_pending = pending
        transaction.on_commit(flush)
    pending.append(message_id)


def _rate_limited(customer: Customer, now: datetime) -> bool:
    recent = OutboundMessage.objects.filter(
        customer=customer, created_at__gt=now - timedelta(hours=1)
    ).exclude(status=Out.SKIPPED)
    return recent.count() >= settings.NOTIFY_RATE_LIMIT_PER_HOUR


def _queue(
    *,
    kind: str,
    work_order: WorkOrder | None,
    customer: Customer,
    values: dict[str, str],
    dedupe_key: str,
    eta_at: datetime | None = None,
    cause: str = "",
) -> OutboundMessage | None:
    """Write one outbox row (at most one per dedupe key) and enqueue it on commit.

    Returns the row, or None when nothing is to be sent (no consent, opted out,
    kind switched off). A rate-limited text is kept as a skipped row the office sees.
    """
    # Read consent afresh: the caller's object may predate a STOP that just arrived.
    customer = Customer.objects.get(pk=customer.pk)
    if customer.sms_opted_out_at is not None:
        return None
    if not customer.sms_consent and kind != Kind.HELP:
        return None
    body = _template(kind)
    if body is None:
        return None
    now = timezone.now()
    row = OutboundMessage(
        customer=customer,
        work_order=work_order,
        to=customer.phone,
        body=texts.render(body, values) or kind,
        kind=kind,
        dedupe_key=dedupe_key[:200],
        eta_at=eta_at,
        cause=cause[:60],
        created_at=now,
        next_attempt_at=now if kind in URGENT_KINDS else quiet_hours_end(now),
    )
    if _rate_limited(customer, now):
        row.status = Out.SKIPPED
        row.error_code = "rate-limit"
        row.error_message = f"More than {settings.NOTIFY_RATE_LIMIT_PER_HOUR} texts in an hour."
        # One kept row per text that would have gone out and per hour: an ETA
        # recomputed every minute must not pile up a row a minute.
        row.dedupe_key = f"{dedupe_key[:150]}:skipped:{now:%Y%m%d%H}"
    # ON CONFLICT DO NOTHING: the same text queued twice (a retried transaction, two
    # racing callers) leaves the first row; no savepoint, no error in the caller.
    OutboundMessage.objects.bulk_create([row], ignore_conflicts=True)
    saved = OutboundMessage.objects.filter(dedupe_key=row.dedupe_key).first()
    if saved is not None and saved.status == Out.QUEUED and saved.created_at == now:
        _enqueue_on_commit(saved.pk)
    return saved


def _supersede(message: OutboundMessage, reason: str) -> bool:
    """Drop a text still waiting in the outbox (conditional: the worker may have it)."""
    return bool(
        OutboundMessage.objects.filter(pk=message.pk, status=Out.QUEUED).update(
            status=Out.SKIPPED,
            error_code="superseded",
            error_message=reason[:300],
            dedupe_key=f"{message.dedupe_key[:150]}:superseded:{message.pk}",
        )
    )


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
        else arrival_window(work_order, told.eta_at)
    )
    was_inside = window[0] <= told.eta_at <= window[1]
    left_window = was_inside and not window[0] <= starts_at <= window[1]
    if not (moved or left_window):
        return None
    return Kind.DELAY if new_day == today else Kind.RESCHEDULED


def _rewrite(
    message: OutboundMessage, *, kind: str, work_order, technician, eta: datetime, cause: str
) -> bool:
    body = _template(kind)
    if body is None:
        return _supersede(message, f"{kind} texts are switched off")
    link = TrackingLink.objects.filter(work_order=work_order).first()
    values = _values(work_order, technician=technician, eta=eta, link=link)
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
            if _supersede(pending, f"the visit went back to the time already texted ({cause})"):
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
    _queue(
        kind=needed,
        work_order=work_order,
        customer=work_order.customer,
        values=_values(work_order, technician=technician, eta=starts_at),
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
        _supersede(row, f"visit taken off the board ({cause})")


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
        eta = eta_start or (visit.starts_at if visit else None)
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
                _supersede(row, f"replaced by the {kind} text")
        told = next((row for row in rows if row.status in TOLD), None)
        _queue(
            kind=kind,
            work_order=work_order,
            customer=customer,
            values=_values(work_order, technician=technician, eta=eta, link=link),
            # Once per visit: a later visit (after a hold, a re-booking) is told again.
            dedupe_key=f"{kind}:{work_order.pk}:after:{told.pk if told else 0}",
            eta_at=eta,
            cause=f"status {new_status}",
        )
    elif new_status == Status.ON_SITE:
        # The technician is there: any ETA still waiting to go out would be stale.
        for row in _eta_texts(work_order).filter(status=Out.QUEUED):
            _supersede(row, "the technician arrived")
    elif new_status in (Status.COMPLETED, Status.CANCELLED):
        expires = now + TRACKING_GRACE if new_status == Status.COMPLETED else now
        TrackingLink.objects.filter(work_order=work_order).update(expires_at=expires)
        rows = list(_eta_texts(work_order))
        for row in rows:
            if row.status == Out.QUEUED:
                _supersede(row, f"work order {new_status}")
        if new_status == Status.CANCELLED and not any(row.status in TOLD for row in rows):
            return  # never told about a visit: nothing to cancel for the customer
        kind = Kind.COMPLETED if new_status == Status.COMPLETED else Kind.CANCELLED
        _queue(
            kind=kind,
            work_order=work_order,
            customer=customer,
            values=_values(work_order, technician=technician),
            dedupe_key=f"{kind}:{work_order.pk}",
            cause=f"status {new_status}",
        )


# --------------------------------------------------------------------------- reminders


def reminders_queue(*, now: datetime | None = None) -> int:
    """Beat: the evening before, queue a reminder per visit planned for tomorrow."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.NOTIFY_REMINDER_HOUR or in_quiet_hours(now):
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
            row = _queue(
                kind=Kind.REMINDER,
                work_order=visit.work_order,
                customer=visit.work_order.customer,
                values=_values(visit.work_order, technician=visit.technician, eta=visit.starts_at),
                dedupe_key=f"reminder:{visit.work_order_id}:{tomorrow.isoformat()}",
                eta_at=visit.starts_at,
                cause="reminder",
            )
            queued += row is not None
    return queued


# --------------------------------------------------------------------------- sending


def _retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, times 0.5–1.5."""
    base = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(base, settings.NOTIFY_RETRY_MAX_SECONDS) * random.uniform(0.5, 1.5)


def _finish(message_id: int, token: str, **fields) -> bool:
    done = OutboundMessage.objects.filter(
        pk=message_id, status=Out.SENDING, lease_token=token
    ).update(lease_until=None, lease_token="", **fields)
    if not done:
        logger.warning("text %s: lease lost before its result was recorded", message_id)
    return bool(done)


def outbox_claim(*, message_id: int, now: datetime | None = None) -> str | None:
    """Take the lease on a due row; returns the lease token, or None if not ours."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    claimed = (
        OutboundMessage.objects.filter(pk=message_id)
        .filter(
            Q(status=Out.QUEUED, next_attempt_at__lte=now)
            | Q(status=Out.SENDING, lease_until__lt=now)
        )
        .update(
            status=Out.SENDING,
            lease_until=now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS),
            lease_token=token,
            attempts=F("attempts") + 1,
        )
    )
    return token if claimed else None


def outbox_send(*, message_id: int) -> str:
    """Send one outbox row if it is due. Safe to call any number of times.

    Returns what happened ("sent", "retry", "failed", "skipped", "deferred",
    "not-due", "busy", "done", "missing") for logs and tests.
    """
    token = outbox_claim(message_id=message_id)
    if token is None:
        row = OutboundMessage.objects.filter(pk=message_id).values("status").first()
        if row is None:
            return "missing"
        return {Out.QUEUED: "not-due", Out.SENDING: "busy"}.get(row["status"], "done")
    logger.info("text %s claimed", message_id)
    message = OutboundMessage.objects.select_related("customer").get(pk=message_id)
    customer = message.customer
    now = timezone.now()
    if customer.sms_opted_out_at is not None or (
        not customer.sms_consent and message.kind != Kind.HELP
    ):
        _finish(
            message_id,
            token,
            status=Out.SKIPPED,
            error_code="no-consent",
            error_message="The customer opted out or has not agreed to texts.",
        )
        return "skipped"
    if message.kind not in URGENT_KINDS and in_quiet_hours(now):
        _finish(
            message_id,
            token,
            status=Out.QUEUED,
            attempts=F("attempts") - 1,
            next_attempt_at=quiet_hours_end(now),
        )
        return "deferred"
    provider = get_provider()
    try:
        result = provider.send(
            to=message.to, body=message.body, status_callback=status_callback_url()
        )
    except SendError as error:
        if error.retryable and message.attempts < settings.NOTIFY_MAX_ATTEMPTS:
            delay = _retry_delay(message.attempts)
            if _finish(
                message_id,
                token,
                status=Out.QUEUED,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
                error_code=error.code[:20],
                error_message=str(error)[:300],
                provider=provider.name,
            ):
                _enqueue(message_id, countdown=delay)
            logger.info("text %s: %s, retry in %.1f s", message_id, error, delay)
            return "retry"
        _finish(
            message_id,
            token,
            status=Out.FAILED,
            error_code=error.code[:20],
            error_message=str(error)[:300],
            provider=provider.name,
        )
        if error.code == UNSUBSCRIBED:
            customer_opt_out(customer_ids=[customer.pk], reason="Twilio 21610: unsubscribed")
        logger.warning("text %s failed: %s", message_id, error)
        return "failed"
    _finish(
        message_id,
        token,
        status=Out.DELIVERED if result.delivered else Out.SENT,
        provider=provider.name,
        provider_sid=result.sid,
        sent_at=timezone.now(),
        error_code="",
        error_message="",
    )
    return "sent"


def outbox_sweep(*, now: datetime | None = None, grace_seconds: float | None = None) -> int:
    """Beat: hand out rows that are due but were never enqueued (Redis was down) or
    whose lease expired (the worker died). `grace_seconds` leaves fresh rows to the
    task their own commit enqueued."""
    now = now or timezone.now()
    grace = settings.NOTIFY_SWEEP_GRACE_SECONDS if grace_seconds is None else grace_seconds
    ids = list(
        OutboundMessage.objects.filter(
            Q(status=Out.QUEUED, next_attempt_at__lte=now - timedelta(seconds=grace))
            | Q(status=Out.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    _enqueue_many(ids)
    return len(ids)


# --------------------------------------------------------------------------- receipts

_STATUS_ORDER = {
    "sent": (Out.SENT, [Out.SENDING]),
    "delivered": (Out.DELIVERED, [Out.SENDING, Out.SENT, Out.UNDELIVERED]),
    "read": (Out.DELIVERED, [Out.SENDING, Out.SENT, Out.UNDELIVERED]),
    "undelivered": (Out.UNDELIVERED, [Out.SENDING, Out.SENT]),
    "failed": (Out.FAILED, [Out.SENDING, Out.SENT]),
}
CALLBACK_STATUSES = frozenset(
    {
        "queued",
        "accepted",
        "scheduled",
        "sending",
        "canceled",
        "partially_delivered",
        "receiving",
        "received",
        *_STATUS_ORDER,
    }
)


@transaction.atomic
def delivery_status_record(*, provider_sid: str, status: str, error_code: str = "") -> bool:
    """A status callback. Moves a row forward only (callbacks arrive out of order)."""
    if status not in _STATUS_ORDER:
        return False
    target, sources = _STATUS_ORDER[status]
    fields = {"status": target}
    if error_code:
        fields |= {"error_code": error_code[:20], "error_message": f"Carrier error {error_code}"}
    if target in (Out.SENT, Out.DELIVERED, Out.UNDELIVERED, Out.FAILED):
        fields |= {"lease_until": None, "lease_token": ""}
    changed = OutboundMessage.objects.filter(provider_sid=provider_sid, status__in=sources).update(
        **fields
    )
    if error_code == UNSUBSCRIBED:
        customer_ids = OutboundMessage.objects.filter(provider_sid=provider_sid).values_list(
            "customer_id", flat=True
        )
        customer_opt_out(customer_ids=list(customer_ids), reason="Twilio 21610: unsubscribed")
    return bool(changed)


# --------------------------------------------------------------------------- inbound


def _keyword(body: str) -> str:
    return "".join(ch for ch in body.strip().upper() if ch.isalnum())


@transaction.atomic
def customer_opt_out(*, customer_ids: list[int], reason: str) -> int:
    """Mark customers opted out, log it, drop their waiting texts."""
    now = timezone.now()
    changed = 0
    for customer in Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk"):
        OutboundMessage.objects.filter(customer=customer, status=Out.QUEUED).update(
            status=Out.SKIPPED,
            error_code="opted-out",
            error_message="The customer opted out.",
        )
        if customer.sms_opted_out_at is not None:
            continue
        customer.sms_opted_out_at = now
        customer.save(update_fields=["sms_opted_out_at"])
        event_record(
            actor=None,
            kind=Event.Kind.CUSTOMER_CHANGED,
            summary=f"{customer.name} opted out of texts",
            customer=customer,
            before={"sms_opted_out_at": None},
            after={"sms_opted_out_at": now},
            reason=reason,
        )
        changed += 1
    return changed


@transaction.atomic
def customer_opt_in(*, customer_ids: list[int], reason: str) -> int:
    now = timezone.now()
    changed = 0
    for customer in Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk"):
        if customer.sms_opted_out_at is None and customer.sms_consent:
            continue
        before = {
            "sms_consent": customer.sms_consent,
            "sms_opted_out_at": customer.sms_opted_out_at,
        }
        customer.sms_opted_out_at = None
        customer.sms_consent = True
        customer.save(update_fields=["sms_opted_out_at", "sms_consent"])
        event_record(
            actor=None,
            kind=Event.Kind.CUSTOMER_CHANGED,
            summary=f"{customer.name} opted in to texts",
            customer=customer,
            before=before,
            after={"sms_consent": True, "sms_opted_out_at": None, "at": now},
            reason=reason,
        )
        changed += 1
    return changed


def _current_work_order(customers: list[Customer]) -> WorkOrder | None:
    """The work order a reply is about: the last one we texted, else the latest open one."""
    last_text = (
        OutboundMessage.objects.filter(customer__in=customers, work_order__isnull=False)
        .order_by("-created_at", "-id")
        .select_related("work_order")
        .first()
    )
    if last_text is not None:
        return last_text.work_order
    return (
        WorkOrder.objects.filter(customer__in=customers)
        .exclude(status__in=[Status.COMPLETED, Status.CANCELLED])
        .order_by("-created_at")
        .first()
    )


@dataclass(frozen=True)
class InboundResult:
    message: InboundMessage
    created: bool


@transaction.atomic
def inbound_receive(
    *, provider_sid: str, from_number: str, to_number: str, body: str
) -> InboundResult:
    """Record a text from a customer (webhook or sandbox). Idempotent per provider id."""
    provider_sid, from_number = provider_sid.strip(), from_number.strip()
    if not provider_sid or not from_number:
        raise DomainError("A text needs a message id and a sender number.")
    existing = InboundMessage.objects.filter(provider_sid=provider_sid).first()
    if existing is not None:
        return InboundResult(existing, created=False)
    customers = list(Customer.objects.filter(phone=from_number).order_by("pk"))
    word = _keyword(body)
    if word in STOP_WORDS:
        kind = InboundMessage.Kind.OPT_OUT
    elif word in START_WORDS:
        kind = InboundMessage.Kind.OPT_IN
    elif word in HELP_WORDS:
        kind = InboundMessage.Kind.HELP
    else:
        kind = InboundMessage.Kind.REPLY
    work_order = _current_work_order(customers) if customers else None
    message = InboundMessage.objects.create(
        provider_sid=provider_sid[:64],
        from_number=from_number[:32],
        to_number=to_number.strip()[:32],
        body=body[:1600],
        kind=kind,
        customer=work_order.customer if work_order else (customers[0] if customers else None),
        work_order=work_order,
        # keywords are handled here; only real replies wait for a dispatcher
        read_at=None if kind == InboundMessage.Kind.REPLY else timezone.now(),
    )
    ids = [customer.pk for customer in customers]
    if kind == InboundMessage.Kind.OPT_OUT:
        customer_opt_out(customer_ids=ids, reason=f"Replied {word}")
    elif kind == InboundMessage.Kind.OPT_IN:
        customer_opt_in(customer_ids=ids, reason=f"Replied {word}")
    elif kind == InboundMessage.Kind.HELP and customers:
        customer = message.customer or customers[0]
        _queue(
            kind=Kind.HELP,
            work_order=work_order,
            customer=customer,
            values=(
                _values(work_order, technician=None)
                if work_order
                else {"company": settings.NOTIFY_COMPANY_NAME}
            ),
            dedupe_key=f"help:{provider_sid}",
            cause="HELP reply",
        )
    return InboundResult(message, created=True)


@transaction.atomic
def replies_mark_read(*, actor, work_order: WorkOrder) -> int:
    return InboundMessage.objects.filter(work_order=work_order, read_at__isnull=True).update(
        read_at=timezone.now(), read_by=actor if actor and actor.is_authenticated else None
    )


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
