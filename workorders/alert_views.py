"""SLA alerts for managers and dispatchers: the list and the acknowledgement."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
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
        return render(request, "workorders/alert_list.html#alert-row", {"alert": alert})
    return redirect("sla_alert_list")
