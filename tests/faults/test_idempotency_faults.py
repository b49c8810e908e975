"""Fault drill of idempotent filings (`api.idempotency`): while a thread keeps terminating the
server's database connections (`pg_terminate_backend`, as a failover or an operator would), bank
clients file pledges over real HTTP, each with its own Idempotency-Key, and retry each with that
key until they get an answer that is not a 5xx. What the issue found without keys: 8 × 201 and
32 × 500 for 40 filings, and 10 pledges in the database. With keys the registry must end with
exactly the pledges the clients meant to file, ranked 1..n without a gap."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.cache import cache
from django.db import connection

from api import idempotency
from api.models import IdempotencyKey
from pledges.models import Pledge
from pledges.selectors import ranked_pledges
from tests.api.test_bank_api_data import bank_world
from tests.faults.processes import admin_connection, own_backend_pid, terminate_with, wait_for

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="pg_terminate_backend is PostgreSQL's"
    ),
]

PLEDGES = "/api/v1/pledges/"
REPLAYED = idempotency.REPLAYED_HEADER
FILINGS = 24
CLIENTS = 4
DEADLINE = 45  # seconds for all filings; the drill takes ~10


class Terminator(threading.Thread):
    """Ends every session on the test database but its own and the ones it is told to spare
    (the test's own connection, which the live server's threads do not use), at random moments
    `pause` seconds apart: often enough to hit most filings (one takes ~0.1-0.3 s with its
    certificate), seldom enough that retries get through."""

    def __init__(self, spare: list[int], pause: tuple[float, float] = (0.05, 0.4)):
        super().__init__(daemon=True)
        self.spare, self.pause = spare, pause
        self.random = random.Random(414)  # Civil Code art. 414: first to file, first in rank
        self.stopping = threading.Event()
        self.terminated = 0

    def run(self) -> None:
        with admin_connection() as admin:
            while not self.stopping.wait(self.random.uniform(*self.pause)):
                self.terminated += terminate_with(admin, self.spare)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def _file_until_answered(base_url: str, auth: dict, body: dict, deadline: float, seed: int) -> dict:
    """One filing, sent again with its key after every 5xx, broken connection or timeout. The
    client gives up waiting after a random 0.1-0.6 s (a filing with its certificate takes about
    0.1-0.3 s): some answers are lost after the registry committed, and the retry may arrive
    while the first attempt still runs."""
    key = str(uuid.uuid4())
    patience = random.Random(seed)
    session = requests.Session()
    headers = {**auth, idempotency.HEADER: key}
    outcomes: list[str] = []
    while time.monotonic() < deadline:
        try:
            response = session.post(
                f"{base_url}{PLEDGES}",
                json=body,
                headers=headers,
                timeout=(5, patience.uniform(0.1, 0.6)),
            )
        except requests.RequestException as exc:
            outcomes.append(type(exc).__name__)
            continue
        outcomes.append(str(response.status_code))
        if response.status_code < 500:
            return {"key": key, "response": response, "outcomes": outcomes}
        time.sleep(0.01)
    return {"key": key, "response": None, "outcomes": outcomes}


def _server_idle(own_pid: int) -> bool:
    """No other session of the test database is inside a statement or a transaction, twice in a
    row half a second apart."""
    for attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> %s AND state IS NOT NULL AND state <> 'idle'",
                [own_pid],
            )
            if cursor.fetchone()[0]:
                return False
        if attempt == 0:
            time.sleep(0.5)
    return True


@pytest.mark.django_db(transaction=True)
def test_filings_retried_with_their_keys_while_connections_are_terminated(
    live_server, registrar, holder, enterprise_user, settings
):
    # given: a registered asset with one pledge, and a second bank that files FILINGS more (its
    # retries are many: no rate limit in the way)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min"},
    }
    cache.clear()
    world = bank_world(registrar, holder, enterprise_user)
    auth = world.other_key.headers
    bodies = [
        {
            "registration_number": world.asset.registration_number,
            "secured_amount": f"{1000 + n}.00",
            "debt_start": "2026-09-01",
            "debt_end": "2027-08-31",
        }
        for n in range(FILINGS)
    ]
    own_pid = own_backend_pid()  # the test's own connection is spared
    terminator = Terminator(spare=[own_pid])

    # when: the clients file while connections are being terminated
    terminator.start()
    deadline = time.monotonic() + DEADLINE
    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            results = list(
                pool.map(
                    lambda n: _file_until_answered(live_server.url, auth, bodies[n], deadline, n),
                    range(FILINGS),
                )
            )
    finally:
        terminator.stop()
    # Requests the clients gave up on may still run in the live server's threads (it outlives the
    # test): let them end before the checks, and before the next test's data arrives.
    wait_for(lambda: _server_idle(own_pid), timeout=60, what="the server's abandoned requests")

    # then: the drill did bite (connections ended, requests failed and were retried) ...
    outcomes = Counter(outcome for result in results for outcome in result["outcomes"])
    replays = sum(1 for r in results if r["response"] and r["response"].headers.get(REPLAYED))
    print(
        f"terminated {terminator.terminated} sessions; answers {dict(outcomes)}; {replays} replays"
    )
    assert terminator.terminated > 0
    retried = sum(len(result["outcomes"]) - 1 for result in results)
    assert retried > 0, f"no filing needed a retry: {outcomes}"
    # ... every filing got its answer, a 201 (first or replayed) ...
    unanswered = [result["outcomes"] for result in results if result["response"] is None]
    assert unanswered == [], f"no answer before the deadline: {unanswered}"
    answers = [result["response"] for result in results]
    assert [r.status_code for r in answers] == [201] * FILINGS, [r.text for r in answers]
    # ... and the register holds exactly the pledges meant, one per key, ranked without a gap
    filed = {r.json()["number"]: r.json()["secured_amount"] for r in answers}
    assert sorted(filed.values()) == sorted(body["secured_amount"] for body in bodies)
    pledges = Pledge.objects.filter(asset=world.asset).exclude(pk=world.pledge.pk)
    assert {p.number: str(p.secured_amount) for p in pledges} == filed
    ranks = list(ranked_pledges().filter(asset=world.asset).values_list("rank", flat=True))
    assert ranks == list(range(1, FILINGS + 2))
    stored = IdempotencyKey.objects.filter(organisation=world.other_bank)
    assert sorted(stored.values_list("key", flat=True)) == sorted(r["key"] for r in results)
    assert set(stored.values_list("status_code", flat=True)) == {201}
    # every answer is what its key stored (the first answer or a replay of it)
    for result in results:
        row = stored.get(key=result["key"])
        assert bytes(row.response_body) == result["response"].content
