"""The usage-and-quality estimate of batch revaluation (valuation.methods.estimate), no database.

P = α × Σ R_t × K / (1 + i)^t, R_t = R_1 × (1 + g)^(t − 1), α = score / 100; the range comes from
i ± 1 point, K ± 10 % relative and the score ± 5 points.
"""

from decimal import Decimal as D

import pytest

from valuation.methods.appraise import appraise
from valuation.methods.errors import CalculationInputError
from valuation.methods.estimate import EstimateParameters, UsageTotals, estimate

# One period without growth keeps the arithmetic short: P = α × R_1 × K / (1 + i).
ONE_YEAR = EstimateParameters(
    discount_rate=D("0.25"), share_rate=D("0.2"), growth_rate=D(0), periods=1
)


def test_one_period_estimate_value_and_range_by_hand():
    # given: revenue 1200 over 6 months, score 80
    usage = UsageTotals(observed_months=6, revenue=D("1200"))
    # when
    result = estimate(usage, D("80"), ONE_YEAR)
    # then
    # R_1 = 1200 × 12 / 6 = 2400; F_1 = 2400 × 0.2 = 480; P_inc = 480 / 1.25 = 384;
    # α = 0.8; P = 384 × 0.8 = 307.20
    assert result.value == D("307.20")
    # i ± 0.01: 480 / 1.24 × 0.8 = 309.677… and 480 / 1.26 × 0.8 = 304.761…
    # K ± 10 %: 384 × 0.8 × 0.9 = 276.48 and 384 × 0.8 × 1.1 = 337.92
    # score ± 5: 384 × 0.75 = 288.00 and 384 × 0.85 = 326.40
    assert result.low == D("276.48")
    assert result.high == D("337.92")
    assert D(result.breakdown["first_year_revenue"]) == D(2400)
    assert result.breakdown["income_value"] == "384.00"
    assert D(result.breakdown["quality_coefficient"]) == D("0.8")
    assert [D(pv) for pv in result.breakdown["present_values"]] == [D(384)]


def test_default_parameters_estimate_by_hand():
    # given: revenue 1000 over 12 months, score 88, defaults i = 0.12, K = 0.25, g = 0.05, n = 5
    usage = UsageTotals(observed_months=12, revenue=D("1000"))
    # when
    result = estimate(usage, D("88"), EstimateParameters())
    # then
    # P_inc = Σ_{t=1..5} 250 × 1.05^(t−1) / 1.12^t = 250 / 1.12 × Σ_{k=0..4} q^k with
    # q = 1.05 / 1.12 = 15/16: Σ = (1 − (15/16)^5) / (1/16) = 289201 / 65536, so
    # P_inc = (3125/14) × (289201/65536) = 903753125 / 917504 = 985.01273…
    # P = 0.88 × 985.01273… = 866.81120… → 866.81
    assert result.value == D("866.81")
    # low: K − 10 % → 866.81120… × 0.9 = 780.13008… (below score − 5: 0.83 × 985.01 = 817.56
    #      and i + 1 point: 845.04)
    # high: K + 10 % → 866.81120… × 1.1 = 953.49232… (above score + 5: 916.06, i − 1: 889.49)
    assert result.low == D("780.13")
    assert result.high == D("953.49")
    assert result.breakdown["income_value"] == "985.01"
    assert D(result.breakdown["quality_coefficient"]) == D("0.88")
    assert result.inputs["quality_score"] == "88"
    assert result.inputs["usage"] == {
        "observed_months": 12,
        "revenue": "1000",
        "api_calls": 0,
        "downloads": 0,
        "licensees": 0,
        "subscriptions": 0,
    }
    assert result.inputs["parameters"] == {
        "discount_rate": "0.12",
        "share_rate": "0.25",
        "growth_rate": "0.05",
        "periods": 5,
        "unit_prices": {
            "api_calls": "0.02",
            "downloads": "5",
            "licensees": "20000",
            "subscriptions": "1200",
        },
    }


def test_stored_body_recomputes_the_income_value_through_the_preview_calculator():
    # given
    usage = UsageTotals(observed_months=12, revenue=D("1000"))
    # when
    result = estimate(usage, D("88"), EstimateParameters())
    # then: the stored royalty body is a valid preview body giving P_inc (985.01, see above)
    body = result.inputs["body"]
    assert body["method"] == "income"
    assert body["variant"] == "royalty"
    assert body["discount_rate"] == "0.12"
    assert len(body["periods"]) == 5
    assert {period["share_rate"] for period in body["periods"]} == {"0.25"}
    assert appraise(body).value == D("985.01")


def test_usage_counts_times_unit_prices_when_there_is_no_revenue():
    # given: no recorded revenue; 100,000 API calls and one licensee over 12 months
    usage = UsageTotals(observed_months=12, api_calls=100_000, licensees=1)
    params = EstimateParameters(
        discount_rate=D("0.1"), share_rate=D("0.25"), growth_rate=D(0), periods=1
    )
    # when
    result = estimate(usage, D("90"), params)
    # then
    # R_1 = 100000 × 0.02 + 1 × 20000 = 2000 + 20000 = 22000; F_1 = 22000 × 0.25 = 5500;
    # P_inc = 5500 / 1.1 = 5000; P = 5000 × 0.9 = 4500.00
    assert D(result.breakdown["first_year_revenue"]) == D(22000)
    assert result.value == D("4500.00")
    assert result.breakdown["income_value"] == "5000.00"


def test_recorded_revenue_takes_precedence_over_usage_counts():
    # given: revenue is recorded, so the counts are not priced on top of it
    with_counts = UsageTotals(observed_months=6, revenue=D("1200"), api_calls=1_000_000)
    # when
    result = estimate(with_counts, D("80"), ONE_YEAR)
    # then: the same 307.20 as from the revenue alone (R_1 = 2400, not 2400 + 2,000,000 × 0.02)
    assert result.value == D("307.20")
    assert D(result.breakdown["first_year_revenue"]) == D(2400)


def test_counts_are_scaled_to_twelve_months():
    # given: 3 licensees over 4 months
    usage = UsageTotals(observed_months=4, licensees=3)
    # when
    result = estimate(usage, D("100"), ONE_YEAR)
    # then: R_1 = 3 × 12 / 4 × 20000 = 180000; P = 180000 × 0.2 / 1.25 × 1 = 28800.00
    assert result.value == D("28800.00")


@pytest.mark.parametrize(
    ("score", "value"),
    [
        # P = P_inc × score / 100, P_inc = 985.01273… (see the default-parameters test)
        ("0", "0.00"),
        ("50", "492.51"),  # 492.506367…
        ("60", "591.01"),  # 591.007641…
        ("88", "866.81"),  # 866.811207…
        ("100", "985.01"),  # 985.012735…
    ],
)
def test_value_is_proportional_to_the_quality_score(score, value):
    # given
    usage = UsageTotals(observed_months=12, revenue=D("1000"))
    # when
    result = estimate(usage, D(score), EstimateParameters())
    # then
    assert result.value == D(value)


def test_value_is_monotone_in_the_quality_score():
    # given
    usage = UsageTotals(observed_months=12, revenue=D("1000"))
    scores = [D(s) for s in ("0", "10", "59.99", "60", "75.5", "89.99", "90", "100")]
    # when
    values = [estimate(usage, score, EstimateParameters()).value for score in scores]
    # then
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_range_always_holds_the_value():
    # given
    usage = UsageTotals(observed_months=3, revenue=D("250"), api_calls=5)
    for score in (D("0"), D("3"), D("50"), D("97"), D("100")):
        # when
        result = estimate(usage, score, EstimateParameters())
        # then
        assert result.low <= result.value <= result.high


def test_an_invalid_parameter_names_its_field():
    # given: a discount rate of 0 is not a rate the income approach accepts
    usage = UsageTotals(observed_months=12, revenue=D("1000"))
    # when / then
    with pytest.raises(CalculationInputError) as caught:
        estimate(usage, D("80"), EstimateParameters(discount_rate=D(0)))
    assert caught.value.field == "discount_rate"
