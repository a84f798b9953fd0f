from django.apps import AppConfig


class TechniciansConfig(AppConfig):
    name = "technicians"
