from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from technicians.roles import EDITOR_ROLES, OFFICE_ROLES, role_required
from workorders import selectors, services
from workorders.clock import next_due_at, sla_state
from workorders.forms import (
    OPEN_WORK,
    CustomerForm,
    PhotoForm,
    RequiredSkillFormSet,
    SiteFormSet,
    SLAPauseForm,
    WorkOrderFilterForm,
    WorkOrderForm,
)
from workorders.models import Customer, Site, WorkOrder
from workorders.status import TRANSITIONS, Status

PAGE_SIZE = 25


def add_service_error(form, error: Exception) -> None:
    """Show a service's refusal on the form it came from."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# Customers ---------------------------------------------------------------


@role_required(OFFICE_ROLES)
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    context = {
        "page": _page(request, selectors.customer_list(search=search)),
        "q": search,
        "query": _query_without_page(request),
    }
    template = (
        "workorders/customer_list.html#results" if request.htmx else "workorders/customer_list.html"
    )
    return render(request, template, context)


def _site_changes(formset) -> list[services.SiteChange]:
    changes = []
    for form in formset.forms:
        if not form.has_changed() and not form.instance.pk:
            continue
        data = {name: form.cleaned_data.get(name) for name in services.SITE_FIELDS}
        instance = form.instance if form.instance.pk else None
        changes.append(
            services.SiteChange(
                site=instance, data=data, delete=bool(form.cleaned_data.get("DELETE"))
            )
        )
    return changes


def _customer_form_view(request: HttpRequest, customer: Customer | None) -> HttpResponse:
    form = CustomerForm(request.POST or None, instance=customer)
    sites = SiteFormSet(request.POST or None, instance=customer or Customer(), prefix="sites")
    if request.method == "POST" and form.is_valid() and sites.is_valid():
        data = {name: form.cleaned_data[name] for name in services.CUSTOMER_FIELDS}
        try:
            if customer is None:
                customer = services.customer_create(
                    actor=request.user, data=data, sites=_site_changes(sites)
                )
            else:
                customer = services.customer_update(
                    actor=request.user, customer=customer, data=data, sites=_site_changes(sites)
                )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Customer {customer.name} saved.")
            return redirect("customer_list")
    return render(
        request,
        "workorders/customer_form.html",
        {"form": form, "sites": sites, "customer": customer},
        status=400 if form.errors or sites.total_error_count() else 200,
    )


@role_required(EDITOR_ROLES)
def customer_create(request: HttpRequest) -> HttpResponse:
    return _customer_form_view(request, None)


@role_required(EDITOR_ROLES)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _customer_form_view(request, get_object_or_404(Customer, pk=pk))


# Work orders -------------------------------------------------------------


@role_required(OFFICE_ROLES)
@require_GET
def work_order_list(request: HttpRequest) -> HttpResponse:
    # Unless a status is chosen ("Any status" included), the list shows open work, most
    # urgent first: what the office handles next, not last month's completed jobs.
    data = request.GET.copy()
    data.setdefault("status", OPEN_WORK)
    filters = WorkOrderFilterForm(data)
    criteria = filters.cleaned_data if filters.is_valid() else {"status": OPEN_WORK}
    queryset = selectors.work_order_list(
        search=criteria.get("q", ""),
        status=criteria.get("status", ""),
        sla=criteria.get("sla", ""),
        due_before=criteria.get("due_before"),
        skill=criteria.get("skill"),
    )
    page = _page(request, queryset)
    rows = [(wo, sla_state(wo), next_due_at(wo)) for wo in page]
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "query": _query_without_page(request),
    }
    template = (
        "workorders/work_order_list.html#results"
        if request.htmx
        else "workorders/work_order_list.html"
    )
    return render(request, template, context)


def _skill_requirements(formset) -> list[services.SkillRequirement]:
    return [
        services.SkillRequirement(
            skill=form.cleaned_data["skill"], min_level=form.cleaned_data["min_level"]
        )
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def _work_order_form_view(request: HttpRequest, work_order: WorkOrder | None) -> HttpResponse:
    initial_skills = (
        [{"skill": r.skill_id, "min_level": r.min_level} for r in work_order.required_skills.all()]
        if work_order
        else None
    )
    form = WorkOrderForm(request.POST or None, request.FILES or None, instance=work_order)
    skills = RequiredSkillFormSet(request.POST or None, initial=initial_skills, prefix="skills")
    if request.method == "POST" and form.is_valid() and skills.is_valid():
        data = {name: form.cleaned_data[name] for name in services.WORK_ORDER_FIELDS}
        photo = form.cleaned_data.get("photo_upload")
        try:
            if work_order is None:
                work_order = services.work_order_create(
                    actor=request.user,
                    data=data,
                    required_skills=_skill_requirements(skills),
                    photo=photo,
                )
            else:
                work_order = services.work_order_update(
                    actor=request.user,
                    work_order=work_order,
                    data=data,
                    required_skills=_skill_requirements(skills),
                    photo=photo,
                )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{work_order.number} saved.")
            return redirect("work_order_detail", pk=work_order.pk)
    has_errors = bool(form.errors or skills.total_error_count() or skills.non_form_errors())
    context = {
        "form": form,
        "skills": skills,
        "work_order": work_order,
        "site_choices": form.fields["site"].queryset,
        "selected_site": str(form["site"].value() or ""),
    }
    return render(
        request, "workorders/work_order_form.html", context, status=400 if has_errors else 200
    )


@role_required(EDITOR_ROLES)
def work_order_create(request: HttpRequest) -> HttpResponse:
    return _work_order_form_view(request, None)


@role_required(EDITOR_ROLES)
def work_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _work_order_form_view(request, get_object_or_404(WorkOrder, pk=pk))


@role_required(EDITOR_ROLES)
@require_GET
def site_options(request: HttpRequest) -> HttpResponse:
    customer_id = request.GET.get("customer", "")
    sites = (
        Site.objects.filter(customer_id=customer_id)
        if customer_id.isdigit()
        else Site.objects.none()
    )
    context = {"site_choices": sites, "selected_site": ""}
    return render(request, "workorders/work_order_form.html#site-options", context)


@role_required(OFFICE_ROLES)
@require_GET
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        work_order = selectors.work_order_detail(pk)
    except WorkOrder.DoesNotExist:
        return render(request, "404.html", status=404)
    context = {
        "work_order": work_order,
        "sla": sla_state(work_order),
        "next_due": next_due_at(work_order),
        "events": selectors.work_order_events(work_order),
        "pause_form": SLAPauseForm(),
        "photo_form": PhotoForm(),
        "status_targets": _manual_targets(work_order),
        "hold_reasons": WorkOrder.HoldReason.choices,
    }
    return render(request, "workorders/work_order_detail.html", context)


def _manual_targets(work_order: WorkOrder) -> list[tuple[str, str]]:
    # Scheduling happens on the board, where a booking is made with it.
    return [
        (target.value, target.label)
        for target in TRANSITIONS[Status(work_order.status)]
        if target != Status.SCHEDULED
    ]


def _detail_action(
    request: HttpRequest, work_order: WorkOrder, action, success: str
) -> HttpResponse:
    try:
        action()
    except (DomainError, ValidationError) as error:
        messages.error(
            request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        )
    else:
        messages.success(request, success)
    return redirect("work_order_detail", pk=work_order.pk)


@role_required(OFFICE_ROLES)
@require_POST
def work_order_sla_pause(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = get_object_or_404(WorkOrder, pk=pk)
    form = SLAPauseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A pause needs a reason (at most 200 characters).")
        return redirect("work_order_detail", pk=pk)
    return _detail_action(
        request,
        work_order,
        lambda: services.work_order_pause_sla(
            actor=request.user, work_order=work_order, reason=form.cleaned_data["reason"]
        ),
        "SLA clock paused.",
    )


@role_required(OFFICE_ROLES)
@require_POST
def work_order_sla_resume(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = get_object_or_404(WorkOrder, pk=pk)
    return _detail_action(
        request,
        work_order,
        lambda: services.work_order_resume_sla(actor=request.user, work_order=work_order),
        "SLA clock resumed; due times extended.",
    )


@role_required(EDITOR_ROLES)
@require_POST
def work_order_photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = get_object_or_404(WorkOrder, pk=pk)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("work_order_detail", pk=pk)
    return _detail_action(
        request,
        work_order,
        lambda: services.work_order_add_photo(
            actor=request.user,
            work_order=work_order,
            upload=form.cleaned_data["photo"],
            caption=form.cleaned_data["caption"],
        ),
        "Photo added.",
    )
