"""API keys (one per integration) and the answers kept for idempotent retries."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from api.scopes import SCOPE_CHOICES


class ApiKey(models.Model):
    """A key an admin made for one integration. Only the SHA-256 of the key is stored
    (the key is 256 random bits, so a fast hash is enough: nothing to brute-force);
    the key itself is shown once, when it is made.

    Each key acts through a user of its own (`actor`: no password, never active, no
    role), so every write it makes goes through the services and lands in the event
    log with the key's name as actor, like any person's."""

    name = models.SlugField(
        max_length=60, unique=True, help_text="The integration, e.g. crm-sync (letters, digits, -)."
    )
    prefix = models.CharField(
        max_length=16, unique=True, editable=False, help_text="The key's first characters."
    )
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(models.CharField(max_length=30, choices=SCOPE_CHOICES), default=list)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    actor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return self.name

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an `Idempotency-Key`, replayed to every retry.

    Keys are per caller (the key's own actor, or the person behind a browser session):
    another integration's key never collides. The unique constraint is also the lock
    of two concurrent retries: the second insert waits for the first transaction and
    then finds its answer."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path and body of the first request."
    )
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="idempotency_key_once_per_actor"),
            models.CheckConstraint(condition=~Q(key=""), name="idempotency_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id}:{self.key}"
