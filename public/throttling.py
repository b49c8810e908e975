"""Attempt limits of the public forms (objections, login), counted in `core.counters`.

A throttle counts attempts by one client key (an IP address, a username) in a fixed window that
opens with the first counted attempt and closes `window` seconds later. Views *reserve* an attempt
(`hit`, one atomic increment) before doing the work and compare the count it returns with the
limit, so concurrent requests cannot all slip through under the limit; an attempt that should not
count after all (a successful login) is given back with `undo`.

The counts are shared by every server process and survive restarts (Redis or a database table,
see core.counters). Keys are hashed, so any username is a valid counter name.
"""

from __future__ import annotations

import dataclasses
import hashlib

from django.conf import settings

from core.counters import counter_get, counter_hit, counter_release, counter_reset

KEY_PREFIX = "public-throttle"


@dataclasses.dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window: int  # seconds

    def _name(self, ident: str) -> str:
        digest = hashlib.sha256(ident.encode()).hexdigest()[:40]
        return f"{KEY_PREFIX}:{self.scope}:{digest}"

    def count(self, ident: str) -> int:
        window = counter_get(self._name(ident))
        return 0 if window is None else window.hits

    def blocked(self, ident: str) -> bool:
        return self.count(ident) >= self.limit

    def hit(self, ident: str) -> int:
        """Count one attempt; returns the count including it (over `limit`: refuse it)."""
        return counter_hit(self._name(ident), window=self.window).hits

    def undo(self, ident: str) -> None:
        """Give back an attempt reserved by `hit` that turned out not to count."""
        counter_release(self._name(ident))

    def reset(self, ident: str) -> None:
        counter_reset(self._name(ident))

    def retry_after(self, ident: str) -> int:
        """Seconds until the window closes (the whole window when unknown)."""
        window = counter_get(self._name(ident))
        return self.window if window is None else window.retry_after()


# Limits are design choices: settable in config/settings.py, read at each request.
def objection_throttle() -> Throttle:
    return Throttle(
        "objection-ip",
        limit=getattr(settings, "PUBLIC_OBJECTIONS_PER_IP", 5),
        window=getattr(settings, "PUBLIC_OBJECTIONS_WINDOW_SECONDS", 60 * 60),
    )


def login_username_throttle() -> Throttle:
    return Throttle(
        "login-username",
        limit=getattr(settings, "LOGIN_FAILURES_LIMIT", 5),
        window=getattr(settings, "LOGIN_FAILURES_WINDOW_SECONDS", 15 * 60),
    )


def login_ip_throttle() -> Throttle:
    return Throttle(
        "login-ip",
        limit=getattr(settings, "LOGIN_FAILURES_LIMIT", 5),
        window=getattr(settings, "LOGIN_FAILURES_WINDOW_SECONDS", 15 * 60),
    )


def client_ip(request) -> str:
    """The peer address. Behind a reverse proxy every client has the proxy's address: the
    deployment must set REMOTE_ADDR from a trusted X-Forwarded-For first."""
    return request.META.get("REMOTE_ADDR") or "unknown"
