"""Customer texts: the outbox. Queue a row, enqueue it on commit, claim it with a
lease, send it, retry it, sweep what was never handed out; delivery status callbacks;
quiet hours (when a row is due).

Queuing
-------
``queue`` writes one row per dedupe key (``ON CONFLICT DO NOTHING``) inside the
caller's transaction and registers one on-commit enqueue per transaction, so a
rolled-back change never texts anybody. Consent and opt-out are read afresh; a
switched-off kind writes nothing; over the hourly rate limit the row is kept as
skipped. ``supersede`` drops a row still waiting (conditional: the worker may have it).

Sending
-------
``outbox_send`` claims one row by a conditional UPDATE that takes a lease, sends,
and records the provider id, all guarded by the lease token, so a redelivered task
or a second worker cannot send a claimed row. A worker that dies after claiming
leaves the lease to expire; the beat sweep then hands the row out again.

The Celery task that runs ``outbox_send`` (``notifications.tasks``) imports this
module; ``enqueue_many`` imports the task lazily, the one allowed circle.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications import consent, texts
from notifications.models import URGENT_KINDS, Kind, OutboundMessage
from notifications.providers import UNSUBSCRIBED, SendError, get_provider
from workorders.models import Customer, WorkOrder

logger = logging.getLogger(__name__)

Out = OutboundMessage.Status


# --------------------------------------------------------------------------- quiet hours


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


# --------------------------------------------------------------------------- queuing


ENQUEUE_CHUNK = 10


def enqueue(message_id: int, countdown: float | None = None) -> None:
    enqueue_many([message_id], countdown=countdown)


def enqueue_many(message_ids: list[int], countdown: float | None = None) -> None:
    """Hand rows to the worker, a task per chunk. Redis is an accelerator: a failure
    is only logged (the rows are committed; the beat sweep sends them later)."""
    from notifications.tasks import send_texts  # tasks import the outbox; keep it one-way

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
                enqueue_many(ids)

        flush.notify_pending = pending
        connection._notify_pending = pending
        transaction.on_commit(flush)
    pending.append(message_id)


def due_at(kind: str, now: datetime | None = None) -> datetime:
    """When a text of this kind queued now goes out: at once if urgent, else once quiet
    hours end (what its words say "today" about)."""
    now = now or timezone.now()
    return now if kind in URGENT_KINDS else quiet_hours_end(now)


def _rate_limited(customer: Customer, now: datetime) -> bool:
    recent = OutboundMessage.objects.filter(
        customer=customer, created_at__gt=now - timedelta(hours=1)
    ).exclude(status=Out.SKIPPED)
    return recent.count() >= settings.NOTIFY_RATE_LIMIT_PER_HOUR


def message_queue(
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
    body = texts.template_body(kind)
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
        next_attempt_at=due_at(kind, now),
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


def message_supersede(message: OutboundMessage, reason: str) -> bool:
    """Drop a text still waiting in the outbox (conditional: the worker may have it)."""
    return bool(
        OutboundMessage.objects.filter(pk=message.pk, status=Out.QUEUED).update(
            status=Out.SKIPPED,
            error_code="superseded",
            error_message=reason[:300],
            dedupe_key=f"{message.dedupe_key[:150]}:superseded:{message.pk}",
        )
    )


# --------------------------------------------------------------------------- sending


def status_callback_url() -> str:
    return f"{settings.NOTIFY_PUBLIC_BASE_URL}/sms/status/"


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
                enqueue(message_id, countdown=delay)
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
            consent.customer_opt_out(
                customer_ids=[customer.pk], reason="Twilio 21610: unsubscribed"
            )
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
    enqueue_many(ids)
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
        consent.customer_opt_out(
            customer_ids=list(customer_ids), reason="Twilio 21610: unsubscribed"
        )
    return bool(changed)
