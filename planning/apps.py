from django.apps import AppConfig


class PlanningConfig(AppConfig):
    """Optimizer runs on the board: start, watch, accept or discard a plan; urgent insertion."""

    name = "planning"
    verbose_name = "Planning"
