"""Roles are Django groups; each view names the roles it admits.

Checked in views (server-side); templates only use `roles` to hide links the
user could not follow anyway.
"""

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from technicians.models import Technician


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    OFFICE = "office"
    MANAGER = "manager"
    TECHNICIAN = "technician"
    ADMIN = "admin"


OFFICE_ROLES = frozenset({Role.DISPATCHER, Role.OFFICE, Role.MANAGER, Role.ADMIN})
EDITOR_ROLES = frozenset({Role.DISPATCHER, Role.OFFICE, Role.ADMIN})
# The people who run the day: the board, the optimizer, field alerts and sick calls, the
# dashboard and the SLA alerts (the one set for all of them; dispatchers read the
# dashboard, managers may plan).
PLANNER_ROLES = frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN})
STAFF_ADMIN_ROLES = frozenset({Role.OFFICE, Role.MANAGER, Role.ADMIN})


def user_roles(user) -> frozenset[Role]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_dispatch_roles", None)
    if cached is None:
        cached = remember_roles(user, user.groups.values_list("name", flat=True))
    return cached


def remember_roles(user, group_names: Iterable[str]) -> frozenset[Role]:
    """Keep the login's roles on it for this request (the login backend reads the group
    names with the user; others read them on first use)."""
    user._dispatch_roles = _roles(user, group_names)
    return user._dispatch_roles


def _roles(user, group_names: Iterable[str]) -> frozenset[Role]:
    names = set(group_names)
    roles = frozenset(role for role in Role if role.value in names)
    return roles | {Role.ADMIN} if user.is_superuser else roles


def has_role(user, roles: Iterable[Role]) -> bool:
    return bool(user_roles(user) & frozenset(roles))


def role_required(roles: Iterable[Role]) -> Callable:
    allowed = frozenset(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, allowed):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = allowed  # read by the role × view matrix test
        return wrapped

    return decorator


def technician_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The phone's views. The login backend (technicians.auth) has already loaded the
    login's technician and roles with the user: no query here."""
    return role_required({Role.TECHNICIAN})(view)


def own_technician(request: HttpRequest) -> Technician:
    """The technician record of the login (loaded with the user by technicians.auth)."""
    try:
        return request.user.technician
    except Technician.DoesNotExist:
        raise PermissionDenied("Your login is not linked to a technician.") from None


def roles_context(request: HttpRequest) -> dict:
    roles = user_roles(getattr(request, "user", None) or AnonymousUser())
    return {
        "roles": {role.value for role in roles},
        "nav": {
            "board": bool(roles & PLANNER_ROLES),
            "office": bool(roles & OFFICE_ROLES),
            "my_jobs": Role.TECHNICIAN in roles,
            "admin": Role.ADMIN in roles and request.user.is_staff,
        },
    }
