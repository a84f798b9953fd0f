from technicians.roles import Role

# Managers and administrators own the dashboard and the SLA alerts; dispatchers read
# the dashboard (it changes nothing) and work the alerts too.
DASHBOARD_ROLES = frozenset({Role.MANAGER, Role.ADMIN, Role.DISPATCHER})
