"""Navigation entries of the dashboard and the SLA alerts, for templates/base.html."""

from django.http import HttpRequest

from technicians.roles import PLANNER_ROLES, has_role
from workorders.selectors import open_sla_alert_count


def dashboard_nav(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not has_role(user, PLANNER_ROLES):
        return {"dashboard_nav": None}
    # One COUNT on an index of open alerts per page, for these roles only.
    return {"dashboard_nav": {"dashboard": True, "open_alerts": open_sla_alert_count()}}
