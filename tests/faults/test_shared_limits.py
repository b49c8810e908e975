"""Limits with several server processes: gunicorn with 3 workers against the test database.

Each drill sends a burst of concurrent requests from one address (so every worker takes some),
checks that exactly the limit got through, reads gunicorn's access log to see that more than one
worker answered, then restarts gunicorn and checks that the limit still holds. With per-process
counters (the cache in each worker's memory) the bursts let up to 3 × the limit through and a
restart forgets every count.

When REDIS_URL is set the children count in Redis (under a key prefix of the drill's own,
deleted afterwards); otherwise in the database.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests

from core.models import LimitCounter
from registry import services
from registry.models import Objection
from tests.factories import BankFactory, RegistrarFactory, UserFactory, complete_application
from tests.faults.processes import gunicorn

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

WORKERS = 3
PASSWORD = "pass-2026-test"  # UserFactory's
TIMEOUT = 30
# The access log names the worker (its pid) that answered each request.
ACCESS_LOG = '--access-logfile - --access-logformat "served-by=%(p)s status=%(s)s %(r)s"'
SERVED = re.compile(r"served-by=<?(\d+)>? status=(\d+) (\w+) (\S+)")


# --- the server ------------------------------------------------------------------------------
@pytest.fixture
def redis_prefix():
    """A key prefix of this drill's own in the children's Redis; its keys deleted afterwards."""
    prefix = f"faults-{uuid.uuid4().hex[:12]}"
    yield prefix
    if os.environ.get("REDIS_URL"):
        for key in _redis_keys(prefix):
            _redis().delete(key)


@contextlib.contextmanager
def _server(log: Path, prefix: str, **env: str):
    with gunicorn(
        WORKERS,
        log,
        GUNICORN_CMD_ARGS=ACCESS_LOG,
        CACHE_KEY_PREFIX=prefix,
        **env,
    ) as base:
        yield base


def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def _redis_keys(prefix: str) -> list[bytes]:
    return list(_redis().scan_iter(match=f"{prefix}:*"))


def _assert_counted_in_the_configured_store(prefix: str) -> None:
    """Redis when REDIS_URL is set (nothing in the table), the database table otherwise."""
    if os.environ.get("REDIS_URL"):
        assert _redis_keys(prefix)
        assert not LimitCounter.objects.exists()
    else:
        assert LimitCounter.objects.exists()


def _answered_by(log: Path, method: str, path: str, status: int) -> set[str]:
    """The workers (pids) whose access log shows `method path` answered with `status`."""
    return {
        pid
        for pid, code, verb, target in SERVED.findall(log.read_text())
        if verb == method and target.split("?")[0] == path and int(code) == status
    }


def _burst(count: int, send) -> list[requests.Response]:
    """`count` requests at once (as many threads), the answers in order."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: send(), range(count)))


def _statuses(responses: list[requests.Response]) -> dict[int, int]:
    return dict(collections.Counter(response.status_code for response in responses))


@contextlib.contextmanager
def _form_session(url: str):
    """A CSRF cookie and the form's token for it, read once from the form page."""
    with requests.Session() as session:
        page = session.get(url, timeout=TIMEOUT)
        assert page.status_code == 200, page.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "the form has no CSRF token"
        yield session.cookies["csrftoken"], token.group(1)


def _post_form(url: str, csrf: tuple[str, str], data: dict) -> requests.Response:
    cookie, token = csrf
    return requests.post(
        url,
        data={**data, "csrfmiddlewaretoken": token},
        cookies={"csrftoken": cookie},
        headers={"Referer": url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


# --- sign-in ---------------------------------------------------------------------------------
def test_the_sixth_wrong_password_is_refused_by_every_worker_and_after_a_restart(
    tmp_path, redis_prefix
):
    # given: an account, and gunicorn with 3 workers
    UserFactory(username="faults-ent")
    login = "/accounts/login/"
    first_log, second_log = tmp_path / "gunicorn-1.log", tmp_path / "gunicorn-2.log"

    with _server(first_log, redis_prefix) as base, _form_session(base + login) as csrf:

        def attempt(password: str):
            return lambda: _post_form(
                base + login, csrf, {"username": "faults-ent", "password": password}
            )

        # when: twenty wrong passwords at once, from one address
        burst = _burst(20, attempt("wrong-password"))
        # and then the right one, and more wrong ones at once
        right = attempt(PASSWORD)()
        again = _burst(9, attempt("wrong-password"))

    # then: five were checked (the form again, with its error), every other one refused
    assert _statuses(burst) == {200: 5, 429: 15}
    assert right.status_code == 429
    assert _statuses(again) == {429: 9}
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60
    # by more than one worker: the count is shared, not each worker's own
    assert len(_answered_by(first_log, "POST", login, 429)) >= 2

    # when: gunicorn restarted
    with _server(second_log, redis_prefix) as base, _form_session(base + login) as csrf:
        after_restart = _post_form(
            base + login, csrf, {"username": "faults-ent", "password": PASSWORD}
        )

    # then: the failures are remembered
    assert after_restart.status_code == 429
    assert "sessionid" not in after_restart.cookies


# --- objections ------------------------------------------------------------------------------
def _asset_in_publicity():
    """An application announced today, so objections are accepted now."""
    registrar = RegistrarFactory()
    applicant = UserFactory()
    asset = services.asset_create(
        actor=applicant, holder=applicant.organisation, data=complete_application()
    )
    asset = services.asset_submit(asset=asset, actor=applicant)
    asset = services.asset_accept_for_review(asset=asset, actor=registrar)
    return services.asset_start_publicity(asset=asset, actor=registrar)


def test_the_sixth_objection_in_an_hour_is_refused_by_every_worker_and_after_a_restart(
    tmp_path, redis_prefix
):
    # given
    asset = _asset_in_publicity()
    url = f"/publicity/{asset.pk}/object/"
    first_log, second_log = tmp_path / "gunicorn-1.log", tmp_path / "gunicorn-2.log"

    def objection(n: int) -> dict:
        return {
            "objector_name": f"异议人{n}",
            "objector_contact": "legal@example.cn",
            "reasons": "该数据集包含我司提供的堆场数据，权属存在争议。",
        }

    with _server(first_log, redis_prefix) as base, _form_session(base + url) as csrf:
        # when: twelve objections at once from one address
        numbers = iter(range(100))
        burst = _burst(12, lambda: _post_form(base + url, csrf, objection(next(numbers))))

    # then: five filed (redirected to the confirmation), seven refused, by several workers
    assert _statuses(burst) == {302: 5, 429: 7}
    assert Objection.objects.filter(asset=asset).count() == 5
    assert (
        len(_answered_by(first_log, "POST", url, 429) | _answered_by(first_log, "POST", url, 302))
        >= 2
    )

    # when: gunicorn restarted
    with _server(second_log, redis_prefix) as base, _form_session(base + url) as csrf:
        after_restart = _post_form(base + url, csrf, objection(99))

    # then
    assert after_restart.status_code == 429
    assert 0 < int(after_restart.headers["Retry-After"]) <= 3600
    assert Objection.objects.filter(asset=asset).count() == 5


# --- the API ---------------------------------------------------------------------------------
def test_a_key_limited_to_60_a_minute_gets_exactly_60_of_100_concurrent_requests(
    tmp_path, redis_prefix
):
    # given: a bank's key, and a rate of 60 a minute
    registrar = RegistrarFactory()
    _record, key = services.api_key_issue(
        organisation=BankFactory(), actor=registrar, name="loan system"
    )
    _other_record, other_key = services.api_key_issue(
        organisation=BankFactory(), actor=registrar, name="other bank"
    )
    path = "/api/v1/assets/"
    first_log, second_log = tmp_path / "gunicorn-1.log", tmp_path / "gunicorn-2.log"

    def get(with_key: str):
        return lambda: requests.get(
            base + path, headers={"Authorization": f"Api-Key {with_key}"}, timeout=TIMEOUT
        )

    with _server(first_log, redis_prefix, API_RATE_PER_KEY="60/min") as base:
        # when: a hundred requests at once (twenty connections at a time)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=20) as pool:
            burst = list(pool.map(lambda _: get(key)(), range(100)))
        burst_done = time.monotonic()
        other = get(other_key)()

    # then: exactly sixty answered, the rest refused in the API's envelope, by several workers
    assert _statuses(burst) == {200: 60, 429: 40}
    refused = [response for response in burst if response.status_code == 429]
    assert {response.json()["code"] for response in refused} == {"throttled"}
    assert all(0 < int(response.headers["Retry-After"]) <= 60 for response in refused)
    assert len(_answered_by(first_log, "GET", path, 200)) >= 2
    assert len(_answered_by(first_log, "GET", path, 429)) >= 2
    assert other.status_code == 200  # each key has its own allowance
    _assert_counted_in_the_configured_store(redis_prefix)

    # when: gunicorn restarted, still within the minute
    with _server(second_log, redis_prefix, API_RATE_PER_KEY="60/min") as base:
        sent = time.monotonic()
        after_restart = get(key)()

    # then: refused in the same window (it opened during the burst), not counted in a new one
    assert sent - started < 55, "the drill took so long that the minute's window may have ended"
    assert after_restart.status_code == 429
    assert int(after_restart.headers["Retry-After"]) <= 60 - int(sent - burst_done)
