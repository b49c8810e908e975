"""Rate limits of the API: per API key (its prefix), per user for sessions, per address otherwise.

The rate is read from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]` at each request (not
once at import, as DRF's `SimpleRateThrottle` does), so settings overrides apply at once. A refused
request is a 429 in the API's error envelope with a `Retry-After` header.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import ApiClient

DEFAULT_RATE = "600/min"


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_RATE)

    def get_cache_key(self, request, view) -> str:
        user = request.user
        if isinstance(user, ApiClient):
            ident = f"key:{user.key_prefix}"
        elif user is not None and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
