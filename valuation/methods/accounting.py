"""Straight-line amortisation of a data resource recognised as an intangible asset (数据资源入表).

Basis: 财政部《企业数据资源相关会计处理暂行规定》(财会〔2023〕11号, from 2024-01-01): data resources
used internally that meet the recognition criteria are intangible assets under CAS 6 (企业会计准则
第6号——无形资产) and are amortised over their useful life. Formula::

    monthly amortisation   m = (cost − residual) / L          L = useful life in months
    year k amortisation    a_k = m × months_k, rounded half-up to 0.01   (k < last year)
    last year              a_n = (cost − residual) − Σ_{k<n} a_k         (absorbs the rounding)
    accumulated            Σ_{j≤k} a_j;    carrying amount = cost − accumulated

Conventions:

* **Start month**: amortisation starts in the month the asset becomes available for use and
  the month counts in full (当月增加当月摊销, the practice for intangible assets under Chinese
  standards), so an asset available from 15 July 2024 is amortised for July–December (6 months)
  in 2024 and its last months fall in the final calendar year.
* **Rows** are calendar (= Chinese fiscal) years: the first and last rows may be partial years.
* Rounding differences are absorbed by the last row, so accumulated amortisation equals
  cost − residual exactly and the final carrying amount equals the residual value.

Invariants: cost > 0 and residual in [0, cost], both in whole cents (they are booked amounts);
life 1..:data:`MAX_USEFUL_LIFE_MONTHS` months given in years or months (exactly one); every row's
amortisation ≥ 0 (a cost so small that rounded years would overshoot it is refused).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from valuation.methods import checks
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import in_calculation_context, quantize_money
from valuation.methods.money import show_decimal as fmt

ZERO = Decimal(0)
MONTHS_PER_YEAR = 12
MAX_USEFUL_LIFE_YEARS = 100
MAX_USEFUL_LIFE_MONTHS = MAX_USEFUL_LIFE_YEARS * MONTHS_PER_YEAR

MESSAGE_LIFE_MISSING = "give useful_life_years or useful_life_months"
MESSAGE_LIFE_AMBIGUOUS = "give only one of useful_life_years or useful_life_months"
MESSAGE_RESIDUAL_ABOVE_COST = "must not exceed cost"
MESSAGE_COST_TOO_SMALL = "is too small to amortise in whole cents over the useful life"


@dataclass(frozen=True, slots=True)
class AmortisationInput:
    cost: Decimal  # initial measurement of the intangible asset, > 0, in cents
    start_date: dt.date  # date the asset became available for use
    useful_life_years: int | None = None
    useful_life_months: int | None = None
    residual_value: Decimal = ZERO  # in [0, cost]


@dataclass(frozen=True, slots=True)
class AmortisationRow:
    period: int  # 1, 2, …
    year: int  # calendar year
    first_month: dt.date  # first day of the first month amortised in the row
    last_month: dt.date  # first day of the last month amortised in the row
    months: int
    amortisation: Decimal
    accumulated_amortisation: Decimal
    carrying_amount: Decimal  # cost − accumulated amortisation


@dataclass(frozen=True, slots=True)
class AmortisationSchedule:
    cost: Decimal
    residual_value: Decimal
    amortisable_amount: Decimal  # cost − residual
    useful_life_months: int
    start_date: dt.date
    monthly_amortisation: Decimal  # unrounded
    rows: tuple[AmortisationRow, ...]
    formula: str


def _money(value: object, field: str) -> Decimal:
    return checks.at_most_places(checks.non_negative(value, field), field, 2)


def _life_months(inp: AmortisationInput) -> int:
    if inp.useful_life_years is None and inp.useful_life_months is None:
        raise CalculationInputError("useful_life_years", MESSAGE_LIFE_MISSING)
    if inp.useful_life_years is not None and inp.useful_life_months is not None:
        raise CalculationInputError("useful_life_years", MESSAGE_LIFE_AMBIGUOUS)
    if inp.useful_life_years is not None:
        years = checks.whole_number(
            inp.useful_life_years, "useful_life_years", 1, MAX_USEFUL_LIFE_YEARS
        )
        return years * MONTHS_PER_YEAR
    return checks.whole_number(
        inp.useful_life_months, "useful_life_months", 1, MAX_USEFUL_LIFE_MONTHS
    )


@in_calculation_context
def amortisation_schedule(inp: AmortisationInput) -> AmortisationSchedule:
    """Per-calendar-year straight-line amortisation rows, the last absorbing rounding."""
    cost = _money(inp.cost, "cost")
    if cost == ZERO:
        raise CalculationInputError("cost", checks.MESSAGE_NOT_POSITIVE)
    residual = _money(inp.residual_value, "residual_value")
    if residual > cost:
        raise CalculationInputError("residual_value", MESSAGE_RESIDUAL_ABOVE_COST)
    if not isinstance(inp.start_date, dt.date):
        raise CalculationInputError("start_date", "must be a date")
    life = _life_months(inp)
    amortisable = cost - residual

    rows: list[AmortisationRow] = []
    accumulated = ZERO
    remaining = life
    year, month = inp.start_date.year, inp.start_date.month
    while remaining:
        months = min(MONTHS_PER_YEAR - month + 1, remaining)
        remaining -= months
        if remaining:
            amount = quantize_money(amortisable * months / life)
        else:
            amount = amortisable - accumulated
            if amount < ZERO:
                raise CalculationInputError("cost", MESSAGE_COST_TOO_SMALL)
        accumulated += amount
        rows.append(
            AmortisationRow(
                period=len(rows) + 1,
                year=year,
                first_month=dt.date(year, month, 1),
                last_month=dt.date(year, month + months - 1, 1),
                months=months,
                amortisation=amount,
                accumulated_amortisation=accumulated,
                carrying_amount=cost - accumulated,
            )
        )
        year, month = year + 1, 1

    monthly = amortisable / life
    formula = (
        f"m = (cost − residual) / L = ({fmt(cost)} − {fmt(residual)}) / {life} = {fmt(monthly)}; "
        "yearly amortisation = m × months in the year, rounded half-up to 0.01, from the month "
        "the asset is available for use (当月增加当月摊销); the last year takes "
        "(cost − residual) − the earlier years"
    )
    return AmortisationSchedule(
        cost=cost,
        residual_value=residual,
        amortisable_amount=amortisable,
        useful_life_months=life,
        start_date=inp.start_date,
        monthly_amortisation=monthly,
        rows=tuple(rows),
        formula=formula,
    )
