"""Attempt counters for the public forms (objections, login), kept in Django's cache.

A counter counts attempts by one client key (an IP address, a username) in a fixed window that
opens with the first counted attempt and closes `window` seconds later. Views *reserve* an attempt
(`hit`, an atomic `incr`) before doing the work and compare the count it returns with the limit,
so concurrent requests cannot all slip through under the limit; an attempt that should not count
after all (a successful login) is given back with `undo`.

The window's end relies on `incr` keeping the key's timeout, as the local-memory, Redis and
Memcached backends do (Django's database and file caches reset it on `incr`). Keys are hashed, so
any username is a valid cache key. With several server processes the cache must be shared
(Redis, Memcached): the default local-memory cache counts per process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "public-throttle"


@dataclasses.dataclass(frozen=True)
class Throttle:
    scope: str
    limit: int
    window: int  # seconds

    def _keys(self, ident: str) -> tuple[str, str]:
        digest = hashlib.sha256(ident.encode()).hexdigest()[:40]
        key = f"{KEY_PREFIX}:{self.scope}:{digest}"
        return key, f"{key}:until"

    def count(self, ident: str) -> int:
        return cache.get(self._keys(ident)[0], 0)

    def blocked(self, ident: str) -> bool:
        return self.count(ident) >= self.limit

    def hit(self, ident: str) -> int:
        """Count one attempt; returns the count including it (over `limit`: refuse it)."""
        key, until = self._keys(ident)
        for _attempt in range(3):
            if cache.add(key, 0, timeout=self.window):  # this attempt opens a window
                cache.set(until, time.time() + self.window, timeout=self.window)
            try:
                return cache.incr(key)
            except ValueError:  # the window closed between add() and incr(): open a new one
                continue
        return self.limit + 1  # the cache keeps dropping the key: refuse rather than allow

    def undo(self, ident: str) -> None:
        """Give back an attempt reserved by `hit` that turned out not to count."""
        key, _until = self._keys(ident)
        try:
            if cache.get(key, 0) > 0:
                cache.decr(key)
        except ValueError:  # the window closed meanwhile: nothing to give back
            pass

    def reset(self, ident: str) -> None:
        cache.delete_many(self._keys(ident))

    def retry_after(self, ident: str) -> int:
        """Seconds until the window closes (the whole window when unknown)."""
        until = cache.get(self._keys(ident)[1])
        if until is None:
            return self.window
        return max(1, math.ceil(until - time.time()))


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
