"""The usage-and-quality estimate used by batch revaluation (draft values, never final ones).

Per asset:

    R_1     first-year revenue from the trailing observation window: recorded revenue when there
            is any, else usage counts × configured unit prices (API calls, downloads, licensees,
            subscriptions), scaled to twelve months          (income approach, usage-driven)
    R_t     = R_1 × (1 + g)^(t − 1), t = 1..n
    P_inc   = Σ R_t × K / (1 + i)^t                          (royalty / share variant)
    P       = α × P_inc, α = quality score / 100             (quality coefficient α of expert
                                                              guideline 9 applied to the income)

Range (low / high): discount rate ± 1 point, share rate ± 10 % relative and quality score ± 5.

Speed without shortcuts in the maths: P_inc is linear in R_1 (P_inc = R_1 × K × Σ (1 + g)^(t−1) /
(1 + i)^t), so `unit_factors` values one yuan of first-year revenue with the income calculator
once per parameter set (at i and at i ± 1 point), and each asset's values are R_1 times those
factors. P is also linear in K and in α, so their shifts scale exactly. The per-asset cost is then
a few multiplications, which is what lets a batch value 100,000 assets in seconds; the test suite
checks the result against the calculator run on the asset's own periods.

Pure Python: no Django imports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from valuation.methods import income
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import (
    MAX_DECIMAL_PLACES,
    calculation_context,
    format_decimal,
    quantize_money,
    round_half_up,
)
from valuation.methods.reconcile import DISCOUNT_RATE_SHIFT, QUALITY_SCORE_SHIFT, SHARE_RATE_SHIFT

HUNDRED = Decimal(100)
PLACES_QUANTUM = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
USAGE_KINDS = ("api_calls", "downloads", "licensees", "subscriptions")


@dataclasses.dataclass(frozen=True, slots=True)
class EstimateParameters:
    discount_rate: Decimal = Decimal("0.12")
    share_rate: Decimal = Decimal("0.25")
    growth_rate: Decimal = Decimal("0.05")
    periods: int = 5
    unit_prices: Mapping[str, Decimal] = dataclasses.field(
        default_factory=lambda: {
            "api_calls": Decimal("0.02"),
            "downloads": Decimal("5"),
            "licensees": Decimal("20000"),
            "subscriptions": Decimal("1200"),
        }
    )

    def as_json(self) -> dict[str, Any]:
        return {
            "discount_rate": format_decimal(self.discount_rate),
            "share_rate": format_decimal(self.share_rate),
            "growth_rate": format_decimal(self.growth_rate),
            "periods": self.periods,
            "unit_prices": {k: format_decimal(v) for k, v in self.unit_prices.items()},
        }


@dataclasses.dataclass(frozen=True, slots=True)
class UsageTotals:
    """An asset's usage over the observation window."""

    observed_months: int
    revenue: Decimal = Decimal(0)
    api_calls: int = 0
    downloads: int = 0
    licensees: int = 0
    subscriptions: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Estimate:
    value: Decimal
    low: Decimal
    high: Decimal
    formula: str
    inputs: dict[str, Any]
    breakdown: dict[str, Any]


def usage_lines(usage: UsageTotals, params: EstimateParameters) -> tuple[income.UsageLine, ...]:
    if usage.revenue > 0:
        return (income.UsageLine("revenue", usage.revenue, Decimal(1), usage.observed_months),)
    return tuple(
        income.UsageLine(
            kind, Decimal(getattr(usage, kind)), params.unit_prices[kind], usage.observed_months
        )
        for kind in USAGE_KINDS
        if getattr(usage, kind)
    )


@dataclasses.dataclass(frozen=True, slots=True)
class UnitFactors:
    """Income value of one yuan of first-year revenue at i, i − 1 point and i + 1 point
    (None where the shifted rate leaves (0, 1))."""

    base: income.IncomeResult
    down: Decimal | None
    up: Decimal | None


def unit_factors(params: EstimateParameters) -> UnitFactors:
    forecast = income.forecast_usage(
        income.UsageForecastInput(
            usage=(income.UsageLine("revenue", Decimal(1), Decimal(1)),),
            periods=params.periods,
            growth_rate=params.growth_rate,
        )
    )
    periods = forecast.royalty_periods(params.share_rate)

    def value_at(rate: Decimal) -> income.IncomeResult:
        return income.calculate_income(
            income.IncomeInput(
                variant=income.IncomeVariant.ROYALTY, discount_rate=rate, periods=periods
            )
        )

    shifted = {}
    for direction in (-1, 1):
        rate = DISCOUNT_RATE_SHIFT.apply(params.discount_rate, direction)
        shifted[direction] = value_at(rate).unrounded_value if 0 < rate < 1 else None
    return UnitFactors(base=value_at(params.discount_rate), down=shifted[-1], up=shifted[1])


def first_year_revenue(usage: UsageTotals, params: EstimateParameters) -> Decimal:
    forecast = income.forecast_usage(
        income.UsageForecastInput(
            usage=usage_lines(usage, params), periods=1, growth_rate=params.growth_rate
        )
    )
    return forecast.first_year_revenue


def estimate(
    usage: UsageTotals,
    quality_score: Decimal,
    params: EstimateParameters,
    factors: UnitFactors | None = None,
) -> Estimate:
    """Value and range of one asset from its usage and quality (see the module docstring)."""
    factors = factors or unit_factors(params)
    revenue = first_year_revenue(usage, params)
    with calculation_context():
        alpha = quality_score / HUNDRED
        income_value = revenue * factors.base.unrounded_value
        values = [income_value * alpha]
        for direction in (-1, 1):
            factor = factors.down if direction < 0 else factors.up
            if factor is not None:
                values.append(revenue * factor * alpha)
            share = SHARE_RATE_SHIFT.apply(params.share_rate, direction)
            values.append(income_value * share / params.share_rate * alpha)
            score = QUALITY_SCORE_SHIFT.apply(quality_score, direction)
            values.append(income_value * score / HUNDRED)
        growth = Decimal(1) + params.growth_rate
        revenues = [revenue * growth**t for t in range(params.periods)]
        present_values = [revenue * p.present_value for p in factors.base.periods]
    value = quantize_money(values[0])
    body = {
        "method": "income",
        "variant": "royalty",
        "discount_rate": format_decimal(params.discount_rate),
        "periods": [
            {
                "revenue": format_decimal(round_half_up(r, PLACES_QUANTUM)),
                "share_rate": format_decimal(params.share_rate),
            }
            for r in revenues
        ],
    }
    return Estimate(
        value=value,
        low=quantize_money(min(values)),
        high=quantize_money(max(values)),
        formula=(
            f"P = α × Σ R_t × K / (1 + i)^t; R_1 = {format_decimal(quantize_money(revenue))}, "
            f"g = {format_decimal(params.growth_rate)}, K = {format_decimal(params.share_rate)}, "
            f"i = {format_decimal(params.discount_rate)}, n = {params.periods}; "
            f"P_inc = {format_decimal(quantize_money(income_value))}; "
            f"α = {format_decimal(alpha)}; P = {value}"
        ),
        inputs={
            "body": body,
            "quality_score": format_decimal(quality_score),
            "usage": {
                "observed_months": usage.observed_months,
                "revenue": format_decimal(usage.revenue),
                **{kind: getattr(usage, kind) for kind in USAGE_KINDS},
            },
            "parameters": params.as_json(),
        },
        breakdown={
            "first_year_revenue": format_decimal(quantize_money(revenue)),
            "income_value": format_decimal(quantize_money(income_value)),
            "quality_coefficient": format_decimal(alpha),
            "present_values": [format_decimal(quantize_money(v)) for v in present_values],
        },
    )


def estimate_job(
    job: tuple[int, UsageTotals, Decimal],
    params: EstimateParameters,
    factors: UnitFactors,
) -> tuple[int, Estimate | None, str | None]:
    """One batch item: (asset id, estimate or None, error or None)."""
    asset_id, usage, score = job
    try:
        return asset_id, estimate(usage, score, params, factors), None
    except CalculationInputError as exc:
        return asset_id, None, f"{exc.field}: {exc.message}"
