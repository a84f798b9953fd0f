from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing every app may use; it imports no app of the project."""

    name = "core"
    verbose_name = "Core"
