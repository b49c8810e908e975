"""Rate limits of the API: per API key (its prefix), per user for sessions, per address otherwise.

Each request is one atomic hit on a shared counter (`core.counters`: Redis or a database table,
shared by every server process and kept across restarts) in a fixed window that opens with the
first request; a request whose count is over the rate is refused. So "60/min" lets exactly 60
through in any burst under a minute, however many workers serve it. (DRF's `SimpleRateThrottle`
keeps a list of timestamps in the cache with a get and a set: concurrent requests read the same
list, and with a per-process cache each worker has its own.)

The rate is read from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]` at each request (not
once at import, as DRF's `SimpleRateThrottle` does), so settings overrides apply at once. A refused
request is a 429 in the API's error envelope with a `Retry-After` header (the seconds until the
window ends; api.errors).
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import ApiClient
from core.counters import counter_hit

DEFAULT_RATE = "600/min"


class ApiKeyRateThrottle(SimpleRateThrottle):
    """DRF's rate parsing and client identity; the counting is core.counters'."""

    scope = "api_key"
    retry_after: int | None = None

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

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        window = counter_hit(self.get_cache_key(request, view), window=self.duration)
        if window.hits <= self.num_requests:
            return True
        self.retry_after = window.retry_after()
        return False

    def wait(self) -> float | None:
        return self.retry_after
