from django.apps import AppConfig


class BoardConfig(AppConfig):
    """The dispatcher's board: lanes, queue, drops, ranking panel, map and live refresh."""

    name = "board"
    verbose_name = "Dispatch board"
