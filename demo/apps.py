from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data with history: `manage.py seed_demo`."""

    name = "demo"
    verbose_name = "Demo data"
