"""The preview API contract of domain.md section 9, on the pure-Python side."""

import json

import pytest

from valuation.methods.errors import CalculationInputError
from valuation.methods.payload import parse_preview, preview

FLOAT_MESSAGE = (
    'must be given as a decimal string such as "0.1", not as a binary float '
    "(floats carry rounding noise)"
)

GUIDANCE_BODY = {
    "method": "cost",
    "variant": "guidance_2023",
    "costs": {
        "preliminary": "20",
        "direct": "120",
        "indirect": "30",
        "opportunity": "10",
        "taxes": "5",
    },
    "delta": "0.88",
}
GUIDELINE_9_BODY = {
    "method": "cost",
    "variant": "expert_guideline_9",
    "total_cost": "100",
    "return_rate": "0.10",
    "alpha": "0.9",
    "beta": "1.0",
    "monopoly": "0.10",
    "risk": "0.05",
}
INCOME_BODY = {
    "method": "income",
    "variant": "direct",
    "discount_rate": "0.25",
    "tax_rate": "0",
    "mid_year": False,
    "periods": [{"income": "100"}, {"income": "100"}, {"income": "100"}],
}
MARKET_BODY = {
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
        }
    ],
}


def test_cost_guidance_body_gives_the_response_shape():
    # given the section 9 body
    # when
    response = preview(GUIDANCE_BODY)
    # then 185 × 0.88 = 162.80, amounts as strings, and the response is JSON-serialisable
    assert response["method"] == "cost"
    assert response["value"] == "162.80"
    assert response["currency"] == "CNY"
    assert response["formula"].startswith("P = C × δ")
    assert response["breakdown"]["replacement_cost"] == "185"
    assert response["breakdown"]["delta_source"] == "given"
    assert response["breakdown"]["costs"]["direct"] == "120"
    assert "value" not in response["breakdown"]
    json.dumps(response)


def test_quality_score_and_life_bodies_choose_delta():
    # given the same costs with a quality score, then with a life
    by_score = {k: v for k, v in GUIDANCE_BODY.items() if k != "delta"} | {"quality_score": "88"}
    by_life = {k: v for k, v in GUIDANCE_BODY.items() if k != "delta"} | {
        "used_years": "2",
        "remaining_years": "6",
    }
    # when / then 185 × 0.88 = 162.80; 185 × 6/8 = 138.75
    assert preview(by_score)["value"] == "162.80"
    assert preview(by_life)["value"] == "138.75"


def test_expert_guideline_9_body():
    # given the section 9 body
    # when
    response = preview(GUIDELINE_9_BODY)
    # then U = 0.9 × 1.0 × 1.10 × 0.95 = 0.9405 (printed with the digits Decimal kept);
    # P = 110 × 0.9405 = 103.455 → 103.46
    assert response["value"] == "103.46"
    assert response["breakdown"]["u"] == "0.940500"


def test_deyang_body():
    # given the published Deyang case
    body = {
        "method": "cost",
        "variant": "deyang",
        "a": "26.0",
        "d": "20.0",
        "e": "6.0",
        "b": "1.4",
        "c": "1.4",
    }
    # when / then 26 + 26 × 1.4 + 26 × 1.4 = 98.8
    assert preview(body)["value"] == "98.80"


def test_income_body_lists_every_discounted_period():
    # given 100 a year for 3 years at 0.25
    # when
    response = preview(INCOME_BODY)
    # then 80 + 64 + 51.2 = 195.20
    assert response["value"] == "195.20"
    periods = response["breakdown"]["periods"]
    assert [p["present_value"] for p in periods] == ["80", "64", "51.2"]
    assert periods[0]["inputs"] == {"income": "100"}
    assert response["breakdown"]["mid_year"] is False


@pytest.mark.parametrize(
    ("variant", "periods", "value"),
    [
        # 1000 × 0.05 = 50 → 50 / 1.25 = 40
        ("royalty", [{"revenue": "1000", "share_rate": "0.05"}], "40.00"),
        # 300 − 120 = 180 → 180 / 1.25 = 144
        ("excess", [{"total_benefit": "300", "contributory_charges": ["120"]}], "144.00"),
        # 500 − 420 = 80 → 80 / 1.25 = 64
        ("incremental", [{"with_asset": "500", "without_asset": "420"}], "64.00"),
    ],
)
def test_income_variant_bodies(variant, periods, value):
    # given
    body = {"method": "income", "variant": variant, "discount_rate": "0.25", "periods": periods}
    # when / then
    assert preview(body)["value"] == value


def test_market_body():
    # given the section 9 comparable
    # when
    response = preview(MARKET_BODY)
    # then 100 × 1.0625 × 1.03 × 1.2 = 131.325 → 131.33
    assert response["value"] == "131.33"
    assert response["breakdown"]["comparables"][0]["adjusted_price"] == "131.325"


def test_market_factors_and_weight_default_to_one():
    # given only a price
    body = {"method": "market", "comparables": [{"price": "250"}]}
    # when
    request = parse_preview(body)
    # then
    comparable = request.input.comparables[0]
    assert (comparable.quality, comparable.other, comparable.weight) == (1, 1, 1)
    assert preview(body)["value"] == "250.00"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ([], "body", "must be an object"),
        ({}, "method", "this field is required"),
        ({"method": "barter"}, "method", "must be one of cost, income, market"),
        ({"method": "cost"}, "variant", "this field is required"),
        (
            {"method": "cost", "variant": "replacement"},
            "variant",
            "must be one of guidance_2023, expert_guideline_9, deyang",
        ),
        ({**GUIDANCE_BODY, "discount": "0.1"}, "discount", "unknown field"),
        (
            {**GUIDANCE_BODY, "costs": {**GUIDANCE_BODY["costs"], "labour": "1"}},
            "costs.labour",
            "unknown field",
        ),
        (
            {k: v for k, v in GUIDANCE_BODY.items() if k != "costs"},
            "costs",
            "this field is required",
        ),
        ({**GUIDANCE_BODY, "costs": "185"}, "costs", "must be an object"),
        ({**GUIDANCE_BODY, "delta": 0.88}, "delta", FLOAT_MESSAGE),
        (
            {**GUIDANCE_BODY, "costs": {"direct": "-5"}},
            "costs.direct",
            "must not be negative",
        ),
        ({**GUIDELINE_9_BODY, "alpha": None}, "alpha", "this field is required"),
        (
            {**GUIDELINE_9_BODY, "risk": "1"},
            "risk",
            "must be a fraction from 0 up to but not including 1 (e.g. 0.25 for 25%)",
        ),
        (
            {**INCOME_BODY, "variant": "ebit"},
            "variant",
            "must be one of direct, royalty, excess, incremental",
        ),
        ({**INCOME_BODY, "periods": []}, "periods", "must not be empty"),
        ({**INCOME_BODY, "periods": "100"}, "periods", "must be a list"),
        (
            {**INCOME_BODY, "periods": [{"income": "1"}] * 101},
            "periods",
            "must not have more than 100 items",
        ),
        ({**INCOME_BODY, "periods": [{"income": "1"}, "1"]}, "periods.1", "must be an object"),
        (
            {**INCOME_BODY, "periods": [{"income": "1"}, {}]},
            "periods.1.income",
            "this field is required",
        ),
        (
            {**INCOME_BODY, "periods": [{"income": "1"}, {"income": "1", "revenue": "1"}]},
            "periods.1.revenue",
            "unknown field",
        ),
        ({**INCOME_BODY, "mid_year": "false"}, "mid_year", "must be true or false"),
        (
            {**INCOME_BODY, "discount_rate": "1.2"},
            "discount_rate",
            "must be a fraction strictly between 0 and 1 (e.g. 0.12 for 12%)",
        ),
        (
            {
                "method": "income",
                "variant": "excess",
                "discount_rate": "0.1",
                "periods": [{"total_benefit": "300", "contributory_charges": "120"}],
            },
            "periods.0.contributory_charges",
            "must be a list",
        ),
        (
            {
                "method": "income",
                "variant": "excess",
                "discount_rate": "0.1",
                "periods": [{"total_benefit": "300", "contributory_charges": ["1", 2.5]}],
            },
            "periods.0.contributory_charges.1",
            FLOAT_MESSAGE,
        ),
        ({**MARKET_BODY, "variant": "sales"}, "variant", "the market method has no variants"),
        (
            {"method": "market", "comparables": [{"price": "abc"}]},
            "comparables.0.price",
            'must be a decimal number such as "12.50"',
        ),
        (
            {"method": "market", "comparables": [{"weight": "1"}]},
            "comparables.0.price",
            "this field is required",
        ),
        (
            {"method": "market", "comparables": [{"price": "1"}, {"price": "1", "weight": "0"}]},
            "comparables.1.weight",
            "must be greater than 0",
        ),
    ],
)
def test_bad_bodies_are_refused_with_the_field_named(body, field, message):
    # given
    # when
    with pytest.raises(CalculationInputError) as refused:
        preview(body)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)
