"""Optimizer runs: what was asked, what the solver answered, what became of it.

A run is a proposal, never a change by itself: `planning.apply` applies or
discards it. Every run is kept with its parameters, problem, solution and
metrics so a result can be explained (and reproduced) later.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class PlanRun(models.Model):
    class Kind(models.TextChoices):
        OPTIMIZE = "optimize", "Optimize the day"
        URGENT = "urgent", "Insert urgent job"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Proposal ready"
        FAILED = "failed", "Failed"
        APPLIED = "applied", "Applied"
        DISCARDED = "discarded", "Discarded"

    # The only legal moves; services check them with a conditional UPDATE so two
    # processes (a redelivered task and the original one) can never both win.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.QUEUED: frozenset({Status.RUNNING, Status.FAILED}),
        Status.RUNNING: frozenset({Status.SUCCEEDED, Status.FAILED}),
        Status.SUCCEEDED: frozenset({Status.APPLIED, Status.DISCARDED}),
        Status.FAILED: frozenset(),
        Status.APPLIED: frozenset(),
        Status.DISCARDED: frozenset(),
    }
    ACTIVE = frozenset({Status.QUEUED, Status.RUNNING})

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OPTIMIZE)
    day = models.DateField()
    technician_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    work_order = models.ForeignKey(
        "workorders.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The urgent job of an insertion run.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    time_limit_s = models.PositiveIntegerField(default=10)
    parameters = models.JSONField(default=dict, blank=True)
    problem = models.JSONField(null=True, blank=True)
    # Job/vehicle ids → work orders/technicians, epoch, fixed jobs: what routing needs
    # to turn the solver's seconds and ids back into bookings.
    context = models.JSONField(default=dict, blank=True)
    baseline = models.JSONField(default=dict, blank=True)
    solution = models.JSONField(null=True, blank=True)
    proposal = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    progress = models.JSONField(default=list, blank=True)  # [[elapsed_s, best_cost], …]
    best_cost = models.FloatField(null=True, blank=True)
    elapsed_s = models.FloatField(default=0)
    outcome = models.JSONField(default=dict, blank=True)  # applied / refused moves
    failure_reason = models.TextField(blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["day", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(time_limit_s__gte=1, time_limit_s__lte=600),
                name="planrun_time_limit_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="planrun_failed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day} #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_decidable(self) -> bool:
        return self.status == self.Status.SUCCEEDED

    @classmethod
    def can_transition(cls, current: str, target: str) -> bool:
        return target in cls.TRANSITIONS[cls.Status(current)]
