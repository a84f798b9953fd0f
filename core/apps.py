from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing every app may use; it imports no app of the project."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Once, before any app's urls.py is read: `<isodate:day>` in board and field paths.
        from django.urls import register_converter

        from core.converters import IsoDateConverter

        register_converter(IsoDateConverter, "isodate")
