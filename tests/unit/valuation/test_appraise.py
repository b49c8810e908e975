"""One appraisal (valuation.methods.appraise): value, low / high from the method's key inputs,
and reconciliation of several method bodies. No database."""

from decimal import Decimal as D

import pytest

from valuation.methods.appraise import appraise
from valuation.methods.errors import CalculationInputError

COSTS = {"preliminary": "20", "direct": "120", "indirect": "30", "opportunity": "10", "taxes": "5"}
# C = 20 + 120 + 30 + 10 + 5 = 185
GUIDANCE_DELTA = {"method": "cost", "variant": "guidance_2023", "costs": COSTS, "delta": "0.88"}
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
ROYALTY = {
    "method": "income",
    "variant": "royalty",
    "discount_rate": "0.10",
    "periods": [
        {"revenue": "1000", "share_rate": "0.1"},
        {"revenue": "1210", "share_rate": "0.1"},
    ],
}
DIRECT = {
    "method": "income",
    "variant": "direct",
    "discount_rate": "0.25",
    "periods": [{"income": "100"}, {"income": "100"}, {"income": "100"}],
}
MARKET = {
    "method": "market",
    "comparables": [
        {"price": "100", "quality": "1.0625", "date": "1.03", "capacity": "1.2"},
        {"price": "120"},
    ],
}


def reconciled(*components):
    return {
        "method": "reconciled",
        "components": [{"weight": weight, "body": body} for weight, body in components],
    }


# --- single methods ------------------------------------------------------------------------------
def test_guidance_2023_given_delta_range_is_delta_plus_minus_0_05():
    # when
    result = appraise(GUIDANCE_DELTA)
    # then
    # P = 185 × 0.88 = 162.80; δ 0.83 → 153.55; δ 0.93 → 172.05
    assert (result.value, result.low, result.high) == (D("162.80"), D("153.55"), D("172.05"))
    assert result.method == "cost"
    assert result.variant == "guidance_2023"
    assert result.currency == "CNY"
    assert [run["path"] for run in result.sensitivity] == ["delta"]
    assert (result.sensitivity[0]["low"], result.sensitivity[0]["high"]) == ("153.55", "172.05")


def test_guidance_2023_delta_from_quality_score_shifts_the_score_by_5():
    # given
    body = {"method": "cost", "variant": "guidance_2023", "costs": COSTS, "quality_score": "88"}
    # when
    result = appraise(body)
    # then: δ = 88 / 100; score 83 → 185 × 0.83 = 153.55; score 93 → 185 × 0.93 = 172.05
    assert (result.value, result.low, result.high) == (D("162.80"), D("153.55"), D("172.05"))
    assert [run["path"] for run in result.sensitivity] == ["quality_score"]


def test_guidance_2023_delta_from_life_shifts_the_remaining_years_by_1():
    # given
    body = {
        "method": "cost",
        "variant": "guidance_2023",
        "costs": COSTS,
        "used_years": "2",
        "remaining_years": "8",
    }
    # when
    result = appraise(body)
    # then
    # δ = 8 / (2 + 8) = 0.8 → 185 × 0.8 = 148.00
    # remaining 7: δ = 7/9 → 143.888… → 143.89; remaining 9: δ = 9/11 → 151.363… → 151.36
    assert (result.value, result.low, result.high) == (D("148.00"), D("143.89"), D("151.36"))
    assert [run["path"] for run in result.sensitivity] == ["remaining_years"]


def test_expert_guideline_9_range_is_alpha_plus_minus_0_05():
    # when
    result = appraise(GUIDELINE_9)
    # then
    # U = 0.9 × 1.0 × 1.1 × 0.95 = 0.9405; P = 100 × 1.1 × 0.9405 = 103.455 → 103.46 (half-up)
    # α 0.85: U = 0.88825 → 97.7075 → 97.71; α 0.95: U = 0.99275 → 109.2025 → 109.20
    assert (result.value, result.low, result.high) == (D("103.46"), D("97.71"), D("109.20"))
    assert D(result.breakdown["u"]) == D("0.9405")
    assert [run["path"] for run in result.sensitivity] == ["alpha"]


def test_royalty_range_from_discount_rate_and_share_rate_plus_minus_10_percent():
    # when
    result = appraise(ROYALTY)
    # then
    # F_1 = 1000 × 0.1 = 100, F_2 = 1210 × 0.1 = 121; P = 100/1.1 + 121/1.21 = 90.9090… + 100
    # = 190.9090… → 190.91
    # i 0.11: 188.30, i 0.09: 193.59; K 0.09 (−10 %): 190.9090… × 0.9 = 171.8181… → 171.82;
    # K 0.11 (+10 %): 190.9090… × 1.1 = 210.00
    assert (result.value, result.low, result.high) == (D("190.91"), D("171.82"), D("210.00"))
    paths = [run["path"] for run in result.sensitivity]
    assert paths == ["discount_rate", "periods.*.share_rate"]
    assert (result.sensitivity[0]["low"], result.sensitivity[0]["high"]) == ("188.30", "193.59")
    assert (result.sensitivity[1]["low"], result.sensitivity[1]["high"]) == ("171.82", "210.00")


def test_direct_income_range_from_discount_rate_only():
    # when
    result = appraise(DIRECT)
    # then
    # P = 100/1.25 + 100/1.5625 + 100/1.953125 = 80 + 64 + 51.2 = 195.20
    # i 0.26: 100 × (0.793650… + 0.629881… + 0.499906…) = 192.3438… → 192.34
    # i 0.24: 100 × (0.806451… + 0.650364… + 0.524487…) = 198.1303… → 198.13
    assert (result.value, result.low, result.high) == (D("195.20"), D("192.34"), D("198.13"))
    assert [run["path"] for run in result.sensitivity] == ["discount_rate"]


def test_a_shift_the_calculator_refuses_is_reported_not_counted():
    # given: i = 0.01, so the down shift would be a discount rate of 0
    body = {"method": "income", "variant": "direct", "discount_rate": "0.01"}
    body["periods"] = [{"income": "101"}]
    # when
    result = appraise(body)
    # then: 101 / 1.01 = 100.00; up: 101 / 1.02 = 99.0196… → 99.02; down not computable
    assert (result.value, result.low, result.high) == (D("100.00"), D("99.02"), D("100.00"))
    assert (
        "not computable (discount_rate: must be a fraction strictly between 0 and 1"
        in (result.sensitivity[0]["formula"])
    )


def test_market_range_from_every_comparable_quality_plus_minus_5_percent():
    # when
    result = appraise(MARKET)
    # then
    # P_1 = 100 × 1.0625 × 1 × 1.03 × 1.2 × 1 = 131.325; P_2 = 120
    # P = (131.325 + 120) / 2 = 125.6625 → 125.66
    # every X1 × 0.95: 125.6625 × 0.95 = 119.379375 → 119.38; × 1.05 = 131.945625 → 131.95
    assert (result.value, result.low, result.high) == (D("125.66"), D("119.38"), D("131.95"))
    assert [run["path"] for run in result.sensitivity] == ["comparables.*.quality"]
    adjusted = [D(row["adjusted_price"]) for row in result.breakdown["comparables"]]
    assert adjusted == [D("131.325"), D("120")]


def test_response_shape():
    # when
    response = appraise(GUIDANCE_DELTA).as_response()
    # then
    assert set(response) == {
        "method",
        "variant",
        "value",
        "low",
        "high",
        "currency",
        "formula",
        "breakdown",
        "sensitivity",
    }
    assert (response["value"], response["low"], response["high"]) == ("162.80", "153.55", "172.05")
    assert response["currency"] == "CNY"
    assert D(response["breakdown"]["replacement_cost"]) == D(185)
    assert response["breakdown"]["delta_source"] == "given"


def test_single_method_errors_name_the_body_field():
    # given
    body = {**GUIDANCE_DELTA, "costs": {**COSTS, "direct": "-1"}}
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        appraise(body)
    assert (caught.value.field, caught.value.message) == ("costs.direct", "must not be negative")


# --- reconciliation ------------------------------------------------------------------------------
def test_reconciled_weighs_values_and_ranges_0_6_and_0_4():
    # given
    body = reconciled(("0.6", GUIDANCE_DELTA), ("0.4", MARKET))
    # when
    result = appraise(body)
    # then
    # value: 0.6 × 162.80 + 0.4 × 125.66 = 97.68 + 50.264 = 147.944 → 147.94
    # low:   0.6 × 153.55 + 0.4 × 119.38 = 92.13 + 47.752 = 139.882 → 139.88
    # high:  0.6 × 172.05 + 0.4 × 131.95 = 103.23 + 52.78 = 156.01
    assert (result.value, result.low, result.high) == (D("147.94"), D("139.88"), D("156.01"))
    assert result.method == "reconciled"
    assert result.variant is None
    assert result.sensitivity == []
    components = result.breakdown["components"]
    assert [(c["weight"], c["method"], c["value"]) for c in components] == [
        ("0.6", "cost", "162.80"),
        ("0.4", "market", "125.66"),
    ]


def test_reconciled_weights_must_sum_to_1():
    # given: 0.6 + 0.3 = 0.9
    body = reconciled(("0.6", GUIDANCE_DELTA), ("0.3", MARKET))
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        appraise(body)
    assert (caught.value.field, caught.value.message) == (
        "components",
        "weights must sum to 1 (they sum to 0.9)",
    )


def test_nested_reconciliation_is_refused():
    # given
    inner = reconciled(("0.5", GUIDANCE_DELTA), ("0.5", MARKET))
    body = reconciled(("0.5", inner), ("0.5", ROYALTY))
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        appraise(body)
    assert (caught.value.field, caught.value.message) == (
        "components.0.body.method",
        "cannot nest a reconciliation",
    )


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ([("1", GUIDANCE_DELTA)], "reconciliation needs at least two methods"),
        ([], "must not be empty"),
    ],
    ids=["one", "none"],
)
def test_reconciliation_needs_two_components(components, message):
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        appraise(reconciled(*components))
    assert (caught.value.field, caught.value.message) == ("components", message)


def test_reconciliation_components_must_be_a_list():
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        appraise({"method": "reconciled", "components": {"weight": "1", "body": MARKET}})
    assert caught.value.field == "components"


def test_reconciliation_of_more_than_five_components_is_refused():
    # given
    body = reconciled(*[("0.1", MARKET)] * 6)
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        appraise(body)
    assert (caught.value.field, caught.value.message) == (
        "components",
        "must not have more than 5 items",
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            reconciled(("0.6", GUIDANCE_DELTA), ("0.4", {**MARKET, "comparables": []})),
            "components.1.body.comparables",
            "must not be empty",
        ),
        (
            reconciled(
                ("0.6", {**GUIDANCE_DELTA, "costs": {**COSTS, "direct": "-1"}}), ("0.4", MARKET)
            ),
            "components.0.body.costs.direct",
            "must not be negative",
        ),
        (
            reconciled(("0.6", GUIDANCE_DELTA), ("0.4", {**ROYALTY, "discount_rate": "1"})),
            "components.1.body.discount_rate",
            "must be a fraction strictly between 0 and 1 (e.g. 0.12 for 12%)",
        ),
        (
            reconciled(("1.5", GUIDANCE_DELTA), ("-0.5", MARKET)),
            "components.0.weight",
            "must be between 0 and 1",
        ),
        (
            reconciled(("0.6", GUIDANCE_DELTA), (0.4, MARKET)),
            "components.1.weight",
            'must be given as a decimal string such as "0.1", not as a binary float '
            "(floats carry rounding noise)",
        ),
        (
            {"method": "reconciled", "components": [{"weight": "0.5", "body": MARKET}, "x"]},
            "components.1",
            "must be an object with weight and body",
        ),
    ],
    ids=["empty-comparables", "negative-cost", "rate-1", "weight-range", "float-weight", "item"],
)
def test_reconciliation_errors_name_the_component_path(body, field, message):
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        appraise(body)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_a_component_body_that_is_not_an_object_is_named_by_its_path():
    # given
    body = reconciled(("0.6", GUIDANCE_DELTA), ("0.4", ["not", "an", "object"]))
    # when / then: the field is the component's body itself
    with pytest.raises(CalculationInputError) as caught:
        appraise(body)
    assert (caught.value.field, caught.value.message) == ("components.1.body", "must be an object")


def test_two_components_of_the_same_method_are_reconciled_or_refused_by_component_path():
    # given: two cost variants (guidance 2023: 162.80; expert guideline 9: 103.46)
    body = reconciled(("0.5", GUIDANCE_DELTA), ("0.5", GUIDELINE_9))
    # when
    try:
        result = appraise(body)
    except CalculationInputError as refused:
        # then: a refusal must name a field of the request body, not the calculator's own
        # "values.1.method"
        assert refused.field.startswith("components.1"), refused.field
    else:
        # then: 0.5 × 162.80 + 0.5 × 103.46 = 81.40 + 51.73 = 133.13
        assert result.value == D("133.13")
