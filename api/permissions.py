"""May this caller do this to this resource? A key by its scopes; a person by role."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.authentication import api_key_of
from api.scopes import Resource, scope
from technicians.roles import EDITOR_ROLES, OFFICE_ROLES, PLANNER_ROLES, has_role

# A browser session reaches what the same person reaches in the office screens:
# reads for the office roles, edits for editors, the board's moves for planners. A
# technician's phone login has none of these.
SESSION_WRITE_ROLES = {
    Resource.CUSTOMERS: EDITOR_ROLES,
    Resource.WORK_ORDERS: EDITOR_ROLES,
    Resource.BOOKINGS: PLANNER_ROLES,
}


class ScopeOrRole(BasePermission):
    def has_permission(self, request, view) -> bool:
        resource: Resource = view.resource
        write = request.method not in SAFE_METHODS
        key = api_key_of(request)
        if key is not None:
            needed = scope(resource, write)
            self.message = f"This API key lacks the scope {needed}."
            return needed in key.scopes
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 with WWW-Authenticate
        self.message = "Your role does not allow this."
        roles = SESSION_WRITE_ROLES.get(resource, frozenset()) if write else OFFICE_ROLES
        return has_role(request.user, roles)
