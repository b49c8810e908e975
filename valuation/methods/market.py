"""Market approach (市场法) for data assets: adjusted comparable transactions.

Formula (中评协《数据资产评估指导意见》2023; 《资产评估专家指引第9号》2019)::

    P_k = Q_k × X1 × X2 × X3 × X4 × X5            for each comparable transaction k
    P   = Σ w_k × P_k / Σ w_k                       (weighted mean; equal weights by default)

Q comparable price; X1 quality factor (often own score / comparable's score, see
:func:`quality_factor`), X2 supply-demand, X3 date (price index ratio), X4 capacity, X5 other
(rights, transaction mode).

Invariants (each refusal a :class:`CalculationInputError` with the preview-API path, e.g.
``comparables.0.weight``):

* 1 ≤ number of comparables ≤ :data:`MAX_COMPARABLES`;
* prices, factors and weights are > 0 (a zero factor or weight would silently drop a
  comparable; leave it out instead), so the value is positive;
* weights need not sum to 1: they are normalised by their sum; the breakdown shows each
  normalised weight;
* the products and the weighted mean are exact fractions (each reported Decimal is rounded
  once), so the mean lies between the smallest and largest adjusted price to the last digit;
  only ``value`` is rounded to money (half-up, 0.01, from the exact mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from valuation.methods import checks
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import decimal_from_fraction as as_decimal
from valuation.methods.money import format_decimal, in_calculation_context, quantize_money
from valuation.methods.money import show_decimal as fmt

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

#: Most comparables in one valuation.
MAX_COMPARABLES = 50
#: The adjustment factors X1..X5, in formula order.
FACTORS = ("quality", "supply_demand", "date", "capacity", "other")


@dataclass(frozen=True, slots=True)
class Comparable:
    price: Decimal  # Q, the comparable transaction's price, > 0
    quality: Decimal = ONE  # X1
    supply_demand: Decimal = ONE  # X2
    date: Decimal = ONE  # X3
    capacity: Decimal = ONE  # X4
    other: Decimal = ONE  # X5
    weight: Decimal = ONE  # w, > 0


@dataclass(frozen=True, slots=True)
class MarketInput:
    comparables: tuple[Comparable, ...]

    def __post_init__(self) -> None:
        if isinstance(self.comparables, list):
            object.__setattr__(self, "comparables", tuple(self.comparables))


@dataclass(frozen=True, slots=True)
class AdjustedComparable:
    price: Decimal
    quality: Decimal
    supply_demand: Decimal
    date: Decimal
    capacity: Decimal
    other: Decimal
    weight: Decimal
    adjustment: Decimal  # X1 × X2 × X3 × X4 × X5
    adjusted_price: Decimal  # P_k = Q × adjustment
    normalised_weight: Decimal  # w_k / Σ w
    contribution: Decimal  # P_k × w_k / Σ w


@dataclass(frozen=True, slots=True)
class MarketResult:
    value: Decimal  # P, rounded half-up to 0.01
    unrounded_value: Decimal  # Σ w_k P_k / Σ w_k
    total_weight: Decimal  # Σ w_k
    comparables: tuple[AdjustedComparable, ...]
    formula: str


@in_calculation_context
def quality_factor(own_score: Decimal, comparable_score: Decimal) -> Decimal:
    """X1 = own quality score / comparable's quality score (scores in (0, 100])."""
    own = checks.between(own_score, "own_score", ZERO, HUNDRED)
    theirs = checks.between(comparable_score, "comparable_score", ZERO, HUNDRED)
    if own == ZERO:
        raise CalculationInputError("own_score", checks.MESSAGE_NOT_POSITIVE)
    if theirs == ZERO:
        raise CalculationInputError("comparable_score", checks.MESSAGE_NOT_POSITIVE)
    return own / theirs


@in_calculation_context
def calculate_market(inp: MarketInput) -> MarketResult:
    """Weighted mean of the comparables' adjusted prices P_k = Q × X1 × … × X5."""
    comparables = checks.items(inp.comparables, "comparables", MAX_COMPARABLES)
    cleaned: list[tuple[Comparable, Fraction, Fraction]] = []
    for k, comparable in enumerate(comparables):
        path = f"comparables.{k}"
        if not isinstance(comparable, Comparable):
            raise CalculationInputError(path, "must be a comparable (price, factors, weight)")
        clean = Comparable(
            price=checks.positive(comparable.price, f"{path}.price"),
            **{
                name: checks.positive(getattr(comparable, name), f"{path}.{name}")
                for name in FACTORS
            },
            weight=checks.positive(comparable.weight, f"{path}.weight"),
        )
        adjustment = Fraction(1)
        for name in FACTORS:
            adjustment *= Fraction(getattr(clean, name))
        cleaned.append((clean, adjustment, Fraction(clean.price) * adjustment))

    # Exact rational arithmetic: the mean of equal prices is that price to the last digit, and
    # the money value is rounded once from the exact mean.
    total_weight = sum((Fraction(clean.weight) for clean, _, _ in cleaned), Fraction(0))
    weighted_sum = sum(
        (Fraction(clean.weight) * adjusted for clean, _, adjusted in cleaned), Fraction(0)
    )
    exact_mean = weighted_sum / total_weight
    unrounded = as_decimal(exact_mean)
    value = quantize_money(exact_mean)
    rows = tuple(
        AdjustedComparable(
            price=clean.price,
            quality=clean.quality,
            supply_demand=clean.supply_demand,
            date=clean.date,
            capacity=clean.capacity,
            other=clean.other,
            weight=clean.weight,
            adjustment=as_decimal(adjustment),
            adjusted_price=as_decimal(adjusted),
            normalised_weight=as_decimal(Fraction(clean.weight) / total_weight),
            contribution=as_decimal(adjusted * Fraction(clean.weight) / total_weight),
        )
        for clean, adjustment, adjusted in cleaned
    )
    adjusted_prices = "; ".join(
        f"P_{k + 1} = {fmt(row.price)} × {fmt(row.quality)} × {fmt(row.supply_demand)} × "
        f"{fmt(row.date)} × {fmt(row.capacity)} × {fmt(row.other)} = {fmt(row.adjusted_price)}"
        for k, row in enumerate(rows)
    )
    weighted = " + ".join(f"{fmt(row.weight)} × {fmt(row.adjusted_price)}" for row in rows)
    formula = (
        f"P_k = Q × X1 × X2 × X3 × X4 × X5; {adjusted_prices}; "
        f"P = Σ w_k × P_k / Σ w_k = ({weighted}) / {fmt(as_decimal(total_weight))} "
        f"= {fmt(unrounded)} → {format_decimal(value)}"
    )
    return MarketResult(
        value=value,
        unrounded_value=unrounded,
        total_weight=as_decimal(total_weight),
        comparables=rows,
        formula=formula,
    )
