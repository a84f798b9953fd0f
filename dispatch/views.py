"""Office views that need the booking core: a status change (it may release the job's
booking) and the private uploaded files (a technician sees the photos of jobs booked to
them)."""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from dispatch import selectors, services
from technicians.roles import (
    EDITOR_ROLES,
    OFFICE_ROLES,
    Role,
    has_role,
    own_technician,
    role_required,
)
from workorders.models import WorkOrder, WorkOrderPhoto
from workorders.status import Status


@role_required(EDITOR_ROLES)
@require_POST
def work_order_status(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = get_object_or_404(WorkOrder, pk=pk)
    target = request.POST.get("target", "")
    if target not in Status.values:
        messages.error(request, "Choose the new status from the list.")
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


@login_required
@require_GET
def media_file(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files are private: office roles see all, a technician their own jobs'."""
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        target = (root / path).resolve()
        found = target.is_relative_to(root) and target.is_file()
    except OSError:  # a name longer than the file system allows, say: no such file
        found = False
    if not found:
        raise Http404("No such file.")
    if not has_role(request.user, OFFICE_ROLES):
        if not has_role(request.user, {Role.TECHNICIAN}):
            raise PermissionDenied
        technician = own_technician(request)
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
