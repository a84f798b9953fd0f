"""Customer texts: consent. Who may be texted: the STOP / START / HELP keywords of a
reply, opting customers out (their waiting texts are dropped) and back in, each
logged as a customer event.

A STOP blocks the number: every customer who shares it is opted out. START lifts the
block but is not consent: a customer texted again is one who had consented before.

``notifications.inbound`` reads the keywords of a reply; the outbox opts a customer
out when Twilio answers 21610 (unsubscribed), whether on sending or in a status
callback. Consent itself (``Customer.sms_consent`` / ``sms_opted_out_at``) is read
by the outbox when a text is queued and again just before it is sent.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from notifications.models import OutboundMessage
from workorders.events import event_record
from workorders.models import Customer, Event

Out = OutboundMessage.Status
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP"})


def consent_keyword(body: str) -> str:
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
    """Lift a STOP's block on a number (START); returns how many customers may be texted
    again.

    A STOP blocks the number for every customer sharing it (carriers block it too), but
    START is not consent: only customers who had consented before the STOP get texts
    again; the others stay without consent until the office records it."""
    now = timezone.now()
    resumed = 0
    for customer in Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk"):
        if customer.sms_opted_out_at is None:
            continue
        before = {"sms_opted_out_at": customer.sms_opted_out_at}
        customer.sms_opted_out_at = None
        customer.save(update_fields=["sms_opted_out_at"])
        event_record(
            actor=None,
            kind=Event.Kind.CUSTOMER_CHANGED,
            summary=(
                f"{customer.name} opted in to texts again"
                if customer.sms_consent
                else f"{customer.name}'s number is no longer blocked; no texts: "
                "the customer never consented"
            ),
            customer=customer,
            before=before,
            after={"sms_opted_out_at": None, "sms_consent": customer.sms_consent, "at": now},
            reason=reason,
        )
        resumed += customer.sms_consent
    return resumed
