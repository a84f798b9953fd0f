from datetime import date, datetime, time

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from workorders.clock import sla_state_filter
from workorders.models import Customer, Event, SLAAlert, WorkOrder
from workorders.sla import SLAState
from workorders.status import CLOSED


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.prefetch_related("sites").order_by("name", "pk")
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(phone__icontains=search)
            | Q(email__icontains=search)
            | Q(sites__address__icontains=search)
        ).distinct()
    return qs


def work_order_list(
    *,
    search: str = "",
    status: str = "",
    sla: str = "",
    due_before: date | None = None,
    skill=None,
    now: datetime | None = None,
) -> QuerySet[WorkOrder]:
    next_due = Case(
        When(responded_at__isnull=True, then=F("response_due_at")), default=F("resolution_due_at")
    )
    # Open work first, most urgent first; closed work after it, latest first.
    closed = Case(When(status__in=CLOSED, then=Value(1)), default=Value(0))
    open_due = Case(When(status__in=CLOSED, then=Value(None)), default=next_due)
    qs = (
        WorkOrder.objects.select_related("customer", "site", "sla_policy")
        .annotate(next_due_at=next_due, closed=closed)
        .order_by(
            "closed",
            open_due.asc(nulls_last=True),
            F("resolved_at").desc(nulls_last=True),
            "pk",
        )
    )
    if search:
        qs = qs.filter(
            Q(number__icontains=search)
            | Q(summary__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(billing_reference__icontains=search)
        )
    if status == "open":
        qs = qs.exclude(status__in=CLOSED)
    elif status:
        qs = qs.filter(status=status)
    if sla:
        annotations, condition = sla_state_filter(SLAState(sla), now)
        qs = qs.annotate(**annotations).filter(condition)
    if due_before:
        limit = datetime.combine(due_before, time.min, tzinfo=timezone.get_current_timezone())
        qs = qs.filter(resolution_due_at__lt=limit)
    if skill is not None:
        qs = qs.filter(required_skills__skill=skill)
    return qs


def work_order_detail(pk: int) -> WorkOrder:
    return (
        WorkOrder.objects.select_related("customer", "site", "sla_policy")
        .prefetch_related("required_skills__skill", "photos", "sla_pauses")
        .get(pk=pk)
    )


def work_order_events(work_order: WorkOrder) -> QuerySet[Event]:
    return work_order.events.select_related("actor", "technician").order_by("-occurred_at", "-id")


def open_sla_alert_count() -> int:
    return SLAAlert.objects.filter(acknowledged_at__isnull=True).count()


def sla_alert_list(*, include_acknowledged: bool = False) -> QuerySet[SLAAlert]:
    qs = SLAAlert.objects.select_related(
        "work_order__customer", "work_order__sla_policy", "acknowledged_by"
    )
    if not include_acknowledged:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.order_by("acknowledged_at", "-raised_at", "-pk")
