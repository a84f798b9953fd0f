"""Rate limits per API key (per person for a browser session), counted in Redis.

Redis only accelerates: when it does not answer, the request goes through unlimited
rather than failing."""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import api_key_of

logger = logging.getLogger(__name__)


class PerKeyRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return f"{settings.API_RATE_LIMIT_PER_MINUTE}/min"

    def get_cache_key(self, request, view) -> str:
        key = api_key_of(request)
        if key is not None:
            return f"api-rate:key:{key.pk}"
        if request.user and request.user.is_authenticated:
            return f"api-rate:user:{request.user.pk}"
        return f"api-rate:address:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        self.rate = self.get_rate()  # read per request: a setting changed in tests applies
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # Redis down or slow: carry on without a limit
            logger.warning("API rate limit skipped: the cache did not answer", exc_info=True)
            return True
