from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.errors import DomainError
from technicians import selectors, services
from technicians.forms import (
    CertificationFormSetFactory,
    ShiftFormSetFactory,
    TechnicianForm,
    TimeOffFormSetFactory,
)
from technicians.models import Technician
from technicians.roles import OFFICE_ROLES, STAFF_ADMIN_ROLES, role_required


def _rows(formset) -> list[dict]:
    return [
        {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


@role_required(OFFICE_ROLES)
@require_GET
def technician_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    page = Paginator(
        selectors.technician_list(search=search).prefetch_related("certifications__skill"), 25
    ).get_page(request.GET.get("page"))
    context = {"page": page, "q": search, "today": timezone.localdate()}
    template = (
        "technicians/technician_list.html#results"
        if request.htmx
        else "technicians/technician_list.html"
    )
    return render(request, template, context)


@role_required(STAFF_ADMIN_ROLES)
def technician_edit(request: HttpRequest, pk: int) -> HttpResponse:
    technician = get_object_or_404(Technician, pk=pk)
    post, files = request.POST or None, request.FILES or None
    form = TechnicianForm(post, files, instance=technician)
    certs = CertificationFormSetFactory(
        post,
        prefix="certs",
        initial=[
            {"skill": c.skill_id, "level": c.level, "expires_on": c.expires_on}
            for c in technician.certifications.all()
        ],
    )
    shifts = ShiftFormSetFactory(
        post,
        prefix="shifts",
        initial=[
            {"weekday": s.weekday, "starts_at": s.starts_at, "ends_at": s.ends_at}
            for s in technician.shifts.all()
        ],
    )
    time_off = TimeOffFormSetFactory(
        post,
        prefix="timeoff",
        initial=[
            {
                "kind": t.kind,
                "starts_at": timezone.localtime(t.starts_at),
                "ends_at": timezone.localtime(t.ends_at),
                "reason": t.reason,
            }
            for t in technician.time_off.all()
        ],
    )
    formsets = [certs, shifts, time_off]
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets):
        try:
            services.technician_update(
                actor=request.user,
                technician=technician,
                data={name: form.cleaned_data[name] for name in services.TECHNICIAN_FIELDS},
                certifications=[services.CertificationData(**row) for row in _rows(certs)],
                shifts=[services.ShiftData(**row) for row in _rows(shifts)],
                time_off=[services.TimeOffData(**row) for row in _rows(time_off)],
                photo=form.cleaned_data.get("photo_upload"),
                expected_time_off=form.cleaned_data.get("time_off_fingerprint", ""),
            )
        except (DomainError, ValidationError) as error:
            form.add_error(
                None, error.messages if isinstance(error, ValidationError) else str(error)
            )
        else:
            messages.success(request, f"{technician} saved.")
            return redirect("technician_list")
    has_errors = bool(form.errors or any(f.total_error_count() for f in formsets))
    context = {
        "form": form,
        "certs": certs,
        "shifts": shifts,
        "time_off": time_off,
        "technician": technician,
        "today": timezone.localdate(),
    }
    return render(
        request, "technicians/technician_form.html", context, status=400 if has_errors else 200
    )
