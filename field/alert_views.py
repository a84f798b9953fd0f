"""The board's answers to the field: alerts (dismiss, propose a re-plan) and sick calls.

Plain forms that redirect back to the board, where the optimizer panel shows the
proposal to accept or discard."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.responses import refusal_response, safe_next
from dispatch.models import FieldAlert
from field.phone import field_alert_dismiss
from field.replan import overrun_propose, technician_unavailable_from_now
from technicians.models import Technician
from technicians.roles import PLANNER_ROLES, role_required


def _back(request: HttpRequest, day) -> str:
    return safe_next(request, reverse("board_day", args=[day]))


@role_required(PLANNER_ROLES)
@require_POST
def field_alert_dismiss_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(FieldAlert, pk=pk)
    try:
        field_alert_dismiss(actor=request.user, alert=alert)
    except DomainError as error:
        messages.error(request, str(error))
    return redirect(_back(request, alert.day))


@role_required(PLANNER_ROLES)
@require_POST
def field_alert_propose_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(FieldAlert, pk=pk)
    try:
        run = overrun_propose(actor=request.user, alert=alert)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"Proposal #{run.pk} for {alert.technician}'s later jobs is ready.")
    return redirect(_back(request, alert.day))


@role_required(PLANNER_ROLES)
@require_POST
def technician_unavailable_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        technician_id = int(request.POST.get("technician", ""))
    except ValueError:
        technician_id = 0
    technician = Technician.objects.filter(pk=technician_id, active=True).first()
    if technician is None:
        return refusal_response(
            request, "Choose a technician from the list.", redirect_to=_back(request, today)
        )
    try:
        run = technician_unavailable_from_now(
            actor=request.user, technician=technician, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        if run is None:
            messages.info(request, f"{technician} is off from now; no job of theirs had to move.")
        else:
            messages.info(
                request, f"{technician} is off from now: proposal #{run.pk} re-plans their jobs."
            )
    return redirect(_back(request, today))
