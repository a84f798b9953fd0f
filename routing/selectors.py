"""Reads about plan runs, shaped for the board's plan panel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone

from routing.models import PlanRun
from technicians.models import Technician


def plan_runs_for_day(day: date, *, limit: int = 5) -> QuerySet[PlanRun]:
    return PlanRun.objects.filter(day=day).select_related("requested_by")[:limit]


def plan_run_latest(day: date) -> PlanRun | None:
    """The run the panel should show: an active or undecided one of the day."""
    return (
        PlanRun.objects.filter(
            day=day,
            status__in=[PlanRun.Status.QUEUED, PlanRun.Status.RUNNING, PlanRun.Status.SUCCEEDED],
        )
        .order_by("-created_at", "-id")
        .first()
    )


def plan_run_elapsed(run: PlanRun) -> float:
    if run.status == PlanRun.Status.RUNNING and run.started_at:
        return (timezone.now() - run.started_at).total_seconds()
    return run.elapsed_s


@dataclass(frozen=True)
class ChangeRow:
    action: str
    work_order_id: int
    number: str
    summary: str
    from_technician: str | None
    from_start: datetime | None
    to_technician: str | None
    to_start: datetime | None
    to_end: datetime | None
    reason: str


def _parse(value: str | None) -> datetime | None:
    return timezone.localtime(datetime.fromisoformat(value)) if value else None


def plan_run_change_rows(run: PlanRun) -> list[ChangeRow]:
    changes = run.proposal.get("changes", [])
    tech_ids = {
        part["technician"]
        for change in changes
        for part in (change.get("from"), change.get("to"))
        if part is not None
    }
    names = {t.pk: str(t) for t in Technician.objects.filter(pk__in=tech_ids)}
    rows = []
    for change in changes:
        was, now = change.get("from"), change.get("to")
        rows.append(
            ChangeRow(
                action=change["action"],
                work_order_id=change["work_order"],
                number=change.get("number") or f"#{change['work_order']}",
                summary=change.get("summary", ""),
                from_technician=names.get(was["technician"]) if was else None,
                from_start=_parse(was["starts_at"]) if was else None,
                to_technician=names.get(now["technician"]) if now else None,
                to_start=_parse(now["starts_at"]) if now else None,
                to_end=_parse(now.get("ends_at")) if now else None,
                reason=change.get("reason", ""),
            )
        )
    return rows
