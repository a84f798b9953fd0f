"""Making and revoking API keys. Each function is one transaction."""

import secrets
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from api.keys import KEY_PREFIX, SHOWN_CHARACTERS, hash_key
from api.models import ApiKey
from api.scopes import ALL_SCOPES
from core.errors import DomainError


def actor_username(name: str) -> str:
    return f"api:{name}"


@transaction.atomic
def api_key_create(
    *, actor, name: str, scopes: list[str], expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key for one integration; returns it with the key itself, which is never
    stored and cannot be shown again."""
    unknown = set(scopes) - ALL_SCOPES
    if unknown:
        raise DomainError(f"Unknown scopes: {', '.join(sorted(unknown))}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry must be in the future.")
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            user = get_user_model().objects.create(username=actor_username(name), is_active=False)
    except IntegrityError:
        raise DomainError(f"A login or key named “{name}” already exists.") from None
    user.set_unusable_password()
    user.save(update_fields=["password"])
    key = ApiKey.objects.create(
        name=name,
        prefix=raw_key[:SHOWN_CHARACTERS],
        hashed_key=hash_key(raw_key),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        actor=user,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    return key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """From now on the key is refused; its events keep naming it."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
