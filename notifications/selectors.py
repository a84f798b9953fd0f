"""Customer texts: reads for the office pages, the board badge and the tracking page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from notifications import texts
from notifications.models import InboundMessage, Kind, OutboundMessage, TrackingLink, Visit
from technicians.models import Technician
from workorders.models import Customer, WorkOrder
from workorders.status import Status

# The technician's position is shown only when fresh, and only roughly (≈ 500 m).
POSITION_MAX_AGE = timedelta(minutes=30)
POSITION_GRID = 0.005


def unread_reply_counts(work_order_ids) -> dict[int, int]:
    """Unread customer replies per work order (for the board card badge).

    Work orders without unread replies are absent from the dict. One query.
    """
    ids = list(work_order_ids)
    if not ids:
        return {}
    rows = (
        InboundMessage.objects.filter(
            work_order_id__in=ids, read_at__isnull=True, kind=InboundMessage.Kind.REPLY
        )
        .values("work_order_id")
        .annotate(n=Count("id"))
    )
    return {row["work_order_id"]: row["n"] for row in rows}


@dataclass(frozen=True)
class Bubble:
    """One text on a phone-like thread: `outgoing` is from us to the customer."""

    outgoing: bool
    body: str
    at: datetime
    kind: str
    status: str = ""
    error: str = ""
    unread: bool = False

    @property
    def failed(self) -> bool:
        return self.status in (OutboundMessage.Status.FAILED, OutboundMessage.Status.UNDELIVERED)


@dataclass
class Conversation:
    bubbles: list[Bubble] = field(default_factory=list)
    unread: int = 0
    failed: int = 0


def _bubbles(outgoing: QuerySet, incoming: QuerySet) -> list[Bubble]:
    items = [
        Bubble(
            outgoing=True,
            body=m.body,
            at=m.sent_at or m.created_at,
            kind=m.get_kind_display(),
            status=m.status,
            error=m.error_message,
        )
        for m in outgoing
    ] + [
        Bubble(
            outgoing=False,
            body=m.body,
            at=m.received_at,
            kind=m.get_kind_display(),
            unread=m.read_at is None and m.kind == InboundMessage.Kind.REPLY,
        )
        for m in incoming
    ]
    return sorted(items, key=lambda bubble: bubble.at)


def work_order_conversation(work_order: WorkOrder, limit: int = 100) -> Conversation:
    """The texts to and from the customer about one work order, oldest first."""
    outgoing = OutboundMessage.objects.filter(work_order=work_order).order_by("-created_at")[:limit]
    incoming = InboundMessage.objects.filter(work_order=work_order).order_by("-received_at")[:limit]
    bubbles = _bubbles(outgoing, incoming)
    return Conversation(
        bubbles=bubbles,
        unread=sum(bubble.unread for bubble in bubbles),
        failed=sum(bubble.failed for bubble in bubbles),
    )


def customer_thread(customer: Customer, limit: int = 200) -> list[Bubble]:
    """Everything a customer's phone would show, oldest first (the sandbox page)."""
    outgoing = (
        OutboundMessage.objects.filter(to=customer.phone)
        .exclude(status__in=[OutboundMessage.Status.SKIPPED])
        .order_by("-created_at")[:limit]
    )
    incoming = InboundMessage.objects.filter(from_number=customer.phone).order_by("-received_at")[
        :limit
    ]
    return _bubbles(outgoing, incoming)


def customers_with_texts() -> QuerySet[Customer]:
    return (
        Customer.objects.filter(Q(texts__isnull=False) | Q(replies__isnull=False))
        .distinct()
        .order_by("name", "pk")
    )


def message_list(
    *, kind: str = "", status: str = "", customer: Customer | None = None, search: str = ""
) -> QuerySet[OutboundMessage]:
    qs = OutboundMessage.objects.select_related("customer", "work_order").order_by(
        "-created_at", "-id"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if search:
        qs = qs.filter(
            Q(body__icontains=search)
            | Q(to__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(work_order__number__icontains=search)
        )
    return qs


def recent_replies(limit: int = 20) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.select_related("customer", "work_order").order_by("-received_at")[
        :limit
    ]


# --------------------------------------------------------------------------- tracking


@dataclass(frozen=True)
class Done:
    """The short summary after the visit: when, by whom, what (the work order's
    summary; never the technician's resolution note, written for the office)."""

    at: str  # "today at 3:40 PM"
    by: str  # the technician's first name
    what: str


@dataclass(frozen=True)
class Tracking:
    """Exactly what the public tracking page may show: the visit's reference and
    address (the customer's own), no other customer data."""

    token: str
    number: str
    address: str
    technician_name: str
    has_photo: bool
    status: str
    status_label: str
    eta: str  # texts.eta_words, the same words as the texts; "" when no longer expected
    position: tuple[float, float] | None
    position_at: datetime | None
    technician_id: int | None
    done: Done | None


def _snap(value: float) -> float:
    return round(round(value / POSITION_GRID) * POSITION_GRID, 4)


def tracking_link_valid(token: str, now: datetime | None = None) -> TrackingLink | None:
    """The link for a token if it exists and has not expired; None otherwise."""
    if not token or len(token) > 64:
        return None
    now = now or timezone.now()
    return (
        TrackingLink.objects.filter(token=token)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("work_order__site")
        .first()
    )


def _done(work_order: WorkOrder, technician: Technician | None, now: datetime) -> Done | None:
    if work_order.status != Status.COMPLETED or work_order.resolved_at is None:
        return None
    return Done(
        at=texts.moment_words(work_order.resolved_at, now=now),
        by=texts.first_name(technician.display_name) if technician else "",
        what=work_order.summary,
    )


def tracking_for_token(token: str, now: datetime | None = None) -> Tracking | None:
    now = now or timezone.now()
    link = tracking_link_valid(token, now)
    if link is None:
        return None
    work_order = link.work_order
    visit = Visit.objects.filter(work_order=work_order).select_related("technician").first()
    technician: Technician | None = visit.technician if visit else None
    status = Status(work_order.status)
    position = None
    position_at = None
    if (
        status == Status.EN_ROUTE
        and technician is not None
        and technician.last_latitude is not None
        and technician.last_longitude is not None
        and technician.last_position_at is not None
        and now - technician.last_position_at <= POSITION_MAX_AGE
    ):
        position = (_snap(technician.last_latitude), _snap(technician.last_longitude))
        position_at = technician.last_position_at
    arrival = texts.visit_arrival(visit)
    expected = arrival is not None and status not in (
        Status.ON_SITE,
        Status.COMPLETED,
        Status.CANCELLED,
    )
    return Tracking(
        token=link.token,
        number=work_order.number or "",
        address=work_order.site.address,
        technician_name=(texts.first_name(technician.display_name) if technician else ""),
        has_photo=bool(technician and technician.photo_thumbnail),
        status=status.value,
        status_label=_STATUS_LABELS.get(status, status.label),
        eta=texts.eta_words(arrival, now=now) if expected else "",
        position=position,
        position_at=position_at,
        technician_id=technician.pk if technician else None,
        done=_done(work_order, technician, now),
    )


_STATUS_LABELS = {
    Status.NEW: "Being scheduled",
    Status.SCHEDULED: "Scheduled",
    Status.DISPATCHED: "Technician assigned",
    Status.EN_ROUTE: "On the way",
    Status.ON_SITE: "Arrived",
    Status.COMPLETED: "Completed",
    Status.ON_HOLD: "On hold",
    Status.CANCELLED: "Cancelled",
}


def tracking_photo_path(token: str) -> str | None:
    """The technician's thumbnail (a media path) for a valid token, else None."""
    link = tracking_link_valid(token)
    if link is None:
        return None
    visit = Visit.objects.filter(work_order_id=link.work_order_id).select_related("technician")
    visit = visit.first()
    if visit is None or visit.technician is None or not visit.technician.photo_thumbnail:
        return None
    return visit.technician.photo_thumbnail.name


KIND_CHOICES = Kind.choices
