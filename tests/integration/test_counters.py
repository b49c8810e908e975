"""The shared counters of the limits (core.counters): fixed windows, exact under concurrency.

Every semantic test runs on the database store and, when REDIS_URL is set, on Redis (database 3
of that server, under a key prefix of the test's own, deleted afterwards). Concurrency runs with
real threads on PostgreSQL (SQLite serialises its writers) and on Redis.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import connection, connections, transaction

from core import counters
from core.counters import DatabaseStore, RedisStore, Window
from core.models import LimitCounter
from registry import services
from tests.factories import BankFactory, RegistrarFactory

COST_PREVIEW = {
    "method": "cost",
    "variant": "guidance_2023",
    "costs": {"preliminary": "20", "direct": "120", "indirect": "30", "opportunity": "10"},
    "delta": "0.88",
}
T0 = 1_900_000_000.0  # a fixed "now" (2030-03-17), moved by the tests


# --- fixtures ------------------------------------------------------------------------------
class Clock:
    """`time.time` as the counters read it (and as the login tests move it), set by hand."""

    def __init__(self, monkeypatch, now: float):
        self.now = now
        monkeypatch.setattr(time, "time", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch, T0)


def _test_redis_url() -> str | None:
    """REDIS_URL's server, database 3: the tests never touch the database the app uses."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/3", "", ""))


@pytest.fixture
def redis_cache():
    url = _test_redis_url()
    if url is None:
        pytest.skip("REDIS_URL is not set")
    prefix = f"counters-test-{uuid.uuid4().hex}"
    cache = RedisCache(url, {"KEY_PREFIX": prefix})
    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def database_configured(settings):
    """No Redis configured (whatever REDIS_URL says): the module counts in the database."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(params=["database", "redis"])
def store(request, db):
    if request.param == "database":
        return DatabaseStore()
    return RedisStore(request.getfixturevalue("redis_cache"))


# --- semantics, on every store -------------------------------------------------------------
def test_the_first_hit_opens_a_window_and_later_hits_count_on_without_moving_its_end(store, clock):
    # when
    first = store.hit("login:alice", 60)
    clock.advance(10)
    second = store.hit("login:alice", 60)
    clock.advance(49.5)
    third = store.hit("login:alice", 60)

    # then
    assert first == Window(hits=1, ends_at=T0 + 60)
    assert second == Window(hits=2, ends_at=T0 + 60)
    assert third == Window(hits=3, ends_at=T0 + 60)
    assert store.get("login:alice") == Window(hits=3, ends_at=T0 + 60)
    assert third.retry_after() == 1  # 0.5 s left, rounded up


def test_a_window_closes_at_its_end_and_the_next_hit_opens_a_new_one(store, clock):
    # given: three hits in the window [T0, T0 + 60)
    for _ in range(3):
        store.hit("objection:203.0.113.7", 60)

    # when: the window's end
    clock.advance(60)
    ended = store.get("objection:203.0.113.7")
    clock.advance(5)
    fresh = store.hit("objection:203.0.113.7", 60)

    # then: nothing open at the end; the next hit counts 1 in a window opening with it
    assert ended is None
    assert fresh == Window(hits=1, ends_at=T0 + 65 + 60)


def test_a_short_window_really_expires(store):
    # given
    assert store.hit("short", 1).hits == 1
    assert store.hit("short", 1).hits == 2

    # when: a little more than the window, on the real clock
    time.sleep(1.1)

    # then
    assert store.get("short") is None
    assert store.hit("short", 1).hits == 1


def test_counters_are_kept_apart_by_name(store, clock):
    # when
    store.hit("a", 60)
    store.hit("a", 60)
    clock.advance(30)
    other = store.hit("b", 60)

    # then
    assert other == Window(hits=1, ends_at=T0 + 90)
    assert store.get("a") == Window(hits=2, ends_at=T0 + 60)
    assert store.get("never-counted") is None


def test_release_gives_back_one_hit_but_never_goes_below_zero(store, clock):
    # given
    store.hit("ip", 60)
    store.hit("ip", 60)

    # when
    store.release("ip")
    after_one = store.get("ip")
    store.release("ip")
    store.release("ip")
    after_three = store.get("ip")
    store.release("unknown")

    # then: the window keeps its end; the count stops at zero and counts on from there
    assert after_one == Window(hits=1, ends_at=T0 + 60)
    assert after_three == Window(hits=0, ends_at=T0 + 60)
    assert store.get("unknown") is None
    assert store.hit("ip", 60) == Window(hits=1, ends_at=T0 + 60)


def test_release_after_the_window_ended_gives_nothing_back(store, clock):
    # given
    store.hit("ip", 60)
    clock.advance(61)

    # when
    store.release("ip")
    fresh = store.hit("ip", 60)

    # then: a new window, not one at zero
    assert fresh == Window(hits=1, ends_at=T0 + 61 + 60)


def test_reset_forgets_the_window(store, clock):
    # given
    for _ in range(5):
        store.hit("user:ent1", 900)

    # when
    store.reset("user:ent1")
    clock.advance(1)

    # then
    assert store.get("user:ent1") is None
    assert store.hit("user:ent1", 900) == Window(hits=1, ends_at=T0 + 1 + 900)


def test_a_name_longer_than_the_column_is_counted_under_its_hash(store, clock):
    # given
    name = "addr:" + "x" * 500

    # when
    store.hit(name, 60)
    second = store.hit(name, 60)

    # then
    assert second.hits == 2
    assert store.get(name) == second
    assert store.get("addr:" + "x" * 499) is None


def test_the_module_functions_count_in_the_configured_store(database_configured, db, clock):
    # when
    counters.counter_hit("api:key:abc", window=60)
    window = counters.counter_hit("api:key:abc", window=60)

    # then
    assert window == Window(hits=2, ends_at=T0 + 60)
    assert counters.counter_get("api:key:abc") == window
    assert LimitCounter.objects.get(name="api:key:abc").hits == 2
    with pytest.raises(ValueError, match="at least one second"):
        counters.counter_hit("api:key:abc", window=0)


# --- which store ---------------------------------------------------------------------------
def test_the_database_stores_the_counters_without_redis(database_configured):
    # then
    assert isinstance(counters.counter_store(), DatabaseStore)


def test_redis_stores_the_counters_when_the_default_cache_is_redis(settings):
    # given: constructing the cache opens no connection
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
        }
    }

    # then
    assert isinstance(counters.counter_store(), RedisStore)


# --- housekeeping --------------------------------------------------------------------------
def test_prune_deletes_the_counters_whose_window_ended(database_configured, db, clock):
    # given: two windows that end at T0 + 60, one at T0 + 130
    store = DatabaseStore()
    store.hit("old-1", 60)
    store.hit("old-2", 60)
    clock.advance(70)
    store.hit("open", 60)

    # when
    deleted = counters.counters_prune()

    # then
    assert deleted == 2
    assert list(LimitCounter.objects.values_list("name", "hits")) == [("open", 1)]
    assert counters.counters_prune() == 0


def test_redis_counters_expire_by_themselves_shortly_after_their_window(redis_cache):
    # given
    store = RedisStore(redis_cache)
    store.hit("api:key:xyz", 60)
    client = redis_cache._cache.get_client(write=True)

    # when
    ttl_ms = client.pttl(redis_cache.make_and_validate_key("counter:api:key:xyz"))

    # then: the window plus the grace for hosts whose clock runs behind; nothing to prune
    assert 60_000 < ttl_ms <= 65_000
    assert store.prune() == 0


# --- requests that are rolled back ---------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_api_error_answer_rolls_back_its_request_but_its_hit_still_counts(
    database_configured, client
):
    """PostgreSQL counts in a connection of its own, SQLite again after the request ended."""
    # given: a bank's key
    record, key = services.api_key_issue(
        organisation=BankFactory(), actor=RegistrarFactory(), name="loan system"
    )
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    name = f"throttle_api_key_key:{record.prefix}"

    preview = "/api/v1/valuations/preview/"

    # when: an invalid preview (400: its request's transaction is rolled back), then a valid one
    refused = client.post(preview, {"method": "cost"}, content_type="application/json", **auth)
    after_refused = counters.counter_get(name)
    answered = client.post(preview, COST_PREVIEW, content_type="application/json", **auth)

    # then
    assert refused.status_code == 400
    assert answered.status_code == 200, answered.content
    assert after_refused is not None and after_refused.hits == 1
    assert LimitCounter.objects.get(name=name).hits == 2


# --- concurrency ---------------------------------------------------------------------------
def postgres_only(test):
    test = pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    )(test)
    return pytest.mark.postgres(test)


def _together(count: int, task):
    """Run `task(barrier)` in `count` threads released at once; their results in order."""
    barrier = threading.Barrier(count, timeout=20)

    def run(_):
        try:
            return task(barrier)
        finally:
            counters.close_own_connections()
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_of_many_concurrent_hits_exactly_the_limit_are_allowed_on_postgresql():
    # given: a limit of 15
    limit, store = 15, DatabaseStore()

    def attempt(barrier):
        barrier.wait()
        return store.hit("burst", 60).hits

    # when: 40 at once
    counts = _together(40, attempt)

    # then: every hit saw its own count, 1 to 40, so exactly 15 are within the limit
    assert sorted(counts) == list(range(1, 41))
    assert sum(1 for hits in counts if hits <= limit) == limit
    assert LimitCounter.objects.get(name="burst").hits == 40


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_hit_inside_a_transaction_commits_at_once_and_holds_no_lock_on_postgresql():
    """As in a request (ATOMIC_REQUESTS): the hit counts though the transaction is rolled back,
    and other requests' hits do not wait for it to end."""
    store = DatabaseStore()

    class RolledBack(Exception):
        pass

    def request(barrier):
        try:
            with transaction.atomic():
                hits = store.hit("api:key:bank", 60).hits
                # Every thread is still inside its transaction here: had a hit kept the row
                # locked until commit, the second hit would wait for the first, which waits
                # here for the second: the barrier would time out.
                barrier.wait()
                raise RolledBack
        except RolledBack:
            return hits

    # when: ten requests at once, each rolled back
    counts = _together(10, request)

    # then
    assert sorted(counts) == list(range(1, 11))
    assert LimitCounter.objects.get(name="api:key:bank").hits == 10


def test_of_many_concurrent_hits_exactly_the_limit_are_allowed_on_redis(redis_cache):
    # given
    limit, store = 15, RedisStore(redis_cache)

    def attempt(barrier):
        barrier.wait()
        return store.hit("burst", 60).hits

    # when
    with ThreadPoolExecutor(max_workers=40) as pool:
        barrier = threading.Barrier(40, timeout=20)
        counts = list(pool.map(lambda _: attempt(barrier), range(40)))

    # then
    assert sorted(counts) == list(range(1, 41))
    assert sum(1 for hits in counts if hits <= limit) == limit
