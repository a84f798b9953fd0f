import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dispatch import selectors, services
from technicians.models import Technician
from technicians.roles import EDITOR_ROLES, OFFICE_ROLES, Role, has_role, role_required, user_roles
from workorders.errors import DomainError
from workorders.models import WorkOrder, WorkOrderPhoto
from workorders.status import TECHNICIAN_REPORTED, Status


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    if Role.DISPATCHER in roles:
        return redirect("board_today")
    if roles & {Role.OFFICE, Role.MANAGER, Role.ADMIN}:
        return redirect("work_order_list")
    if Role.TECHNICIAN in roles:
        return redirect("my_jobs")
    raise PermissionDenied("Your account has no role yet; ask an administrator.")


@role_required(EDITOR_ROLES)
@require_POST
def work_order_status(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = get_object_or_404(WorkOrder, pk=pk)
    target = request.POST.get("target", "")
    if target not in Status.values:
        messages.error(request, f"“{target}” is not a work order status.")
        return redirect("work_order_detail", pk=pk)
    try:
        services.work_order_change_status(
            actor=request.user,
            work_order=work_order,
            target=Status(target),
            hold_reason=request.POST.get("hold_reason", ""),
            reason=request.POST.get("reason", "")[:500],
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{work_order.number} is now {Status(target).label.lower()}.")
    return redirect("work_order_detail", pk=pk)


def _own_technician(request: HttpRequest) -> Technician:
    try:
        return request.user.technician
    except Technician.DoesNotExist:
        raise PermissionDenied("Your login is not linked to a technician.") from None


@role_required({Role.TECHNICIAN})
@require_GET
def my_jobs(request: HttpRequest) -> HttpResponse:
    technician = _own_technician(request)
    today = timezone.localdate()
    bookings = selectors.technician_bookings(technician, today)
    return render(
        request,
        "dispatch/my_jobs.html",
        {"technician": technician, "bookings": bookings, "day": today},
    )


@role_required({Role.TECHNICIAN})
@require_POST
def my_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    technician = _own_technician(request)
    if not selectors.technician_owns_work_order(technician, pk):
        raise PermissionDenied("That job is not assigned to you.")
    work_order = get_object_or_404(WorkOrder, pk=pk)
    target = request.POST.get("target", "")
    if target not in TECHNICIAN_REPORTED:
        messages.error(request, "Technicians can report en route, on site or completed only.")
        return redirect("my_jobs")
    try:
        services.technician_report_status(
            actor=request.user, technician=technician, work_order=work_order, target=Status(target)
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{work_order.number}: {Status(target).label.lower()}.")
    return redirect("my_jobs")


@login_required
@require_GET
def media_file(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files are private: office roles see all, a technician their own jobs'."""
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise Http404("No such file.")
    if not has_role(request.user, OFFICE_ROLES):
        if not has_role(request.user, {Role.TECHNICIAN}):
            raise PermissionDenied
        technician = _own_technician(request)
        photo = (
            WorkOrderPhoto.objects.filter(image=path).first()
            or WorkOrderPhoto.objects.filter(thumbnail=path).first()
        )
        own_photo = path in (technician.photo.name, technician.photo_thumbnail.name)
        if not own_photo and (
            photo is None
            or not selectors.technician_owns_work_order(technician, photo.work_order_id)
        ):
            raise PermissionDenied
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    response = FileResponse(target.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
