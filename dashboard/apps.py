from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The manager's SLA dashboard: KPIs, charts, drill-down lists and CSV exports."""

    name = "dashboard"
    verbose_name = "Dashboard"
