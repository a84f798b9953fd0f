"""Customer texts: inbound replies. Record a text from a customer (Twilio webhook or
the SMS sandbox), once per provider id; attach it to the work order it is about;
act on its keyword (STOP / START through ``notifications.consent``, HELP queues the
help text through the outbox); mark replies read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from notifications import consent, outbox, texts
from notifications.models import InboundMessage, Kind, OutboundMessage
from workorders.models import Customer, WorkOrder
from workorders.status import Status


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
    word = consent.consent_keyword(body)
    if word in consent.STOP_WORDS:
        kind = InboundMessage.Kind.OPT_OUT
    elif word in consent.START_WORDS:
        kind = InboundMessage.Kind.OPT_IN
    elif word in consent.HELP_WORDS:
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
        consent.customer_opt_out(customer_ids=ids, reason=f"Replied {word}")
    elif kind == InboundMessage.Kind.OPT_IN:
        consent.customer_opt_in(customer_ids=ids, reason=f"Replied {word}")
    elif kind == InboundMessage.Kind.HELP and customers:
        customer = message.customer or customers[0]
        outbox.message_queue(
            kind=Kind.HELP,
            work_order=work_order,
            customer=customer,
            values=(
                texts.placeholder_values(work_order, technician=None)
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
