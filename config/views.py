"""The project's own page: the home address sends each role to its first screen."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from technicians.roles import Role, user_roles


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    if Role.DISPATCHER in roles:
        return redirect("board_today")
    if Role.MANAGER in roles:
        return redirect("dashboard")  # a manager's first question: how are we doing?
    if roles & {Role.OFFICE, Role.ADMIN}:
        return redirect("work_order_list")
    if Role.TECHNICIAN in roles:
        return redirect("my_jobs")
    raise PermissionDenied("Your account has no role yet; ask an administrator.")
