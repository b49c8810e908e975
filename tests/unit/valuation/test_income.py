"""Income approach: P = Σ F_t × (1 − tax) / (1 + i)^t, its four variants and the usage forecast.

Most cases use i = 0.25 because its powers are exact: 1.25, 1.5625, 1.953125, so
100 / 1.25 = 80, 100 / 1.5625 = 64 and 100 / 1.953125 = 51.2.
"""

from decimal import ROUND_DOWN, localcontext
from decimal import Decimal as D

import pytest

from valuation.methods.errors import CalculationInputError
from valuation.methods.income import (
    DirectPeriod,
    ExcessPeriod,
    IncomeInput,
    IncomeVariant,
    IncrementalPeriod,
    RoyaltyPeriod,
    UsageForecastInput,
    UsageLine,
    calculate_income,
    forecast_usage,
)

FRACTION_OPEN = "must be a fraction strictly between 0 and 1 (e.g. 0.12 for 12%)"
FRACTION_CLOSED = "must be a fraction from 0 to 1 (e.g. 0.05 for 5%)"
FRACTION_BELOW_ONE = "must be a fraction from 0 up to but not including 1 (e.g. 0.25 for 25%)"


def direct(*incomes: str) -> tuple[DirectPeriod, ...]:
    return tuple(DirectPeriod(income=D(income)) for income in incomes)


def test_direct_income_discounted_at_year_end():
    # given 100 a year for 3 years at i = 0.25
    inp = IncomeInput(
        IncomeVariant.DIRECT, discount_rate=D("0.25"), periods=direct("100", "100", "100")
    )
    # when
    result = calculate_income(inp)
    # then 100/1.25 + 100/1.5625 + 100/1.953125 = 80 + 64 + 51.2 = 195.2
    assert [row.compound_factor for row in result.periods] == [
        D("1.25"),
        D("1.5625"),
        D("1.953125"),
    ]
    assert [row.discount_factor for row in result.periods] == [D("0.8"), D("0.64"), D("0.512")]
    assert [row.present_value for row in result.periods] == [D("80"), D("64"), D("51.2")]
    assert [row.exponent for row in result.periods] == [D(1), D(2), D(3)]
    assert result.value == D("195.20")
    assert result.formula == (
        "P = Σ F_t × (1 − tax) / (1 + i)^e, e = t, t = 1..3; F_t = direct income (EBIT of the "
        "data product); i = 0.25, tax = 0; P = 195.2 → 195.20"
    )


def test_royalty_income_is_revenue_times_share_rate():
    # given revenue 1000 at 10 % and 2000 at 5 %
    periods = (
        RoyaltyPeriod(revenue=D("1000"), share_rate=D("0.1")),
        RoyaltyPeriod(revenue=D("2000"), share_rate=D("0.05")),
    )
    inp = IncomeInput(IncomeVariant.ROYALTY, discount_rate=D("0.25"), periods=periods)
    # when
    result = calculate_income(inp)
    # then F = 1000 × 0.1 = 100 and 2000 × 0.05 = 100; P = 80 + 64 = 144
    assert [row.cash_flow for row in result.periods] == [D("100"), D("100")]
    assert result.value == D("144.00")


def test_excess_earnings_subtract_contributory_charges():
    # given benefit 300 less charges 120 and 30, then benefit 250 with no charges
    periods = (
        ExcessPeriod(total_benefit=D("300"), contributory_charges=(D("120"), D("30"))),
        ExcessPeriod(total_benefit=D("250")),
    )
    inp = IncomeInput(IncomeVariant.EXCESS, discount_rate=D("0.25"), periods=periods)
    # when
    result = calculate_income(inp)
    # then F = 300 − 150 = 150 and 250; P = 150/1.25 + 250/1.5625 = 120 + 160 = 280
    assert [row.cash_flow for row in result.periods] == [D("150"), D("250")]
    assert [row.present_value for row in result.periods] == [D("120"), D("160")]
    assert result.value == D("280.00")


def test_incremental_income_is_with_minus_without_the_asset():
    # given profits 500 vs 420, then 600 vs 475
    periods = (
        IncrementalPeriod(with_asset=D("500"), without_asset=D("420")),
        IncrementalPeriod(with_asset=D("600"), without_asset=D("475")),
    )
    inp = IncomeInput(IncomeVariant.INCREMENTAL, discount_rate=D("0.25"), periods=periods)
    # when
    result = calculate_income(inp)
    # then F = 80 and 125; P = 80/1.25 + 125/1.5625 = 64 + 80 = 144
    assert [row.cash_flow for row in result.periods] == [D("80"), D("125")]
    assert result.value == D("144.00")


def test_income_tax_is_taken_before_discounting():
    # given 100 then 200 taxed at 25 %
    inp = IncomeInput(
        IncomeVariant.DIRECT,
        discount_rate=D("0.25"),
        tax_rate=D("0.25"),
        periods=direct("100", "200"),
    )
    # when
    result = calculate_income(inp)
    # then tax 25 and 50; after tax 75 and 150; P = 75/1.25 + 150/1.5625 = 60 + 96 = 156
    assert [row.tax for row in result.periods] == [D("25"), D("50")]
    assert [row.cash_flow_after_tax for row in result.periods] == [D("75"), D("150")]
    assert result.value == D("156.00")


def test_mid_year_convention_discounts_half_a_year_less():
    # given 110 then 133.1 at i = 0.21 with the mid-year convention
    inp = IncomeInput(
        IncomeVariant.DIRECT, discount_rate=D("0.21"), mid_year=True, periods=direct("110", "133.1")
    )
    # when
    result = calculate_income(inp)
    # then 1.21^0.5 = 1.1 and 1.21^1.5 = 1.331; P = 110/1.1 + 133.1/1.331 = 100 + 100 = 200
    assert [row.exponent for row in result.periods] == [D("0.5"), D("1.5")]
    assert [row.compound_factor for row in result.periods] == [D("1.1"), D("1.331")]
    assert [row.present_value for row in result.periods] == [D("100"), D("100")]
    assert result.value == D("200.00")
    assert "e = t − 0.5 (mid-year)" in result.formula


def test_mid_year_with_an_irrational_root():
    # given 100 in year 1 at i = 0.12, mid-year
    inp = IncomeInput(
        IncomeVariant.DIRECT, discount_rate=D("0.12"), mid_year=True, periods=direct("100")
    )
    # when
    result = calculate_income(inp)
    # then √1.12 = 1.0583005244258362…, 100 / 1.0583005244… = 94.4911182523…
    assert str(result.periods[0].compound_factor).startswith("1.05830052442583")
    assert result.value == D("94.49")


def test_only_the_total_is_rounded():
    # given 100 a year for 3 years at i = 0.12
    inp = IncomeInput(
        IncomeVariant.DIRECT, discount_rate=D("0.12"), periods=direct("100", "100", "100")
    )
    # when
    result = calculate_income(inp)
    # then 100/1.12 = 89.2857142857…, 100/1.2544 = 79.7193877551…, 100/1.404928 = 71.1780247813…
    # sum = 240.1831268221… → 240.18 (rounding each term first would give 89.29 + 79.72 + 71.18
    # = 240.19)
    assert [row.compound_factor for row in result.periods] == [
        D("1.12"),
        D("1.2544"),
        D("1.404928"),
    ]
    assert str(result.unrounded_value).startswith("240.1831268221")
    assert result.value == D("240.18")


def test_a_loss_year_is_allowed_when_the_total_is_positive():
    # given a launch-year loss of 50 then 200
    inp = IncomeInput(IncomeVariant.DIRECT, discount_rate=D("0.25"), periods=direct("-50", "200"))
    # when
    result = calculate_income(inp)
    # then −50/1.25 + 200/1.5625 = −40 + 128 = 88
    assert result.value == D("88.00")


def test_a_negative_total_is_refused():
    # given −100 then 50
    inp = IncomeInput(IncomeVariant.DIRECT, discount_rate=D("0.25"), periods=direct("-100", "50"))
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_income(inp)
    # then −100/1.25 + 50/1.5625 = −80 + 32 = −48
    assert (refused.value.field, refused.value.message) == (
        "periods",
        "the forecast's present value is negative (-48.00); the income approach gives no value",
    )


def test_the_callers_decimal_context_does_not_change_the_result():
    # given a caller with a 2-digit round-down context
    inp = IncomeInput(
        IncomeVariant.DIRECT, discount_rate=D("0.12"), periods=direct("100", "100", "100")
    )
    with localcontext() as context:
        context.prec = 2
        context.rounding = ROUND_DOWN
        # when
        result = calculate_income(inp)
    # then the same 240.18 as in test_only_the_total_is_rounded
    assert result.value == D("240.18")


def test_a_hundred_periods_are_accepted():
    # given the maximum number of periods, 1 each
    inp = IncomeInput(IncomeVariant.DIRECT, discount_rate=D("0.25"), periods=direct(*["1"] * 100))
    # when
    result = calculate_income(inp)
    # then Σ 1/1.25^t for t = 1..100 = (1 − 1.25^−100) / 0.25 ≈ 4 (1.25^−100 ≈ 2e−10)
    assert len(result.periods) == 100
    assert result.value == D("4.00")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"periods": ()}, "periods", "must not be empty"),
        ({"periods": direct(*["1"] * 101)}, "periods", "must not have more than 100 items"),
        ({"discount_rate": D("0")}, "discount_rate", FRACTION_OPEN),
        ({"discount_rate": D("1")}, "discount_rate", FRACTION_OPEN),
        ({"discount_rate": D("-0.1")}, "discount_rate", FRACTION_OPEN),
        ({"tax_rate": D("1")}, "tax_rate", FRACTION_BELOW_ONE),
        ({"tax_rate": D("-0.01")}, "tax_rate", FRACTION_BELOW_ONE),
        ({"mid_year": "yes"}, "mid_year", "must be true or false"),
        ({"variant": "ebitda"}, "variant", "must be one of direct, royalty, excess, incremental"),
        (
            {"variant": IncomeVariant.ROYALTY},
            "periods.0",
            "must be a royalty period (revenue, share_rate)",
        ),
        (
            {"periods": (*direct("1", "1"), DirectPeriod(income="x"))},
            "periods.2.income",
            'must be a decimal number such as "12.50"',
        ),
    ],
)
def test_income_refuses_bad_inputs(changes, field, message):
    # given a valid direct-income input with one change
    values = {
        "variant": IncomeVariant.DIRECT,
        "discount_rate": D("0.12"),
        "periods": direct("100", "100", "100"),
    }
    inp = IncomeInput(**{**values, **changes})
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_income(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        (
            RoyaltyPeriod(revenue=D("-1"), share_rate=D("0.1")),
            "periods.1.revenue",
            "must not be negative",
        ),
        (
            RoyaltyPeriod(revenue=D("1"), share_rate=D("1.1")),
            "periods.1.share_rate",
            FRACTION_CLOSED,
        ),
    ],
)
def test_royalty_period_checks_name_the_period(period, field, message):
    # given a valid first period and a bad second one
    periods = (RoyaltyPeriod(revenue=D("1000"), share_rate=D("0.1")), period)
    inp = IncomeInput(IncomeVariant.ROYALTY, discount_rate=D("0.1"), periods=periods)
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_income(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


def test_excess_period_refuses_a_negative_charge():
    # given a negative second charge in the third period
    periods = (
        ExcessPeriod(total_benefit=D("300")),
        ExcessPeriod(total_benefit=D("300")),
        ExcessPeriod(total_benefit=D("300"), contributory_charges=(D("10"), D("-5"))),
    )
    inp = IncomeInput(IncomeVariant.EXCESS, discount_rate=D("0.1"), periods=periods)
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_income(inp)
    # then
    assert (refused.value.field, refused.value.message) == (
        "periods.2.contributory_charges.1",
        "must not be negative",
    )


# --- Usage-driven forecast ----------------------------------------------------------------------


def usage_forecast_input(**changes) -> UsageForecastInput:
    values = {
        "usage": (
            UsageLine(
                kind="api_calls", quantity=D("30000"), unit_price=D("0.02"), observed_months=3
            ),
            UsageLine(kind="licensees", quantity=D("4"), unit_price=D("5000")),
        ),
        "periods": 3,
        "growth_rate": D("0.1"),
    }
    return UsageForecastInput(**{**values, **changes})


def test_usage_forecast_builds_first_year_revenue_and_grows_it():
    # given 30 000 calls in 3 months at 0.02, 4 licensees a year at 5 000, growth 10 %
    inp = usage_forecast_input()
    # when
    forecast = forecast_usage(inp)
    # then calls a year = 30 000 × 12 / 3 = 120 000 → 2 400; licences 4 × 5 000 = 20 000;
    # R_1 = 22 400, R_2 = 22 400 × 1.1 = 24 640, R_3 = 24 640 × 1.1 = 27 104
    assert [line.annual_quantity for line in forecast.lines] == [D("120000"), D("4")]
    assert [line.annual_revenue for line in forecast.lines] == [D("2400"), D("20000")]
    assert forecast.first_year_revenue == D("22400")
    assert forecast.revenues == (D("22400"), D("24640"), D("27104"))


def test_usage_forecast_feeds_the_royalty_variant():
    # given the forecast above with a 20 % share, discounted at 10 %
    forecast = forecast_usage(usage_forecast_input())
    inp = IncomeInput(
        IncomeVariant.ROYALTY, discount_rate=D("0.1"), periods=forecast.royalty_periods(D("0.2"))
    )
    # when
    result = calculate_income(inp)
    # then F = 4 480, 4 928, 5 420.8; each discounts to 4 072.7272… because growth = discount:
    # 4 480 / 1.1 = 4 928 / 1.21 = 5 420.8 / 1.331 = 4 072.7272…; P = 12 218.1818… → 12 218.18
    assert [row.cash_flow for row in result.periods] == [D("4480"), D("4928"), D("5420.8")]
    assert result.value == D("12218.18")


def test_usage_forecast_feeds_the_direct_variant_with_a_margin():
    # given the forecast above and a 50 % margin
    forecast = forecast_usage(usage_forecast_input())
    # when
    periods = forecast.direct_periods(D("0.5"))
    # then income = 22 400 × 0.5, 24 640 × 0.5, 27 104 × 0.5
    assert [period.income for period in periods] == [D("11200"), D("12320"), D("13552")]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"usage": ()}, "usage", "must not be empty"),
        ({"periods": 0}, "periods", "must be between 1 and 100"),
        ({"periods": 101}, "periods", "must be between 1 and 100"),
        ({"periods": "3"}, "periods", "must be a whole number"),
        (
            {"growth_rate": D("-1")},
            "growth_rate",
            "must be greater than -1 and at most 1 (-100% < g ≤ 100%)",
        ),
        (
            {"growth_rate": D("1.5")},
            "growth_rate",
            "must be greater than -1 and at most 1 (-100% < g ≤ 100%)",
        ),
        (
            {"usage": (UsageLine(kind="api_calls", quantity=D("-1"), unit_price=D("1")),)},
            "usage.0.quantity",
            "must not be negative",
        ),
        (
            {"usage": (UsageLine(kind="api_calls", quantity=D("1"), unit_price=D("-1")),)},
            "usage.0.unit_price",
            "must not be negative",
        ),
        (
            {"usage": (UsageLine(kind=" ", quantity=D("1"), unit_price=D("1")),)},
            "usage.0.kind",
            "must be a non-empty label",
        ),
        (
            {
                "usage": (
                    UsageLine(kind="a", quantity=D("1"), unit_price=D("1")),
                    UsageLine(kind="b", quantity=D("1"), unit_price=D("1"), observed_months=0),
                )
            },
            "usage.1.observed_months",
            "must be between 1 and 120",
        ),
    ],
)
def test_usage_forecast_refuses_bad_inputs(changes, field, message):
    # given
    inp = usage_forecast_input(**changes)
    # when
    with pytest.raises(CalculationInputError) as refused:
        forecast_usage(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


@pytest.mark.parametrize(
    ("periods", "field", "message"),
    [
        (None, "periods", "must be a list"),
        ("100", "periods", "must be a list"),
        (
            (ExcessPeriod(total_benefit=D("300"), contributory_charges="120"),),
            "periods.0.contributory_charges",
            "must be a list",
        ),
        (
            (ExcessPeriod(total_benefit=D("300"), contributory_charges=(D("1"),) * 51),),
            "periods.0.contributory_charges",
            "must not have more than 50 items",
        ),
    ],
)
def test_income_refuses_malformed_period_lists(periods, field, message):
    # given
    inp = IncomeInput(IncomeVariant.EXCESS, discount_rate=D("0.1"), periods=periods)
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_income(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


def test_usage_forecast_refuses_an_item_that_is_not_a_usage_line():
    # given
    inp = usage_forecast_input(usage=({"kind": "api_calls"},))
    # when
    with pytest.raises(CalculationInputError) as refused:
        forecast_usage(inp)
    # then
    assert (refused.value.field, refused.value.message) == (
        "usage.0",
        "must be a usage line (kind, quantity, unit_price)",
    )


def test_direct_periods_refuse_a_margin_above_one():
    # given
    forecast = forecast_usage(usage_forecast_input())
    # when
    with pytest.raises(CalculationInputError) as refused:
        forecast.direct_periods(D("1.5"))
    # then
    assert (refused.value.field, refused.value.message) == ("margin", FRACTION_CLOSED)
