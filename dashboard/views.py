"""The managers' SLA dashboard: read-only pages, so every view is a GET."""

from datetime import timedelta

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard import charts, exports, kpis, sql
from dashboard.definitions import definitions_for
from dashboard.drilldown import UnknownFigure, drilldown_work_orders
from dashboard.filters import DashboardFilterForm, DashboardFilters
from technicians.roles import PLANNER_ROLES, role_required

DRILLDOWN_PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[DashboardFilterForm, DashboardFilters]:
    form = DashboardFilterForm(request.GET or None)
    f = form.to_filters()
    # The From and To fields show the range the page shows, defaults included.
    if not form.is_bound:
        form = DashboardFilterForm(initial={"start": f.start, "end": f.end, "basis": f.basis})
    elif form.is_valid() and not (request.GET.get("start") and request.GET.get("end")):
        data = request.GET.copy()
        data["start"], data["end"] = f.start.isoformat(), f.end.isoformat()
        form = DashboardFilterForm(data)
    return form, f


def _panels(f: DashboardFilters) -> dict:
    """Every panel, each one query (the page renders afterwards, outside the transaction)."""
    tiers = kpis.sla_by_tier(f)
    per_day = kpis.sla_per_day(f)
    technicians = kpis.technicians(f)
    return {
        "tiers": tiers,
        "tier_rows": [(row, f.query(tier=row.tier_id)) for row in tiers],
        "total": kpis.sla_total(tiers),
        "per_day": per_day,
        "breaches": list(kpis.breaches(f)),
        "speed": kpis.speed(f),
        "quality": kpis.quality(f),
        "arrivals": kpis.arrivals(f),
        "technician_rows": [(row, f.query(technician=row.technician_id)) for row in technicians],
        "technician_totals": kpis.technician_totals(technicians, f),
        "wrong_skill": kpis.wrong_skill_visits(f),
        "activity": kpis.activity(f),
        "attainment_chart": charts.attainment_per_day(per_day, f.days),
        "breach_chart": charts.breaches_by_tier(tiers),
        "drive_chart": charts.drive_vs_wrench(technicians),
        "breach_limit": kpis.BREACH_LIST_LIMIT,
        "follow_up_days": sql.FOLLOW_UP_DAYS,
    }


@role_required(PLANNER_ROLES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form, f = _filters(request)
    with sql.read_panels():
        context = _panels(f)
    # The same span moved back past the follow-up window: first-time fix is final there.
    settled = timedelta(days=sql.FOLLOW_UP_DAYS + 1)
    context |= {
        "form": form,
        "f": f,
        "query": f.query(),
        "defs": definitions_for(f),
        "settled_query": f.query(start=f.start - settled, end=f.end - settled),
        "settled_days": settled.days,
    }
    return render(request, "dashboard/dashboard.html", context)


@role_required(PLANNER_ROLES)
@require_GET
def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    try:
        build = exports.TABLES[table]
    except KeyError:
        raise Http404("No such table.") from None
    _, f = _filters(request)
    header, rows = build(f)
    return exports.csv_response(f"dashboard-{table}-{f.start}-{f.end}.csv", header, rows)


@role_required(PLANNER_ROLES)
@require_GET
def dashboard_work_orders(request: HttpRequest) -> HttpResponse:
    """The work orders behind one dashboard number (`kpi`), as a page or as CSV."""
    form, f = _filters(request)
    kpi = request.GET.get("kpi") or "received"
    try:
        queryset = drilldown_work_orders(kpi, f)
    except UnknownFigure as error:
        raise Http404(str(error)) from None
    if request.GET.get("format") == "csv":
        return exports.csv_response(
            f"dashboard-{kpi}-{f.start}-{f.end}.csv",
            ["number", "tier", "customer", "summary", "status", "received_at", "resolved_at"],
            (
                [
                    wo.number,
                    wo.sla_policy.tier,
                    wo.customer.name,
                    wo.summary,
                    wo.get_status_display(),
                    timezone.localtime(wo.created_at),
                    wo.resolved_at and timezone.localtime(wo.resolved_at),
                ]
                for wo in queryset.iterator(chunk_size=1000)
            ),
        )
    page = Paginator(queryset, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "f": f,
        "kpi": kpi,
        "definition": definitions_for(f).get(kpi),
        "page": page,
        "query": params.urlencode(),
        "dashboard_query": f.query(),
        "late_column": kpi == "breached",
    }
    return render(request, "dashboard/work_orders.html", context)
