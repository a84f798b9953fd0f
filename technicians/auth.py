"""The login backend: Django's ModelBackend, except that loading a session's user also
loads the login's technician and group names, in the one query every request makes.

Every view checks roles (the groups) and every phone view needs the technician; read
separately, they were two more queries on each request, and the phone posts its
position every minute."""

from functools import cache

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from core.addresses import client_address
from core.rows import Columns, fetch
from technicians.models import Technician
from technicians.roles import remember_roles


@cache
def _login_query() -> tuple[str, Columns, Columns]:
    user_model = get_user_model()
    users, technicians = Columns(user_model, "u"), Columns(Technician, "t")
    groups_field = user_model._meta.get_field("groups")
    membership = groups_field.remote_field.through._meta.db_table
    sql = f"""SELECT {users.sql}, {technicians.sql},
            ARRAY(SELECT g.name FROM {Group._meta.db_table} g
                  JOIN {membership} m ON m.{groups_field.m2m_reverse_name()} = g.id
                  WHERE m.{groups_field.m2m_column_name()} = u.id) AS group_names
        FROM {users.table} u LEFT JOIN {technicians.table} t ON t.user_id = u.id
        WHERE u.id = %s"""
    return sql, users, technicians


class LoginBackend(ModelBackend):
    def get_user(self, user_id):
        sql, users, technicians = _login_query()
        try:
            rows = fetch(sql, [int(user_id)], users, technicians)
        except (TypeError, ValueError):  # a session holding something else than an id
            return None
        if not rows:
            return None
        user, technician, group_names = rows[0]
        if not self.user_can_authenticate(user):
            return None
        if technician is not None:
            user.technician = technician  # cached both ways: no query when the view asks
        remember_roles(user, group_names)
        return user


class AddressLimitBackend:
    """Refuses every login from an address with `LOGIN_ADDRESS_FAILURE_LIMIT` wrong
    passwords, whatever the usernames, within `LOGIN_LOCKOUT_MINUTES`.

    django-axes counts per (username, address): a flood of made-up usernames went round
    it, each costing a password hash. This backend runs first and reads axes's own
    attempt rows for the address (one query), so a locked-out address costs no hash."""

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        failures = AccessAttempt.objects.filter(
            ip_address=client_address(request), attempt_time__gte=since
        ).aggregate(total=Sum("failures_since_start"))["total"]
        if (failures or 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            # AxesMiddleware answers a request so marked with the lockout page (429).
            request.axes_locked_out = True
            request.login_locked_by_address = True
            raise PermissionDenied("Too many failed logins from this address.")
        return None
