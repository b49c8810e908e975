"""The usage-and-quality estimate used by batch revaluation (draft values, never final ones).

Per asset:

    R_1     first-year revenue from the trailing observation window: recorded revenue when there
            is any, else usage counts × configured unit prices (API calls, downloads, licensees,
            subscriptions), scaled to twelve months          (income approach, usage-driven)
    R_t     = R_1 × (1 + g)^(t − 1), t = 1..n
    P_inc   = Σ R_t × K / (1 + i)^t                          (royalty / share variant)
    P       = α × P_inc, α = quality score / 100             (quality coefficient α of expert
                                                              guideline 9 applied to the income)

Range (low / high): discount rate ± 1 point (recomputed), share rate ± 10 % relative and quality
score ± 5 points. P is linear in K and in α, so those two are scaled exactly rather than recomputed,
which keeps 100,000 assets within the batch's time budget; the discount rate is not linear and is
recomputed with the calculator.

Pure Python: no Django imports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from valuation.methods import income
from valuation.methods.money import calculation_context, format_decimal, quantize_money
from valuation.methods.reconcile import DISCOUNT_RATE_SHIFT, QUALITY_SCORE_SHIFT, SHARE_RATE_SHIFT

HUNDRED = Decimal(100)
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


def estimate(usage: UsageTotals, quality_score: Decimal, params: EstimateParameters) -> Estimate:
    """Value and range of one asset from its usage and quality (see the module docstring)."""
    forecast = income.forecast_usage(
        income.UsageForecastInput(
            usage=usage_lines(usage, params), periods=params.periods, growth_rate=params.growth_rate
        )
    )
    periods = forecast.royalty_periods(params.share_rate)

    def income_at(rate: Decimal) -> income.IncomeResult:
        return income.calculate_income(
            income.IncomeInput(
                variant=income.IncomeVariant.ROYALTY, discount_rate=rate, periods=periods
            )
        )

    base = income_at(params.discount_rate)
    with calculation_context():
        alpha = quality_score / HUNDRED
        values = [base.unrounded_value * alpha]
        for direction in (-1, 1):
            rate = DISCOUNT_RATE_SHIFT.apply(params.discount_rate, direction)
            if 0 < rate < 1:
                values.append(income_at(rate).unrounded_value * alpha)
            share = SHARE_RATE_SHIFT.apply(params.share_rate, direction)
            values.append(base.unrounded_value * share / params.share_rate * alpha)
            score = QUALITY_SCORE_SHIFT.apply(quality_score, direction)
            values.append(base.unrounded_value * score / HUNDRED)
    value = quantize_money(values[0])
    body = {
        "method": "income",
        "variant": "royalty",
        "discount_rate": format_decimal(params.discount_rate),
        "periods": [
            {"revenue": format_decimal(p.revenue), "share_rate": format_decimal(p.share_rate)}
            for p in periods
        ],
    }
    return Estimate(
        value=value,
        low=quantize_money(min(values)),
        high=quantize_money(max(values)),
        formula=(
            f"P = α × Σ R_t × K / (1 + i)^t; R_1 = {format_decimal(forecast.first_year_revenue)}, "
            f"g = {format_decimal(params.growth_rate)}, K = {format_decimal(params.share_rate)}, "
            f"i = {format_decimal(params.discount_rate)}, n = {params.periods}; "
            f"P_inc = {format_decimal(base.value)}; α = {format_decimal(alpha)}; P = {value}"
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
            "first_year_revenue": format_decimal(forecast.first_year_revenue),
            "income_value": format_decimal(base.value),
            "quality_coefficient": format_decimal(alpha),
            "present_values": [format_decimal(p.present_value) for p in base.periods],
        },
    )
