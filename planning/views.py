"""Board actions of the optimizer: start, watch, accept or discard a plan; urgent insertion.

Every action is a plain form POST that redirects (to `next` when it is a local URL,
else the run's page); with htmx the same endpoints answer with the fragment to swap.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.responses import refusal_response, safe_next
from dispatch.days import day_in_range
from dispatch.selectors import urgent_candidates
from planning import apply as plan_apply
from planning import optimize, urgent
from routing import selectors
from routing.models import PlanRun
from routing.services import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S, worker_queue_available
from technicians.roles import PLANNER_ROLES, role_required
from workorders.models import WorkOrder


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Http404("Not a date.") from None


def _sparkline(progress: list, width: int = 160, height: int = 32) -> str:
    """SVG polyline points of the best cost over time (lower is better)."""
    if len(progress) < 2:
        return ""
    times = [p[0] for p in progress]
    costs = [p[1] for p in progress]
    t0, t1 = min(times), max(times) or 1
    c0, c1 = min(costs), max(costs)
    span_t = (t1 - t0) or 1
    span_c = (c1 - c0) or 1
    return " ".join(
        f"{(t - t0) / span_t * width:.1f},{(c1 - c) / span_c * (height - 4) + 2:.1f}"
        for t, c in zip(times, costs, strict=True)
    )


def _more_or_less(saved: float, unit: str) -> str:
    if saved > 0:
        return f"{saved:g} {unit} less"
    if saved < 0:
        return f"{-saved:g} {unit} more"
    return "no change"


def plan_summary(metrics: dict) -> list[tuple[str, str]]:
    """An optimizer proposal's effect in words: driving with the right sign (a plan
    that serves more jobs may drive more), SLA breaches, no internal cost figures."""
    if "km_before" not in metrics:
        return []
    more_jobs = metrics.get("extra_jobs", 0)
    serving = (
        f", serving {more_jobs} more job{'s' if more_jobs != 1 else ''}" if more_jobs > 0 else ""
    )
    avoided = metrics["sla_breaches_avoided"]
    breaches = (
        f"{avoided} avoided" if avoided > 0 else f"{-avoided} more" if avoided < 0 else "no change"
    )
    return [
        (
            "Driving",
            f"{metrics['km_before']:g} → {metrics['km_after']:g} km "
            f"({_more_or_less(metrics['km_saved'], 'km')}), "
            f"{metrics['travel_hours_before']:g} → {metrics['travel_hours_after']:g} h "
            f"({_more_or_less(metrics['hours_saved'], 'h')}){serving}",
        ),
        (
            "SLA breaches",
            f"{metrics['sla_breaches_before']} → {metrics['sla_breaches_after']} ({breaches})",
        ),
    ]


def _run_context(run: PlanRun) -> dict:
    return {
        "summary": plan_summary(run.metrics or {}),
        "run": run,
        "elapsed": selectors.plan_run_elapsed(run),
        "sparkline": _sparkline(run.progress),
        "rows": selectors.plan_run_change_rows(run) if run.proposal else [],
        "metrics": run.metrics,
    }


def _render_run(request: HttpRequest, run: PlanRun, **extra) -> HttpResponse:
    context = {**_run_context(run), "next": safe_next(request, ""), **extra}
    return render(request, "planning/run_fragment.html", context)


@role_required(PLANNER_ROLES)
@require_GET
def plan_panel(request: HttpRequest, day: str) -> HttpResponse:
    """The panel's body, loaded by the board's include (hx-trigger=load) or refreshed."""
    the_day = _day(day)
    latest = selectors.plan_run_latest(the_day)
    return render(
        request,
        "planning/panel_body.html",
        {
            "day": the_day,
            "latest": latest,
            "recent": selectors.plan_runs_for_day(the_day),
            "urgent_candidates": urgent_candidates(),
            "queue_available": worker_queue_available(),
            "team": request.GET.get("team", ""),
            "next": request.GET.get("next", ""),
            "default_limit": DEFAULT_TIME_LIMIT_S,
            "max_limit": MAX_TIME_LIMIT_S,
            **(_run_context(latest) if latest else {}),
        },
    )


@role_required(PLANNER_ROLES)
@require_POST
def plan_start(request: HttpRequest, day: str) -> HttpResponse:
    the_day = _day(day)
    try:
        limit = int(request.POST.get("time_limit") or DEFAULT_TIME_LIMIT_S)
    except ValueError:
        limit = -1
    raw_ids = request.POST.getlist("technician")
    try:
        technician_ids = [int(v) for v in raw_ids] if raw_ids else None
    except ValueError:
        technician_ids = []
    try:
        run = optimize.plan_run_start(
            actor=request.user,
            day=the_day,
            technician_ids=technician_ids,
            team=request.POST.get("team", "").strip(),
            time_limit_s=limit,
        )
    except DomainError as error:
        return _refused(request, the_day, error)
    if request.htmx:
        return _render_run(request, run)
    messages.info(request, f"Optimizing {the_day:%a %b %d}: the proposal will appear on the board.")
    return redirect(safe_next(request, run_url(run)))


def _refused(request: HttpRequest, the_day, error: DomainError) -> HttpResponse:
    message = str(error)
    # A day no board covers has no board to go back to: today's, then.
    board = (
        reverse("board_day", args=[the_day]) if day_in_range(the_day) else reverse("board_today")
    )
    return refusal_response(
        request,
        message,
        redirect_to=safe_next(request, board),
        fragment=lambda: render(request, "planning/error.html", {"error": message}),
    )


def _run_refused(request: HttpRequest, run: PlanRun, message: str) -> HttpResponse:
    return refusal_response(
        request,
        message,
        redirect_to=safe_next(request, run_url(run)),
        fragment=lambda: _render_run(request, run, error=message),
    )


def run_url(run: PlanRun) -> str:
    return reverse("plan_run_detail", args=[run.pk])


@role_required(PLANNER_ROLES)
@require_GET
def plan_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PlanRun, pk=pk)
    return render(request, "planning/run.html", _run_context(run))


@role_required(PLANNER_ROLES)
@require_GET
def plan_run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled every second while the run is queued/running; then it returns the proposal."""
    run = get_object_or_404(PlanRun, pk=pk)
    return _render_run(request, run)


@role_required(PLANNER_ROLES)
@require_POST
def plan_run_accept(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PlanRun, pk=pk)
    try:
        outcome = plan_apply.plan_run_apply(actor=request.user, run=run)
    except DomainError as error:
        return _run_refused(request, run, str(error))
    run.refresh_from_db()
    if request.htmx:
        response = _render_run(request, run)
        response["HX-Trigger"] = "board-changed"
        return response
    messages.success(request, f"Plan applied: {len(outcome.applied)} change(s).")
    for line in outcome.refused:
        messages.warning(request, f"Refused — {line}")
    return redirect(safe_next(request, run_url(run)))


@role_required(PLANNER_ROLES)
@require_POST
def plan_run_discard(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PlanRun, pk=pk)
    try:
        plan_apply.plan_run_discard(actor=request.user, run=run)
    except DomainError as error:
        return _run_refused(request, run, str(error))
    run.refresh_from_db()
    if request.htmx:
        return _render_run(request, run)
    messages.info(request, "Plan discarded; the board is unchanged.")
    return redirect(safe_next(request, run_url(run)))


@role_required(PLANNER_ROLES)
@require_POST
def plan_urgent(request: HttpRequest, day: str, work_order_id: int | None = None) -> HttpResponse:
    the_day = _day(day)
    if work_order_id is None:
        try:
            work_order_id = int(request.POST.get("work_order", ""))
        except ValueError:
            work_order_id = 0
    work_order = WorkOrder.objects.filter(pk=work_order_id).first()
    if work_order is None:
        return _refused(
            request,
            the_day,
            DomainError("That work order does not exist; choose one from the list."),
        )
    try:
        run = urgent.urgent_insertion_propose(
            actor=request.user, work_order=work_order, day=the_day
        )
    except DomainError as error:
        return _refused(request, the_day, error)
    if request.htmx:
        return _render_run(request, run)
    return redirect(safe_next(request, run_url(run)))
