from datetime import time

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from technicians.models import CERT_LEVEL_MAX, CERT_LEVEL_MIN, Skill, Technician
from technicians.validators import validate_e164_phone
from workorders.status import CLOSED, Status


class ExternalReference(models.Model):
    """Another system's id for a row (a CRM's customer id, an ERP's job number), so an
    integration can find what it created before. Unique per source; both empty when
    the row was made here."""

    external_source = models.CharField(
        max_length=40, blank=True, help_text="The system the reference comes from, e.g. crm."
    )
    external_ref = models.CharField(
        max_length=100, blank=True, help_text="The row's id in that system."
    )

    class Meta:
        abstract = True


def external_reference_constraints(name: str) -> list:
    return [
        models.UniqueConstraint(
            fields=["external_source", "external_ref"],
            condition=~Q(external_ref=""),
            name=f"{name}_external_ref_unique",
            violation_error_message="Another record already has this external reference.",
        ),
        models.CheckConstraint(
            condition=Q(external_ref="") | ~Q(external_source=""),
            name=f"{name}_external_ref_has_source",
            violation_error_message="An external reference needs its source.",
        ),
    ]


class Customer(ExternalReference):
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=16, validators=[validate_e164_phone])
    email = models.EmailField(blank=True)
    sms_consent = models.BooleanField(
        default=False, help_text="The customer agreed to receive text messages."
    )
    sms_opted_out_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the customer replied STOP; no texts after it."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["phone"])]
        constraints = external_reference_constraints("customer")

    def __str__(self) -> str:
        return self.name

    @property
    def may_receive_sms(self) -> bool:
        return self.sms_consent and self.sms_opted_out_at is None


class Site(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sites")
    label = models.CharField(max_length=100, default="Main")
    address = models.CharField(max_length=255)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    coordinates_manual = models.BooleanField(
        default=False, help_text="Coordinates typed in by staff; geocoding leaves them alone."
    )
    access_notes = models.TextField(blank=True)
    geocode_attempted_at = models.DateTimeField(
        null=True, blank=True, help_text="Last lookup of the address; cleared when it changes."
    )

    class Meta:
        ordering = ["customer__name", "label"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="site_coordinates_both_and_on_earth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.address}"

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class SLAPolicy(models.Model):
    class Calendar(models.TextChoices):
        ALWAYS = "24x7", "24/7"
        BUSINESS = "business", "Business hours"

    tier = models.CharField(max_length=50, unique=True)
    response_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    calendar = models.CharField(max_length=10, choices=Calendar.choices, default=Calendar.BUSINESS)
    business_day_start = models.TimeField(default=time(8))
    business_day_end = models.TimeField(default=time(17))
    business_weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)]),
        default=list,
        blank=True,
        help_text="0 = Monday … 6 = Sunday. Used only with business hours.",
    )

    class Meta:
        ordering = ["response_minutes"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=F("response_minutes")),
                name="sla_resolution_not_before_response",
            ),
            models.CheckConstraint(
                condition=Q(calendar="24x7") | Q(business_day_end__gt=F("business_day_start")),
                name="sla_business_day_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.tier


class WorkOrder(ExternalReference):
    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        NORMAL = 2, "Normal"
        HIGH = 3, "High"
        EMERGENCY = 4, "Emergency"

    class JobType(models.TextChoices):
        INSTALL = "install", "Installation"
        REPAIR = "repair", "Repair"
        MAINTENANCE = "maintenance", "Preventive maintenance"
        INSPECTION = "inspection", "Inspection"
        EMERGENCY = "emergency", "Emergency call-out"

    class HoldReason(models.TextChoices):
        PARTS = "parts", "Awaiting parts"
        CUSTOMER = "customer", "Awaiting customer"

    number = models.CharField(max_length=20, unique=True, null=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="work_orders")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="work_orders")
    job_type = models.CharField(max_length=20, choices=JobType.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    summary = models.CharField(max_length=200)
    estimated_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    sla_policy = models.ForeignKey(SLAPolicy, on_delete=models.PROTECT, related_name="work_orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)
    billing_reference = models.CharField(max_length=60, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # The SLA clock. Due times are stored (not derived on read) so lists can
    # filter and sort by them in SQL; services keep them current.
    sla_started_at = models.DateTimeField(default=timezone.now)
    response_due_at = models.DateTimeField()
    response_at_risk_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    resolution_at_risk_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    sla_paused_minutes = models.PositiveIntegerField(
        default=0, help_text="Business minutes the clock was paused, added to every due time."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "resolution_due_at"]),
            models.Index(fields=["response_due_at"]),
            # Dashboard: the cohort of a date range, and follow-up visits to a site.
            models.Index(fields=["created_at"], name="workorder_created_at"),
            models.Index(
                fields=["site", "job_type", "created_at"], name="workorder_site_job_created"
            ),
            models.Index(
                fields=["site", "job_type", "resolved_at"],
                condition=Q(status="completed"),
                name="workorder_site_job_resolved",
            ),
            # The SLA alert sweep: clocks still running against a target.
            models.Index(
                fields=["response_at_risk_at"],
                condition=Q(responded_at__isnull=True),
                name="workorder_response_running",
            ),
            models.Index(
                fields=["resolution_at_risk_at"],
                condition=Q(resolved_at__isnull=True),
                name="workorder_resolution_running",
            ),
            # The API's `updated_since`: what changed since an integration last looked.
            models.Index(fields=["updated_at"], name="workorder_updated_at"),
        ]
        constraints = [
            *external_reference_constraints("workorder"),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True, window_end__isnull=True)
                | Q(
                    window_start__isnull=False,
                    window_end__isnull=False,
                    window_end__gt=F("window_start"),
                ),
                name="workorder_window_ordered",
                violation_error_message=(
                    "A customer window needs both a start and an end, and must end after it starts."
                ),
            ),
            models.CheckConstraint(
                condition=Q(estimated_minutes__gte=5, estimated_minutes__lte=24 * 60),
                name="workorder_estimate_range",
            ),
            models.CheckConstraint(
                condition=Q(status="on_hold", hold_reason__in=["parts", "customer"])
                | (~Q(status="on_hold") & Q(hold_reason="")),
                name="workorder_hold_reason_iff_on_hold",
            ),
            models.CheckConstraint(
                condition=Q(resolution_due_at__gte=F("response_due_at")),
                name="workorder_resolution_due_after_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number or 'WO-?'} {self.summary}"

    @property
    def sla_paused(self) -> bool:
        return self.sla_paused_since is not None

    @property
    def is_closed(self) -> bool:
        """Completed or cancelled: nothing more can happen to it."""
        return self.status in CLOSED


class RequiredSkill(models.Model):
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="required_skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="+")
    min_level = models.PositiveSmallIntegerField(
        default=CERT_LEVEL_MIN,
        validators=[MinValueValidator(CERT_LEVEL_MIN), MaxValueValidator(CERT_LEVEL_MAX)],
    )

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "skill"], name="required_skill_once"),
            models.CheckConstraint(
                condition=Q(min_level__gte=CERT_LEVEL_MIN, min_level__lte=CERT_LEVEL_MAX),
                name="required_skill_level_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ≥ L{self.min_level}"


class WorkOrderPhoto(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="workorders/photos/")
    thumbnail = models.ImageField(upload_to="workorders/thumbs/")
    caption = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.caption or f"Photo of {self.work_order_id}"


class SLAPause(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="sla_pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200)
    business_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="sla_pause_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["work_order"],
                condition=Q(ended_at__isnull=True),
                name="sla_pause_one_open_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Paused {self.started_at:%Y-%m-%d %H:%M}: {self.reason}"


class Event(models.Model):
    """Append-only audit trail. A database trigger refuses UPDATE and DELETE."""

    class Kind(models.TextChoices):
        WORK_ORDER_CREATED = "workorder.created", "Work order created"
        WORK_ORDER_UPDATED = "workorder.updated", "Work order edited"
        STATUS_CHANGED = "workorder.status", "Status changed"
        PHOTO_ADDED = "workorder.photo", "Photo added"
        ASSIGNED = "booking.assigned", "Assigned"
        REASSIGNED = "booking.reassigned", "Reassigned"
        RESCHEDULED = "booking.rescheduled", "Rescheduled"
        UNASSIGNED = "booking.unassigned", "Unassigned"
        SLA_PAUSED = "sla.paused", "SLA paused"
        SLA_RESUMED = "sla.resumed", "SLA resumed"
        OVERRIDE = "override", "Rule overridden"
        CUSTOMER_CHANGED = "customer.changed", "Customer changed"
        TECHNICIAN_CHANGED = "technician.changed", "Technician changed"
        PLAN_APPLIED = "plan.applied", "Optimizer plan applied"
        SLA_ALERT_RAISED = "sla.alert", "SLA alert raised"
        SLA_ALERT_ACKNOWLEDGED = "sla.alert_ack", "SLA alert acknowledged"
        FIELD_REPORT = "field.report", "Reported from the field"
        FIELD_ALERT = "field.alert", "Field alert"

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    technician = models.ForeignKey(
        Technician, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    summary = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["kind", "occurred_at"], name="event_kind_occurred")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.summary}"


class SLAAlert(models.Model):
    """A work order crossed "at risk" or "breached" on one SLA target.

    One row per (work order, target, level), enforced by the database, so the
    every-minute sweep can run any number of times without duplicating an alert."""

    class Target(models.TextChoices):
        RESPONSE = "response", "Response"
        RESOLUTION = "resolution", "Resolution"

    class Level(models.TextChoices):
        AT_RISK = "at_risk", "At risk"
        BREACHED = "breached", "Breached"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="sla_alerts")
    target = models.CharField(max_length=10, choices=Target.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    due_at = models.DateTimeField(help_text="The due (or at-risk) time that was crossed.")
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = "SLA alert"
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "target", "level"], name="sla_alert_once_per_level"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=F("raised_at")),
                name="sla_alert_acknowledged_after_raised",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-raised_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="sla_alert_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.target} {self.level}"
