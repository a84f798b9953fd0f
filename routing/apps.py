from django.apps import AppConfig

SWEEP_ENTRY = "routing-plan-runs-sweep"


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing and planning"

    def ready(self) -> None:
        from django.conf import settings

        # Runs stuck in "running" (a worker that died and was never restarted) are failed
        # by a periodic sweep. Added here so the app brings its own schedule; a project
        # that sets the same key in CELERY_BEAT_SCHEDULE wins.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            SWEEP_ENTRY, {"task": "routing.tasks.plan_runs_sweep", "schedule": 60.0}
        )
