from django.apps import AppConfig


class WorkordersConfig(AppConfig):
    name = "workorders"
    verbose_name = "Work orders"

    def ready(self) -> None:
        from technicians.audit import technician_changed
        from workorders.events import record_technician_event

        technician_changed.connect(record_technician_event, dispatch_uid="technician-audit")
