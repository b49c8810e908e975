"""Idempotent POSTs (`api.idempotency`) over real HTTP against the live server: a filing sent again
with its `Idempotency-Key` is answered from the first one and files nothing more; the same key
with another request is 422; keys belong to an organisation (or a session's user); malformed
keys are 400; only successes use a key up; and concurrent duplicates wait for the first and get
its answer (PostgreSQL: the unique index; SQLite: IMMEDIATE transactions)."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
import requests
from django.core.cache import cache
from django.db import connection
from django.test import Client as DjangoClient
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from api import examples, idempotency
from api.models import IdempotencyKey
from certificates.models import Certificate, CertificateKind
from pledges import services as pledge_services
from pledges.models import Pledge, PledgeStatus
from pledges.selectors import ranked_pledges
from registry.models import ApiReadLog, JournalEvent
from tests.api.conftest import Client
from tests.api.test_bank_api_data import (
    BankWorld,
    bank_world,
    issue_key,
    key_client,
    session_client,
)
from tests.factories import BankFactory

PLEDGES = "/api/v1/pledges/"
BULK = "/api/v1/pledge-status/bulk/"
SEARCH_CERTIFICATES = "/api/v1/search-certificates/"
REPLAYED = idempotency.REPLAYED_HEADER


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def world(registrar, holder, enterprise_user) -> BankWorld:
    return bank_world(registrar, holder, enterprise_user)


def _filing(world: BankWorld, amount: str = "1200000.00") -> dict:
    return {
        "registration_number": world.asset.registration_number,
        "secured_amount": amount,
        "debt_start": "2026-09-01",
        "debt_end": "2027-08-31",
    }


def _keyed(key: str) -> dict[str, str]:
    return {idempotency.HEADER: key}


def _new_key() -> str:
    return str(uuid.uuid4())


def _written() -> dict:
    """What a request that must not execute leaves untouched."""
    return {
        "pledges": list(Pledge.objects.order_by("id").values_list("number", "status")),
        "journal": JournalEvent.objects.count(),
        "keys": IdempotencyKey.objects.count(),
    }


def _answer(response: requests.Response) -> tuple[int, str, bytes]:
    return response.status_code, response.headers["Content-Type"], response.content


# --- one key, one execution --------------------------------------------------------------------
def test_the_same_filing_sent_five_times_with_one_key_files_once(live_server, world):
    # given
    client = key_client(live_server.url, world.other_key)
    key = _new_key()
    before = _written()

    # when: the bank's system sends its filing, then four retries of it
    responses = [client.post_json(PLEDGES, _filing(world), headers=_keyed(key)) for _ in range(5)]

    # then: one pledge, five identical answers; the four repeats say they are replays
    assert [r.status_code for r in responses] == [201] * 5, responses[0].text
    assert len({_answer(r) for r in responses}) == 1
    assert [r.headers.get(REPLAYED) for r in responses] == [None] + ["true"] * 4
    filed = Pledge.objects.exclude(number__in=[number for number, _ in before["pledges"]])
    assert [p.number for p in filed] == [responses[0].json()["number"]]
    assert JournalEvent.objects.filter(event_type=pledge_services.PLEDGE_REGISTERED).count() == 2
    stored = IdempotencyKey.objects.get()
    assert (stored.key, stored.organisation_id, stored.user_id) == (key, world.other_bank.pk, None)
    assert (stored.method, stored.path, stored.status_code) == ("POST", PLEDGES, 201)
    assert bytes(stored.response_body) == responses[0].content
    assert stored.content_type == "application/json"
    assert stored.caller_label == f"API key {world.other_key.record.prefix} @ 渤海银行股份有限公司"


def test_the_body_is_compared_in_canonical_form(live_server, world):
    # given: a filing made with a key
    client = key_client(live_server.url, world.other_key)
    key = _new_key()
    first = client.post_json(PLEDGES, _filing(world), headers=_keyed(key))
    assert first.status_code == 201, first.text

    # when: the retry serialises the same body with other key order and spacing
    body = _filing(world)
    reordered = "{\n  " + ",\n  ".join(f'"{k}": "{body[k]}"' for k in reversed(body)) + "\n}"
    again = client.post_json(PLEDGES, data=reordered, headers=_keyed(key))

    # then: it is the same request
    assert _answer(again) == _answer(first)
    assert again.headers[REPLAYED] == "true"
    assert Pledge.objects.count() == 2


def test_a_retried_release_gets_its_first_answer_not_a_conflict(live_server, world):
    # given: the pledgee releases its pledge with a key (an ATOMIC_REQUESTS view)
    bank = key_client(live_server.url, world.pledgee_key)
    path = f"{PLEDGES}{world.pledge.number}/release/"
    key = _new_key()
    first = bank.post_json(path, {"reason": "还款完毕"}, headers=_keyed(key))
    assert first.status_code == 200, first.text

    # when: the answer was lost and the bank sends the release again, with and without its key
    again = bank.post_json(path, {"reason": "还款完毕"}, headers=_keyed(key))
    unkeyed = bank.post_json(path, {"reason": "还款完毕"})

    # then: the repeat gets the release's answer; without the key it is a second step (409)
    assert _answer(again) == _answer(first)
    assert again.json()["status"] == PledgeStatus.RELEASED
    assert unkeyed.status_code == 409, unkeyed.text
    assert JournalEvent.objects.filter(event_type=pledge_services.PLEDGE_RELEASED).count() == 1


def test_a_retried_search_certificate_is_issued_once(live_server, world):
    # given: a view outside ATOMIC_REQUESTS that writes (issues a certificate) and logs the read
    bank = key_client(live_server.url, world.other_key)
    key = _new_key()
    body = {"registration_numbers": [world.asset.registration_number]}

    # when
    first = bank.post_json(SEARCH_CERTIFICATES, body, headers=_keyed(key))
    again = bank.post_json(SEARCH_CERTIFICATES, body, headers=_keyed(key))

    # then: one certificate, the same answer; both reads are in the read log
    assert first.status_code == 201, first.text
    assert _answer(again) == _answer(first)
    assert Certificate.objects.filter(kind=CertificateKind.SEARCH).count() == 1
    logged = ApiReadLog.objects.filter(path=SEARCH_CERTIFICATES).values_list("status_code")
    assert list(logged) == [(201,), (201,)]


def test_a_replayed_bulk_read_is_logged_and_a_refused_one_keeps_its_key_free(live_server, world):
    bank = key_client(live_server.url, world.other_key)
    key = _new_key()

    # when: a refused bulk read (no list) with a key, then the corrected one twice
    refused = bank.post_json(BULK, {"registration_numbers": "none"}, headers=_keyed(key))
    body = {"registration_numbers": [world.asset.registration_number]}
    first = bank.post_json(BULK, body, headers=_keyed(key))
    again = bank.post_json(BULK, body, headers=_keyed(key))

    # then: the refusal did not use the key up; every read was logged, the replay too
    assert refused.status_code == 400, refused.text
    assert first.status_code == 200, first.text
    assert _answer(again) == _answer(first)
    assert (first.headers.get(REPLAYED), again.headers[REPLAYED]) == (None, "true")
    logged = ApiReadLog.objects.filter(path=BULK).order_by("id").values_list("status_code")
    assert list(logged) == [(400,), (200,), (200,)]
    assert IdempotencyKey.objects.get().status_code == 200


# --- misuse ------------------------------------------------------------------------------------
def test_the_same_key_with_another_request_is_422_and_runs_nothing(live_server, world, subtests):
    # given: a filing made with a key
    client = key_client(live_server.url, world.pledgee_key)
    key = _new_key()
    first = client.post_json(PLEDGES, _filing(world), headers=_keyed(key))
    assert first.status_code == 201, first.text
    written = _written()

    cases = {
        "another amount": (PLEDGES, _filing(world, "1300000.00")),
        "a field more": (PLEDGES, {**_filing(world), "registration_end": "2027-12-31"}),
        "another path": (
            f"{PLEDGES}{world.pledge.number}/amend/",
            {"secured_amount": "6000000.00", "reason": "增加授信"},
        ),
        "an empty body": (PLEDGES, {}),
    }
    for case, (path, body) in cases.items():
        with subtests.test(case=case):
            # when
            response = client.post_json(path, body, headers=_keyed(key))
            # then
            assert response.status_code == 422, response.text
            assert response.json() == examples.KEY_REUSED_BODY
            assert REPLAYED not in response.headers
            assert _written() == written

    with subtests.test("the first request still replays"):
        assert _answer(client.post_json(PLEDGES, _filing(world), headers=_keyed(key))) == _answer(
            first
        )


def test_a_key_whose_first_request_is_unfinished_is_409(live_server, world):
    # given: a row without its answer (only ever visible inside the first request's transaction;
    # written here directly to reach the refusal)
    key = _new_key()
    IdempotencyKey.objects.create(
        key=key,
        organisation=world.other_bank,
        caller_label="a request still running",
        method="POST",
        path=PLEDGES,
        body_sha256="0" * 64,
    )
    written = _written()

    # when
    client = key_client(live_server.url, world.other_key)
    response = client.post_json(PLEDGES, _filing(world), headers=_keyed(key))

    # then
    assert response.status_code == 409, response.text
    assert response.json()["code"] == idempotency.CODE_IN_USE
    assert _written() == written


# --- whose keys --------------------------------------------------------------------------------
def test_keys_are_kept_per_organisation(live_server, world, registrar):
    # given: one key value used by two banks and by a registrar's session
    key = "filing-0001"
    pledgee = key_client(live_server.url, world.pledgee_key)
    other = key_client(live_server.url, world.other_key)
    registrar_session = session_client(live_server.url, registrar)

    # when
    by_pledgee = pledgee.post_json(PLEDGES, _filing(world, "100.00"), headers=_keyed(key))
    by_other = other.post_json(PLEDGES, _filing(world, "200.00"), headers=_keyed(key))
    by_registrar = registrar_session.post_json(
        PLEDGES,
        {**_filing(world, "300.00"), "pledgee_uscc": world.other_bank.uscc},
        headers=_keyed(key),
    )
    # a second API key of the same bank shares its organisation's keys
    second_key = key_client(live_server.url, issue_key(world.other_bank, registrar))
    by_other_again = second_key.post_json(PLEDGES, _filing(world, "200.00"), headers=_keyed(key))

    # then: three filings, none a replay of another's; the bank's second system gets its answer
    assert [r.status_code for r in (by_pledgee, by_other, by_registrar)] == [201] * 3
    assert [r.headers.get(REPLAYED) for r in (by_pledgee, by_other, by_registrar)] == [None] * 3
    assert len({r.json()["number"] for r in (by_pledgee, by_other, by_registrar)}) == 3
    assert _answer(by_other_again) == _answer(by_other)
    assert Pledge.objects.count() == 4  # the world's pledge and three filings
    owners = set(IdempotencyKey.objects.values_list("organisation_id", "user_id"))
    assert owners == {
        (world.pledgee_bank.pk, None),
        (world.other_bank.pk, None),
        (None, registrar.pk),
    }


# --- the header --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "The key must have 1 to 255 characters; this one has 0."),
        ("k" * 256, "The key must have 1 to 255 characters; this one has 256."),
        ('""', "The key must have 1 to 255 characters; this one has 0."),
        (
            b"caf\xc3\xa9",
            "The key may contain only printable ASCII characters (letters, digits, - _ . etc.).",
        ),
        (
            "a\tb",
            "The key may contain only printable ASCII characters (letters, digits, - _ . etc.).",
        ),
        ('"a\\b"', 'In a quoted key, "\\" may only escape " or \\.'),
        ('"a"b"', 'In a quoted key, " must be escaped as \\".'),
    ],
    ids=["empty", "256 characters", "empty quoted", "UTF-8", "tab", "bad escape", "lone quote"],
)
def test_a_malformed_key_is_a_400_naming_the_header(live_server, world, value, message):
    client = key_client(live_server.url, world.other_key)
    written = _written()

    # when
    response = client.post_json(PLEDGES, _filing(world), headers={idempotency.HEADER: value})

    # then
    assert response.status_code == 400, response.text
    assert response.json() == {
        "code": "invalid_input",
        "message": f"Idempotency-Key: {message}",
        "errors": {"Idempotency-Key": [message]},
    }
    assert _written() == written


def test_the_longest_key_and_the_quoted_form_are_accepted(live_server, world):
    client = key_client(live_server.url, world.other_key)
    longest = "~ !" + "k" * 252

    # when: 255 printable characters, bare and then as a Structured Field string
    first = client.post_json(PLEDGES, _filing(world), headers=_keyed(longest))
    quoted = client.post_json(PLEDGES, _filing(world), headers=_keyed(f'"{longest}"'))
    escaped = client.post_json(PLEDGES, _filing(world, "5.00"), headers=_keyed('"a\\"b\\\\c"'))

    # then: both forms name the same key
    assert first.status_code == 201, first.text
    assert _answer(quoted) == _answer(first)
    assert escaped.status_code == 201, escaped.text
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {longest, 'a"b\\c'}


def test_a_key_is_checked_only_after_authentication(live_server, world):
    # a caller without credentials learns nothing about keys: 401 first
    response = Client(live_server.url).post_json(PLEDGES, _filing(world), headers=_keyed(""))
    assert response.status_code == 401, response.text


def test_without_a_key_a_post_behaves_as_before(live_server, world):
    client = key_client(live_server.url, world.other_key)

    # when: the same filing twice, without a key
    first = client.post_json(PLEDGES, _filing(world))
    second = client.post_json(PLEDGES, _filing(world))

    # then: two filings (the registry cannot tell a retry from a second loan), nothing remembered
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["number"] != second.json()["number"]
    assert (first.json()["rank"], second.json()["rank"]) == (2, 3)
    assert REPLAYED not in first.headers and REPLAYED not in second.headers
    assert IdempotencyKey.objects.count() == 0


# --- what uses a key up ------------------------------------------------------------------------
def test_a_refusal_does_not_use_the_key_up(live_server, world):
    client = key_client(live_server.url, world.other_key)
    key = _new_key()

    # when: refused (a float amount), then corrected and sent with the same key, then retried
    refused = client.post_json(
        PLEDGES, {**_filing(world), "secured_amount": 1.5}, headers=_keyed(key)
    )
    assert IdempotencyKey.objects.count() == 0
    corrected = client.post_json(PLEDGES, _filing(world), headers=_keyed(key))
    retried = client.post_json(PLEDGES, _filing(world), headers=_keyed(key))

    # then
    assert refused.status_code == 400, refused.text
    assert corrected.status_code == 201, corrected.text
    assert _answer(retried) == _answer(corrected)
    assert Pledge.objects.count() == 2


def test_a_server_error_after_the_filing_commits_nothing_and_frees_the_key(
    live_server, world, monkeypatch
):
    # given: the answer fails once after the pledge was written (the service had returned)
    import api.views

    answer = api.views._pledge_response
    failures = iter([RuntimeError("the answer could not be built")])

    def failing_once(*args, **kwargs):
        for failure in failures:
            raise failure
        return answer(*args, **kwargs)

    monkeypatch.setattr(api.views, "_pledge_response", failing_once)
    client = key_client(live_server.url, world.other_key)
    key = _new_key()
    before = _written()

    # when
    failed = client.post_json(PLEDGES, _filing(world), headers=_keyed(key))
    after_failure = _written()
    retried = client.post_json(PLEDGES, _filing(world), headers=_keyed(key))

    # then: the 500 left nothing (without the key's transaction the pledge stayed, as the issue
    # found); the retry with the key files the pledge once
    assert failed.status_code == 500
    assert after_failure == before
    assert retried.status_code == 201, retried.text
    assert REPLAYED not in retried.headers
    assert Pledge.objects.count() == 2


# --- concurrent duplicates ---------------------------------------------------------------------
def _five_at_once(live_server, world, monkeypatch) -> list[requests.Response]:
    """The same filing with one key from five threads at once, while the first to take the key
    is held inside the service for a moment (so the others surely arrive while it runs)."""
    register = pledge_services.pledge_register
    entered = threading.Event()

    def slow_register(**kwargs):
        entered.set()
        time.sleep(0.5)
        return register(**kwargs)

    monkeypatch.setattr(pledge_services, "pledge_register", slow_register)
    key = _new_key()
    body = _filing(world)
    barrier = threading.Barrier(5)
    responses: list = [None] * 5

    def send(index: int) -> None:
        client = key_client(live_server.url, world.other_key)
        barrier.wait()
        try:
            responses[index] = client.post_json(PLEDGES, body, headers=_keyed(key))
        except BaseException as exc:  # reported below
            responses[index] = exc

    threads = [threading.Thread(target=send, args=(index,)) for index in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert entered.is_set()
    assert all(isinstance(r, requests.Response) for r in responses), responses
    return responses


def _assert_one_filing_five_answers(responses, world) -> None:
    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    # all five overlapped the first one's half second inside the service: the repeats waited
    assert min(r.elapsed.total_seconds() for r in responses) >= 0.45
    assert len({_answer(r) for r in responses}) == 1
    assert sorted(r.headers.get(REPLAYED, "") for r in responses) == [""] + ["true"] * 4
    filed = Pledge.objects.filter(asset=world.asset).exclude(pk=world.pledge.pk)
    assert [p.number for p in filed] == [responses[0].json()["number"]]
    assert [p.rank for p in ranked_pledges().filter(asset=world.asset)] == [1, 2]
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the unique index wait is PostgreSQL's"
)
def test_five_concurrent_duplicates_wait_for_the_first_and_replay_it_postgres(
    live_server, world, monkeypatch
):
    responses = _five_at_once(live_server, world, monkeypatch)
    _assert_one_filing_five_answers(responses, world)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's IMMEDIATE transactions")
def test_five_concurrent_duplicates_wait_for_the_first_and_replay_it_sqlite(
    live_server, world, monkeypatch
):
    responses = _five_at_once(live_server, world, monkeypatch)
    _assert_one_filing_five_answers(responses, world)


# --- the canonical body (pure) -------------------------------------------------------------------
def test_the_body_fingerprint_ignores_order_and_keeps_every_value_and_type():
    fingerprint = idempotency.body_sha256
    body = {"b": ["x", {"d": "1", "c": None}], "a": "1200.00"}
    reordered = {"a": "1200.00", "b": ["x", {"c": None, "d": "1"}]}
    assert fingerprint(body) == fingerprint(reordered)
    assert len(fingerprint(body)) == 64
    for other in (
        {**body, "a": "1200.0"},  # the amount as written
        {**body, "a": 1200},  # a number is not its string
        {**body, "b": ["x"]},
        {"a": "1200.00"},
        [body],
        {},
    ):
        assert fingerprint(other) != fingerprint(body), other


def test_a_form_body_is_fingerprinted_with_its_files_contents():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.http import QueryDict

    def form(content: bytes, name: str = "c.pdf"):
        data = QueryDict("note=a&note=b", mutable=True)
        data.setlist("document", [SimpleUploadedFile(name, content)])
        return data

    uploaded = form(b"%PDF-1.7 one")
    assert idempotency.body_sha256(uploaded) == idempotency.body_sha256(form(b"%PDF-1.7 one"))
    assert uploaded["document"].read() == b"%PDF-1.7 one"  # left readable for the view
    assert idempotency.body_sha256(form(b"%PDF-1.7 two")) != idempotency.body_sha256(uploaded)
    assert idempotency.body_sha256(form(b"%PDF-1.7 one", "d.pdf")) != idempotency.body_sha256(
        uploaded
    )


# --- housekeeping ------------------------------------------------------------------------------
def test_prune_removes_keys_older_than_asked(db, registrar):
    # given: keys first received 1 h, 47 h, 49 h and 10 days ago
    bank = BankFactory()
    now = timezone.now()
    ages = {"fresh": 1, "two days less an hour": 47, "two days and an hour": 49, "old": 240}
    for name, hours in ages.items():
        IdempotencyKey.objects.create(
            key=name,
            organisation=bank,
            caller_label="test",
            method="POST",
            path=PLEDGES,
            body_sha256="0" * 64,
            status_code=201,
            created_at=now - dt.timedelta(hours=hours),
        )

    # when
    pruned = idempotency.idempotency_prune(older_than=idempotency.RETENTION)

    # then
    assert pruned == 2
    remaining = set(IdempotencyKey.objects.values_list("key", flat=True))
    assert remaining == {"fresh", "two days less an hour"}
    assert idempotency.idempotency_prune(older_than=idempotency.RETENTION) == 0
    with pytest.raises(ValueError, match="kept at least 24 hours"):
        idempotency.idempotency_prune(older_than=dt.timedelta(hours=23))
    assert IdempotencyKey.objects.count() == 2


# --- documentation and admin -------------------------------------------------------------------
def test_every_post_documents_the_idempotency_key(live_server):
    # when
    response = Client(live_server.url).session.get(
        f"{live_server.url}/api/schema/?format=json", timeout=30
    )

    # then
    assert response.status_code == 200, response.text
    schema = response.json()
    validate_schema(schema)
    posts = {path: item["post"] for path, item in schema["paths"].items() if "post" in item}
    assert len(posts) >= 9
    for path, operation in posts.items():
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        assert idempotency.HEADER in headers, path
        assert headers[idempotency.HEADER].get("required", False) is False
        assert headers[idempotency.HEADER]["schema"]["maxLength"] == 255
        assert operation["responses"]["422"]["content"]["application/json"]["examples"], path
    filing = posts["/api/v1/pledges/"]
    assert REPLAYED in filing["responses"]["201"]["headers"]
    assert (
        "Idempotency-Key"
        in filing["requestBody"]["content"]["application/json"]["examples"][
            "ABankFilesAPledgeForItself"
        ]["description"]
    )
    for path, item in schema["paths"].items():
        if "get" in item:
            names = {p["name"] for p in item["get"].get("parameters", [])}
            assert idempotency.HEADER not in names, path


def test_registrars_see_the_keys_read_only(db, registrar, bank_user):
    # given
    key = IdempotencyKey.objects.create(
        key="filing-0001",
        organisation=bank_user.organisation,
        caller_label="API key abc @ bank",
        method="POST",
        path=PLEDGES,
        body_sha256="0" * 64,
        status_code=201,
        content_type="application/json",
        response_body=b'{"number": "ZY202600000001"}',
    )
    client = DjangoClient()
    client.force_login(registrar)

    # when / then
    listing = client.get("/admin/api/idempotencykey/")
    assert listing.status_code == 200
    assert "filing-0001" in listing.content.decode()
    page = client.get(f"/admin/api/idempotencykey/{key.pk}/change/")
    assert page.status_code == 200
    assert "ZY202600000001" in page.content.decode()
    assert client.get("/admin/api/idempotencykey/add/").status_code == 403
    assert client.post(f"/admin/api/idempotencykey/{key.pk}/delete/").status_code == 403
    assert IdempotencyKey.objects.count() == 1
