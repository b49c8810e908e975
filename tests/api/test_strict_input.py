"""Every input a clear 4xx (issue 11): lenient amounts and far-off dates are refused on filing,
amendment and extension; unknown methods are 405 and oversized bodies 413 on every API route;
malformed query dates are 400; all in the error envelope, and nothing is written."""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from api import urls as api_urls
from pledges.models import Pledge
from registry.models import ApiReadLog, DataAsset, JournalEvent
from tests.api.conftest import IssuedKey
from tests.api.test_bank_api_data import issue_key, make_asset, pledge
from tests.factories import BankFactory

PLEDGES = "/api/v1/pledges/"
BULK = "/api/v1/pledge-status/bulk/"
ASSETS = "/api/v1/assets/"
NOT_A_DECIMAL = 'Not a decimal number: use digits 0-9 and a point, such as "1250.50".'
TOO_LARGE = "At most 13 digits before the point (up to 9999999999999.99)."
OUT_OF_RANGE = "Must be between 1949-10-01 and 2100-12-31."
WRONG_FORMAT = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@dataclasses.dataclass
class World:
    asset: DataAsset
    pledge: Pledge
    key: IssuedKey


@pytest.fixture
def world(registrar, holder) -> World:
    bank = BankFactory(name="天津银行股份有限公司")
    asset = make_asset(holder, name="港口集装箱物流轨迹数据集")
    return World(asset=asset, pledge=pledge(asset, bank, registrar), key=issue_key(bank, registrar))


@pytest.fixture
def bank(world) -> Client:
    return Client(HTTP_AUTHORIZATION=world.key.headers["Authorization"])


def _written() -> dict:
    return {
        "pledges": list(
            Pledge.objects.order_by("id").values_list(
                "number", "secured_amount", "debt_start", "debt_end", "registration_end"
            )
        ),
        "journal": JournalEvent.objects.count(),
    }


def _post(client: Client, path: str, body) -> tuple[int, dict]:
    response = client.post(path, data=json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def _invalid(field: str, message: str) -> dict:
    return {"code": "invalid_input", "message": f"{field}: {message}", "errors": {field: [message]}}


def _filing(world: World, **changes) -> dict:
    return {
        "registration_number": world.asset.registration_number,
        "secured_amount": "1000.00",
        "debt_start": "2026-12-01",
        "debt_end": "2027-11-30",
        **changes,
    }


# --- amounts -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e3", NOT_A_DECIMAL),
        (" 1000 ", NOT_A_DECIMAL),
        ("１０００", NOT_A_DECIMAL),  # full-width digits
        ("1_000", NOT_A_DECIMAL),
        ("1,000.00", NOT_A_DECIMAL),
        ("+1000", NOT_A_DECIMAL),
        ("NaN", NOT_A_DECIMAL),
        ("", NOT_A_DECIMAL),
        ("01000", "No leading zeros."),
        ("99999999999999999.99", TOO_LARGE),
        ("1.005", "At most 2 decimal places."),
        ("-5", "Must not be negative."),
        ("0", "The secured amount must be greater than 0."),
        ("0.00", "The secured amount must be greater than 0."),
        (1000, "Send the amount as a decimal string, not a number."),
        (1000.0, "Send the amount as a decimal string, not a number."),
    ],
)
def test_a_lenient_amount_is_refused_and_no_pledge_is_filed(world, bank, amount, message):
    # given
    before = _written()
    # when
    status, body = _post(bank, PLEDGES, _filing(world, secured_amount=amount))
    # then
    assert (status, body) == (400, _invalid("secured_amount", message))
    assert _written() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("debt_end", "9999-12-31", OUT_OF_RANGE),
        ("debt_end", "2101-01-01", OUT_OF_RANGE),
        ("debt_start", "1900-01-01", OUT_OF_RANGE),
        ("registration_end", "9999-12-31", OUT_OF_RANGE),
        ("debt_end", "20271130", WRONG_FORMAT),
        ("debt_end", "2027-W48-2", WRONG_FORMAT),
        ("debt_end", "２０２７-１１-３０", WRONG_FORMAT),
        ("debt_end", " 2027-11-30", WRONG_FORMAT),
        ("debt_end", "2027-11-30T00:00:00", WRONG_FORMAT),
        ("debt_end", 20271130, WRONG_FORMAT),
        ("debt_end", "2027-02-29", "Not a day of the calendar."),
    ],
)
def test_a_date_out_of_range_or_grammar_is_refused(world, bank, field, value, message):
    before = _written()
    status, body = _post(bank, PLEDGES, _filing(world, **{field: value}))
    assert (status, body) == (400, _invalid(field, message))
    assert _written() == before


def test_a_plain_filing_is_still_accepted_with_the_amount_as_sent(world, bank):
    # when
    status, body = _post(
        bank, PLEDGES, _filing(world, secured_amount="1000.5", registration_end="2100-12-31")
    )
    # then: the output format is unchanged (2 places)
    assert status == 201, body
    assert (body["secured_amount"], body["registration_end"]) == ("1000.50", "2100-12-31")


def test_amend_and_extend_apply_the_same_grammar(world, bank):
    # given
    number = world.pledge.number
    before = _written()
    # when
    amend = _post(bank, f"{PLEDGES}{number}/amend/", {"reason": "x", "secured_amount": "2e6"})
    amend_date = _post(bank, f"{PLEDGES}{number}/amend/", {"reason": "x", "debt_end": "9999-12-31"})
    extend = _post(bank, f"{PLEDGES}{number}/extend/", {"registration_end": "9999-12-31"})
    extend_debt = _post(
        bank,
        f"{PLEDGES}{number}/extend/",
        {"registration_end": "2028-12-31", "debt_end": "2028-1-31"},
    )
    # then
    assert amend == (400, _invalid("secured_amount", NOT_A_DECIMAL))
    assert amend_date == (400, _invalid("debt_end", OUT_OF_RANGE))
    assert extend == (400, _invalid("registration_end", OUT_OF_RANGE))
    assert extend_debt == (400, _invalid("debt_end", WRONG_FORMAT))
    assert _written() == before


# --- query dates -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("registered_to=", "registered_to", "Give a date (YYYY-MM-DD) or leave the parameter out."),
        (
            "registered_from=",
            "registered_from",
            "Give a date (YYYY-MM-DD) or leave the parameter out.",
        ),
        ("registered_to=9999-12-31", "registered_to", OUT_OF_RANGE),
        ("registered_from=20260101", "registered_from", WRONG_FORMAT),
        ("registered_from=01/01/2026", "registered_from", WRONG_FORMAT),
        ("registered_to=2026-02-30", "registered_to", "Not a day of the calendar."),
    ],
)
def test_a_malformed_query_date_is_a_400(world, bank, query, field, message):
    response = bank.get(f"{ASSETS}?{query}")
    assert response.status_code == 400
    assert response.json() == _invalid(field, message)


def test_query_dates_in_range_filter(world, bank):
    inside = bank.get(f"{ASSETS}?registered_from=2026-06-09&registered_to=2026-06-09")
    before = bank.get(f"{ASSETS}?registered_to=2026-06-08")
    assert inside.status_code == before.status_code == 200
    assert [a["registration_number"] for a in inside.json()["results"]] == [
        world.asset.registration_number
    ]
    assert before.json()["results"] == []


# --- methods -----------------------------------------------------------------------------------
def _api_paths() -> list[str]:
    paths = []
    for pattern in api_urls.urlpatterns:
        kwargs = {name: "2026019000000189" for name in pattern.pattern.converters}
        paths.append(reverse(pattern.name, kwargs=kwargs))
    return paths


@pytest.mark.parametrize("path", _api_paths())
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE", "FOO"])
def test_a_method_the_endpoint_does_not_have_is_a_405_in_the_envelope(world, bank, path, method):
    # when
    response = bank.generic(method, path, data="{}", content_type="application/json")
    # then
    assert response.status_code == 405, response.content
    assert response.json() == {
        "code": "method_not_allowed",
        "message": f'Method "{method}" not allowed.',
    }
    assert "GET" in response["Allow"] or "POST" in response["Allow"]


def test_an_anonymous_unknown_method_is_401_or_405_never_500(world):
    for path in _api_paths():
        response = Client().generic("FOO", path)
        assert response.status_code in (401, 405), (path, response.status_code)


def test_no_read_is_logged_for_a_refused_method(world, bank):
    before = ApiReadLog.objects.count()
    for method in ("PUT", "TRACE", "FOO"):
        bank.generic(method, BULK, data="{}", content_type="application/json")
        bank.generic(method, "/api/v1/search-certificates/")
    assert ApiReadLog.objects.count() == before


# --- oversized bodies --------------------------------------------------------------------------
TOO_LARGE_BODY = {
    "code": "request_too_large",
    "message": "The request body is larger than 2000 bytes.",
}


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000


def test_an_oversized_json_body_is_a_413_in_the_envelope(world, bank, small_limit):
    # given: 1,000 numbers, well over 2,000 bytes
    body = {"registration_numbers": [world.asset.registration_number] * 1000}
    # when
    response = bank.post(BULK, data=json.dumps(body), content_type="application/json")
    # then
    assert response.status_code == 413
    assert response.json() == TOO_LARGE_BODY


def test_an_oversized_filing_is_a_413_and_writes_nothing(world, bank, small_limit):
    before = _written()
    status, body = _post(bank, PLEDGES, _filing(world, padding="x" * 3000))
    assert (status, body) == (413, TOO_LARGE_BODY)
    assert _written() == before


def test_an_oversized_form_body_is_a_413(world, bank, small_limit):
    response = bank.post(
        BULK,
        data="registration_numbers=" + "1" * 3000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.json() == TOO_LARGE_BODY


def test_an_oversized_multipart_field_is_a_413(world, bank, small_limit):
    # Django's MultiPartParser raises RequestDataTooBig for the fields (files are not counted)
    response = bank.post(BULK, data={"registration_numbers": "1" * 3000})
    assert response.status_code == 413
    assert response.json() == TOO_LARGE_BODY


def test_a_body_within_the_limit_is_served(world, bank, small_limit):
    body = {"registration_numbers": [world.asset.registration_number]}
    response = bank.post(BULK, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
