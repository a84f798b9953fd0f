"""Customer texts: the outbox, replies, what we know of each visit, tracking links.

Invariants live in PostgreSQL: one outbox row per dedupe key, a lease only while a
row is being sent, a provider id once it is sent, one visit row per work order,
unguessable tracking tokens that are unique.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from technicians.models import Technician
from workorders.models import Customer, WorkOrder


class Kind(models.TextChoices):
    BOOKED = "booked", "Booked"
    REMINDER = "reminder", "Reminder"
    DISPATCHED = "dispatched", "Dispatched"
    ON_MY_WAY = "on_my_way", "On my way"
    DELAY = "delay", "Delay"
    RESCHEDULED = "rescheduled", "Rescheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    HELP = "help", "Help reply"


# Texts that say when the technician arrives: the baseline of the delay rule.
ETA_KINDS = frozenset(
    {Kind.BOOKED, Kind.REMINDER, Kind.DISPATCHED, Kind.ON_MY_WAY, Kind.DELAY, Kind.RESCHEDULED}
)
# Visit updates still waiting in the outbox are rewritten in place, not stacked up.
UPDATE_KINDS = frozenset({Kind.BOOKED, Kind.DELAY, Kind.RESCHEDULED})
# The only texts that may go out during quiet hours.
URGENT_KINDS = frozenset({Kind.ON_MY_WAY, Kind.DELAY, Kind.HELP})


class OutboundMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="texts")
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="texts"
    )
    to = models.CharField(max_length=16)
    body = models.TextField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    error_code = models.CharField(max_length=20, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    # What the text told the customer about the visit (the delay rule compares to it).
    eta_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="outbox_due",
            ),
            models.Index(
                fields=["lease_until"], condition=Q(status="sending"), name="outbox_leased"
            ),
            models.Index(fields=["work_order", "-created_at"], name="outbox_work_order"),
            models.Index(fields=["customer", "-created_at"], name="outbox_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sending", lease_until__isnull=False)
                | (~Q(status="sending") & Q(lease_until__isnull=True)),
                name="outbox_lease_iff_sending",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["sent", "delivered", "undelivered"])
                | Q(provider_sid__isnull=False),
                name="outbox_sent_has_provider_id",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "queued",
                        "sending",
                        "sent",
                        "delivered",
                        "undelivered",
                        "failed",
                        "skipped",
                    ]
                ),
                name="outbox_status_known",
            ),
            models.CheckConstraint(condition=~Q(body=""), name="outbox_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.status})"


class InboundMessage(models.Model):
    class Kind(models.TextChoices):
        OPT_OUT = "opt_out", "Opted out"
        OPT_IN = "opt_in", "Opted back in"
        HELP = "help", "Asked for help"
        REPLY = "reply", "Reply"

    provider_sid = models.CharField(max_length=64, unique=True)
    from_number = models.CharField(max_length=32)
    to_number = models.CharField(max_length=32, blank=True)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    received_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["work_order"], condition=Q(read_at__isnull=True), name="inbound_unread"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_number}: {self.body[:40]}"


class Visit(models.Model):
    """What dispatch last told us about a work order's visit (`visit_planned`).

    notifications may not read dispatch's bookings, so the reminder sweep and the
    tracking page read this mirror; dispatch keeps it current through the API.
    """

    work_order = models.OneToOneField(
        WorkOrder, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    technician = models.ForeignKey(
        Technician, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    eta_start = models.DateTimeField(null=True, blank=True)
    eta_end = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["starts_at"], name="visit_starts_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True)
                | Q(
                    starts_at__isnull=False,
                    ends_at__isnull=False,
                    ends_at__gt=models.F("starts_at"),
                ),
                name="visit_time_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit of {self.work_order_id} at {self.starts_at}"


class TrackingLink(models.Model):
    """`/t/<token>/`: valid from dispatch until 24 h after completion."""

    token = models.CharField(max_length=64, unique=True)
    work_order = models.OneToOneField(
        WorkOrder, on_delete=models.CASCADE, related_name="tracking_link"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(token__regex=r"^[A-Za-z0-9_-]{32,64}$"), name="tracking_token_shape"
            ),
        ]

    def __str__(self) -> str:
        return f"Tracking for {self.work_order_id}"


class MessageTemplate(models.Model):
    """An office-edited text for one kind; without a row the built-in default is used."""

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True)
    body = models.TextField()
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["kind"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="template_not_empty")]

    def __str__(self) -> str:
        return self.get_kind_display()
