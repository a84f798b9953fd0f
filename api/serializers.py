"""What the API reads and writes. Serializers only check shapes and ranges; every
write is done by the owning app's service, called from the view."""

from collections.abc import Mapping
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dispatch.days import FIRST_DAY, LAST_DAY, day_in_range
from dispatch.models import Booking
from technicians.models import CERT_LEVEL_MAX, CERT_LEVEL_MIN, Skill, Technician
from technicians.validators import normalize_e164_phone
from workorders.models import Customer, Event, Site, SLAPolicy, WorkOrder
from workorders.status import Status

UNKNOWN_FIELD = "Unknown or read-only field."


class StrictMixin:
    """A field the serializer does not write is an error, not silently dropped: a
    client that sends `status` in an edit must learn it changed nothing."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(name) for name in data if name not in writable)
            if unknown:
                raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        return super().to_internal_value(data)


class BoundedDateTimeField(serializers.DateTimeField):
    """Times the board can show: 2000-01-01 to 2099-12-31 (`dispatch.days`)."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        first = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
        last = datetime.combine(LAST_DAY, datetime.max.time(), tzinfo=UTC)
        if not first <= moment <= last:
            self.fail("out_of_range")
        return moment

    default_error_messages = {
        "out_of_range": f"Give a time between {FIRST_DAY} and {LAST_DAY}.",
    }


class BoundedDateField(serializers.DateField):
    default_error_messages = {"out_of_range": f"Give a day between {FIRST_DAY} and {LAST_DAY}."}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not day_in_range(day):
            self.fail("out_of_range")
        return day


class PhoneField(serializers.CharField):
    """As people type it; stored in E.164 (the office form's rule)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=30, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return normalize_e164_phone(text)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


@extend_schema_field({"type": "string", "pattern": r"^\d\d:\d\d(:\d\d)?$", "example": "08:00:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time of the company's time zone (no offset, unlike RFC 3339's
    `time`, which the schema's `format: time` would demand)."""


# Customers ------------------------------------------------------------------


class SiteSerializer(StrictMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="In an edit: the site to change. Without it a new site is added.",
    )
    delete = serializers.BooleanField(
        required=False, write_only=True, help_text="In an edit: remove this site."
    )
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(
        required=False, allow_null=True, min_value=-180, max_value=180
    )

    class Meta:
        model = Site
        fields = ["id", "label", "address", "latitude", "longitude", "access_notes", "delete"]

    def validate(self, data):
        if ("latitude" in data or "longitude" in data) and (data.get("latitude") is None) != (
            data.get("longitude") is None
        ):
            raise serializers.ValidationError(
                {"longitude": ["Give both latitude and longitude, or neither."]}
            )
        return data


class CustomerSerializer(StrictMixin, serializers.ModelSerializer):
    phone = PhoneField(help_text="Mobile number; stored as E.164, e.g. +15550100123.")
    sites = SiteSerializer(many=True)
    sms_consent = serializers.BooleanField(
        required=False, help_text="The customer agreed to receive text messages."
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "phone",
            "email",
            "sms_consent",
            "sms_opted_out_at",
            "notes",
            "external_source",
            "external_ref",
            "sites",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["sms_opted_out_at", "created_at", "updated_at"]
        # The unique external reference is checked by the model inside the service.
        validators = []

    def validate_sites(self, sites):
        if self.partial:  # an edit: ids and deletes are checked against the customer's sites
            return sites
        if not sites:
            raise serializers.ValidationError("A customer needs at least one site.")
        if any("id" in s or s.get("delete") for s in sites):
            raise serializers.ValidationError("A new customer's sites have no id and no delete.")
        return sites


# Work orders ----------------------------------------------------------------


class RequiredSkillSerializer(StrictMixin, serializers.Serializer):
    skill = serializers.SlugRelatedField(
        slug_field="code", queryset=Skill.objects.all(), help_text="The skill's code."
    )
    min_level = serializers.IntegerField(
        min_value=CERT_LEVEL_MIN, max_value=CERT_LEVEL_MAX, default=CERT_LEVEL_MIN
    )


class WorkOrderSerializer(StrictMixin, serializers.ModelSerializer):
    window_start = BoundedDateTimeField(required=False, allow_null=True)
    window_end = BoundedDateTimeField(required=False, allow_null=True)
    estimated_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60)
    required_skills = RequiredSkillSerializer(many=True, required=False)
    sla_paused = serializers.BooleanField(read_only=True)
    hold_reason = serializers.ChoiceField(
        choices=WorkOrder.HoldReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why it is on hold; empty otherwise.",
    )
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    sla_policy = serializers.PrimaryKeyRelatedField(queryset=SLAPolicy.objects.all())

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
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
            "required_skills",
            "external_source",
            "external_ref",
            "status",
            "hold_reason",
            "sla_paused",
            "created_at",
            "updated_at",
            "response_due_at",
            "resolution_due_at",
            "responded_at",
            "resolved_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "hold_reason",
            "created_at",
            "updated_at",
            "response_due_at",
            "resolution_due_at",
            "responded_at",
            "resolved_at",
        ]
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["required_skills"] = [
            {"skill": r.skill.code, "min_level": r.min_level}
            for r in instance.required_skills.all()
        ]
        return data

    def validate(self, data):
        def current(name):
            if name in data:
                return data[name]
            return getattr(self.instance, name) if self.instance is not None else None

        customer, site = current("customer"), current("site")
        if customer is not None and site is not None and site.customer_id != customer.pk:
            raise serializers.ValidationError({"site": ["The site belongs to another customer."]})
        start, end = current("window_start"), current("window_end")
        if (start is None) != (end is None):
            missing = "window_end" if end is None else "window_start"
            raise serializers.ValidationError(
                {missing: ["A customer window needs both a start and an end."]}
            )
        if start is not None and end <= start:
            raise serializers.ValidationError(
                {"window_end": ["The window must end after it starts."]}
            )
        skills = [r["skill"].code for r in data.get("required_skills", [])]
        if len(skills) != len(set(skills)):
            raise serializers.ValidationError(
                {"required_skills": ["Each skill may be required only once."]}
            )
        return data


class StatusChangeSerializer(StrictMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    hold_reason = serializers.ChoiceField(
        choices=WorkOrder.HoldReason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the status is on_hold.",
    )


# Technicians, SLA policies, bookings, events ----------------------------------------


class CertificationSerializer(serializers.Serializer):
    skill = serializers.CharField(source="skill.code")
    skill_name = serializers.CharField(source="skill.name")
    level = serializers.IntegerField()
    expires_on = serializers.DateField(allow_null=True)


class ShiftSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 = Monday … 6 = Sunday.")
    starts_at = LocalTimeField()
    ends_at = LocalTimeField()


class TechnicianSerializer(serializers.ModelSerializer):
    certifications = CertificationSerializer(many=True, read_only=True)
    shifts = ShiftSerializer(many=True, read_only=True)

    class Meta:
        model = Technician
        fields = ["id", "display_name", "team", "active", "certifications", "shifts"]


class SLAPolicySerializer(serializers.ModelSerializer):
    business_day_start = LocalTimeField()
    business_day_end = LocalTimeField()

    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "tier",
            "response_minutes",
            "resolution_minutes",
            "calendar",
            "business_day_start",
            "business_day_end",
            "business_weekdays",
        ]


class BookingSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "work_order",
            "work_order_number",
            "technician",
            "starts_at",
            "ends_at",
            "travel_minutes",
            "state",
            "locked",
            "acknowledged_at",
            "en_route_at",
            "arrived_at",
            "finished_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AssignSerializer(StrictMixin, serializers.Serializer):
    work_order = serializers.PrimaryKeyRelatedField(queryset=WorkOrder.objects.all())
    technician = serializers.PrimaryKeyRelatedField(queryset=Technician.objects.all())
    day = serializers.DateField()
    position = serializers.IntegerField(
        min_value=0,
        max_value=1000,
        default=1000,
        help_text="Place in the technician's lane, 0 first; past the end means last.",
    )
    confirm = serializers.BooleanField(
        default=False,
        help_text="Accept the soft problems (customer window, SLA, overtime) a first try named.",
    )

    def validate_day(self, day: date) -> date:
        # A day no board covers is refused by the rules with its code; only days Python
        # cannot put a time zone on are refused here.
        if day.year < 2 or day.year > 9998:
            raise serializers.ValidationError(f"Give a day between {FIRST_DAY} and {LAST_DAY}.")
        return day


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username",
        allow_null=True,
        default=None,
        help_text="The login, or api:<key name> for an API key.",
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "occurred_at",
            "kind",
            "summary",
            "actor",
            "work_order",
            "technician",
            "customer",
            "before",
            "after",
            "reason",
        ]
        read_only_fields = fields


# Query filters -----------------------------------------------------------------


class SinceField(serializers.DateTimeField):
    """A moment to list changes after; 1970 to 2099 (older is everything anyway)."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if not datetime(1970, 1, 1, tzinfo=UTC) <= moment <= datetime(2100, 1, 1, tzinfo=UTC):
            raise serializers.ValidationError("Give a time between 1970 and 2099.")
        return moment


class CustomerFilter(serializers.Serializer):
    updated_since = SinceField(required=False)
    external_source = serializers.CharField(required=False, max_length=40)
    external_ref = serializers.CharField(required=False, max_length=100)


class WorkOrderFilter(CustomerFilter):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    technician = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    day = BoundedDateField(required=False, help_text="Booked on this day.")


class BookingFilter(serializers.Serializer):
    updated_since = SinceField(required=False)
    day = BoundedDateField(required=False)
    technician = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    work_order = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    state = serializers.ChoiceField(choices=Booking.State.choices, required=False)


class EventFilter(serializers.Serializer):
    occurred_since = SinceField(required=False)
    kind = serializers.ChoiceField(choices=Event.Kind.choices, required=False)
    work_order = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    customer = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    technician = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
