"""The pledge API over real HTTP: the search by pledgor (exact and similar names, as BC's PPR
answers), filings by banks and registrars, release / amend / extend, and who may write (only the
pledgee bank's key or a registrar; every refusal writes nothing)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.cache import cache
from django.utils import timezone

from pledges import services as pledge_services
from pledges.models import Pledge, PledgeStatus
from pledges.selectors import names_similar, pledgor_name_core
from registry.choices import AssetStatus
from registry.identifiers import compose_registration_number
from registry.models import JournalEvent
from tests.api.test_bank_api_data import (
    DEBT_END,
    DEBT_START,
    REGISTRATION_END,
    SHANGHAI,
    BankWorld,
    bank_world,
    issue_key,
    key_client,
    make_asset,
    pledge,
    session_client,
)
from tests.factories import OrganisationFactory, UserFactory, make_uscc

PLEDGES = "/api/v1/pledges/"
HOLDER_NAME = "天津港数据服务有限公司"
NOT_PLEDGEE = {
    "code": "not_permitted",
    "message": "Only the pledgee bank or a registrar may do this.",
}
NOT_A_WRITER = {
    "code": "permission_denied",
    "message": "Only registrars and API-key clients may use this endpoint.",
}
UNKNOWN_USCC = make_uscc()
NO_CREDENTIALS = {
    "code": "not_authenticated",
    "message": "Authentication credentials were not provided.",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def world(registrar, holder, enterprise_user) -> BankWorld:
    return bank_world(registrar, holder, enterprise_user)


def _local(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _row(p: Pledge, rank: int | None) -> dict:
    p.refresh_from_db()
    return {
        "number": p.number,
        "asset": {"registration_number": p.asset.registration_number, "name": p.asset.name},
        "pledgor": {"name": p.pledgor.name, "uscc": p.pledgor.uscc},
        "pledgee": {"name": p.pledgee.name, "uscc": p.pledgee.uscc},
        "secured_amount": str(p.secured_amount),
        "currency": "CNY",
        "debt_start": p.debt_start.isoformat(),
        "debt_end": p.debt_end.isoformat(),
        "registration_end": p.registration_end.isoformat(),
        "status": p.status,
        "registered_at": _local(p.registered_at),
        "status_changed_at": _local(p.status_changed_at),
        "rank": rank,
    }


def _written() -> dict:
    """What a refused write must leave untouched."""
    return {
        "pledges": list(
            Pledge.objects.order_by("id").values_list(
                "number", "status", "secured_amount", "debt_end", "registration_end"
            )
        ),
        "journal": JournalEvent.objects.count(),
    }


# --- name similarity (pure) --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("天津港数据服务有限公司", "天津港数据服务"),
        ("天津港数据服务（集团）股份有限公司", "天津港数据服务"),
        ("天津港 数据服务 有限责任公司", "天津港数据服务"),
        ("天津港数据集团有限公司", "天津港数据"),
        ("（原名：港务局）天津港数据服务公司", "天津港数据服务"),
        ("Tianjin Port Data Co., Ltd.", "tianjinportdata"),
        ("ＴＩＡＮＪＩＮ　Port Data Limited (Branch)", "tianjinportdata"),
        ("有限公司", "有限公司"),
    ],
)
def test_pledgor_name_core(name, core):
    assert pledgor_name_core(name) == core


@pytest.mark.parametrize(
    ("query", "name", "similar"),
    [
        ("天津港数据服务", "天津港数据服务科技", True),  # query inside the name
        ("天津港数据服务科技", "天津港数据服务", True),  # name inside the query
        ("天津港数据服务", "天津数据服务", False),
        ("天", "天津港数据服务", False),  # a one-character core matches nothing
    ],
)
def test_names_similar(query, name, similar):
    assert names_similar(query, name) is similar


# --- GET pledges/?pledgor= ---------------------------------------------------------------------
def test_search_by_pledgor_splits_exact_and_similar(live_server, world, registrar, subtests):
    # given: pledgors whose names resemble the holder's, and two that do not
    banks = itertools.cycle([world.pledgee_bank, world.other_bank])
    pledges = {}
    for name in (
        "天津港数据服务（集团）股份有限公司",
        "天津港 数据服务 有限责任公司",
        "天津港",
        "天津港数据服务科技有限公司",
        "天津数据服务有限公司",
        "北京数据科技有限公司",
    ):
        asset = make_asset(OrganisationFactory(name=name))
        pledges[name] = pledge(asset, next(banks), registrar)
    group = pledges["天津港数据服务（集团）股份有限公司"]
    pledge_services.pledge_release(pledge=group, actor=registrar, reason="repaid")
    similar = [pledges[name] for name in list(pledges)[:4]]
    client = key_client(live_server.url, world.other_key)

    def search(**params):
        response = client.session.get(live_server.url + PLEDGES, params=params, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    # when
    data = search(pledgor=HOLDER_NAME)

    # then
    assert data["query"] == HOLDER_NAME
    assert data["exact"] == [_row(world.pledge, 1)]
    assert [row["number"] for row in data["similar"]] == [p.number for p in similar]
    assert data["similar"][0] == _row(group, None)  # released: no rank
    assert data["similar"][0]["status"] == "released"
    assert data["similar"][1]["rank"] == 1
    assert dt.datetime.fromisoformat(data["as_of"]).tzinfo is not None

    cases = {
        "by USCC": ({"pledgor": world.holder.uscc}, [world.pledge], []),
        "by USCC, spaced and lower case": (
            {"pledgor": f" {world.holder.uscc[:9].lower()} {world.holder.uscc[9:]}"},
            [world.pledge],
            [],
        ),
        "name with surrounding spaces": ({"pledgor": f"  {HOLDER_NAME} "}, [world.pledge], similar),
        "active only": ({"pledgor": HOLDER_NAME, "status": "active"}, [world.pledge], similar[1:]),
        "released only": ({"pledgor": HOLDER_NAME, "status": "released"}, [], similar[:1]),
        "exact name of a similar one": (
            {"pledgor": "天津港"},
            [pledges["天津港"]],
            [world.pledge, *similar[:2], similar[3]],
        ),
        "no such pledgor": ({"pledgor": "上海外高桥数据有限公司"}, [], []),
    }
    for case, (params, exact, close) in cases.items():
        with subtests.test(case=case):
            data = search(**params)
            assert [row["number"] for row in data["exact"]] == [p.number for p in exact]
            assert [row["number"] for row in data["similar"]] == [p.number for p in close]

    for params, field, message in (
        ({}, "pledgor", "This field is required."),
        ({"pledgor": ""}, "pledgor", "This field may not be blank."),
        ({"pledgor": HOLDER_NAME, "status": "lost"}, "status", '"lost" is not a valid choice.'),
    ):
        with subtests.test(invalid=params):
            response = client.session.get(live_server.url + PLEDGES, params=params, timeout=10)
            assert response.status_code == 400, response.text
            assert response.json()["errors"] == {field: [message]}


# --- POST pledges/ -----------------------------------------------------------------------------
def test_a_bank_files_a_pledge_ranked_after_earlier_ones(live_server, world):
    # given
    client = key_client(live_server.url, world.other_key)
    before = timezone.now()

    # when
    response = client.post_json(
        PLEDGES,
        {
            "registration_number": world.asset.registration_number,
            "secured_amount": "1200000.5",
            "debt_start": "2026-09-01",
            "debt_end": "2027-08-31",
        },
    )

    # then
    assert response.status_code == 201, response.text
    filed = Pledge.objects.get(number=response.json()["number"])
    assert response.json() == _row(filed, 2)
    assert (filed.pledgee, filed.pledgor, filed.asset) == (
        world.other_bank,
        world.holder,
        world.asset,
    )
    assert response.json()["secured_amount"] == "1200000.50"
    assert response.json()["registration_end"] == "2027-08-31"  # defaults to the debt end
    assert before <= filed.registered_at <= timezone.now()
    event = JournalEvent.objects.filter(event_type=pledge_services.PLEDGE_REGISTERED).last()
    assert event.subject_id == filed.number
    assert event.actor_label == f"API key {world.other_key.record.prefix} @ 渤海银行股份有限公司"
    assert event.payload["rank"] == 2


def test_a_registrar_files_for_a_named_bank(live_server, world, subtests):
    client = session_client(live_server.url, world.registrar)
    body = {
        "registration_number": world.asset.registration_number,
        "secured_amount": "800000.00",
        "debt_start": "2026-12-01",
        "debt_end": "2027-11-30",
        "registration_end": "2028-05-31",
    }

    # when
    response = client.post_json(PLEDGES, {**body, "pledgee_uscc": world.other_bank.uscc})

    # then
    assert response.status_code == 201, response.text
    assert response.json()["pledgee"] == {
        "name": "渤海银行股份有限公司",
        "uscc": world.other_bank.uscc,
    }
    assert (response.json()["registration_end"], response.json()["rank"]) == ("2028-05-31", 2)

    for case, uscc, message in (
        ("no pledgee", None, "A registrar must name the pledgee bank."),
        ("unknown USCC", UNKNOWN_USCC, f"No organisation has the USCC {UNKNOWN_USCC}."),
        ("malformed USCC", "12345", "统一社会信用代码应为18位 (USCC must have 18 characters)"),
    ):
        with subtests.test(case=case):
            written = _written()
            sent = {**body, "pledgee_uscc": uscc} if uscc else body
            response = client.post_json(PLEDGES, sent)
            assert response.status_code == 400, response.text
            assert list(response.json()["errors"]) == ["pledgee_uscc"]
            assert response.json()["errors"]["pledgee_uscc"] == [message]
            assert _written() == written


def test_filing_refusals_name_the_problem_and_write_nothing(
    live_server, world, registrar, subtests
):
    client = key_client(live_server.url, world.other_key)
    number = world.asset.registration_number
    expired = make_asset(
        world.holder,
        status=AssetStatus.EXPIRED,
        registered_at=dt.datetime(2023, 6, 2, 9, 0, tzinfo=SHANGHAI),
        valid_until=dt.date(2026, 6, 1),
    )
    good = {
        "registration_number": number,
        "secured_amount": "1000.00",
        "debt_start": "2026-12-01",
        "debt_end": "2027-11-30",
    }
    mistyped = number[:-1] + ("0" if number[-1] != "0" else "1")
    cases = {
        "float amount": (
            {**good, "secured_amount": 1000.0},
            400,
            {"secured_amount": ["Send the amount as a decimal string, not a number."]},
        ),
        "zero amount": (
            {**good, "secured_amount": "0"},
            400,
            {"secured_amount": ["The secured amount must be greater than 0."]},
        ),
        "three decimals": (
            {**good, "secured_amount": "1.005"},
            400,
            {"secured_amount": ["At most 2 decimal places."]},
        ),
        "debt ends before it starts": (
            {**good, "debt_end": "2026-11-30"},
            400,
            {"debt_end": ["The debt term cannot end before it starts."]},
        ),
        "registration shorter than the debt": (
            {**good, "registration_end": "2027-01-31"},
            400,
            {"registration_end": ["The registration period must cover the debt term."]},
        ),
        "not a date": (
            {**good, "debt_start": "1 Dec 2026"},
            400,
            {
                "debt_start": [
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
                ]
            },
        ),
        "mistyped number": (
            {**good, "registration_number": mistyped},
            400,
            {
                "registration_number": [
                    "登记号校验位错误 (registration number check character does not match: "
                    "mistyped?)"
                ]
            },
        ),
        "missing fields": (
            {"registration_number": number},
            400,
            {
                "secured_amount": ["This field is required."],
                "debt_start": ["This field is required."],
                "debt_end": ["This field is required."],
            },
        ),
    }
    for case, (body, status, errors) in cases.items():
        with subtests.test(case=case):
            written = _written()
            response = client.post_json(PLEDGES, body)
            assert response.status_code == status, response.text
            assert response.json()["code"] == "invalid_input"
            assert response.json()["errors"] == errors
            assert _written() == written

    with subtests.test("unknown number: 404"):
        written = _written()
        unknown = compose_registration_number(
            year=2025, source_code="04", subject_code="9", sequence=99_000_001
        )
        response = client.post_json(PLEDGES, {**good, "registration_number": unknown})
        assert response.status_code == 404, response.text
        assert response.json() == {
            "code": "not_found",
            "message": f"No registered asset has the number {unknown}.",
        }
        assert _written() == written

    with subtests.test("expired registration: 409"):
        written = _written()
        response = client.post_json(
            PLEDGES, {**good, "registration_number": expired.registration_number}
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "transition_blocked"
        assert _written() == written

    with subtests.test("malformed JSON: 400 about the body"):
        response = client.post_json(PLEDGES, data="{not json")
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["body"]


# --- POST pledges/<number>/amend|extend|release/ ------------------------------------------------
def test_the_pledgee_amends_extends_and_releases_its_pledge(live_server, world, registrar):
    # given: a later pledge of another bank, ranked second
    second = pledge(world.asset, world.other_bank, registrar, "700000.00")
    bank = key_client(live_server.url, world.pledgee_key)
    base = f"{PLEDGES}{world.pledge.number}"

    # when: amend
    response = bank.post_json(
        f"{base}/amend/", {"reason": "增加授信", "secured_amount": "6000000.00"}
    )
    # then
    assert response.status_code == 200, response.text
    assert response.json() == _row(world.pledge, 1)
    assert response.json()["secured_amount"] == "6000000.00"

    # when: extend
    response = bank.post_json(
        f"{base}/extend/", {"registration_end": "2028-06-30", "debt_end": "2028-03-31"}
    )
    # then
    assert response.status_code == 200, response.text
    assert (response.json()["debt_end"], response.json()["registration_end"]) == (
        "2028-03-31",
        "2028-06-30",
    )
    assert response.json()["debt_start"] == DEBT_START.isoformat()

    # when: release
    response = bank.post_json(f"{base}/release/", {"reason": "贷款已结清"})
    # then: closed, unranked, and the later pledge moves up
    assert response.status_code == 200, response.text
    assert response.json() == _row(world.pledge, None)
    assert response.json()["status"] == "released"
    assert response.json()["status_changed_at"] is not None
    world.pledge.refresh_from_db()
    assert (world.pledge.status, world.pledge.status_reason) == (
        PledgeStatus.RELEASED,
        "贷款已结清",
    )
    assert bank.session.get(
        f"{live_server.url}{PLEDGES}?pledgor={world.holder.uscc}", timeout=10
    ).json()["exact"][1] == _row(second, 1)
    assert list(
        JournalEvent.objects.filter(subject_id=world.pledge.number)
        .order_by("id")
        .values_list("event_type", flat=True)
    ) == [
        pledge_services.PLEDGE_REGISTERED,
        pledge_services.PLEDGE_AMENDED,
        pledge_services.PLEDGE_EXTENDED,
        pledge_services.PLEDGE_RELEASED,
    ]

    # and a released pledge can no longer change
    written = _written()
    for step, body in (
        ("release", {}),
        ("amend", {"reason": "x", "secured_amount": "1.00"}),
        ("extend", {"registration_end": "2029-01-31"}),
    ):
        response = bank.post_json(f"{base}/{step}/", body)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "invalid_transition"
    assert _written() == written


def test_write_refusals_on_amend_extend_and_unknown_numbers(live_server, world, subtests):
    bank = key_client(live_server.url, world.pledgee_key)
    base = f"{PLEDGES}{world.pledge.number}"
    cases = {
        "amend without reason": (
            f"{base}/amend/",
            {"reason": " ", "secured_amount": "1.00"},
            400,
            {"reason": ["A reason is required for this step."]},
        ),
        "amend changing nothing": (
            f"{base}/amend/",
            {"reason": "no-op", "secured_amount": "5000000.00"},
            400,
            {"body": ["The amendment changes nothing."]},
        ),
        "extend shortening": (
            f"{base}/extend/",
            {"registration_end": REGISTRATION_END.isoformat()},
            400,
            {"registration_end": ["An extension must end after the current period."]},
        ),
        "extend shortening the debt": (
            f"{base}/extend/",
            {"registration_end": "2028-12-31", "debt_end": "2027-01-31"},
            400,
            {"debt_end": ["An extension cannot shorten the debt term."]},
        ),
        "extend without a date": (
            f"{base}/extend/",
            {},
            400,
            {"registration_end": ["This field is required."]},
        ),
    }
    for case, (path, body, status, errors) in cases.items():
        with subtests.test(case=case):
            written = _written()
            response = bank.post_json(path, body)
            assert response.status_code == status, response.text
            assert response.json()["errors"] == errors
            assert _written() == written
    for step in ("release", "amend", "extend"):
        with subtests.test(unknown=step):
            response = bank.post_json(
                f"{PLEDGES}ZY209900000001/{step}/",
                {"reason": "x", "registration_end": "2030-01-01"},
            )
            assert response.status_code == 404, response.text
            assert response.json() == {
                "code": "not_found",
                "message": "No pledge has the number ZY209900000001.",
            }
    assert world.pledge.debt_end == DEBT_END


# --- who may write -----------------------------------------------------------------------------
WRITE_STEPS = ("file", "release", "amend", "extend")
# caller → (status for a write on the pledgee bank's pledge, the error body)
WRITE_MATRIX = {
    "anonymous": (401, NO_CREDENTIALS),
    "holder_session": (403, NOT_A_WRITER),
    "other_enterprise_session": (403, NOT_A_WRITER),
    "pledgee_bank_session": (403, NOT_A_WRITER),  # banks write through their systems' keys
    "holder_key": (403, NOT_PLEDGEE),
    "other_bank_key": (403, NOT_PLEDGEE),
    "pledgee_bank_key": (None, None),
    "registrar_session": (None, None),
}


def test_write_permission_matrix(live_server, world, registrar, subtests):
    callers = world.callers(live_server.url)
    callers["pledgee_bank_session"] = session_client(
        live_server.url, UserFactory(organisation=world.pledgee_bank, role="bank")
    )
    callers["holder_key"] = key_client(live_server.url, issue_key(world.holder, registrar))
    for step, (caller, (status, error)) in itertools.product(WRITE_STEPS, WRITE_MATRIX.items()):
        with subtests.test(step=step, caller=caller):
            # given: a fresh active pledge of the pledgee bank
            target = pledge(world.asset, world.pledgee_bank, registrar, "100.00")
            path, body, success = {
                "file": (
                    PLEDGES,
                    {
                        "registration_number": world.asset.registration_number,
                        "secured_amount": "250000.00",
                        "debt_start": "2026-12-01",
                        "debt_end": "2027-11-30",
                        "pledgee_uscc": world.pledgee_bank.uscc,
                    },
                    201,
                ),
                "release": (f"{PLEDGES}{target.number}/release/", {"reason": "repaid"}, 200),
                "amend": (
                    f"{PLEDGES}{target.number}/amend/",
                    {"reason": "more credit", "secured_amount": "200.00"},
                    200,
                ),
                "extend": (
                    f"{PLEDGES}{target.number}/extend/",
                    {"registration_end": "2028-12-31"},
                    200,
                ),
            }[step]
            written = _written()

            # when
            response = callers[caller].post_json(path, body)

            # then
            if status is None:
                assert response.status_code == success, response.text
                assert response.json()["pledgee"]["uscc"] == world.pledgee_bank.uscc
                assert _written() != written
            else:
                assert response.status_code == status, response.text
                assert response.json() == error
                assert _written() == written


def test_a_bank_may_file_for_itself_but_not_for_another(live_server, world):
    other = key_client(live_server.url, world.other_key)
    body = {
        "registration_number": world.asset.registration_number,
        "secured_amount": "1000.00",
        "debt_start": "2026-12-01",
        "debt_end": "2027-11-30",
    }
    written = _written()
    refused = other.post_json(PLEDGES, {**body, "pledgee_uscc": world.pledgee_bank.uscc})
    assert (refused.status_code, refused.json()) == (403, NOT_PLEDGEE)
    assert _written() == written
    own = other.post_json(PLEDGES, {**body, "pledgee_uscc": world.other_bank.uscc})
    assert own.status_code == 201, own.text
    assert own.json()["pledgee"]["uscc"] == world.other_bank.uscc
    # an organisation that is not a bank cannot be named pledgee, even by a registrar
    not_a_bank = OrganisationFactory()
    registrar = session_client(live_server.url, world.registrar)
    response = registrar.post_json(PLEDGES, {**body, "pledgee_uscc": not_a_bank.uscc})
    assert response.status_code == 400, response.text
    assert response.json()["errors"] == {"pledgee": ["The pledgee must be a bank."]}
