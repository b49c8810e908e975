"""The bank API's reads over real HTTP (live server, `requests`, API keys and sessions): the public
asset list and record, pledge status one by one and in bulk, who sees appraisal figures, the read
log, rate limits and the OpenAPI document. Query counts are measured in-process (DRF's APIClient),
where the test can see the queries."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from api.authentication import ApiClient
from certificates.models import CertificateStatus
from core.counters import DatabaseStore, counter_store
from pledges import access
from pledges import services as pledge_services
from pledges.access import may_view_private
from records.register import assets_for_pledge_status
from registry.choices import AssetStatus
from registry.identifiers import compose_registration_number
from registry.models import ApiReadLog
from tests.api.conftest import Client
from tests.api.test_bank_api_data import (
    SHANGHAI,
    BankWorld,
    appraise,
    bank_world,
    grade,
    issue_key,
    key_client,
    make_asset,
    make_certificate,
    pledge,
    session_client,
)
from tests.factories import BankFactory, OrganisationFactory, UserFactory

ASSETS = "/api/v1/assets/"
BULK = "/api/v1/pledge-status/bulk/"
SEARCH = "/api/v1/pledges/"
CHECK_MESSAGE = "登记号校验位错误 (registration number check character does not match: mistyped?)"
FORMAT_MESSAGE = (
    "登记号格式错误：应为15位数字加1位校验码 "
    "(registration number must be 15 digits and a check character: YYYY SS T NNNNNNNN C)"
)


EXPIRED_DATES = {
    "registered_at": dt.datetime(2023, 6, 2, 9, 0, tzinfo=SHANGHAI),
    "valid_until": dt.date(2026, 6, 1),
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # throttle counters live in the cache, shared with the live server thread


@pytest.fixture
def world(registrar, holder, enterprise_user) -> BankWorld:
    return bank_world(registrar, holder, enterprise_user)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat()


def _mistyped(number: str) -> str:
    """The number with a wrong check character."""
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def _unknown_number(serial: int) -> str:
    return compose_registration_number(
        year=2025, source_code="04", subject_code="9", sequence=90_000_000 + serial
    )


def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def _pledge_row(p, rank: int) -> dict:
    return {
        "number": p.number,
        "pledgee": {"name": p.pledgee.name, "uscc": p.pledgee.uscc},
        "secured_amount": str(p.secured_amount),
        "currency": "CNY",
        "debt_start": p.debt_start.isoformat(),
        "debt_end": p.debt_end.isoformat(),
        "registration_end": p.registration_end.isoformat(),
        "registered_at": _local(p.registered_at),
        "rank": rank,
    }


# --- GET assets/ -------------------------------------------------------------------------------
def test_asset_list_shows_the_public_register_with_filters_and_cursor_pages(
    live_server, world, registrar, subtests
):
    # given: the world's registered asset, three more of other statuses, and non-public ones
    other_holder = OrganisationFactory(name="北京交通数据集团有限公司")
    expired = make_asset(
        other_holder,
        name="公交刷卡数据",
        status=AssetStatus.EXPIRED,
        data_category="public_authorised",
        registered_at=dt.datetime(2023, 3, 1, 9, 0, tzinfo=SHANGHAI),
        valid_until=dt.date(2026, 2, 28),
    )
    grade(expired, registrar, "B", "78.00")
    cancelled = make_asset(
        world.holder,
        name="堆场作业数据",
        status=AssetStatus.CANCELLED,
        registered_at=dt.datetime(2025, 1, 10, 9, 0, tzinfo=SHANGHAI),
    )
    revoked = make_asset(
        other_holder,
        name="地铁客流数据",
        status=AssetStatus.REVOKED,
        data_category="personal_derived",
        registered_at=dt.datetime(2026, 8, 1, 9, 0, tzinfo=SHANGHAI),
    )
    for status in (AssetStatus.DRAFT, AssetStatus.UNDER_REVIEW, AssetStatus.PUBLICITY):
        # never shown, even with a (forged) number
        make_asset(world.holder, name=f"未登记{status}", status=status)
    client = key_client(live_server.url, world.other_key)

    # when
    data = _ok(client.session.get(live_server.url + ASSETS, timeout=10))

    # then: newest first, public fields only
    numbers = [item["registration_number"] for item in data["results"]]
    assert numbers == [
        revoked.registration_number,
        cancelled.registration_number,
        expired.registration_number,
        world.asset.registration_number,
    ]
    assert data["results"][-1] == {
        "registration_number": world.asset.registration_number,
        "name": "港口集装箱物流轨迹数据集",
        "holder": {"name": "天津港数据服务有限公司", "uscc": world.holder.uscc},
        "status": "registered",
        "data_category": "enterprise",
        "registered_at": "2026-06-09T10:00:00+08:00",
        "valid_until": "2029-06-08",
        "quality_grade": "A",
        "encumbered": True,
    }
    assert data["results"][0]["quality_grade"] is None
    assert data["results"][0]["encumbered"] is False
    assert (data["next"], data["previous"]) == (None, None)

    filters = {
        "status=expired": [expired],
        "status=registered": [world.asset],
        f"holder={other_holder.uscc}": [revoked, expired],
        f"holder={other_holder.uscc.lower()}": [revoked, expired],
        "category=personal_derived": [revoked],
        "grade=B": [expired],
        "grade=A&category=enterprise": [world.asset],
        "registered_from=2025-01-10": [revoked, cancelled, world.asset],
        "registered_to=2025-01-10": [cancelled, expired],
        "registered_from=2026-06-01&registered_to=2026-06-30": [world.asset],
        "q=客流": [revoked],
        "q=北京交通": [revoked, expired],
        f"q={world.asset.registration_number[-5:]}": [world.asset],
        f"q={world.asset.registration_number[:8]}-{world.asset.registration_number[8:]}": [
            world.asset
        ],
        "q=nothing-like-this": [],
    }
    for query, expected in filters.items():
        with subtests.test(query=query):
            page = _ok(client.session.get(f"{live_server.url}{ASSETS}?{query}", timeout=10))
            assert [item["registration_number"] for item in page["results"]] == [
                asset.registration_number for asset in expected
            ]

    for query, field in (
        ("status=draft", "status"),
        ("holder=911200000000000000", "holder"),
        ("registered_from=2026-13-01", "registered_from"),
        ("category=secret", "category"),
    ):
        with subtests.test(invalid=query):
            response = client.session.get(f"{live_server.url}{ASSETS}?{query}", timeout=10)
            assert response.status_code == 400, response.text
            assert response.json()["code"] == "invalid_input"
            assert list(response.json()["errors"]) == [field]

    with subtests.test("cursor pages of 3, then the rest"):
        first = _ok(client.session.get(f"{live_server.url}{ASSETS}?page_size=3", timeout=10))
        assert len(first["results"]) == 3
        second = _ok(client.session.get(first["next"], timeout=10))
        assert [item["registration_number"] for item in second["results"]] == [
            world.asset.registration_number
        ]
        assert second["next"] is None
        assert second["previous"] is not None


# --- GET assets/<number>/ ----------------------------------------------------------------------
def test_asset_detail_is_the_public_record_and_numbers_are_checked(live_server, world, subtests):
    client = key_client(live_server.url, world.other_key)
    number = world.asset.registration_number

    # when
    data = _ok(client.session.get(f"{live_server.url}{ASSETS}{number}/", timeout=10))

    # then
    assert data == {
        "registration_number": number,
        "name": "港口集装箱物流轨迹数据集",
        "holder": {"name": "天津港数据服务有限公司", "uscc": world.holder.uscc},
        "status": "registered",
        "description": "天津港集装箱进出港轨迹。",
        "industry": "G",
        "data_category": "enterprise",
        "data_format": "table",
        "source": "self_collected",
        "record_count": 1250000,
        "size_bytes": 3400000000,
        "update_frequency": "daily",
        "time_span_start": "2021-01-01",
        "time_span_end": "2025-12-31",
        "rights": ["right_holding", "right_processing"],
        "registered_at": "2026-06-09T10:00:00+08:00",
        "valid_from": "2026-06-09",
        "valid_until": "2029-06-08",
        "version": 1,
        "evidence_sha256": "ab" * 32,
        "quality_grade": "A",
        "quality_score": "91.50",
        "encumbered": True,
        "certificate": {"number": world.certificate.number, "status": "valid"},
    }
    assert "appraisal" not in data and "value_amount" not in data

    spaced = f"{number[:4]} {number[4:6]}-{number[6:]}"
    with subtests.test("spaces and dashes are ignored"):
        assert (
            _ok(client.session.get(f"{live_server.url}{ASSETS}{spaced}/", timeout=10))[
                "registration_number"
            ]
            == number
        )

    cases = {
        "check character": (_mistyped(number), 400, CHECK_MESSAGE),
        "format": ("2026-01", 400, FORMAT_MESSAGE),
        "letters": ("20260190000000AB", 400, FORMAT_MESSAGE),
        "unknown": (
            _unknown_number(1),
            404,
            f"No registered asset has the number {_unknown_number(1)}.",
        ),
    }
    for path in ("", "pledge-status/"):
        for case, (sent, status, message) in cases.items():
            with subtests.test(case=case, path=path):
                response = client.session.get(f"{live_server.url}{ASSETS}{sent}/{path}", timeout=10)
                assert response.status_code == status, response.text
                if status == 400:
                    assert response.json() == {
                        "code": "invalid_input",
                        "message": f"registration_number: {message}",
                        "errors": {"registration_number": [message]},
                    }
                else:
                    assert response.json() == {"code": "not_found", "message": message}


# --- GET assets/<number>/pledge-status/ --------------------------------------------------------
def test_pledge_status_lists_active_pledges_in_priority_order(live_server, world, registrar):
    # given: a second bank's pledge, a released one, a reissued certificate, an older appraisal
    second_bank = BankFactory(name="渤海银行股份有限公司")
    second = pledge(world.asset, second_bank, registrar, "1200000.00")
    released = pledge(world.asset, second_bank, registrar, "300000.00")
    pledge_services.pledge_release(pledge=released, actor=registrar, reason="repaid")
    world.certificate.status = CertificateStatus.SUPERSEDED
    world.certificate.save(update_fields=["status"])
    reissued = make_certificate(world.asset, day=20)
    appraise(world.asset, "9000000.00", dt.date(2026, 3, 31))  # older base date: not current
    client = key_client(live_server.url, world.pledgee_key)
    url = f"{live_server.url}{ASSETS}{world.asset.registration_number}/pledge-status/"
    before = timezone.now()

    # when
    data = _ok(client.session.get(url, timeout=10))

    # then
    as_of = dt.datetime.fromisoformat(data.pop("as_of"))
    assert before <= as_of <= timezone.now()
    assert as_of.utcoffset() == dt.timedelta(hours=8)
    assert data == {
        "registration_number": world.asset.registration_number,
        "status": "registered",
        "valid_from": "2026-06-09",
        "valid_until": "2029-06-08",
        "encumbered": True,
        "pledges": [_pledge_row(world.pledge, 1), _pledge_row(second, 2)],
        "certificate": {"number": reissued.number, "status": "valid"},
        "quality_grade": "A",
        "appraisal": {"value_amount": "18500000.00", "currency": "CNY", "base_date": "2026-06-30"},
    }
    assert data["pledges"][0]["secured_amount"] == "5000000.00"

    # when the first pledge is released, the second moves up
    pledge_services.pledge_release(pledge=world.pledge, actor=registrar)
    data = _ok(key_client(live_server.url, world.other_key).session.get(url, timeout=10))
    assert data["pledges"] == [_pledge_row(second, 1)]
    assert data["appraisal"] is None  # the other bank is no pledgee

    # and with none left, nothing encumbers it
    pledge_services.pledge_release(pledge=second, actor=registrar)
    data = _ok(client.session.get(url, timeout=10))
    assert (data["encumbered"], data["pledges"], data["appraisal"]) == (False, [], None)


def test_pledge_status_of_an_expired_registration(live_server, world, registrar):
    # given: an expired asset whose certificate was never revoked, never graded nor appraised
    asset = make_asset(world.holder, status=AssetStatus.EXPIRED, **EXPIRED_DATES)
    certificate = make_certificate(asset)
    client = session_client(live_server.url, world.holder_user)

    # when
    data = _ok(
        client.session.get(
            f"{live_server.url}{ASSETS}{asset.registration_number}/pledge-status/", timeout=10
        )
    )

    # then: the certificate's effective status, as the verification page says it
    assert data["status"] == "expired"
    assert data["certificate"] == {"number": certificate.number, "status": "expired"}
    assert (data["quality_grade"], data["appraisal"], data["pledges"]) == (None, None, [])


# --- constant query counts (in-process) --------------------------------------------------------
def _queries(client: APIClient, url: str, *, method: str = "get", body=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = getattr(client, method)(url, body, format="json") if body else client.get(url)
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


# The API's rate-limit hit is one query when the counters live in the database (core.counters).
COUNTER_QUERY = int(isinstance(counter_store(), DatabaseStore))


def test_pledge_status_costs_the_same_queries_for_1_and_30_pledges(
    world, registrar, django_assert_max_num_queries
):
    # given: the world's asset has 1 pledge; another asset gets 30 from three banks
    crowded = make_asset(world.holder, name="多次质押的数据集")
    make_certificate(crowded)
    banks = [world.pledgee_bank, *(BankFactory() for _ in range(2))]
    for serial in range(30):
        pledge(crowded, banks[serial % 3], registrar, f"{serial + 1}000.00")
    client = APIClient()
    client.credentials(**{"HTTP_AUTHORIZATION": world.pledgee_key.headers["Authorization"]})
    one = f"{ASSETS}{world.asset.registration_number}/pledge-status/"
    thirty = f"{ASSETS}{crowded.registration_number}/pledge-status/"

    # when
    queries_one = _queries(client, one)
    queries_thirty = _queries(client, thirty)

    # then: key lookup, rate-limit hit (a query unless the counters are in Redis), asset
    # (annotated), active pledges with pledgees, read-log insert
    assert queries_one == queries_thirty == 4 + COUNTER_QUERY
    with django_assert_max_num_queries(4 + COUNTER_QUERY):
        data = client.get(thirty).json()
    assert [row["rank"] for row in data["pledges"]] == list(range(1, 31))
    assert data["pledges"][29]["secured_amount"] == "30000.00"


def test_asset_list_and_bulk_query_counts_do_not_grow_with_the_data(world, registrar):
    # given
    client = APIClient()
    client.credentials(**{"HTTP_AUTHORIZATION": world.other_key.headers["Authorization"]})
    few = _queries(client, ASSETS)
    few_bulk = _queries(
        client,
        BULK,
        method="post",
        body={"registration_numbers": [world.asset.registration_number]},
    )
    assets = [make_asset(world.holder) for _ in range(60)]
    for asset in assets[:10]:
        pledge(asset, world.pledgee_bank, registrar)
        grade(asset, registrar, "B", "80.00")
    numbers = [asset.registration_number for asset in assets]
    numbers += [_unknown_number(serial) for serial in range(1000 - len(numbers))]

    # when / then: a full page of 50 costs what a page of 1 did: key, rate-limit hit, page, read
    # log
    assert _queries(client, ASSETS) == few == 3 + COUNTER_QUERY
    assert len(client.get(ASSETS).json()["results"]) == 50
    assert len(client.get(f"{ASSETS}?page_size=55").json()["results"]) == 55
    assert len(client.get(f"{ASSETS}?page_size=5000").json()["results"]) == 61  # max 200
    # 1,000 distinct numbers: assets (+ their pledges, when some match) per chunk of 500 numbers,
    # not per number; here the first chunk holds only unknown (2025) numbers
    assert few_bulk == 4 + COUNTER_QUERY
    bulk = _queries(client, BULK, method="post", body={"registration_numbers": numbers})
    assert bulk == 5 + COUNTER_QUERY


# --- who sees what -----------------------------------------------------------------------------
READ_ENDPOINTS = ("list", "detail", "pledge-status", "bulk", "search")
SEES_APPRAISAL = {
    "anonymous": None,
    "holder_session": True,
    "other_enterprise_session": False,
    "other_bank_key": False,
    "pledgee_bank_key": True,
    "registrar_session": True,
}


def _read(client: Client, endpoint: str, world: BankWorld):
    base = client.base_url
    number = world.asset.registration_number
    if endpoint == "bulk":
        return client.post_json(BULK, {"registration_numbers": [number]})
    url = {
        "list": f"{ASSETS}",
        "detail": f"{ASSETS}{number}/",
        "pledge-status": f"{ASSETS}{number}/pledge-status/",
        "search": f"{SEARCH}?pledgor={world.holder.uscc}",
    }[endpoint]
    return client.session.get(base + url, timeout=10)


def test_read_permission_matrix(live_server, world, subtests):
    callers = world.callers(live_server.url)
    for endpoint, (caller, sees) in itertools.product(READ_ENDPOINTS, SEES_APPRAISAL.items()):
        with subtests.test(endpoint=endpoint, caller=caller):
            response = _read(callers[caller], endpoint, world)
            if sees is None:
                assert response.status_code == 401, response.text
                assert response.json() == {
                    "code": "not_authenticated",
                    "message": "Authentication credentials were not provided.",
                }
                assert response.headers["WWW-Authenticate"] == 'Api-Key realm="api"'
                continue
            assert response.status_code == 200, response.text
            data = response.json()
            if endpoint == "pledge-status":
                assert (data["appraisal"] is not None) is sees
            if endpoint == "bulk":
                assert (data["results"][0]["appraisal"] is not None) is sees
            if endpoint == "search":
                assert [row["number"] for row in data["exact"]] == [world.pledge.number]

    with subtests.test("an unknown or malformed key is a 401"):
        for header in ("Api-Key abc.def", "Api-Key nodot"):
            response = callers["anonymous"].session.get(
                f"{live_server.url}{ASSETS}", headers={"Authorization": header}, timeout=10
            )
            assert response.status_code == 401
            assert response.json()["code"] == "authentication_failed"


def test_private_view_rule_agrees_with_registry_access(world, subtests):
    # given: the rule evaluated on prefetched pledges must say what pledges.access says
    bank_user = UserFactory(organisation=world.pledgee_bank, role="bank")
    other_bank_user = UserFactory(organisation=world.other_bank, role="bank")
    viewers = {
        "anonymous": AnonymousUser(),
        "holder user": world.holder_user,
        "other enterprise user": world.other_user,
        "pledgee bank user": bank_user,
        "other bank user": other_bank_user,
        "pledgee key": ApiClient(organisation=world.pledgee_bank, key_prefix="p"),
        "other bank key": ApiClient(organisation=world.other_bank, key_prefix="o"),
        "holder key": ApiClient(organisation=world.holder, key_prefix="h"),
        "registrar": world.registrar,
    }
    asset = assets_for_pledge_status([world.asset.registration_number])[
        world.asset.registration_number
    ]
    for label, viewer in viewers.items():
        with subtests.test(viewer=label):
            assert may_view_private(
                viewer,
                holder_id=asset.holder_id,
                active_pledgee_ids=[pledge.pledgee_id for pledge in asset.active_pledges],
            ) is access.can_view_private(viewer, world.asset)


# --- POST pledge-status/bulk/ ------------------------------------------------------------------
def test_bulk_pledge_status_of_1000_numbers_in_order(live_server, world, registrar):
    # given: four public assets (one pledged), and a draft nobody may look up
    expired = make_asset(world.holder, status=AssetStatus.EXPIRED, **EXPIRED_DATES)
    cancelled = make_asset(world.holder, status=AssetStatus.CANCELLED)
    revoked_certificate = make_certificate(cancelled, status=CertificateStatus.REVOKED)
    other = make_asset(OrganisationFactory())
    draft = make_asset(world.holder, status=AssetStatus.DRAFT)
    found = [world.asset, expired, cancelled, other]
    sent: list[str] = []
    expected: list[tuple[str, str]] = []  # (what the result says, its kind)
    for serial in range(250):
        asset = found[serial % 4]
        number = asset.registration_number
        spaced = f" {number[:4]}-{number[4:]} " if serial % 8 == 0 else number
        sent += [spaced, _mistyped(number), f"X{serial}", _unknown_number(serial)]
        expected += [(number, "found"), (_mistyped(number), "malformed")]
        expected += [(f"X{serial}", "malformed"), (_unknown_number(serial), "not_found")]
    sent[-1] = draft.registration_number
    expected[-1] = (draft.registration_number, "not_found")
    assert len(sent) == 1000
    client = key_client(live_server.url, world.other_key)

    # when
    response = client.post_json(BULK, {"registration_numbers": sent})

    # then
    data = _ok(response)
    results = data["results"]
    assert len(results) == 1000
    assert [
        (r["registration_number"], "found" if r["found"] else r["error"]["code"]) for r in results
    ] == expected
    first = results[0]
    assert first == {
        "registration_number": world.asset.registration_number,
        "found": True,
        "status": "registered",
        "valid_from": "2026-06-09",
        "valid_until": "2029-06-08",
        "encumbered": True,
        "pledges": [_pledge_row(world.pledge, 1)],
        "certificate": {"number": world.certificate.number, "status": "valid"},
        "quality_grade": "A",
        "appraisal": None,  # the other bank holds no pledge on it
    }
    assert results[1] == {
        "registration_number": _mistyped(world.asset.registration_number),
        "found": False,
        "error": {"code": "malformed", "message": CHECK_MESSAGE},
    }
    assert results[2]["error"] == {"code": "malformed", "message": FORMAT_MESSAGE}
    assert results[3]["error"] == {
        "code": "not_found",
        "message": f"No registered asset has the number {_unknown_number(0)}.",
    }
    assert (results[4]["status"], results[4]["certificate"]) == ("expired", None)
    assert results[8]["certificate"] == {"number": revoked_certificate.number, "status": "revoked"}
    assert dt.datetime.fromisoformat(data["as_of"]).utcoffset() == dt.timedelta(hours=8)

    # and the read log holds the numbers as sent
    row = ApiReadLog.objects.get(path=BULK)
    assert (row.method, row.status_code, row.key_prefix) == (
        "POST",
        200,
        world.other_key.record.prefix,
    )
    assert row.query == {"registration_numbers": sent}


def test_bulk_refuses_what_is_not_a_list_of_up_to_1000_strings(live_server, world, subtests):
    client = key_client(live_server.url, world.other_key)
    cases = {
        "1,001 numbers": (
            {"registration_numbers": [world.asset.registration_number] * 1001},
            {"registration_numbers": ["Ensure this field has no more than 1000 elements."]},
        ),
        "a string": (
            {"registration_numbers": world.asset.registration_number},
            {"registration_numbers": ['Expected a list of items but got type "str".']},
        ),
        "a number in the list": (
            {"registration_numbers": [world.asset.registration_number, 2026019000000189]},
            {"registration_numbers.1": ["Must be a string."]},
        ),
        "nothing": ({}, {"registration_numbers": ["This field is required."]}),
        "an empty list": (
            {"registration_numbers": []},
            {"registration_numbers": ["This list may not be empty."]},
        ),
        "a list body": ([world.asset.registration_number], None),
    }
    for case, (body, errors) in cases.items():
        with subtests.test(case=case):
            response = client.post_json(BULK, body)
            assert response.status_code == 400, response.text
            assert response.json()["code"] == "invalid_input"
            if errors is not None:
                assert response.json()["errors"] == errors


# --- read log ----------------------------------------------------------------------------------
def test_every_bank_read_writes_one_log_row(live_server, world, registrar):
    # given
    bank = key_client(live_server.url, world.pledgee_key)
    number = world.asset.registration_number
    started = timezone.now()

    # when: reads by the bank (found, malformed, unknown, a search), by a session, and a write
    bank.session.get(f"{live_server.url}{ASSETS}?status=registered&q=港口", timeout=10)
    bank.session.get(f"{live_server.url}{ASSETS}{number}/pledge-status/", timeout=10)
    bank.session.get(f"{live_server.url}{ASSETS}{_mistyped(number)}/", timeout=10)
    bank.session.get(f"{live_server.url}{ASSETS}{_unknown_number(3)}/", timeout=10)
    bank.session.get(f"{live_server.url}{SEARCH}?pledgor=天津港", timeout=10)
    session_client(live_server.url, world.holder_user).session.get(
        f"{live_server.url}{ASSETS}{number}/", timeout=10
    )
    released = bank.post_json(f"{SEARCH}{world.pledge.number}/release/", {"reason": "repaid"})
    assert released.status_code == 200, released.text

    # then
    rows = list(ApiReadLog.objects.order_by("id"))
    assert [(r.method, r.path, r.query, r.status_code) for r in rows] == [
        ("GET", ASSETS, {"status": "registered", "q": "港口"}, 200),
        ("GET", f"{ASSETS}{number}/pledge-status/", {}, 200),
        ("GET", f"{ASSETS}{_mistyped(number)}/", {}, 400),
        ("GET", f"{ASSETS}{_unknown_number(3)}/", {}, 404),
        ("GET", SEARCH, {"pledgor": "天津港"}, 200),
    ]
    for row in rows:
        assert row.organisation_id == world.pledgee_bank.pk
        assert row.organisation_label == f"天津银行股份有限公司 ({world.pledgee_bank.uscc})"
        assert row.key_prefix == world.pledgee_key.record.prefix
        assert started <= row.requested_at <= timezone.now()
    with pytest.raises(ValueError, match="append-only"):
        rows[0].delete()


# --- rate limits -------------------------------------------------------------------------------
def test_rate_limit_per_key_answers_429(live_server, world, settings):
    # given: 3 requests a minute
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"},
    }
    bank = key_client(live_server.url, world.pledgee_key)
    url = f"{live_server.url}{ASSETS}"

    # when
    statuses = [bank.session.get(url, timeout=10).status_code for _ in range(3)]
    refused = bank.session.get(url, timeout=10)

    # then
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled"
    assert body["message"].startswith("Request was throttled.")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert ApiReadLog.objects.filter(status_code=429).count() == 1
    # another key, and a session, have their own allowance
    assert key_client(live_server.url, world.other_key).session.get(url, timeout=10).ok
    holder = session_client(live_server.url, world.holder_user)
    assert [holder.session.get(url, timeout=10).status_code for _ in range(4)] == [200] * 3 + [429]


# --- OpenAPI -----------------------------------------------------------------------------------
def test_openapi_schema_is_valid_and_documents_the_bank_api(live_server):
    # when
    response = Client(live_server.url).session.get(
        f"{live_server.url}/api/schema/?format=json", timeout=30
    )

    # then
    assert response.status_code == 200, response.text
    schema = response.json()
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/assets/",
        "/api/v1/assets/{registration_number}/",
        "/api/v1/assets/{registration_number}/pledge-status/",
        "/api/v1/pledge-status/bulk/",
        "/api/v1/pledges/",
        "/api/v1/pledges/{number}/release/",
        "/api/v1/pledges/{number}/amend/",
        "/api/v1/pledges/{number}/extend/",
    ):
        assert path in paths
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["ApiKeyAuth"]["description"],
    }
    assert {"ApiKeyAuth": []} in paths["/api/v1/pledge-status/bulk/"]["post"]["security"]
    status_200 = paths["/api/v1/assets/{registration_number}/pledge-status/"]["get"]["responses"]
    assert status_200["200"]["content"]["application/json"]["examples"]
    bulk = paths["/api/v1/pledge-status/bulk/"]["post"]
    assert bulk["requestBody"]["content"]["application/json"]["examples"]
    assert bulk["responses"]["200"]["content"]["application/json"]["examples"]
    filing = paths["/api/v1/pledges/"]["post"]
    assert filing["requestBody"]["content"]["application/json"]["examples"]
    assert set(filing["responses"]) >= {"201", "400", "401", "403", "404", "409", "429"}
    list_parameters = {p["name"] for p in paths["/api/v1/assets/"]["get"]["parameters"]}
    assert list_parameters >= {
        "status",
        "holder",
        "category",
        "grade",
        "registered_from",
        "registered_to",
        "q",
        "cursor",
        "page_size",
    }

    docs = Client(live_server.url).session.get(f"{live_server.url}/api/docs/", timeout=10)
    assert docs.status_code == 200
    # the page's own script (a file, for the CSP) points Swagger UI at the schema
    script = Client(live_server.url).session.get(f"{live_server.url}/api/docs/?script=", timeout=10)
    assert script.status_code == 200
    assert "/api/schema/" in script.text


def test_an_enterprise_key_reads_the_public_register_too(live_server, registrar):
    enterprise = OrganisationFactory()
    client = key_client(live_server.url, issue_key(enterprise, registrar))
    assert client.session.get(f"{live_server.url}{ASSETS}", timeout=10).status_code == 200
