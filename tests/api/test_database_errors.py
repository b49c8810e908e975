"""Database errors and unstorable input in the bank API, over real HTTP (live server, `requests`):
NUL and lone surrogates in every kind of input are a 400 naming the field before any query of
the register runs; real database faults (a terminated connection, a statement timeout, a missing
column, a failing trigger) answer in the JSON envelope, 503 with Retry-After when the database is
unavailable and 500 when the server is at fault, and roll the request back; and every read made
with an API key is in the read log whatever happened, refused ones too.

The faults are real: made by the database (locks held from another connection, pg_terminate_backend,
statement_timeout, renamed columns, triggers), never by replacing the project's code."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from pledges.models import Pledge, PledgeStatus
from registry import services
from registry.models import ApiReadLog, JournalEvent
from tests.api.test_bank_api_data import (
    DEBT_END,
    DEBT_START,
    REGISTRATION_END,
    bank_world,
    key_client,
    make_asset,
)

ASSETS = "/api/v1/assets/"
BULK = "/api/v1/pledge-status/bulk/"
PLEDGES = "/api/v1/pledges/"
NUL = "Null characters are not allowed."
LONE = "\ud800"  # a lone surrogate: JSON sends it as the escape \ud800 (json.dumps does)
SURROGATE = "Surrogate characters are not allowed: U+D800."
UNAVAILABLE = {
    "code": "database_unavailable",
    "message": "The registry's database is unavailable for a moment. Please retry in 5 seconds.",
}
SERVER_ERROR = {
    "code": "server_error",
    "message": "The registry could not complete the request (a database error).",
}
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="terminates and times out PostgreSQL backends"
)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def world(registrar, holder, enterprise_user):
    return bank_world(registrar, holder, enterprise_user)


def _invalid(errors: dict[str, list[str]]) -> dict:
    message = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    return {"code": "invalid_input", "message": message, "errors": errors}


def _logged() -> list[tuple]:
    return [
        (row.method, row.path, row.query, row.status_code)
        for row in ApiReadLog.objects.order_by("id")
    ]


@contextlib.contextmanager
def _other_connection():
    """A second connection of the test's own (not the live server's), in a transaction."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    other.set_autocommit(False)
    try:
        yield other
    finally:
        other.rollback()
        other.close()


def _blocked_backend(locker, table: str, timeout: float = 15) -> int:
    """The pid of the backend waiting for `locker`'s lock on `table`."""
    deadline = time.monotonic() + timeout
    with locker.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # a fresh view in this transaction
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY("
                "pg_blocking_pids(pid)) AND query LIKE %s",
                [f"%{table}%"],
            )
            row = cursor.fetchone()
            if row:
                return row[0]
            time.sleep(0.05)
    raise AssertionError(f"no request waited for the lock on {table}")


# --- unstorable input ----------------------------------------------------------------------------
def test_nul_and_lone_surrogates_in_each_kind_of_input_are_a_400_naming_the_field_and_logged(
    live_server, world, subtests
):
    # given: a bank's key, and the reads it makes with bad input
    bank = key_client(live_server.url, world.pledgee_key)
    number = world.asset.registration_number
    get = bank.session.get
    cases = {
        "NUL in the search text": (
            lambda: get(f"{live_server.url}{ASSETS}?status=registered&q=港口%00", timeout=10),
            {"q": [NUL]},
            ("GET", ASSETS, {"status": "registered", "q": "港口\\x00"}),
        ),
        "NUL in a filter that is checked before it is queried": (
            lambda: get(f"{live_server.url}{ASSETS}?holder=%00", timeout=10),
            {"holder": [NUL]},
            ("GET", ASSETS, {"holder": "\\x00"}),
        ),
        "NUL in a parameter's name": (
            lambda: get(f"{live_server.url}{ASSETS}?q%00=1", timeout=10),
            {"q\\x00": [NUL]},
            ("GET", ASSETS, {"q\\x00": "1"}),
        ),
        "NUL in the pledgor search": (
            lambda: get(f"{live_server.url}{PLEDGES}?pledgor=天津港%00", timeout=10),
            {"pledgor": [NUL]},
            ("GET", PLEDGES, {"pledgor": "天津港\\x00"}),
        ),
        "NUL in the path": (
            lambda: get(f"{live_server.url}{ASSETS}{number}%00/pledge-status/", timeout=10),
            {"registration_number": [NUL]},
            ("GET", f"{ASSETS}{number}\\x00/pledge-status/", {}),
        ),
        "NUL in a JSON body's value": (
            lambda: bank.post_json(BULK, {"registration_numbers": [number, "2026\x00"]}),
            {"registration_numbers.1": [NUL]},
            ("POST", BULK, {"registration_numbers": [number, "2026\\x00"]}),
        ),
        "a lone surrogate in a JSON body's value": (
            lambda: bank.post_json(BULK, data=json.dumps({"registration_numbers": [LONE]})),
            {"registration_numbers.0": [SURROGATE]},
            ("POST", BULK, {"registration_numbers": ["\\ud800"]}),
        ),
        "NUL in a JSON body's key": (
            lambda: bank.post_json(BULK, {"registration_numbers": [number], "note\x00": 1}),
            {"note\\x00": [NUL]},
            ("POST", BULK, {"registration_numbers": [number]}),
        ),
        "a lone surrogate deep in a JSON body": (
            lambda: bank.post_json(
                BULK,
                data=json.dumps({"registration_numbers": [number], "meta": {"tags": ["ok", LONE]}}),
            ),
            {"meta.tags.1": [SURROGATE]},
            ("POST", BULK, {"registration_numbers": [number]}),
        ),
    }
    for case, (send, errors, (method, path, query)) in cases.items():
        with subtests.test(case=case):
            # when
            response = send()

            # then: refused, naming the field, and the read is in the log with its answer
            assert response.status_code == 400, response.text
            assert response.json() == _invalid(errors)
            row = ApiReadLog.objects.order_by("-id").first()
            assert row is not None
            assert (row.method, row.path, row.query, row.status_code) == (
                method,
                path,
                query,
                400,
            )
            assert (row.organisation_id, row.key_prefix) == (
                world.pledgee_bank.pk,
                world.pledgee_key.record.prefix,
            )
    assert ApiReadLog.objects.count() == len(cases)


def test_a_surrogate_sent_in_a_url_arrives_as_replacement_characters_and_is_searched(
    live_server, world
):
    # given: %ED%A0%80 is the UTF-8 form U+D800 would have; Django decodes it with replacement
    bank = key_client(live_server.url, world.pledgee_key)

    # when
    response = bank.session.get(f"{live_server.url}{ASSETS}?q=%ED%A0%80", timeout=10)

    # then: three U+FFFD, which the database stores and compares: an ordinary search
    assert response.status_code == 200, response.text
    assert response.json()["results"] == []
    assert _logged() == [("GET", ASSETS, {"q": "\ufffd\ufffd\ufffd"}, 200)]


def test_unstorable_input_is_refused_before_any_query_of_the_register(world):
    # given: the API in-process, where the queries can be seen
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.pledgee_key.key}")
    number = world.asset.registration_number

    for send in (
        lambda: client.get(ASSETS, {"q": "港口\x00"}),
        lambda: client.get(f"{ASSETS}{number}\x00/pledge-status/"),
        lambda: client.post(
            BULK, json.dumps({"registration_numbers": [LONE]}), content_type="application/json"
        ),
    ):
        # when
        with CaptureQueriesContext(connection) as queries:
            response = send()

        # then: the key was looked up and the read logged; no asset or pledge was queried
        assert response.status_code == 400, response.content
        tables = " ".join(query["sql"] for query in queries.captured_queries)
        assert "registry_apireadlog" in tables
        assert "registry_dataasset" not in tables
        assert "registry_pledge" not in tables


def test_a_method_a_read_endpoint_does_not_allow_is_a_405_and_no_read(live_server, world):
    # given
    bank = key_client(live_server.url, world.pledgee_key)

    # when: PUT on the bulk look-up (whose reads are POSTs)
    response = bank.session.put(f"{live_server.url}{BULK}", json={}, timeout=10)

    # then: an answer in the envelope (the read log's method constraint made it a 500 before)
    assert response.status_code == 405, response.text
    assert response.json() == {"code": "method_not_allowed", "message": 'Method "PUT" not allowed.'}
    assert ApiReadLog.objects.count() == 0


# --- refused keys --------------------------------------------------------------------------------
def test_a_read_with_a_revoked_or_expired_key_is_logged_under_its_organisation(
    live_server, world, registrar
):
    # given: the pledgee's key revoked, the other bank's key expired
    services.api_key_revoke(api_key=world.pledgee_key.record, actor=registrar)
    expired = world.other_key.record
    expired.expiry_date = timezone.now() - dt.timedelta(days=1)
    expired.save(update_fields=["expiry_date"])
    url = f"{live_server.url}{ASSETS}{world.asset.registration_number}/pledge-status/"
    wrong_secret = f"{world.other_key.record.prefix}.not-the-secret"

    # when
    revoked = key_client(live_server.url, world.pledgee_key).session.get(url, timeout=10)
    lapsed = key_client(live_server.url, world.other_key).session.get(url, timeout=10)
    forged = key_client(live_server.url, world.other_key).session.get(
        url, headers={"Authorization": f"Api-Key {wrong_secret}"}, timeout=10
    )

    # then: both authentic keys' reads are logged as refused; a wrong secret is nobody's read
    assert [revoked.status_code, lapsed.status_code, forged.status_code] == [401, 401, 401]
    rows = list(ApiReadLog.objects.order_by("id"))
    path = f"{ASSETS}{world.asset.registration_number}/pledge-status/"
    assert [(r.organisation_id, r.key_prefix, r.path, r.status_code) for r in rows] == [
        (world.pledgee_bank.pk, world.pledgee_key.record.prefix, path, 401),
        (world.other_bank.pk, world.other_key.record.prefix, path, 401),
    ]


# --- database faults in reads --------------------------------------------------------------------
@on_postgresql
def test_a_read_whose_connection_is_terminated_is_a_503_and_is_logged(live_server, world, caplog):
    # given: the asset table locked from another connection, so the read waits on it
    bank = key_client(live_server.url, world.pledgee_key)
    path = f"{ASSETS}{world.asset.registration_number}/pledge-status/"
    with _other_connection() as locker, ThreadPoolExecutor(1) as pool:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE registry_dataasset IN ACCESS EXCLUSIVE MODE")
        pending = pool.submit(bank.session.get, f"{live_server.url}{path}", timeout=30)

        # when: its connection is terminated while it waits (as a failover or a restart does)
        waiting = _blocked_backend(locker, "registry_dataasset")
        with locker.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [waiting])
        response = pending.result()

    # then: 503 in the envelope with Retry-After, and the read logged on a new connection
    assert response.status_code == 503, response.text
    assert response.json() == UNAVAILABLE
    assert response.headers["Retry-After"] == "5"
    assert _logged() == [("GET", path, {}, 503)]
    assert any(
        record.name == "api.errors" and "terminating connection" in record.getMessage()
        for record in caplog.records
    )


@on_postgresql
def test_a_read_cancelled_by_the_statement_timeout_is_a_503_and_is_logged(live_server, world):
    # given: the live server's connections time statements out after 300 ms, and the asset table
    # is locked from another connection, so the search waits longer than that
    bank = key_client(live_server.url, world.pledgee_key)

    def short_timeout(sender, connection, **kwargs):
        if threading.current_thread() is not threading.main_thread():  # the server's threads
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 300")

    connection_created.connect(short_timeout)
    try:
        with _other_connection() as locker:
            with locker.cursor() as cursor:
                cursor.execute("LOCK TABLE registry_dataasset IN ACCESS EXCLUSIVE MODE")

            # when
            response = bank.session.get(f"{live_server.url}{ASSETS}?q=港口", timeout=30)
    finally:
        connection_created.disconnect(short_timeout)

    # then
    assert response.status_code == 503, response.text
    assert response.json() == UNAVAILABLE
    assert response.headers["Retry-After"] == "5"
    assert _logged() == [("GET", ASSETS, {"q": "港口"}, 503)]


@contextlib.contextmanager
def _column_renamed(table: str, column: str):
    """The schema no longer matching the code (a deployment gone wrong): a real database error
    for every query naming the column."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_gone")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} RENAME COLUMN {column}_gone TO {column}")


def test_a_database_fault_of_the_server_in_a_read_is_a_500_envelope_logged_with_its_traceback(
    live_server, world, caplog
):
    # given: a column the pledge status reads is missing (ProgrammingError on PostgreSQL,
    # OperationalError "no such column" on SQLite: not a busy database, so not a 503)
    bank = key_client(live_server.url, world.pledgee_key)
    path = f"{ASSETS}{world.asset.registration_number}/pledge-status/"

    # when
    with _column_renamed("registry_dataasset", "valid_until"):
        response = bank.session.get(f"{live_server.url}{path}", timeout=10)

    # then: JSON, not Django's HTML page; the traceback in the log; the read in the read log
    assert response.status_code == 500, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == SERVER_ERROR
    assert "Retry-After" not in response.headers
    errors = [r for r in caplog.records if r.name == "api.errors" and r.levelno == logging.ERROR]
    assert [record.getMessage() for record in errors] == [f"Database error in GET {path}"]
    assert errors[0].exc_info is not None and "valid_until" in str(errors[0].exc_info[1])
    assert _logged() == [("GET", path, {}, 500)]


@contextlib.contextmanager
def _inserts_refused(table: str, *, terminate: bool = False, at_commit: bool = False):
    """A trigger refusing every INSERT into `table`; on PostgreSQL, with `terminate`, killing the
    inserting connection instead (as a crash of its backend would), or with `at_commit`, refusing
    when the transaction commits (a deferred constraint trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            action = (
                "PERFORM pg_terminate_backend(pg_backend_pid())"
                if terminate
                else "RAISE EXCEPTION 'refused by the test''s trigger'"
            )
            cursor.execute(
                "CREATE FUNCTION dberr_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {action}; RETURN NEW; END $$"
            )
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER dberr_refuse AFTER INSERT ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dberr_refuse()"
                if at_commit
                else f"CREATE TRIGGER dberr_refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION dberr_refuse()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER dberr_refuse BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test''s trigger'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER dberr_refuse ON {table}")
                cursor.execute("DROP FUNCTION dberr_refuse()")
            else:
                cursor.execute("DROP TRIGGER dberr_refuse")


def test_a_read_log_row_that_cannot_be_written_leaves_the_answer_and_goes_to_the_logger(
    live_server, world, caplog
):
    # given: the read log table refuses rows
    bank = key_client(live_server.url, world.pledgee_key)
    path = f"{ASSETS}{world.asset.registration_number}/pledge-status/"

    # when
    with _inserts_refused("registry_apireadlog"):
        response = bank.session.get(f"{live_server.url}{path}?x=%00", timeout=10)

    # then: the answer stands (here the 400 for the NUL), and the logger has the read
    assert response.status_code == 400, response.text
    assert response.json() == _invalid({"x": [NUL]})
    assert ApiReadLog.objects.count() == 0
    [record] = [r for r in caplog.records if r.name == "api.read_log"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        "API read not recorded in the read log: "
        f"organisation={world.pledgee_bank.pk} key={world.pledgee_key.record.prefix} "
        f"GET {path} query={{'x': '\\\\x00'}} status=400"
    )
    assert record.exc_info is not None


# --- database faults in writes -------------------------------------------------------------------
def test_a_database_fault_in_a_write_is_a_500_envelope_and_keeps_nothing(
    live_server, world, registrar
):
    # given: the journal refuses events, so releasing the pledge fails half-way
    bank = key_client(live_server.url, world.pledgee_key)
    events = JournalEvent.objects.count()

    # when
    with _inserts_refused("registry_journalevent"):
        response = bank.post_json(f"{PLEDGES}{world.pledge.number}/release/", {"reason": "repaid"})

    # then: the envelope, and the pledge as it was (the request's transaction rolled back)
    assert response.status_code == 500, response.text
    assert response.json() == SERVER_ERROR
    world.pledge.refresh_from_db()
    assert world.pledge.status == PledgeStatus.ACTIVE
    assert JournalEvent.objects.count() == events


def _filing(asset) -> dict:
    return {
        "registration_number": asset.registration_number,
        "secured_amount": "1000000.00",
        "debt_start": DEBT_START.isoformat(),
        "debt_end": DEBT_END.isoformat(),
        "registration_end": REGISTRATION_END.isoformat(),
    }


@on_postgresql
def test_a_filing_whose_connection_dies_is_a_503_and_files_nothing(live_server, world):
    # given: a second registered asset, and a journal whose insert kills its connection
    asset = make_asset(world.holder, name="港口堆场作业数据集")
    bank = key_client(live_server.url, world.pledgee_key)
    pledges, events = Pledge.objects.count(), JournalEvent.objects.count()

    # when: the bank files a pledge on it
    with _inserts_refused("registry_journalevent", terminate=True):
        response = bank.post_json(PLEDGES, _filing(asset))

    # then: 503 (retry), and nothing was filed: retrying cannot file twice
    assert response.status_code == 503, response.text
    assert response.json() == UNAVAILABLE
    assert response.headers["Retry-After"] == "5"
    assert (Pledge.objects.count(), JournalEvent.objects.count()) == (pledges, events)


@on_postgresql
def test_a_filing_refused_when_its_transaction_commits_is_a_500_envelope_and_files_nothing(
    live_server, world
):
    # given: pledges checked by a deferred trigger, which refuses them at commit: after the
    # service and the answer, when the request's transaction ends
    asset = make_asset(world.holder, name="港口堆场作业数据集")
    bank = key_client(live_server.url, world.pledgee_key)
    pledges, events = Pledge.objects.count(), JournalEvent.objects.count()

    # when
    with _inserts_refused("registry_pledge", at_commit=True):
        response = bank.post_json(PLEDGES, _filing(asset))

    # then: the envelope (not Django's error page), and nothing filed
    assert response.status_code == 500, response.text
    assert response.json() == SERVER_ERROR
    assert (Pledge.objects.count(), JournalEvent.objects.count()) == (pledges, events)


@contextlib.contextmanager
def _connections_refused():
    """The test database accepting no new connection (the live server opens one per request);
    the test's own, already open, goes on."""
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    # From the maintenance database: PostgreSQL refuses this for the current one.
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    try:
        yield
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")


@on_postgresql
def test_while_the_database_refuses_connections_reads_and_filings_are_503s_in_the_envelope(
    live_server, world, caplog
):
    # given
    asset = make_asset(world.holder, name="港口堆场作业数据集")
    bank = key_client(live_server.url, world.pledgee_key)
    path = f"{ASSETS}{world.asset.registration_number}/pledge-status/"
    pledges = Pledge.objects.count()

    # when: a read (the key cannot be checked) and a filing (its transaction cannot open)
    with _connections_refused():
        read = bank.session.get(f"{live_server.url}{path}", timeout=10)
        filing = bank.post_json(PLEDGES, _filing(asset))

    # then: both answer 503 in the envelope; the read, which cannot be written to the read log,
    # is in the Python log with the key's prefix
    for response in (read, filing):
        assert response.status_code == 503, response.text
        assert response.json() == UNAVAILABLE
        assert response.headers["Retry-After"] == "5"
    assert Pledge.objects.count() == pledges
    assert ApiReadLog.objects.count() == 0
    [record] = [r for r in caplog.records if r.name == "api.read_log"]
    assert record.getMessage() == (
        "API read not recorded in the read log: "
        f"organisation=None key={world.pledgee_key.record.prefix} GET {path} query={{}} "
        "status=503"
    )


def test_nul_in_a_write_is_a_400_envelope_and_changes_nothing(live_server, world, subtests):
    bank = key_client(live_server.url, world.pledgee_key)
    number = world.pledge.number
    cases = {
        "the pledge number in the path": (
            f"{PLEDGES}{number}%00/release/",
            {"reason": "repaid"},
            {"number": [NUL]},
        ),
        "a key of the body": (
            f"{PLEDGES}{number}/release/",
            {"reason": "repaid", "x\x00": 1},
            {"x\\x00": [NUL]},
        ),
        "a valuation preview's nested body": (
            "/api/v1/valuations/preview/",
            {"method": "cost", "costs": {"direct\x00": "1"}},
            {"costs.direct\\x00": [NUL]},
        ),
    }
    for case, (path, body, errors) in cases.items():
        with subtests.test(case=case):
            response = bank.post_json(path, body)
            assert response.status_code == 400, response.text
            assert response.json() == _invalid(errors)
    world.pledge.refresh_from_db()
    assert world.pledge.status == PledgeStatus.ACTIVE


def test_nul_in_the_api_key_is_a_malformed_key(live_server, world):
    bank = key_client(live_server.url, world.pledgee_key)
    response = bank.session.get(
        f"{live_server.url}{ASSETS}",
        headers={"Authorization": "Api-Key ab\x00c.secret"},
        timeout=10,
    )
    assert response.status_code == 401, response.text
    assert response.json() == {"code": "authentication_failed", "message": "Malformed API key."}


def test_a_cursor_whose_position_is_not_an_id_is_an_invalid_cursor(live_server, world):
    bank = key_client(live_server.url, world.pledgee_key)
    cursor = base64.b64encode(b"p=abc").decode()
    response = bank.session.get(f"{live_server.url}{ASSETS}", params={"cursor": cursor}, timeout=10)
    assert response.status_code == 404, response.text
    assert response.json() == {"code": "not_found", "message": "Invalid cursor"}
    assert list(ApiReadLog.objects.values_list("status_code", flat=True)) == [404]


@on_postgresql
def test_a_release_refused_when_its_request_transaction_commits_is_a_500_envelope(
    live_server, world
):
    # given: journal rows refused at commit, which happens after the view has answered, outside
    # DRF (ATOMIC_REQUESTS wraps the view): Django alone would answer with its HTML error page
    bank = key_client(live_server.url, world.pledgee_key)
    number = world.pledge.number

    # when
    with _inserts_refused("registry_journalevent", at_commit=True):
        response = bank.post_json(f"{PLEDGES}{number}/release/", {"reason": "repaid"})

    # then: the envelope, and the pledge still stands
    assert response.status_code == 500, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == SERVER_ERROR
    assert Pledge.objects.get(number=number).status == PledgeStatus.ACTIVE


def test_a_form_body_with_too_many_fields_is_a_400_envelope(live_server, world):
    bank = key_client(live_server.url, world.pledgee_key)
    fields = {f"field{n}": "x" for n in range(1500)}  # Django's limit is 1,000
    response = bank.session.post(f"{live_server.url}/api/v1/pledge-status/bulk/", data=fields)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_input"
