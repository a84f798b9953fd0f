from django.apps import AppConfig


class FieldConfig(AppConfig):
    """The technician's phone, positions and ETAs, overrun and sick-call re-plans, field alerts."""

    name = "field"
    verbose_name = "Field work"
