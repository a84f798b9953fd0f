"""The SLA clock of a work order: glue between the model and workorders.sla."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from workorders.models import SLAPolicy, WorkOrder
from workorders.sla import (
    BusinessCalendar,
    SLADueTimes,
    SLAState,
    SLATarget,
    compute_due_times,
    evaluate_state,
)
from workorders.status import Status


def calendar_for(policy: SLAPolicy) -> BusinessCalendar:
    return BusinessCalendar(
        always_open=policy.calendar == SLAPolicy.Calendar.ALWAYS,
        day_start=policy.business_day_start,
        day_end=policy.business_day_end,
        weekdays=frozenset(policy.business_weekdays),
        tz=ZoneInfo(settings.TIME_ZONE),
    )


def apply_due_times(work_order: WorkOrder) -> None:
    """Recompute the stored due times from policy, start and paused minutes (no save)."""
    policy = work_order.sla_policy
    due = compute_due_times(
        started_at=work_order.sla_started_at,
        response_minutes=policy.response_minutes,
        resolution_minutes=policy.resolution_minutes,
        paused_minutes=work_order.sla_paused_minutes,
        at_risk_fraction=settings.SLA_AT_RISK_FRACTION,
        calendar=calendar_for(policy),
    )
    work_order.response_due_at = due.response_due_at
    work_order.response_at_risk_at = due.response_at_risk_at
    work_order.resolution_due_at = due.resolution_due_at
    work_order.resolution_at_risk_at = due.resolution_at_risk_at


def due_times_of(work_order: WorkOrder) -> SLADueTimes:
    return SLADueTimes(
        response_due_at=work_order.response_due_at,
        response_at_risk_at=work_order.response_at_risk_at,
        resolution_due_at=work_order.resolution_due_at,
        resolution_at_risk_at=work_order.resolution_at_risk_at,
    )


def sla_state(work_order: WorkOrder, now: datetime | None = None) -> SLAState:
    return evaluate_state(
        now=now or timezone.now(),
        paused_since=work_order.sla_paused_since,
        due=due_times_of(work_order),
        responded_at=work_order.responded_at,
        resolved_at=work_order.resolved_at,
        cancelled=work_order.status == Status.CANCELLED,
    )


def next_due_at(work_order: WorkOrder) -> datetime | None:
    """The due time the clock is running against now: response first, then resolution."""
    if work_order.status == Status.CANCELLED or work_order.resolved_at:
        return None
    if work_order.responded_at is None:
        return work_order.response_due_at
    return work_order.resolution_due_at


def _clock_expression(now: datetime):
    return Coalesce(F("sla_paused_since"), Value(now))


def sla_state_filter(state: SLAState, now: datetime | None = None) -> tuple[dict, Q]:
    """(annotations, Q) selecting work orders in `state`; mirrors evaluate_state in SQL."""
    annotations = {"sla_clock": _clock_expression(now or timezone.now())}
    breached = (
        Q(responded_at__isnull=True, response_due_at__lt=F("sla_clock"))
        | Q(responded_at__gt=F("response_due_at"))
        | Q(resolved_at__isnull=True, resolution_due_at__lt=F("sla_clock"))
        | Q(resolved_at__gt=F("resolution_due_at"))
    )
    warning = Q(responded_at__isnull=True, response_at_risk_at__lte=F("sla_clock")) | Q(
        resolved_at__isnull=True, resolution_at_risk_at__lte=F("sla_clock")
    )
    live = ~Q(status=Status.CANCELLED)
    match state:
        case SLAState.BREACHED:
            condition = live & breached
        case SLAState.AT_RISK:
            condition = live & ~breached & warning
        case SLAState.OK:
            condition = live & ~breached & ~warning
        case _:
            condition = Q(status=Status.CANCELLED)
    return annotations, condition


@dataclass(frozen=True)
class TargetConditions:
    """SQL conditions on one SLA target of a work order; `clock` names the annotation
    holding the moment the clock is judged at (see `clock_annotation`)."""

    met: Q
    breached: Q
    at_risk: Q
    pending: Q


def clock_annotation(now: datetime | None = None) -> dict:
    """{"sla_clock": …}: now, or the moment a paused clock stopped (mirrors evaluate_state)."""
    return {"sla_clock": _clock_expression(now or timezone.now())}


def target_conditions(target: SLATarget) -> TargetConditions:
    """Met / breached / at risk / pending of one target, mirroring evaluate_state per target.

    Cancelled work orders are not excluded here; callers scope their querysets."""
    done = "responded_at" if target == SLATarget.RESPONSE else "resolved_at"
    due = f"{target.value}_due_at"
    warn = f"{target.value}_at_risk_at"
    return TargetConditions(
        met=Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)}),
        breached=Q(**{f"{done}__isnull": False, f"{done}__gt": F(due)})
        | Q(**{f"{done}__isnull": True, f"{due}__lt": F("sla_clock")}),
        at_risk=Q(
            **{
                f"{done}__isnull": True,
                f"{warn}__lte": F("sla_clock"),
                f"{due}__gte": F("sla_clock"),
            }
        ),
        pending=Q(**{f"{done}__isnull": True, f"{warn}__gt": F("sla_clock")}),
    )
