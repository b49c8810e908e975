"""Market approach: P_k = Q × X1 × X2 × X3 × X4 × X5 and their weighted mean."""

from decimal import Decimal as D

import pytest

from valuation.methods.errors import CalculationInputError
from valuation.methods.market import Comparable, MarketInput, calculate_market, quality_factor


def test_section_9_comparable_is_rounded_half_up():
    # given the domain.md section 9 comparable
    comparable = Comparable(
        price=D("100"),
        quality=D("1.0625"),
        supply_demand=D("1"),
        date=D("1.03"),
        capacity=D("1.2"),
        other=D("1"),
        weight=D("1"),
    )
    # when
    result = calculate_market(MarketInput(comparables=(comparable,)))
    # then adjustment = 1.0625 × 1 × 1.03 × 1.2 × 1 = 1.094375 × 1.2 = 1.31325;
    # P = 100 × 1.31325 = 131.325 → 131.33 (banker's rounding would give 131.32)
    row = result.comparables[0]
    assert row.adjustment == D("1.31325")
    assert row.adjusted_price == D("131.325")
    assert result.value == D("131.33")
    assert result.formula == (
        "P_k = Q × X1 × X2 × X3 × X4 × X5; P_1 = 100 × 1.0625 × 1 × 1.03 × 1.2 × 1 = 131.325; "
        "P = Σ w_k × P_k / Σ w_k = (1 × 131.325) / 1 = 131.325 → 131.33"
    )


def test_weighted_mean_of_two_comparables():
    # given 100 with quality 1.1 weighted 1, and 200 with date 0.9 weighted 3
    comparables = (
        Comparable(price=D("100"), quality=D("1.1"), weight=D("1")),
        Comparable(price=D("200"), date=D("0.9"), weight=D("3")),
    )
    # when
    result = calculate_market(MarketInput(comparables=comparables))
    # then P_1 = 110, P_2 = 180; P = (1 × 110 + 3 × 180) / 4 = 650 / 4 = 162.5
    assert [row.adjusted_price for row in result.comparables] == [D("110"), D("180")]
    assert [row.normalised_weight for row in result.comparables] == [D("0.25"), D("0.75")]
    assert [row.contribution for row in result.comparables] == [D("27.5"), D("135")]
    assert result.total_weight == D("4")
    assert result.value == D("162.50")


def test_equal_weights_by_default():
    # given three unadjusted comparables 100, 100 and 101
    comparables = tuple(Comparable(price=D(price)) for price in ("100", "100", "101"))
    # when
    result = calculate_market(MarketInput(comparables=comparables))
    # then P = 301 / 3 = 100.333… → 100.33; each weight is 1/3
    assert result.value == D("100.33")
    assert result.comparables[0].normalised_weight == D("0.3333333333333333333333333333333333")


def test_quality_factor_is_own_score_over_comparables_score():
    # given own score 85 and the comparable's 80
    # when
    factor = quality_factor(D("85"), D("80"))
    # then 85 / 80 = 1.0625
    assert factor == D("1.0625")


@pytest.mark.parametrize(
    ("own", "theirs", "field", "message"),
    [
        (D("0"), D("80"), "own_score", "must be greater than 0"),
        (D("85"), D("0"), "comparable_score", "must be greater than 0"),
        (D("101"), D("80"), "own_score", "must be between 0 and 100"),
    ],
)
def test_quality_factor_refuses_bad_scores(own, theirs, field, message):
    # given
    # when
    with pytest.raises(CalculationInputError) as refused:
        quality_factor(own, theirs)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"price": D("-5")}, "comparables.1.price", "must be greater than 0"),
        ({"price": D("0")}, "comparables.1.price", "must be greater than 0"),
        ({"quality": D("0")}, "comparables.1.quality", "must be greater than 0"),
        ({"supply_demand": D("-1")}, "comparables.1.supply_demand", "must be greater than 0"),
        ({"date": D("0")}, "comparables.1.date", "must be greater than 0"),
        ({"capacity": D("0")}, "comparables.1.capacity", "must be greater than 0"),
        ({"other": D("0")}, "comparables.1.other", "must be greater than 0"),
        ({"weight": D("0")}, "comparables.1.weight", "must be greater than 0"),
        ({"weight": D("-1")}, "comparables.1.weight", "must be greater than 0"),
    ],
)
def test_market_refuses_non_positive_prices_factors_and_weights(bad, field, message):
    # given a valid first comparable and a bad second one
    comparables = (Comparable(price=D("100")), Comparable(**{"price": D("100"), **bad}))
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_market(MarketInput(comparables=comparables))
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


@pytest.mark.parametrize(
    ("count", "message"), [(0, "must not be empty"), (51, "must not have more than 50 items")]
)
def test_market_needs_one_to_fifty_comparables(count, message):
    # given
    inp = MarketInput(comparables=tuple(Comparable(price=D("1")) for _ in range(count)))
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_market(inp)
    # then
    assert (refused.value.field, refused.value.message) == ("comparables", message)


def test_market_refuses_an_item_that_is_not_a_comparable():
    # given
    inp = MarketInput(comparables=(Comparable(price=D("1")), {"price": D("1")}))
    # when
    with pytest.raises(CalculationInputError) as refused:
        calculate_market(inp)
    # then
    assert (refused.value.field, refused.value.message) == (
        "comparables.1",
        "must be a comparable (price, factors, weight)",
    )
