"""The valuation and quality preview API (domain.md section 9) over real HTTP: a live server,
`requests`, API keys and admin-login sessions. Every value is checked by hand; bad input is a 400
naming the field, never a 500; previews store nothing."""

from decimal import Decimal as D

import pytest

from registry import services as registry_services
from tests.api.conftest import QUALITY_PREVIEW, VALUATION_PREVIEW, Client, login
from tests.factories import UserFactory, valuation_counts

FRACTION_OPEN = "must be a fraction strictly between 0 and 1 (e.g. 0.12 for 12%)"
FLOAT_MESSAGE = (
    'must be given as a decimal string such as "0.1", not as a binary float '
    "(floats carry rounding noise)"
)
COSTS = {"preliminary": "20", "direct": "120", "indirect": "30", "opportunity": "10", "taxes": "5"}
GUIDANCE = {"method": "cost", "variant": "guidance_2023", "costs": COSTS, "delta": "0.88"}
GUIDELINE_9 = {
    "method": "cost",
    "variant": "expert_guideline_9",
    "total_cost": "100",
    "return_rate": "0.10",
    "alpha": "0.9",
    "beta": "1.0",
    "monopoly": "0.10",
    "risk": "0.05",
}
MARKET = {
    "method": "market",
    "comparables": [
        {
            "price": "100",
            "quality": "1.0625",
            "supply_demand": "1",
            "date": "1.03",
            "capacity": "1.2",
            "other": "1",
            "weight": "1",
        },
        {"price": "120", "weight": "1"},
    ],
}
ROYALTY = {
    "method": "income",
    "variant": "royalty",
    "discount_rate": "0.10",
    "tax_rate": "0",
    "mid_year": False,
    "periods": [
        {"revenue": "1000", "share_rate": "0.1"},
        {"revenue": "1210", "share_rate": "0.1"},
    ],
}
QUALITY = {
    "measurements": {
        "element_completeness": {"count": "980", "evaluated": "1000"},
        "record_completeness": {"count": "950", "evaluated": "1000"},
        "content_correctness": {"count": "900", "evaluated": "1000"},
        "duplicate_rate": {"count": "20", "evaluated": "1000"},
    }
}
# Periods of every income variant whose cash flows are F_1 = 110 and F_2 = 133.1.
INCOME_PERIODS = {
    "direct": [{"income": "110"}, {"income": "133.1"}],
    "royalty": [
        {"revenue": "1100", "share_rate": "0.1"},  # 1100 × 0.1 = 110
        {"revenue": "1331", "share_rate": "0.1"},  # 1331 × 0.1 = 133.1
    ],
    "excess": [
        {"total_benefit": "300", "contributory_charges": ["150", "40"]},  # 300 − 190 = 110
        {"total_benefit": "300", "contributory_charges": ["166.9"]},  # 300 − 166.9 = 133.1
    ],
    "incremental": [
        {"with_asset": "500", "without_asset": "390"},  # 110
        {"with_asset": "533.1", "without_asset": "400"},  # 133.1
    ],
}


def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def _invalid(response, field: str, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "code": "invalid_input",
        "message": f"{field}: {message}",
        "errors": {field: [message]},
    }


# --- every method of domain.md section 9 ---------------------------------------------------------
def test_cost_guidance_2023_with_delta(api_client):
    # when
    data = _ok(api_client.post_json(VALUATION_PREVIEW, GUIDANCE))
    # then
    # C = 20 + 120 + 30 + 10 + 5 = 185; P = 185 × 0.88 = 162.80;
    # δ ± 0.05: 185 × 0.83 = 153.55, 185 × 0.93 = 172.05
    assert {"method", "value", "currency", "formula", "breakdown"} <= set(data)
    assert (data["method"], data["variant"], data["currency"]) == ("cost", "guidance_2023", "CNY")
    assert (data["value"], data["low"], data["high"]) == ("162.80", "153.55", "172.05")
    assert data["breakdown"]["replacement_cost"] == "185"
    assert data["breakdown"]["delta"] == "0.88"
    assert data["breakdown"]["delta_source"] == "given"
    assert data["formula"].startswith("P = C × δ")
    assert [run["path"] for run in data["sensitivity"]] == ["delta"]


def test_cost_guidance_2023_with_quality_score(api_client):
    # given
    body = {"method": "cost", "variant": "guidance_2023", "costs": COSTS, "quality_score": "88"}
    # when
    data = _ok(api_client.post_json(VALUATION_PREVIEW, body))
    # then: δ = 88 / 100 = 0.88 → 162.80; score ± 5 → δ 0.83 / 0.93 → 153.55 / 172.05
    assert (data["value"], data["low"], data["high"]) == ("162.80", "153.55", "172.05")
    assert data["breakdown"]["delta_source"] == "quality_score"
    assert data["breakdown"]["quality_score"] == "88"
    assert [run["path"] for run in data["sensitivity"]] == ["quality_score"]


def test_cost_guidance_2023_with_used_and_remaining_years(api_client):
    # given
    body = {
        "method": "cost",
        "variant": "guidance_2023",
        "costs": COSTS,
        "used_years": "2",
        "remaining_years": "8",
    }
    # when
    data = _ok(api_client.post_json(VALUATION_PREVIEW, body))
    # then: δ = 8 / (2 + 8) = 0.8 → 185 × 0.8 = 148.00;
    # remaining 7 → 185 × 7/9 = 143.888… → 143.89; remaining 9 → 185 × 9/11 = 151.363… → 151.36
    assert (data["value"], data["low"], data["high"]) == ("148.00", "143.89", "151.36")
    assert data["breakdown"]["delta_source"] == "remaining_life"
    assert [run["path"] for run in data["sensitivity"]] == ["remaining_years"]


def test_cost_expert_guideline_9(api_client):
    # when
    data = _ok(api_client.post_json(VALUATION_PREVIEW, GUIDELINE_9))
    # then
    # U = 0.9 × 1.0 × (1 + 0.10) × (1 − 0.05) = 0.9405; P = 100 × 1.10 × 0.9405 = 103.455 → 103.46
    # α ± 0.05: U = 0.88825 → 97.7075 → 97.71; U = 0.99275 → 109.2025 → 109.20
    assert (data["value"], data["low"], data["high"]) == ("103.46", "97.71", "109.20")
    assert data["currency"] == "CNY"
    assert D(data["breakdown"]["u"]) == D("0.9405")
    assert [run["path"] for run in data["sensitivity"]] == ["alpha"]


INCOME_OPTIONS = [
    # F = 110, 133.1 at i = 0.21 (1.21 = 1.1², 1.4641 = 1.1⁴, 1.331 = 1.1³):
    # end-year: 110 / 1.21 + 133.1 / 1.4641 = 90.9090… + 90.9090… = 181.8181… → 181.82
    ({"mid_year": False, "tax_rate": "0"}, "181.82"),
    # mid-year (t − 0.5): 110 / 1.1 + 133.1 / 1.331 = 100 + 100 = 200.00
    ({"mid_year": True, "tax_rate": "0"}, "200.00"),
    # tax 25 %: 181.8181… × 0.75 = 136.3636… → 136.36
    ({"mid_year": False, "tax_rate": "0.25"}, "136.36"),
    # mid-year and tax 25 %: 200 × 0.75 = 150.00
    ({"mid_year": True, "tax_rate": "0.25"}, "150.00"),
]


def test_income_variants_with_and_without_mid_year_and_tax(api_client, subtests):
    for variant, periods in INCOME_PERIODS.items():
        for options, value in INCOME_OPTIONS:
            with subtests.test(variant=variant, **options):
                # given
                body = {
                    "method": "income",
                    "variant": variant,
                    "discount_rate": "0.21",
                    **options,
                    "periods": periods,
                }
                # when
                data = _ok(api_client.post_json(VALUATION_PREVIEW, body))
                # then
                assert (data["method"], data["variant"], data["value"], data["currency"]) == (
                    "income",
                    variant,
                    value,
                    "CNY",
                )
                breakdown = data["breakdown"]
                assert [D(p["cash_flow"]) for p in breakdown["periods"]] == [D(110), D("133.1")]
                assert breakdown["mid_year"] is options["mid_year"]
                assert D(breakdown["tax_rate"]) == D(options["tax_rate"])
                assert all("present_value" in p for p in breakdown["periods"])
                paths = ["discount_rate"] + (
                    ["periods.*.share_rate"] if variant == "royalty" else []
                )
                assert [run["path"] for run in data["sensitivity"]] == paths


def test_income_royalty_range(api_client):
    # when
    data = _ok(api_client.post_json(VALUATION_PREVIEW, ROYALTY))
    # then
    # F = 100, 121 at i = 0.10: 100 / 1.1 + 121 / 1.21 = 90.9090… + 100 = 190.9090… → 190.91
    # share rate ∓ 10 %: 190.9090… × 0.9 = 171.8181… → 171.82; × 1.1 = 210.00
    assert (data["value"], data["low"], data["high"]) == ("190.91", "171.82", "210.00")


def test_market_with_two_comparables(api_client):
    # when
    data = _ok(api_client.post_json(VALUATION_PREVIEW, MARKET))
    # then
    # P_1 = 100 × 1.0625 × 1 × 1.03 × 1.2 × 1 = 131.325; P_2 = 120
    # P = (131.325 + 120) / 2 = 125.6625 → 125.66; X1 ∓ 5 %: 119.379375 → 119.38, 131.945625
    # → 131.95
    assert (data["method"], data["value"], data["currency"]) == ("market", "125.66", "CNY")
    assert (data["low"], data["high"]) == ("119.38", "131.95")
    adjusted = [D(c["adjusted_price"]) for c in data["breakdown"]["comparables"]]
    assert adjusted == [D("131.325"), D("120")]
    assert [run["path"] for run in data["sensitivity"]] == ["comparables.*.quality"]


def test_reconciled(api_client):
    # given
    body = {
        "method": "reconciled",
        "components": [{"weight": "0.6", "body": GUIDANCE}, {"weight": "0.4", "body": MARKET}],
    }
    # when
    data = _ok(api_client.post_json(VALUATION_PREVIEW, body))
    # then
    # 0.6 × 162.80 + 0.4 × 125.66 = 97.68 + 50.264 = 147.944 → 147.94
    # low 0.6 × 153.55 + 0.4 × 119.38 = 139.882 → 139.88; high 0.6 × 172.05 + 0.4 × 131.95 = 156.01
    assert (data["method"], data["value"], data["currency"]) == ("reconciled", "147.94", "CNY")
    assert (data["low"], data["high"]) == ("139.88", "156.01")
    assert set(data["breakdown"]) == {"reconciliation", "components"}
    assert [(c["weight"], c["method"], c["value"]) for c in data["breakdown"]["components"]] == [
        ("0.6", "cost", "162.80"),
        ("0.4", "market", "125.66"),
    ]


def test_quality_preview(api_client):
    # when
    data = _ok(api_client.post_json(QUALITY_PREVIEW, QUALITY))
    # then
    # completeness (98 + 95) / 2 = 96.5; accuracy (90 + 100 × (1 − 0.02)) / 2 = 94;
    # (96.5 + 94) / 2 = 95.25 → A
    assert (data["score"], data["grade"], data["equal_weights"]) == ("95.25", "A", True)
    scores = {row["key"]: row["score"] for row in data["indicators"]}
    assert D(scores["completeness"]) == D("96.5")
    assert D(scores["accuracy"]) == D("94")
    assert scores["consistency"] is None


# --- bad input: 400 naming the field -------------------------------------------------------------
def _periods(count):
    return [{"income": "1"}] * count


BAD_VALUATION_BODIES = [
    pytest.param(
        {**GUIDANCE, "costs": {**COSTS, "direct": "-1"}},
        "costs.direct",
        "must not be negative",
        id="negative-cost",
    ),
    pytest.param({**ROYALTY, "discount_rate": "0"}, "discount_rate", FRACTION_OPEN, id="i=0"),
    pytest.param({**ROYALTY, "discount_rate": "1"}, "discount_rate", FRACTION_OPEN, id="i=1"),
    pytest.param({**ROYALTY, "periods": []}, "periods", "must not be empty", id="no-periods"),
    pytest.param(
        {**GUIDANCE, "delta": "zero point eight"},
        "delta",
        'must be a decimal number such as "12.50"',
        id="non-numeric",
    ),
    pytest.param({**GUIDANCE, "delta": 0.1}, "delta", FLOAT_MESSAGE, id="json-float"),
    pytest.param(
        {**GUIDANCE, "delta": "0.1000000000000000055511151231257827"},
        "delta",
        "must not have more than 12 digits after the point",
        id="float-noise-string",
    ),
    pytest.param(
        {**ROYALTY, "variant": "direct", "periods": _periods(101)},
        "periods",
        "must not have more than 100 items",
        id="101-periods",
    ),
    pytest.param(
        {**ROYALTY, "periods": [{"revenue": "1000", "share_rate": "1.5"}]},
        "periods.0.share_rate",
        "must be a fraction from 0 to 1 (e.g. 0.05 for 5%)",
        id="share-rate",
    ),
    pytest.param(
        {**MARKET, "comparables": [{"price": "100", "weight": "0"}]},
        "comparables.0.weight",
        "must be greater than 0",
        id="zero-weight",
    ),
    pytest.param(
        {**GUIDELINE_9, "risk": "1"},
        "risk",
        "must be a fraction from 0 up to but not including 1 (e.g. 0.25 for 25%)",
        id="risk-1",
    ),
    pytest.param(
        {**ROYALTY, "mid_year": "yes"}, "mid_year", "must be true or false", id="mid-year"
    ),
    pytest.param({**GUIDANCE, "detla": "0.9"}, "detla", "unknown field", id="typo"),
    pytest.param(["method", "cost"], "body", "must be an object", id="json-array"),
    pytest.param(
        {
            "method": "reconciled",
            "components": [
                {"weight": "0.6", "body": GUIDANCE},
                {"weight": "0.3", "body": MARKET},
            ],
        },
        "components",
        "weights must sum to 1 (they sum to 0.9)",
        id="reconciled-weights",
    ),
]


def test_bad_valuation_input_is_a_400_naming_the_field(api_client, subtests):
    for case in BAD_VALUATION_BODIES:
        body, field, message = case.values
        with subtests.test(case.id):
            # when
            response = api_client.post_json(VALUATION_PREVIEW, body)
            # then
            _invalid(response, field, message)


def test_unknown_method_is_a_400_naming_method(api_client):
    # when
    response = api_client.post_json(VALUATION_PREVIEW, {"method": "dcf", "periods": []})
    # then
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_input"
    assert list(data["errors"]) == ["method"]
    assert data["errors"]["method"][0].startswith("must be one of cost, income, market")


BAD_QUALITY_BODIES = [
    pytest.param(
        {
            **QUALITY,
            "weights": {
                "normativity": "0.2",
                "completeness": "0.2",
                "accuracy": "0.2",
                "consistency": "0.2",
                "timeliness": "0.2",
                "accessibility": "0.1",
            },
        },
        "weights",
        "must sum to 1 (they sum to 1.1)",  # 5 × 0.2 + 0.1
        id="weights-sum",
    ),
    pytest.param(
        {"measurements": {"metadata": {"count": "9.5", "evaluated": "10"}}},
        "measurements.metadata.count",
        "must be a whole number of elements, 0 or more",
        id="fractional-count",
    ),
    pytest.param(
        {"measurements": {"metadata": {"count": 0.5, "evaluated": "10"}}},
        "measurements.metadata.count",
        FLOAT_MESSAGE,
        id="json-float",
    ),
    pytest.param([QUALITY], "body", "must be a JSON object", id="json-array"),
]


def test_bad_quality_input_is_a_400_naming_the_field(api_client, subtests):
    for case in BAD_QUALITY_BODIES:
        body, field, message = case.values
        with subtests.test(case.id):
            # when
            response = api_client.post_json(QUALITY_PREVIEW, body)
            # then
            _invalid(response, field, message)


def test_malformed_json_is_a_400_about_the_body(api_client, subtests):
    for path in (VALUATION_PREVIEW, QUALITY_PREVIEW):
        with subtests.test(path):
            # when
            response = api_client.post_json(path, data='{"method": "cost", ')
            # then: the shared error envelope, naming the body
            assert response.status_code == 400, response.text
            data = response.json()
            assert data["code"] == "invalid_input"
            assert list(data["errors"]) == ["body"]


ODD_BODIES = [
    "42",
    '"cost"',
    "null",
    '{"method": null}',
    '{"method": ["cost"]}',
    '{"method": {"cost": 1}}',
    '{"method": "cost", "variant": "guidance_2023", "costs": "185", "delta": "1"}',
    '{"method": "cost", "variant": "guidance_2023", "costs": {"direct": "1e999999"}, "delta": "1"}',
    '{"method": "cost", "variant": "guidance_2023", "costs": {"direct": 1e400}, "delta": "1"}',
    '{"method": "cost", "variant": "guidance_2023", "costs": {"direct": NaN}, "delta": "1"}',
    '{"method": "cost", "variant": "guidance_2023", "costs": {"direct": "Infinity"}, "delta": "1"}',
    '{"method": "income", "variant": "direct", "discount_rate": "0.1", "periods": [null]}',
    '{"method": "income", "variant": "direct", "discount_rate": "0.1", "periods": "100"}',
    '{"method": "income", "variant": "excess", "discount_rate": "0.1",'
    ' "periods": [{"total_benefit": "1", "contributory_charges": "1"}]}',
    '{"method": "market", "comparables": [{"price": true}]}',
    '{"method": "reconciled", "components": [null, null]}',
    '{"method": "reconciled", "components": "all"}',
    '{"method": "cost", "variant": "guidance_2023", "costs": {"direct": "'
    + "9" * 5000
    + '"}, "delta": "1"}',
    '{"method": "cost", "variant": "guidance_2023", "costs": {"direct": ' + "9" * 5000 + "},"
    ' "delta": "1"}',
]


def test_odd_bodies_are_400_never_500(api_client, subtests):
    for index, raw in enumerate(ODD_BODIES):
        with subtests.test(index=index, body=raw[:80]):
            # when
            response = api_client.post_json(VALUATION_PREVIEW, data=raw)
            # then
            assert response.status_code == 400, response.text
            assert {"code", "message"} <= set(response.json())


def test_deeply_nested_json_is_not_a_server_error(api_client):
    # given: nesting deeper than the JSON parser's recursion limit
    raw = '{"method": "market", "comparables": ' + "[" * 100_000 + "]" * 100_000 + "}"
    # when
    response = api_client.post_json(VALUATION_PREVIEW, data=raw)
    # then
    assert response.status_code == 400, response.text[:300]


# --- who may call --------------------------------------------------------------------------------
def test_anonymous_is_401(anonymous, subtests):
    for path, body in ((VALUATION_PREVIEW, GUIDANCE), (QUALITY_PREVIEW, QUALITY)):
        with subtests.test(path):
            # when
            response = anonymous.post_json(path, body)
            # then
            assert response.status_code == 401
            assert response.json() == {
                "code": "not_authenticated",
                "message": "Authentication credentials were not provided.",
            }
            assert response.headers["WWW-Authenticate"] == 'Api-Key realm="api"'


def test_enterprise_session_is_403(live_server, holder):
    # given: an enterprise user (staff, so that the admin login form admits it) signed in
    user = UserFactory(username="ent-staff", organisation=holder, is_staff=True)
    client = login(live_server.url, user.username)
    # when
    response = client.post_json(VALUATION_PREVIEW, GUIDANCE)
    # then
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "Only registrars and API-key clients may use this endpoint.",
    }


def test_registrar_session_is_200(registrar_client):
    # when
    valuation = registrar_client.post_json(VALUATION_PREVIEW, GUIDANCE)
    quality = registrar_client.post_json(QUALITY_PREVIEW, QUALITY)
    # then: 185 × 0.88 = 162.80; 95.25 → A (see test_quality_preview)
    assert _ok(valuation)["value"] == "162.80"
    assert (_ok(quality)["score"], _ok(quality)["grade"]) == ("95.25", "A")


def test_registrar_session_without_the_csrf_token_is_403(registrar_client):
    # given
    url = registrar_client.base_url + VALUATION_PREVIEW
    # when
    response = registrar_client.session.post(url, json=GUIDANCE, timeout=10)
    # then
    assert response.status_code == 403
    data = response.json()
    assert data["code"] == "permission_denied"
    assert data["message"].startswith("CSRF Failed")


def test_bank_api_key_is_200_and_needs_no_csrf_token(live_server, bank_api_key):
    # given: a fresh session with no cookies at all
    client = Client(live_server.url)
    # when
    response = client.session.post(
        live_server.url + VALUATION_PREVIEW, json=GUIDANCE, headers=bank_api_key.headers, timeout=10
    )
    # then
    assert _ok(response)["value"] == "162.80"


def test_revoked_api_key_is_401(live_server, bank_api_key, registrar):
    # given
    registry_services.api_key_revoke(api_key=bank_api_key.record, actor=registrar)
    client = Client(live_server.url)
    # when
    response = client.post_json(VALUATION_PREVIEW, GUIDANCE, headers=bank_api_key.headers)
    # then
    assert response.status_code == 401
    assert response.json() == {
        "code": "authentication_failed",
        "message": "Unknown or revoked API key.",
    }


GARBAGE_KEYS = [
    ("Api-Key garbage", "Malformed API key."),
    ("Api-Key ", "Malformed API key."),
    ("Api-Key abcdefgh.not-a-real-secret", "Unknown or revoked API key."),
]


def test_garbage_api_key_is_401(anonymous, subtests):
    for header, message in GARBAGE_KEYS:
        with subtests.test(header):
            # when
            response = anonymous.post_json(
                VALUATION_PREVIEW, GUIDANCE, headers={"Authorization": header}
            )
            # then
            assert response.status_code == 401
            assert response.json() == {"code": "authentication_failed", "message": message}


# --- nothing is stored ---------------------------------------------------------------------------
def test_previews_store_nothing(api_client, registrar_client):
    # given
    before = valuation_counts()
    bodies = [GUIDANCE, GUIDELINE_9, ROYALTY, MARKET]
    # when
    for client in (api_client, registrar_client):
        for body in bodies:
            _ok(client.post_json(VALUATION_PREVIEW, body))
        _ok(client.post_json(QUALITY_PREVIEW, QUALITY))
        client.post_json(VALUATION_PREVIEW, {**GUIDANCE, "delta": "2"})
    # then
    assert valuation_counts() == before


def test_preview_only_answers_post(api_client):
    # when
    response = api_client.session.get(api_client.base_url + VALUATION_PREVIEW, timeout=10)
    # then
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
