"""SLA alerts for managers and dispatchers: the list and the acknowledgement."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.responses import refusal_response, safe_next
from technicians.roles import PLANNER_ROLES, role_required
from workorders import alerts, selectors
from workorders.models import SLAAlert


@role_required(PLANNER_ROLES)
@require_GET
def sla_alert_list(request: HttpRequest) -> HttpResponse:
    include_acknowledged = request.GET.get("all") == "1"
    page = Paginator(
        selectors.sla_alert_list(include_acknowledged=include_acknowledged), 50
    ).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "include_acknowledged": include_acknowledged,
        "query": "all=1" if include_acknowledged else "",
        "levels": SLAAlert.Level.choices,
    }
    return render(request, "workorders/alert_list.html", context)


@role_required(PLANNER_ROLES)
@require_POST
def sla_alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(SLAAlert, pk=pk)
    try:
        alert = alerts.sla_alert_acknowledge(actor=request.user, alert=alert)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Alert acknowledged.")
    if request.htmx:
        alert.refresh_from_db()
        # The row, and the navigation badge out of band.
        row = render(request, "workorders/alert_list.html#alert-row", {"alert": alert})
        badge = render(
            request,
            "partials/nav_alerts.html",
            {"open_alerts": selectors.open_sla_alert_count(), "oob": True},
        )
        return HttpResponse(row.content + badge.content)
    return redirect("sla_alert_list")


@role_required(PLANNER_ROLES)
@require_POST
def sla_alerts_acknowledge_view(request: HttpRequest) -> HttpResponse:
    """Acknowledge in bulk: the alerts the page showed, or every open alert of a level."""
    back = safe_next(request, reverse("sla_alert_list"))
    scope = request.POST.get("scope", "")
    try:
        if scope == "shown":
            try:
                ids = [int(value) for value in request.POST.getlist("alert")]
            except ValueError:
                raise DomainError("The list of alerts was not valid; reload the page.") from None
            count = alerts.sla_alerts_acknowledge(actor=request.user, alert_ids=ids)
        elif scope == "level":
            count = alerts.sla_alerts_acknowledge(
                actor=request.user, level=request.POST.get("level", "")
            )
        else:
            raise DomainError("Say which alerts to acknowledge.")
    except DomainError as error:
        return refusal_response(request, str(error), redirect_to=back)
    messages.success(
        request,
        f"{count} alert{'s' if count != 1 else ''} acknowledged."
        if count
        else "Nothing to acknowledge: those alerts were already acknowledged.",
    )
    return redirect(back)


@role_required(PLANNER_ROLES)
@require_GET
def sla_alert_badge(request: HttpRequest) -> HttpResponse:
    """The navigation badge, polled by every page of these roles."""
    return render(
        request, "partials/nav_alerts.html", {"open_alerts": selectors.open_sla_alert_count()}
    )
