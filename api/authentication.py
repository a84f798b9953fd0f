"""Who is calling: an integration's API key (`Authorization: Bearer fo_…`), or a
person's browser session (with Django's CSRF check on every unsafe method)."""

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from api.models import ApiKey
from api.selectors import api_key_for


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw_key = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        key = api_key_for(raw_key.strip())
        if key is None:
            raise AuthenticationFailed("This API key is not known.", code="unknown_key")
        if key.revoked_at is not None:
            raise AuthenticationFailed("This API key was revoked.", code="revoked_key")
        if key.expires_at is not None and key.expires_at <= timezone.now():
            raise AuthenticationFailed(
                f"This API key expired at {key.expires_at.isoformat()}.", code="expired_key"
            )
        return key.actor, key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def api_key_of(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None
