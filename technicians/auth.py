"""The login backend: Django's ModelBackend, except that loading a session's user also
loads the login's technician and group names, in the one query every request makes.

Every view checks roles (the groups) and every phone view needs the technician; read
separately, they were two more queries on each request, and the phone posts its
position every minute."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group

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
