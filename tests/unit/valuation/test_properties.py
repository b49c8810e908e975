"""Property tests: monotonicity, non-negativity, weights and amortisation invariants."""

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from valuation.methods.accounting import AmortisationInput, amortisation_schedule
from valuation.methods.cost import (
    ExpertGuideline9Input,
    Guidance2023Input,
    ReplacementCost,
    calculate_expert_guideline_9,
    calculate_guidance_2023,
)
from valuation.methods.errors import CalculationInputError
from valuation.methods.income import (
    DirectPeriod,
    ExcessPeriod,
    IncomeInput,
    IncomeVariant,
    IncrementalPeriod,
    RoyaltyPeriod,
    calculate_income,
)
from valuation.methods.market import Comparable, MarketInput, calculate_market
from valuation.methods.money import quantize_money, to_decimal
from valuation.methods.quality import Indicator, Measurement, QualityInput, grade_quality
from valuation.methods.reconcile import MethodValue, ReconcileInput, reconcile

FAST = settings(max_examples=60, deadline=None)


def amounts(low: str = "0", high: str = "1000000") -> st.SearchStrategy[D]:
    return st.decimals(min_value=D(low), max_value=D(high), places=2)


def fractions(low: str, high: str, places: int = 4) -> st.SearchStrategy[D]:
    return st.decimals(min_value=D(low), max_value=D(high), places=places)


replacement_costs = st.builds(
    ReplacementCost,
    preliminary=amounts(),
    direct=amounts(),
    indirect=amounts(),
    opportunity=amounts(),
    taxes=amounts(),
)
discount_rates = fractions("0.0001", "0.9999")
tax_rates = fractions("0", "0.5")


# --- Monotonicity -------------------------------------------------------------------------------


@FAST
@given(costs=replacement_costs, a=fractions("0", "100", 2), b=fractions("0", "100", 2))
def test_cost_value_is_non_decreasing_in_the_quality_score(costs, a, b):
    # given two quality scores, low ≤ high
    low, high = sorted((a, b))
    # when
    at_low = calculate_guidance_2023(Guidance2023Input(costs=costs, quality_score=low))
    at_high = calculate_guidance_2023(Guidance2023Input(costs=costs, quality_score=high))
    # then
    assert at_low.unrounded_value <= at_high.unrounded_value
    assert at_low.value <= at_high.value


@FAST
@given(
    revenues=st.lists(amounts(), min_size=1, max_size=10),
    rate=discount_rates,
    tax=tax_rates,
    mid_year=st.booleans(),
    a=fractions("0", "1"),
    b=fractions("0", "1"),
)
def test_royalty_value_is_non_decreasing_in_the_share_rate(revenues, rate, tax, mid_year, a, b):
    # given two share rates, low ≤ high, applied to every period
    low, high = sorted((a, b))

    def value(share_rate: D) -> D:
        periods = tuple(RoyaltyPeriod(revenue=r, share_rate=share_rate) for r in revenues)
        inp = IncomeInput(IncomeVariant.ROYALTY, rate, periods, tax_rate=tax, mid_year=mid_year)
        return calculate_income(inp).value

    # when / then
    assert value(low) <= value(high)


@FAST
@given(
    incomes=st.lists(amounts(), min_size=1, max_size=10),
    a=discount_rates,
    b=discount_rates,
    tax=tax_rates,
    mid_year=st.booleans(),
)
def test_income_value_is_non_increasing_in_the_discount_rate(incomes, a, b, tax, mid_year):
    # given non-negative incomes and two discount rates, low ≤ high
    low, high = sorted((a, b))
    periods = tuple(DirectPeriod(income=income) for income in incomes)

    def result(rate: D):
        inp = IncomeInput(IncomeVariant.DIRECT, rate, periods, tax_rate=tax, mid_year=mid_year)
        return calculate_income(inp)

    # when
    at_low, at_high = result(low), result(high)
    # then
    assert at_low.unrounded_value >= at_high.unrounded_value
    assert at_low.value >= at_high.value


# --- Never negative -----------------------------------------------------------------------------


@FAST
@given(
    costs=replacement_costs,
    delta=fractions("0", "1"),
    total_cost=amounts(),
    return_rate=fractions("0", "0.9999"),
    alpha=fractions("0", "1"),
    beta=fractions("0", "1"),
    monopoly=fractions("0", "1"),
    risk=fractions("0", "0.9999"),
)
def test_cost_values_are_never_negative(
    costs, delta, total_cost, return_rate, alpha, beta, monopoly, risk
):
    # given valid cost-approach inputs
    guidance = Guidance2023Input(costs=costs, delta=delta)
    guideline = ExpertGuideline9Input(total_cost, return_rate, alpha, beta, monopoly, risk)
    # when / then
    assert calculate_guidance_2023(guidance).value >= 0
    assert calculate_expert_guideline_9(guideline).value >= 0


signed_amounts = amounts("-1000000", "1000000")
any_periods = st.one_of(
    st.tuples(
        st.just(IncomeVariant.DIRECT),
        st.lists(st.builds(DirectPeriod, income=signed_amounts), min_size=1, max_size=8),
    ),
    st.tuples(
        st.just(IncomeVariant.ROYALTY),
        st.lists(
            st.builds(RoyaltyPeriod, revenue=amounts(), share_rate=fractions("0", "1")),
            min_size=1,
            max_size=8,
        ),
    ),
    st.tuples(
        st.just(IncomeVariant.EXCESS),
        st.lists(
            st.builds(
                ExcessPeriod,
                total_benefit=signed_amounts,
                contributory_charges=st.lists(amounts(), max_size=3).map(tuple),
            ),
            min_size=1,
            max_size=8,
        ),
    ),
    st.tuples(
        st.just(IncomeVariant.INCREMENTAL),
        st.lists(
            st.builds(IncrementalPeriod, with_asset=signed_amounts, without_asset=signed_amounts),
            min_size=1,
            max_size=8,
        ),
    ),
)


@FAST
@given(variant_periods=any_periods, rate=discount_rates, tax=tax_rates, mid_year=st.booleans())
def test_income_value_is_never_negative(variant_periods, rate, tax, mid_year):
    # given any valid income input, including loss periods
    variant, periods = variant_periods
    inp = IncomeInput(variant, rate, tuple(periods), tax_rate=tax, mid_year=mid_year)
    # when
    try:
        result = calculate_income(inp)
    except CalculationInputError as refused:
        # then either the whole forecast is refused for a negative present value …
        assert refused.field == "periods"
        assert refused.message.startswith("the forecast's present value is negative")
    else:
        # … or the value is not negative
        assert result.value >= 0


comparables = st.builds(
    Comparable,
    price=amounts("0.01"),
    quality=fractions("0.01", "5"),
    supply_demand=fractions("0.01", "5"),
    date=fractions("0.01", "5"),
    capacity=fractions("0.01", "5"),
    other=fractions("0.01", "5"),
    weight=fractions("0.01", "10"),
)


@FAST
@given(items=st.lists(comparables, min_size=1, max_size=6))
def test_market_value_is_positive_and_between_the_adjusted_prices(items):
    # given valid comparables
    # when
    result = calculate_market(MarketInput(comparables=tuple(items)))
    # then the weighted mean lies between the smallest and largest adjusted price
    prices = [row.adjusted_price for row in result.comparables]
    assert result.value >= 0
    assert min(prices) <= result.unrounded_value <= max(prices)


@FAST
@given(values=st.lists(amounts(), min_size=1, max_size=5), cuts=st.data())
def test_reconciled_value_lies_between_the_method_values(values, cuts):
    # given weights in thousandths summing to exactly 1
    points = sorted(
        cuts.draw(
            st.lists(st.integers(0, 1000), min_size=len(values) - 1, max_size=len(values) - 1)
        )
    )
    parts = [b - a for a, b in zip([0, *points], [*points, 1000], strict=True)]
    entries = tuple(
        MethodValue(f"m{k}", value, D(part).scaleb(-3))
        for k, (value, part) in enumerate(zip(values, parts, strict=True))
    )
    # when
    result = reconcile(ReconcileInput(values=entries))
    # then
    assert 0 <= min(values) <= result.unrounded_value <= max(values)


# --- Quality weights ----------------------------------------------------------------------------

ALL_MEASURED = {
    "metadata": Measurement(D(8), D(10)),
    "record_completeness": Measurement(D(9), D(10)),
    "content_correctness": Measurement(D(7), D(10)),
    "same_data_consistency": Measurement(D(1), D(1)),
    "time_ordering": Measurement(D(6), D(10)),
    "available": Measurement(D(5), D(10)),
}
SCORES = [D(80), D(90), D(70), D(100), D(60), D(50)]


def six_parts_of_a_thousand() -> st.SearchStrategy[list[int]]:
    """Six non-negative integers summing to 1000: the gaps between five sorted cut points."""
    return st.lists(st.integers(0, 1000), min_size=5, max_size=5).map(
        lambda cuts: [b - a for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), 1000], strict=True)]
    )


def thousandths(parts: list[int]) -> dict[str, D]:
    return {
        indicator.value: D(part).scaleb(-3)
        for indicator, part in zip(Indicator, parts, strict=True)
    }


@FAST
@given(parts=six_parts_of_a_thousand())
def test_indicator_weights_summing_to_one_are_accepted(parts):
    # given non-negative weights summing to exactly 1
    weights = thousandths(parts)
    assert sum(weights.values()) == 1
    # when
    result = grade_quality(QualityInput(measurements=ALL_MEASURED, weights=weights))
    # then S = Σ w_i S_i, which lies between the lowest and highest indicator score
    assert result.unrounded_score == sum(
        w * s for w, s in zip(weights.values(), SCORES, strict=True)
    )
    assert min(SCORES) <= result.score <= max(SCORES)


@FAST
@given(
    parts=six_parts_of_a_thousand(),
    index=st.integers(0, 5),
    error=st.integers(-1000, 1000).filter(bool),
)
def test_indicator_weights_not_summing_to_one_are_refused(parts, index, error):
    # given weights that miss 1 by error / 1000 but stay non-negative
    assume(parts[index] + error >= 0)
    parts = [*parts[:index], parts[index] + error, *parts[index + 1 :]]
    weights = thousandths(parts)
    # when
    with pytest.raises(CalculationInputError) as refused:
        grade_quality(QualityInput(measurements=ALL_MEASURED, weights=weights))
    # then
    assert refused.value.field == "weights"
    assert refused.value.message.startswith("must sum to 1 (they sum to ")


@FAST
@given(
    chosen=st.dictionaries(
        st.sampled_from(
            ["metadata", "record_completeness", "duplicate_rate", "time_ordering", "accessible"]
        ),
        st.tuples(st.integers(0, 1000), st.integers(1, 1000)).map(lambda ab: (min(ab), ab[1])),
        min_size=1,
    )
)
def test_quality_score_stays_within_0_and_100(chosen):
    # given any measured subset with A ≤ B
    measurements = {key: Measurement(D(a), D(b)) for key, (a, b) in chosen.items()}
    # when
    result = grade_quality(QualityInput(measurements=measurements))
    # then
    measured = [i.score for i in result.indicators if i.measured]
    assert 0 <= min(measured) <= result.unrounded_score <= max(measured) <= 100
    # effective weights are renormalised to 1 (up to the last of 28+ digits, e.g. 3 × 1/3)
    assert abs(sum(i.effective_weight for i in result.indicators) - 1) <= D("1e-25")


# --- Amortisation ---------------------------------------------------------------------------------


@FAST
@given(
    amortisable_cents=st.integers(100_000, 10**12),
    residual_cents=st.integers(0, 10**11),
    months=st.integers(1, 1200),
    start=st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)),
)
def test_amortisation_schedule_sums_to_cost_minus_residual(
    amortisable_cents, residual_cents, months, start
):
    # given a cost of at least 1 000.00 above the residual
    residual = D(residual_cents).scaleb(-2)
    cost = residual + D(amortisable_cents).scaleb(-2)
    inp = AmortisationInput(
        cost=cost, residual_value=residual, start_date=start, useful_life_months=months
    )
    # when
    schedule = amortisation_schedule(inp)
    # then
    rows = schedule.rows
    assert sum(row.amortisation for row in rows) == cost - residual
    assert rows[-1].accumulated_amortisation == cost - residual
    assert rows[-1].carrying_amount == residual
    assert sum(row.months for row in rows) == months
    assert all(row.amortisation >= 0 for row in rows)
    assert all(row.amortisation == quantize_money(row.amortisation) for row in rows)
    assert rows[0].first_month == start.replace(day=1)


# --- Parsing --------------------------------------------------------------------------------------


@FAST
@given(number=st.decimals(min_value=D("-1e17"), max_value=D("1e17"), places=6))
def test_to_decimal_round_trips_plain_strings(number):
    # given a finite decimal within the limits
    # when / then
    assert to_decimal(str(number), "x") == number
    assert to_decimal(number, "x") == number


@FAST
@given(number=st.floats(allow_nan=True, allow_infinity=True))
def test_to_decimal_refuses_every_float(number):
    # given any float
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal(number, "x")
    # then
    assert refused.value.message.startswith("must be given as a decimal string")


@FAST
@given(number=st.decimals(min_value=D("-1e15"), max_value=D("1e15"), places=8))
def test_quantize_money_moves_by_at_most_half_a_cent(number):
    # given
    # when
    rounded = quantize_money(number)
    # then
    assert abs(rounded - number) <= D("0.005")
    assert rounded.as_tuple().exponent == -2
