"""Shared counters for limits (sign-in failures, objections, API requests).

`counter_hit(name, window=...)` counts one event under `name` and returns the window it fell in:
the count so far, this event included, and the time the window ends. Callers refuse the event
when the count is over their limit.

Invariants, and how they hold:

- Exact under concurrency, across processes and hosts: each hit is one atomic statement, an
  upsert (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, PostgreSQL and SQLite) on the
  database, a Lua script on Redis, so no two hits ever read the same count.
- A fixed window: it opens at the first hit after the previous window ended and lasts `window`
  seconds; later hits never move its end. "60 a minute" lets exactly 60 through in any burst.
- Shared and durable: counts live in the database (table `core_limitcounter`) or in Redis,
  never in a process, so every server process sees the same count and a restart forgets none.
- One clock for both stores, `time.time()` of the counting process (hosts keep NTP time): the
  window's end is stored, not left to Redis's expiry, and tests can move the clock.

Which store: Redis when Django's default cache is a `RedisCache` (`REDIS_URL`, see
config/settings.py), the database table otherwise. Not Django's cache API on the database:
`DatabaseCache.incr` is a `get` followed by a `set` (two processes read 4 and both write 5) and
its `set` gives the key a fresh timeout, so under steady hits a window would never close.

Which connection (database store): a hit must count even when the request it belongs to is
rolled back (an API error answer rolls back the request's transaction), and must not keep the
counter's row locked until that request commits (all requests of one API key would queue on it).
On PostgreSQL a hit made inside a transaction therefore goes through a second connection of this
thread, in autocommit, which commits at once. On SQLite it cannot: the request's IMMEDIATE
transaction already holds the file's write lock, so a second connection would wait for it until
the busy timeout; there the hit is part of the request's transaction (writers are serialised
anyway, so it is exact); a hit rolled back with its request is counted again, in autocommit,
once the request has ended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import math
import threading
import time
from typing import Any, Protocol

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import request_finished, request_started
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper

from core.models import LimitCounter

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = LimitCounter._meta.get_field("name").max_length or 200


@dataclasses.dataclass(frozen=True)
class Window:
    hits: int
    ends_at: float  # seconds since the epoch

    def retry_after(self) -> int:
        """Whole seconds until the window ends, at least 1 (for a Retry-After header)."""
        return max(1, math.ceil(self.ends_at - time.time()))


class CounterStore(Protocol):
    def hit(self, name: str, window: int) -> Window: ...
    def get(self, name: str) -> Window | None: ...
    def release(self, name: str) -> None: ...
    def reset(self, name: str) -> None: ...
    def prune(self) -> int: ...


# --- the operations ------------------------------------------------------------------------
def counter_hit(name: str, *, window: int) -> Window:
    """Count one event under `name` in a window of `window` seconds; the window after it."""
    if window <= 0:
        raise ValueError("a counter's window must be at least one second")
    return counter_store().hit(name, window)


def counter_get(name: str) -> Window | None:
    """The open window of `name`, or None when none is open (never counted, or ended)."""
    return counter_store().get(name)


def counter_release(name: str) -> None:
    """Give back one hit of the open window (an attempt that turned out not to count)."""
    counter_store().release(name)


def counter_reset(name: str) -> None:
    counter_store().reset(name)


def counters_prune() -> int:
    """Delete the counters whose window has ended; how many were deleted (daily housekeeping)."""
    return counter_store().prune()


def counter_store() -> CounterStore:
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        return RedisStore(cache)
    return DatabaseStore()


# --- the database --------------------------------------------------------------------------
_TABLE = LimitCounter._meta.db_table
# The SET expressions read the row as it was before the update (PostgreSQL and SQLite alike):
# an ended window starts again at 1 with a new end, an open one counts on and keeps its end.
_HIT_SQL = f"""
    INSERT INTO {_TABLE} AS c (name, hits, ends_at) VALUES (%s, 1, %s)
    ON CONFLICT (name) DO UPDATE SET
        hits = CASE WHEN c.ends_at > %s THEN c.hits + 1 ELSE 1 END,
        ends_at = CASE WHEN c.ends_at > %s THEN c.ends_at ELSE excluded.ends_at END
    RETURNING hits, ends_at
"""
_GET_SQL = f"SELECT hits, ends_at FROM {_TABLE} WHERE name = %s AND ends_at > %s"
_RELEASE_SQL = f"UPDATE {_TABLE} SET hits = hits - 1 WHERE name = %s AND hits > 0 AND ends_at > %s"
_RESET_SQL = f"DELETE FROM {_TABLE} WHERE name = %s"


class DatabaseStore:
    def __init__(self, alias: str = DEFAULT_DB_ALIAS):
        self.alias = alias

    def hit(self, name: str, window: int) -> Window:
        now = time.time()
        rows = _write(
            self.alias,
            _HIT_SQL,
            lambda adapt: [_key(name), adapt(now + window), adapt(now), adapt(now)],
        )
        if _in_callers_transaction(self.alias):
            _count_again_unless_committed(self.alias, name, window)
        hits, ends_at = rows[0]
        return Window(hits=hits, ends_at=_epoch(ends_at))

    def get(self, name: str) -> Window | None:
        # A read needs no connection of its own: it holds no lock, and the request's connection
        # sees committed hits (PostgreSQL reads a fresh snapshot per statement).
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(_GET_SQL, [_key(name), _adapter(connection)(time.time())])
            row = cursor.fetchone()
        return None if row is None else Window(hits=row[0], ends_at=_epoch(row[1]))

    def release(self, name: str) -> None:
        _write(self.alias, _RELEASE_SQL, lambda adapt: [_key(name), adapt(time.time())])

    def reset(self, name: str) -> None:
        _write(self.alias, _RESET_SQL, lambda adapt: [_key(name)])

    def prune(self) -> int:
        ended = LimitCounter.objects.using(self.alias).filter(ends_at__lte=_aware(time.time()))
        deleted, _by_model = ended.delete()
        return deleted


def _key(name: str) -> str:
    # Callers' names are short; a long one (an address header, say) is hashed to fit the column.
    if len(name) <= NAME_MAX_LENGTH:
        return name
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def _aware(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def _adapter(connection: BaseDatabaseWrapper):
    # Parameters in the form the ORM stores (on SQLite, naive UTC text that sorts by time).
    return lambda epoch: connection.ops.adapt_datetimefield_value(_aware(epoch))


def _epoch(value: Any) -> float:
    # PostgreSQL returns an aware datetime; SQLite the stored naive UTC, parsed or as text.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _write(alias: str, sql: str, params) -> list[tuple]:
    """Run one counter statement on the connection the module docstring explains; its rows."""
    connection = _counting_connection(alias)
    try:
        return _run(connection, sql, params(_adapter(connection)))
    except (OperationalError, InterfaceError):
        if connection is connections[alias]:
            raise
        # Our own connection may have been idle long enough for the server to drop it: one new
        # try. Should the lost statement have committed after all, the count errs on the strict
        # side (one hit too many), never the lenient one.
        connection.close()
        return _run(connection, sql, params(_adapter(connection)))


def _run(connection: BaseDatabaseWrapper, sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _counting_connection(alias: str) -> BaseDatabaseWrapper:
    connection = connections[alias]
    if (
        connection.vendor != "postgresql"
        or not connection.in_atomic_block  # autocommit: the statement commits at once anyway
        or _inside_test_case(connection)
    ):
        return connection
    return _own_connection(connection)


def _in_callers_transaction(alias: str) -> bool:
    """Did the hit go into a transaction of the caller's that may yet be rolled back? (SQLite,
    inside a request; never in a test case, whose rollback is meant to forget everything.)"""
    connection = connections[alias]
    return (
        connection.in_atomic_block
        and _counting_connection(alias) is connection
        and not _inside_test_case(connection)
    )


def _inside_test_case(connection: BaseDatabaseWrapper) -> bool:
    # Django's TestCase (pytest-django's `db` fixture) runs each test in a transaction that it
    # rolls back. Counting inside it lets the rollback clear the counts with every other row, so
    # tests stay apart; a test that needs the production path uses `transactional_db`.
    return any(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


class _OwnConnections(threading.local):
    """Per thread, as Django's own connections: a connection may not change threads."""

    def __init__(self) -> None:
        self.by_alias: dict[str, BaseDatabaseWrapper] = {}


_own = _OwnConnections()


def _own_connection(connection: BaseDatabaseWrapper) -> BaseDatabaseWrapper:
    own = _own.by_alias.get(connection.alias)
    if own is None or own.settings_dict["NAME"] != connection.settings_dict["NAME"]:
        if own is not None:
            own.close()
        # The same database and settings, hence the same CONN_MAX_AGE: it is closed and
        # reopened around requests exactly as the request's own connection is (below).
        own = type(connection)(dict(connection.settings_dict), connection.alias)
        _own.by_alias[connection.alias] = own
    return own


def _close_old_own_connections(**kwargs) -> None:
    for own in _own.by_alias.values():
        own.close_if_unusable_or_obsolete()


# What django.db does for its connections (close_old_connections), for ours.
request_started.connect(_close_old_own_connections, dispatch_uid="core.counters.request_started")
request_finished.connect(_close_old_own_connections, dispatch_uid="core.counters.request_finished")


@dataclasses.dataclass(eq=False)  # removed by identity: two equal hits are two hits
class _UncommittedHit:
    alias: str
    name: str
    window: int


class _UncommittedHits(threading.local):
    def __init__(self) -> None:
        self.hits: list[_UncommittedHit] = []


_uncommitted = _UncommittedHits()


def _count_again_unless_committed(alias: str, name: str, window: int) -> None:
    hit = _UncommittedHit(alias, name, window)
    _uncommitted.hits.append(hit)
    transaction.on_commit(lambda: _committed(hit), using=alias)


def _committed(hit: _UncommittedHit) -> None:
    if hit in _uncommitted.hits:
        _uncommitted.hits.remove(hit)


def _count_rolled_back_hits(**kwargs) -> None:
    """After a request (its transaction has ended): hits whose transaction was rolled back, as
    an API error answer's is, are counted again, now in autocommit."""
    hits, _uncommitted.hits = _uncommitted.hits, []
    for hit in hits:
        try:
            DatabaseStore(hit.alias).hit(hit.name, hit.window)
        except DatabaseError:
            logger.exception("could not count again the rolled-back hit on %s", hit.name)


request_finished.connect(_count_rolled_back_hits, dispatch_uid="core.counters.rolled_back")


def close_own_connections() -> None:
    """Close this thread's counting connections (threads that end outside a request)."""
    for own in _own.by_alias.values():
        own.close()


# --- Redis ---------------------------------------------------------------------------------
# A hash per counter: hits and the window's end (milliseconds since the epoch). Each script runs
# atomically on the server. The key's expiry only clears it away a little after the window ended;
# the stored end decides, so the stores agree and one clock rules both.
_REDIS_HIT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends'))
if ends == nil or ends <= now then
  ends = now + window
  redis.call('HSET', KEYS[1], 'hits', 0, 'ends', ends)
  redis.call('PEXPIRE', KEYS[1], window + tonumber(ARGV[3]))
end
return {redis.call('HINCRBY', KEYS[1], 'hits', 1), ends}
"""
_REDIS_RELEASE = """
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends'))
if ends ~= nil and ends > tonumber(ARGV[1])
   and tonumber(redis.call('HGET', KEYS[1], 'hits')) > 0 then
  redis.call('HINCRBY', KEYS[1], 'hits', -1)
end
return 0
"""
# Kept past the window's end so that a host whose clock runs a little behind still finds it.
_REDIS_GRACE_MS = 5_000


class RedisStore:
    """Counters in the Redis server of Django's `RedisCache` (its pool, key prefix, version)."""

    def __init__(self, cache: RedisCache):
        self.cache = cache

    def _client(self):
        return self.cache._cache.get_client(write=True)

    def _redis_key(self, name: str) -> str:
        return self.cache.make_and_validate_key(f"counter:{_key(name)}")

    def hit(self, name: str, window: int) -> Window:
        script = self._client().register_script(_REDIS_HIT)
        hits, ends = script(
            keys=[self._redis_key(name)], args=[_now_ms(), window * 1000, _REDIS_GRACE_MS]
        )
        return Window(hits=int(hits), ends_at=int(ends) / 1000)

    def get(self, name: str) -> Window | None:
        hits, ends = self._client().hmget(self._redis_key(name), ["hits", "ends"])
        if ends is None or int(ends) <= _now_ms():
            return None
        return Window(hits=int(hits), ends_at=int(ends) / 1000)

    def release(self, name: str) -> None:
        script = self._client().register_script(_REDIS_RELEASE)
        script(keys=[self._redis_key(name)], args=[_now_ms()])

    def reset(self, name: str) -> None:
        self._client().delete(self._redis_key(name))

    def prune(self) -> int:
        return 0  # Redis drops a counter itself once its window (and the grace) has passed


def _now_ms() -> int:
    return int(time.time() * 1000)
