"""The dispatch board. Every drag has a plain-form twin; the server judges both."""

import json
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from board.build import build_board
from board.data import board_data
from board.forms import AssignForm, BoardFilterForm, UnassignForm
from board.map import map_points
from core.errors import DomainError
from core.responses import form_errors, refusal_response
from dispatch.assignment import (
    AssignmentRefused,
    NeedsConfirmation,
    board_assign,
    board_unassign,
)
from dispatch.days import FIRST_DAY, LAST_DAY, day_in_range
from dispatch.live import board_version
from dispatch.ranking import ORDER_IN_WORDS, rank_technicians
from dispatch.rules import may_override
from dispatch.selectors import (
    BoardFilters,
    active_booking_of,
    booked_technicians,
    next_day_with_bookings,
    open_field_alerts,
    queue_queryset,
)
from technicians.roles import OFFICE_ROLES, PLANNER_ROLES, has_role, role_required
from workorders.clock import sla_state
from workorders.models import WorkOrder
from workorders.status import Status


def board_day_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A clear 404 for a day no board covers, before any date arithmetic."""

    @wraps(view)
    def wrapped(request: HttpRequest, day: date, *args, **kwargs) -> HttpResponse:
        if not day_in_range(day):
            return render(
                request,
                "board/out_of_range.html",
                {"day": day, "first": FIRST_DAY, "last": LAST_DAY},
                status=404,
            )
        return view(request, day, *args, **kwargs)

    return wrapped


def _filters(request: HttpRequest) -> tuple[BoardFilterForm, BoardFilters]:
    form = BoardFilterForm(request.GET or None)
    if not form.is_valid():
        return form, BoardFilters()
    data = form.cleaned_data
    return form, BoardFilters(
        skill=data["skill"].pk if data.get("skill") else None,
        tier=data["tier"].pk if data.get("tier") else None,
        status=data.get("status") or "",
        team=data.get("team") or "",
    )


def _filter_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("v", None)
    return params.urlencode()


@role_required(OFFICE_ROLES)
@require_GET
def board_today(request: HttpRequest) -> HttpResponse:
    return board_day(request, timezone.localdate())


@role_required(OFFICE_ROLES)
@require_GET
@board_day_view
def board_day(request: HttpRequest, day: date) -> HttpResponse:
    form, filters = _filters(request)
    data = board_data(day, filters, timezone.now())
    can_plan = has_role(request.user, PLANNER_ROLES)
    version = board_version(day)
    context = {
        "board": build_board(data),
        "day": day,
        "filters": form,
        "filter_query": _filter_query(request),
        "version": version,
        "live_paused": version is None,
        "can_drag": can_plan and not filters.hides_lane_jobs,
        "drag_paused_by_filter": can_plan and filters.hides_lane_jobs,
        "can_plan": can_plan,
        "previous_day": day - timedelta(days=1) if day > FIRST_DAY else None,
        "next_day": day + timedelta(days=1) if day < LAST_DAY else None,
        "is_today": day == timezone.localdate(),
        "map_data": map_points(data),
        "tile_url": settings.MAP_TILE_URL,
        # An empty board says where the work is (a weekend, a day not planned yet).
        "next_busy_day": None
        if any(data.lanes.values()) or filters.hides_lane_jobs
        else next_day_with_bookings(day),
        # A filter that leaves the lanes empty says so (the day itself may be busy).
        "nothing_matches": filters.hides_lane_jobs and not any(data.lanes.values()),
        "alerts": open_field_alerts(day),
    }
    return render(request, "board/board.html", context)


@role_required(OFFICE_ROLES)
@require_GET
@board_day_view
def board_poll(request: HttpRequest, day: date) -> HttpResponse:
    """204 while nothing changed (one Redis GET); otherwise fresh lanes and queue.

    When Redis cannot be reached the board is told live updates are paused; it keeps
    polling and refreshes itself once the version can be read again."""
    try:
        known = int(request.GET.get("v", "-1"))
    except ValueError:
        known = -1
    current = board_version(day)
    if current is None:
        # Changes made meanwhile cannot be announced: the board forgets its version so
        # that the first poll after Redis is back refreshes everything.
        return render(
            request,
            "board/paused.html",
            {"day": day, "version": -1, "filter_query": _filter_query(request)},
        )
    if current == known:
        return HttpResponse(status=204)
    _, filters = _filters(request)
    board = build_board(board_data(day, filters, timezone.now()), oob=True)
    response = render(
        request,
        "board/refresh.html",
        {
            "board": board,
            "day": day,
            "version": current,
            "filter_query": _filter_query(request),
            "live": True,
            "alerts": open_field_alerts(day),
            "can_plan": has_role(request.user, PLANNER_ROLES),
            "is_today": day == timezone.localdate(),
        },
    )
    response["HX-Trigger"] = "board-changed"
    return response


@role_required(OFFICE_ROLES)
@require_GET
@board_day_view
def board_map(request: HttpRequest, day: date) -> HttpResponse:
    _, filters = _filters(request)
    return JsonResponse(map_points(board_data(day, filters, timezone.now())))


def _refresh_response(
    request: HttpRequest,
    day: date,
    technician_ids: set[int],
    dialog: str,
    dialog_context: dict,
    queue: str = "full",
    removed_from_queue: int | None = None,
    done_with: int | None = None,
) -> HttpResponse:
    """Lanes of `technician_ids` out of band, plus the queue: re-rendered (`full`), one
    card removed (`removed_from_queue`) or left alone (`none`). `done_with`: the work
    order a finished action placed; the page closes its dialog and points the card out."""
    _, filters = _filters(request)
    data = board_data(
        day, filters, timezone.now(), technician_ids=technician_ids, with_queue=queue == "full"
    )
    context = {
        "board": build_board(data, oob=True),
        "day": day,
        "version": board_version(day),
        "filter_query": _filter_query(request),
        "dialog": dialog,
        "removed_from_queue": removed_from_queue,
        "queue_count": queue_queryset(filters).count() if removed_from_queue else None,
        **dialog_context,
    }
    response = render(request, "board/refresh.html", context)
    if dialog == "done":
        response["HX-Trigger"] = "board-changed"
        # After the swap: the placed card is in the page by then.
        response["HX-Trigger-After-Settle"] = json.dumps({"board-placed": done_with})
    return response


def _refused(request: HttpRequest, day: date, involved: set[int], message: str) -> HttpResponse:
    """The dialog shows the refusal (htmx), or the board shows it after a redirect."""
    return refusal_response(
        request,
        message,
        redirect_to=_board_url(day, request),
        fragment=lambda: _refresh_response(request, day, involved, "error", {"message": message}),
    )


@role_required(PLANNER_ROLES)
@require_POST
@board_day_view
def board_assign_view(request: HttpRequest, day: date) -> HttpResponse:
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _refused(request, day, set(), form_errors(form))
    work_order, technician = form.cleaned_data["work_order"], form.cleaned_data["technician"]
    involved = booked_technicians(work_order, {technician.pk})
    from_queue = work_order.status == Status.NEW
    try:
        outcome = board_assign(
            actor=request.user,
            work_order=work_order,
            technician=technician,
            day=day,
            position=form.cleaned_data["position"],
            expected_fingerprints=form.expected_fingerprints(),
            confirm=form.cleaned_data["confirm"],
            override_reason=form.cleaned_data["override_reason"],
        )
    except NeedsConfirmation as refusal:
        return _ask(request, day, involved, "confirm", refusal.problems, form, overridable=False)
    except AssignmentRefused as refusal:
        return _ask(
            request,
            day,
            involved,
            "refused",
            refusal.problems,
            form,
            overridable=refusal.overridable,
        )
    except DomainError as error:
        return _refused(request, day, involved, str(error))
    text = f"{work_order.number} assigned to {technician} at {timezone.localtime(outcome.booking.starts_at):%H:%M}."
    if request.htmx:
        return _refresh_response(
            request,
            day,
            involved | outcome.technician_ids,
            "done",
            {"message": text},
            queue="none",
            removed_from_queue=work_order.pk if from_queue else None,
            done_with=work_order.pk,
        )
    messages.success(request, text)
    return redirect(_board_url(day, request))


def _ask(request, day, involved, kind, problems, form, overridable) -> HttpResponse:
    context = {
        "message": "",
        "problems": problems,
        "kind": kind,
        "values": {
            k: v
            for k, v in form.data.items()
            if k not in ("csrfmiddlewaretoken", "confirm", "override_reason")
        },
        "overridable": overridable,
    }
    if request.htmx:
        return _refresh_response(request, day, involved, kind, context)
    return render(
        request,
        "board/confirm.html",
        context | {"day": day},
        status=409 if kind == "refused" else 200,
    )


@role_required(PLANNER_ROLES)
@require_POST
@board_day_view
def board_unassign_view(request: HttpRequest, day: date) -> HttpResponse:
    form = UnassignForm(request.POST)
    if not form.is_valid():
        return _refused(request, day, set(), form_errors(form))
    work_order = form.cleaned_data["work_order"]
    involved = booked_technicians(work_order, set())
    try:
        board_unassign(
            actor=request.user,
            work_order=work_order,
            expected_fingerprint=form.cleaned_data["source_fingerprint"],
        )
    except DomainError as error:
        return _refused(request, day, involved, str(error))
    text = f"{work_order.number} is back in the queue."
    if request.htmx:
        return _refresh_response(
            request, day, involved, "done", {"message": text}, done_with=work_order.pk
        )
    messages.success(request, text)
    return redirect(_board_url(day, request))


@role_required(OFFICE_ROLES)
@require_GET
@board_day_view
def board_job(request: HttpRequest, day: date, pk: int) -> HttpResponse:
    """The ranking for one work order, the keyboard form to place it, and unassign."""
    work_order = get_object_or_404(
        WorkOrder.objects.select_related("site", "customer", "sla_policy"), pk=pk
    )
    context = {
        "day": day,
        "work_order": work_order,
        "ranking": rank_technicians(work_order, day),
        "ranking_order": ORDER_IN_WORDS,
        "booking": active_booking_of(work_order.pk),
        "can_drag": has_role(request.user, PLANNER_ROLES),
        "can_override": may_override(request.user),
        "assign_form": AssignForm(initial={"work_order": work_order.pk}),
        "board_url": _board_url(day, request),
    }
    template = "board/job.html#job-panel" if request.htmx else "board/job.html"
    return render(request, template, context)


@role_required(OFFICE_ROLES)
@require_GET
@board_day_view
def board_card(request: HttpRequest, day: date, pk: int) -> HttpResponse:
    """Everything about one card, shown on hover or keyboard focus (fetched once)."""
    work_order = get_object_or_404(
        WorkOrder.objects.select_related("site", "customer", "sla_policy").prefetch_related(
            "required_skills__skill"
        ),
        pk=pk,
    )
    context = {
        "work_order": work_order,
        "booking": active_booking_of(work_order.pk),
        "sla": sla_state(work_order),
    }
    return render(request, "board/card_detail.html", context)


def _board_url(day: date, request: HttpRequest) -> str:
    url = reverse("board_day", args=[day])
    next_query = request.POST.get("filter_query") or ""
    return f"{url}?{next_query}" if next_query else url
