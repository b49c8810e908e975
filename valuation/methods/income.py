"""Income approach (收益法) for data assets, and the usage-driven revenue forecast.

Formula (中评协《数据资产评估指导意见》2023; 《资产评估专家指引第9号》2019)::

    P = Σ_{t=1..n} F_t × (1 − tax) / (1 + i)^e_t
    e_t = t, or t − 0.5 with the mid-year convention

n the remaining economic life in periods (years), i the discount rate, tax the income-tax rate.
F_t by variant (domain.md section 8):

* ``direct``: F_t = income, the EBIT of the data product;
* ``royalty``: F_t = R_t × K_t, revenue × share rate (分成率);
* ``excess``: F_t = total benefit − Σ contributory asset charges (超额收益);
* ``incremental``: F_t = with asset − without asset (增量收益).

:func:`forecast_usage` builds R_t from recorded usage ("usage drives the forecast"):
R_1 = Σ quantity × 12 / observed_months × unit_price, R_t = R_1 × (1 + g)^(t − 1); the forecast
turns into royalty or direct periods.

Invariants (each refusal a :class:`CalculationInputError` whose field is the preview-API path,
e.g. ``periods.2.income``; indices are 0-based like the JSON array):

* 1 ≤ n ≤ :data:`MAX_PERIODS`; every period is of the variant's shape;
* i in (0, 1); tax in [0, 1); share rate in [0, 1]; revenue and contributory charges ≥ 0;
* profit figures (income, total benefit, with / without asset) may be negative in a period — a
  data product can run at a loss in its launch years — but a negative total present value is
  refused (field ``periods``): the income approach then gives no value. So a valid input never
  yields a negative value; with non-negative F_t the value is non-increasing in i and
  non-decreasing in the share rate.
* Powers are computed in a 34-digit context: integer exponents exactly up to that precision,
  the mid-year half-integer exponents by Decimal ``**`` (correctly rounded to 34 digits);
  only ``value`` is rounded (half-up, 0.01).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from valuation.methods import checks
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import (
    MAX_DECIMAL_PLACES,
    calculation_context,
    format_decimal,
    in_calculation_context,
    quantize_money,
    round_half_up,
    to_decimal,
)
from valuation.methods.money import show_decimal as fmt

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")
MONTHS_PER_YEAR = 12

#: Most periods a forecast may have (economic lives beyond a century are not credible).
MAX_PERIODS = 100
#: Most contributory asset charges in one excess-earnings period.
MAX_CONTRIBUTORY_CHARGES = 50
#: Most usage lines in one forecast.
MAX_USAGE_LINES = 100
#: Longest usage observation window, in months.
MAX_OBSERVED_MONTHS = 120

MESSAGE_NEGATIVE_TOTAL = (
    "the forecast's present value is negative ({total}); the income approach gives no value"
)
MESSAGE_GROWTH_RATE = "must be greater than -1 and at most 1 (-100% < g ≤ 100%)"


class IncomeVariant(StrEnum):
    """How F_t is forecast."""

    DIRECT = "direct"
    ROYALTY = "royalty"
    EXCESS = "excess"
    INCREMENTAL = "incremental"


@dataclass(frozen=True, slots=True)
class DirectPeriod:
    income: Decimal  # EBIT of the data product in the period; may be negative


@dataclass(frozen=True, slots=True)
class RoyaltyPeriod:
    revenue: Decimal  # R_t ≥ 0
    share_rate: Decimal  # K_t in [0, 1]


@dataclass(frozen=True, slots=True)
class ExcessPeriod:
    total_benefit: Decimal  # may be negative
    contributory_charges: tuple[Decimal, ...] = ()  # each ≥ 0

    def __post_init__(self) -> None:
        if isinstance(self.contributory_charges, list):
            object.__setattr__(self, "contributory_charges", tuple(self.contributory_charges))


@dataclass(frozen=True, slots=True)
class IncrementalPeriod:
    with_asset: Decimal  # may be negative
    without_asset: Decimal  # may be negative


type IncomePeriod = DirectPeriod | RoyaltyPeriod | ExcessPeriod | IncrementalPeriod

_PERIOD_TYPES: dict[IncomeVariant, type] = {
    IncomeVariant.DIRECT: DirectPeriod,
    IncomeVariant.ROYALTY: RoyaltyPeriod,
    IncomeVariant.EXCESS: ExcessPeriod,
    IncomeVariant.INCREMENTAL: IncrementalPeriod,
}
_PERIOD_SHAPES = {
    IncomeVariant.DIRECT: "income",
    IncomeVariant.ROYALTY: "revenue, share_rate",
    IncomeVariant.EXCESS: "total_benefit, contributory_charges",
    IncomeVariant.INCREMENTAL: "with_asset, without_asset",
}
_CASH_FLOW_FORMULAS = {
    IncomeVariant.DIRECT: "F_t = direct income (EBIT of the data product)",
    IncomeVariant.ROYALTY: "F_t = R_t × K_t (revenue × share rate)",
    IncomeVariant.EXCESS: "F_t = total benefit − Σ contributory asset charges",
    IncomeVariant.INCREMENTAL: "F_t = with asset − without asset",
}


@dataclass(frozen=True, slots=True)
class IncomeInput:
    variant: IncomeVariant
    discount_rate: Decimal  # i in (0, 1)
    periods: tuple[IncomePeriod, ...]  # t = 1..n, all of the variant's shape
    tax_rate: Decimal = ZERO  # in [0, 1)
    mid_year: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.periods, list):
            object.__setattr__(self, "periods", tuple(self.periods))


@dataclass(frozen=True, slots=True)
class DiscountedPeriod:
    t: int
    exponent: Decimal  # t, or t − 0.5 (mid-year)
    inputs: IncomePeriod  # the validated period
    cash_flow: Decimal  # F_t before tax
    tax: Decimal  # F_t × tax rate
    cash_flow_after_tax: Decimal  # F_t × (1 − tax rate)
    compound_factor: Decimal  # (1 + i)^exponent
    discount_factor: Decimal  # 1 / (1 + i)^exponent
    present_value: Decimal  # F_t × (1 − tax rate) / (1 + i)^exponent


@dataclass(frozen=True, slots=True)
class IncomeResult:
    value: Decimal  # P, rounded half-up to 0.01
    unrounded_value: Decimal  # Σ present values
    variant: IncomeVariant
    discount_rate: Decimal
    tax_rate: Decimal
    mid_year: bool
    periods: tuple[DiscountedPeriod, ...]
    formula: str


def _variant(value: object) -> IncomeVariant:
    # Only a str can name a variant; IncomeVariant(value) raises ValueError for anything else.
    if isinstance(value, str):
        try:
            return IncomeVariant(value)
        except ValueError:
            pass
    choices = ", ".join(variant.value for variant in IncomeVariant)
    raise CalculationInputError("variant", f"must be one of {choices}")


def _cash_flow(variant: IncomeVariant, period: object, path: str) -> tuple[IncomePeriod, Decimal]:
    """The validated period and its F_t before tax."""
    if not isinstance(period, _PERIOD_TYPES[variant]):
        raise CalculationInputError(path, f"must be a {variant} period ({_PERIOD_SHAPES[variant]})")
    match period:
        case DirectPeriod(income=income):
            direct = DirectPeriod(income=to_decimal(income, f"{path}.income"))
            return direct, direct.income
        case RoyaltyPeriod(revenue=revenue, share_rate=share_rate):
            royalty = RoyaltyPeriod(
                revenue=checks.non_negative(revenue, f"{path}.revenue"),
                share_rate=checks.fraction_closed(share_rate, f"{path}.share_rate"),
            )
            return royalty, royalty.revenue * royalty.share_rate
        case ExcessPeriod(total_benefit=benefit, contributory_charges=charges):
            charges_path = f"{path}.contributory_charges"
            if isinstance(charges, str | bytes) or not isinstance(charges, tuple | list):
                raise CalculationInputError(charges_path, "must be a list")
            if len(charges) > MAX_CONTRIBUTORY_CHARGES:
                raise CalculationInputError(
                    charges_path, f"must not have more than {MAX_CONTRIBUTORY_CHARGES} items"
                )
            excess = ExcessPeriod(
                total_benefit=to_decimal(benefit, f"{path}.total_benefit"),
                contributory_charges=tuple(
                    checks.non_negative(charge, f"{charges_path}.{k}")
                    for k, charge in enumerate(charges)
                ),
            )
            return excess, excess.total_benefit - sum(excess.contributory_charges, ZERO)
        case IncrementalPeriod(with_asset=with_asset, without_asset=without_asset):
            incremental = IncrementalPeriod(
                with_asset=to_decimal(with_asset, f"{path}.with_asset"),
                without_asset=to_decimal(without_asset, f"{path}.without_asset"),
            )
            return incremental, incremental.with_asset - incremental.without_asset
    raise AssertionError("unreachable")  # pragma: no cover


@in_calculation_context
def calculate_income(inp: IncomeInput) -> IncomeResult:
    """P = Σ F_t × (1 − tax) / (1 + i)^t (or t − 0.5 mid-year) for the input's variant."""
    variant = _variant(inp.variant)
    discount_rate = checks.fraction_open(inp.discount_rate, "discount_rate")
    tax_rate = checks.fraction_below_one(inp.tax_rate, "tax_rate")
    if not isinstance(inp.mid_year, bool):
        raise CalculationInputError("mid_year", "must be true or false")
    periods = checks.items(inp.periods, "periods", MAX_PERIODS)

    base = ONE + discount_rate
    discounted: list[DiscountedPeriod] = []
    for t, period in enumerate(periods, start=1):
        clean, cash_flow = _cash_flow(variant, period, f"periods.{t - 1}")
        # Integer powers stay on the exact integer-power path; only mid-year needs a real power.
        compound = base ** (Decimal(t) - HALF) if inp.mid_year else base**t
        tax = cash_flow * tax_rate
        after_tax = cash_flow - tax
        discounted.append(
            DiscountedPeriod(
                t=t,
                exponent=Decimal(t) - HALF if inp.mid_year else Decimal(t),
                inputs=clean,
                cash_flow=cash_flow,
                tax=tax,
                cash_flow_after_tax=after_tax,
                compound_factor=compound,
                discount_factor=ONE / compound,
                present_value=after_tax / compound,
            )
        )
    total = sum((row.present_value for row in discounted), ZERO)
    if total < ZERO:
        raise CalculationInputError(
            "periods", MESSAGE_NEGATIVE_TOTAL.format(total=format_decimal(quantize_money(total)))
        )
    value = quantize_money(total)
    exponent = "t − 0.5 (mid-year)" if inp.mid_year else "t"
    formula = (
        f"P = Σ F_t × (1 − tax) / (1 + i)^e, e = {exponent}, t = 1..{len(discounted)}; "
        f"{_CASH_FLOW_FORMULAS[variant]}; i = {fmt(discount_rate)}, tax = {fmt(tax_rate)}; "
        f"P = {fmt(total)} → {format_decimal(value)}"
    )
    return IncomeResult(
        value=value,
        unrounded_value=total,
        variant=variant,
        discount_rate=discount_rate,
        tax_rate=tax_rate,
        mid_year=inp.mid_year,
        periods=tuple(discounted),
        formula=formula,
    )


# --- Usage-driven forecast -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsageLine:
    """Recorded usage of one kind, e.g. API calls, licensees or subscription-months."""

    kind: str  # a label such as "api_calls", "licensees", "subscriptions"
    quantity: Decimal  # units used during the observation window, ≥ 0
    unit_price: Decimal  # CNY per unit, ≥ 0
    observed_months: int = MONTHS_PER_YEAR  # length of the observation window


@dataclass(frozen=True, slots=True)
class UsageForecastInput:
    usage: tuple[UsageLine, ...]
    periods: int  # n, 1..MAX_PERIODS
    growth_rate: Decimal = ZERO  # g, −1 < g ≤ 1

    def __post_init__(self) -> None:
        if isinstance(self.usage, list):
            object.__setattr__(self, "usage", tuple(self.usage))


@dataclass(frozen=True, slots=True)
class UsageRevenue:
    kind: str
    quantity: Decimal
    unit_price: Decimal
    observed_months: int
    annual_quantity: Decimal  # quantity × 12 / observed_months
    annual_revenue: Decimal  # annual_quantity × unit_price


@dataclass(frozen=True, slots=True)
class UsageForecast:
    lines: tuple[UsageRevenue, ...]
    first_year_revenue: Decimal  # R_1 = Σ annual revenue
    growth_rate: Decimal
    revenues: tuple[Decimal, ...]  # R_t = R_1 × (1 + g)^(t − 1), t = 1..n, unrounded
    formula: str

    def period_revenues(self) -> tuple[Decimal, ...]:
        """R_t held to MAX_DECIMAL_PLACES (12) places, the most a calculator input may carry.

        R_1 scaled from an observation window (× 12 / 11, say) has a recurring expansion; the
        income calculator refuses inputs beyond 12 places, so the forecast hands over R_t
        rounded half-up there. The difference is below 10⁻¹² CNY per period: it cannot move a
        result rounded to 0.01."""
        quantum = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
        return tuple(round_half_up(r, quantum) for r in self.revenues)

    def royalty_periods(self, share_rate: Decimal) -> tuple[RoyaltyPeriod, ...]:
        """The forecast as royalty periods with one share rate K (validated when valued)."""
        return tuple(
            RoyaltyPeriod(revenue=r, share_rate=share_rate) for r in self.period_revenues()
        )

    def direct_periods(self, margin: Decimal = ONE) -> tuple[DirectPeriod, ...]:
        """The forecast as direct-income periods, income = R_t × margin."""
        margin = checks.fraction_closed(margin, "margin")
        quantum = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
        with calculation_context():
            return tuple(
                DirectPeriod(income=round_half_up(r * margin, quantum)) for r in self.revenues
            )


@in_calculation_context
def forecast_usage(inp: UsageForecastInput) -> UsageForecast:
    """First-year revenue from recorded usage, projected over n periods at growth rate g."""
    usage = checks.items(inp.usage, "usage", MAX_USAGE_LINES)
    n = checks.whole_number(inp.periods, "periods", 1, MAX_PERIODS)
    growth = to_decimal(inp.growth_rate, "growth_rate")
    if not -ONE < growth <= ONE:
        raise CalculationInputError("growth_rate", MESSAGE_GROWTH_RATE)

    lines = []
    for k, line in enumerate(usage):
        path = f"usage.{k}"
        if not isinstance(line, UsageLine):
            raise CalculationInputError(path, "must be a usage line (kind, quantity, unit_price)")
        if not isinstance(line.kind, str) or not line.kind.strip():
            raise CalculationInputError(f"{path}.kind", "must be a non-empty label")
        quantity = checks.non_negative(line.quantity, f"{path}.quantity")
        unit_price = checks.non_negative(line.unit_price, f"{path}.unit_price")
        months = checks.whole_number(
            line.observed_months, f"{path}.observed_months", 1, MAX_OBSERVED_MONTHS
        )
        annual_quantity = quantity * MONTHS_PER_YEAR / months
        lines.append(
            UsageRevenue(
                kind=line.kind.strip(),
                quantity=quantity,
                unit_price=unit_price,
                observed_months=months,
                annual_quantity=annual_quantity,
                annual_revenue=annual_quantity * unit_price,
            )
        )
    first_year = sum((line.annual_revenue for line in lines), ZERO)
    revenues = tuple(first_year * (ONE + growth) ** (t - 1) for t in range(1, n + 1))
    terms = " + ".join(
        f"{fmt(line.quantity)} × 12 / {line.observed_months} × {fmt(line.unit_price)}"
        for line in lines
    )
    formula = (
        f"R_1 = Σ quantity × 12 / observed months × unit price = {terms} = {fmt(first_year)}; "
        f"R_t = R_1 × (1 + g)^(t − 1), g = {fmt(growth)}, t = 1..{n}"
    )
    return UsageForecast(
        lines=tuple(lines),
        first_year_revenue=first_year,
        growth_rate=growth,
        revenues=revenues,
        formula=formula,
    )
