import base64

import pytest
from django.core.cache import cache

from pledges.models import PledgeStatus
from registry.models import ApiReadLog
from tests.api.test_bank_api_data import bank_world, key_client

ASSETS = "/api/v1/assets/"
PLEDGES = "/api/v1/pledges/"
NUL = "Null characters are not allowed."


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def world(registrar, holder, enterprise_user):
    return bank_world(registrar, holder, enterprise_user)


def _invalid(errors):
    message = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    return {"code": "invalid_input", "message": message, "errors": errors}


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
