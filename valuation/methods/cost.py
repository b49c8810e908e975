"""Cost approach (成本法) for data assets: three formulas.

1. **2023 guidance** (中评协《数据资产评估指导意见》2023, 中评协〔2023〕17号),
   variant ``guidance_2023``::

       P = C × δ
       C = preliminary + direct + indirect + opportunity + taxes   (replacement cost, 重置成本)
       δ = value adjustment coefficient (价值调整系数), exactly one of:
           given                       δ
           from the quality score      δ = score / 100
           from the economic life      δ = remaining / (used + remaining)

2. **Expert guideline 9** (《资产评估专家指引第9号——数据资产评估》2019),
   variant ``expert_guideline_9``::

       P = TC × (1 + R) × U,    U = α × β × (1 + l) × (1 − r)

   TC total cost (construction + operation + management), R cost return rate, α quality
   coefficient, β circulation coefficient, l monopoly coefficient, r value-realisation risk.

3. **Deyang local formula** (德阳 data-IP cost formula,
   GitHub guolliu1033/data-ip-valuation-engine, README)::

       A = a + (d + e)·b + a·c

   a direct cost, d processing cost, e equipment O&M cost, b processing-difficulty coefficient,
   c scenario value-added coefficient. Published case: a=26.0, d=20.0, e=6.0, b=1.4, c=1.4 →
   A = 98.8 (万元). Amounts are in whatever unit they are given in.

Invariants (checked on every call, each refusal a :class:`CalculationInputError` naming the
field as in the preview API body, e.g. ``costs.direct``):

* costs and amounts are never negative; so no valid input yields a negative value;
* δ, α, β and l are fractions in [0, 1]; R and r are in [0, 1) (r = 1 would make any asset
  worthless, R ≥ 100 % is not a cost return rate); the quality score is in [0, 100];
* δ has exactly one source; life-based δ needs used + remaining > 0;
* intermediates are unrounded; only ``value`` is rounded half-up to 0.01.

*Design choice*: a given δ is capped at :data:`MAX_DELTA` = 1, so the 2023-guidance value never
exceeds the replacement cost (both derived δ's are ≤ 1 anyway); raise the constant if a
registrar's practice allows an upward adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from valuation.methods import checks
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import format_decimal, in_calculation_context, quantize_money
from valuation.methods.money import show_decimal as fmt

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
#: Upper bound for a given δ (design choice, see the module docstring).
MAX_DELTA = ONE

COST_COMPONENTS = ("preliminary", "direct", "indirect", "opportunity", "taxes")

MESSAGE_DELTA_MISSING = "give delta, quality_score, or used_years with remaining_years"
MESSAGE_DELTA_AMBIGUOUS = (
    "give only one of delta, quality_score, or used_years with remaining_years"
)
MESSAGE_LIFE_ZERO = "used_years + remaining_years must be greater than 0"


class DeltaSource(StrEnum):
    """Where δ of the 2023 guidance came from."""

    GIVEN = "given"
    QUALITY_SCORE = "quality_score"
    REMAINING_LIFE = "remaining_life"


# --- 2023 guidance: P = C × δ -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplacementCost:
    """The components of the replacement cost C (重置成本), each ≥ 0."""

    preliminary: Decimal = ZERO  # 前期费用
    direct: Decimal = ZERO  # 直接成本
    indirect: Decimal = ZERO  # 间接成本
    opportunity: Decimal = ZERO  # 机会成本
    taxes: Decimal = ZERO  # 相关税费


@dataclass(frozen=True, slots=True)
class Guidance2023Input:
    """Inputs of P = C × δ; give exactly one of delta, quality_score or the two life fields."""

    costs: ReplacementCost
    delta: Decimal | None = None
    quality_score: Decimal | None = None
    used_years: Decimal | None = None
    remaining_years: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Guidance2023Result:
    value: Decimal  # P, rounded half-up to 0.01
    unrounded_value: Decimal  # C × δ
    replacement_cost: Decimal  # C
    costs: ReplacementCost  # the validated components of C
    delta: Decimal  # δ
    delta_source: DeltaSource
    quality_score: Decimal | None
    used_years: Decimal | None
    remaining_years: Decimal | None
    formula: str


@dataclass(frozen=True, slots=True)
class _Delta:
    value: Decimal
    source: DeltaSource
    explained: str
    quality_score: Decimal | None = None
    used_years: Decimal | None = None
    remaining_years: Decimal | None = None


def _delta(inp: Guidance2023Input) -> _Delta:
    life_given = inp.used_years is not None or inp.remaining_years is not None
    sources = [inp.delta is not None, inp.quality_score is not None, life_given]
    if not any(sources):
        raise CalculationInputError("delta", MESSAGE_DELTA_MISSING)
    if sum(sources) > 1:
        raise CalculationInputError("delta", MESSAGE_DELTA_AMBIGUOUS)
    if inp.delta is not None:
        delta = checks.between(inp.delta, "delta", ZERO, MAX_DELTA)
        return _Delta(delta, DeltaSource.GIVEN, "δ given")
    if inp.quality_score is not None:
        score = checks.between(inp.quality_score, "quality_score", ZERO, HUNDRED)
        delta = score / HUNDRED
        explained = f"δ = quality score / 100 = {fmt(score)} / 100"
        return _Delta(delta, DeltaSource.QUALITY_SCORE, explained, quality_score=score)
    if inp.used_years is None:
        raise CalculationInputError("used_years", "is required together with remaining_years")
    if inp.remaining_years is None:
        raise CalculationInputError("remaining_years", "is required together with used_years")
    used = checks.non_negative(inp.used_years, "used_years")
    remaining = checks.non_negative(inp.remaining_years, "remaining_years")
    if used + remaining == ZERO:
        raise CalculationInputError("remaining_years", MESSAGE_LIFE_ZERO)
    delta = remaining / (used + remaining)
    explained = (
        f"δ = remaining / (used + remaining) = {fmt(remaining)} / ({fmt(used)} + {fmt(remaining)})"
    )
    return _Delta(
        delta, DeltaSource.REMAINING_LIFE, explained, used_years=used, remaining_years=remaining
    )


@in_calculation_context
def calculate_guidance_2023(inp: Guidance2023Input) -> Guidance2023Result:
    """P = C × δ of the 2023 guidance."""
    if not isinstance(inp.costs, ReplacementCost):
        raise CalculationInputError("costs", "must be the replacement cost components")
    costs = ReplacementCost(
        **{
            name: checks.non_negative(getattr(inp.costs, name), f"costs.{name}")
            for name in COST_COMPONENTS
        }
    )
    replacement_cost = sum((getattr(costs, name) for name in COST_COMPONENTS), ZERO)
    delta = _delta(inp)
    unrounded = replacement_cost * delta.value
    value = quantize_money(unrounded)
    components = " + ".join(fmt(getattr(costs, name)) for name in COST_COMPONENTS)
    formula = (
        "P = C × δ; C = preliminary + direct + indirect + opportunity + taxes = "
        f"{components} = {fmt(replacement_cost)}; {delta.explained} = {fmt(delta.value)}; "
        f"P = {fmt(replacement_cost)} × {fmt(delta.value)} = {fmt(unrounded)} "
        f"→ {format_decimal(value)}"
    )
    return Guidance2023Result(
        value=value,
        unrounded_value=unrounded,
        replacement_cost=replacement_cost,
        costs=costs,
        delta=delta.value,
        delta_source=delta.source,
        quality_score=delta.quality_score,
        used_years=delta.used_years,
        remaining_years=delta.remaining_years,
        formula=formula,
    )


# --- Expert guideline 9: P = TC × (1 + R) × U -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpertGuideline9Input:
    total_cost: Decimal  # TC ≥ 0
    return_rate: Decimal  # R in [0, 1)
    alpha: Decimal  # α quality coefficient in [0, 1]
    beta: Decimal  # β circulation coefficient in [0, 1]
    monopoly: Decimal = ZERO  # l in [0, 1]
    risk: Decimal = ZERO  # r in [0, 1)


@dataclass(frozen=True, slots=True)
class ExpertGuideline9Result:
    value: Decimal  # P, rounded half-up to 0.01
    unrounded_value: Decimal  # TC × (1 + R) × U
    total_cost: Decimal
    return_rate: Decimal
    cost_with_return: Decimal  # TC × (1 + R)
    alpha: Decimal
    beta: Decimal
    monopoly: Decimal
    risk: Decimal
    u: Decimal  # α × β × (1 + l) × (1 − r)
    formula: str


@in_calculation_context
def calculate_expert_guideline_9(inp: ExpertGuideline9Input) -> ExpertGuideline9Result:
    """P = TC × (1 + R) × U, U = α × β × (1 + l) × (1 − r), of expert guideline 9."""
    total_cost = checks.non_negative(inp.total_cost, "total_cost")
    return_rate = checks.fraction_below_one(inp.return_rate, "return_rate")
    alpha = checks.fraction_closed(inp.alpha, "alpha")
    beta = checks.fraction_closed(inp.beta, "beta")
    monopoly = checks.fraction_closed(inp.monopoly, "monopoly")
    risk = checks.fraction_below_one(inp.risk, "risk")
    u = alpha * beta * (ONE + monopoly) * (ONE - risk)
    cost_with_return = total_cost * (ONE + return_rate)
    unrounded = cost_with_return * u
    value = quantize_money(unrounded)
    formula = (
        "P = TC × (1 + R) × U, U = α × β × (1 + l) × (1 − r); "
        f"U = {fmt(alpha)} × {fmt(beta)} × (1 + {fmt(monopoly)}) × (1 − {fmt(risk)}) = {fmt(u)}; "
        f"P = {fmt(total_cost)} × (1 + {fmt(return_rate)}) × {fmt(u)} = {fmt(unrounded)} "
        f"→ {format_decimal(value)}"
    )
    return ExpertGuideline9Result(
        value=value,
        unrounded_value=unrounded,
        total_cost=total_cost,
        return_rate=return_rate,
        cost_with_return=cost_with_return,
        alpha=alpha,
        beta=beta,
        monopoly=monopoly,
        risk=risk,
        u=u,
        formula=formula,
    )


# --- Deyang: A = a + (d + e)·b + a·c ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeyangInput:
    a: Decimal  # direct cost (直接成本)
    d: Decimal  # processing cost (加工成本)
    e: Decimal  # equipment operation and maintenance cost (设备运维成本)
    b: Decimal  # processing-difficulty coefficient (加工难度系数)
    c: Decimal  # scenario value-added coefficient (场景增值系数)


@dataclass(frozen=True, slots=True)
class DeyangResult:
    value: Decimal  # A, rounded half-up to 0.01
    unrounded_value: Decimal
    a: Decimal
    d: Decimal
    e: Decimal
    b: Decimal
    c: Decimal
    processing_term: Decimal  # (d + e)·b
    scenario_term: Decimal  # a·c
    formula: str


@in_calculation_context
def calculate_deyang(inp: DeyangInput) -> DeyangResult:
    """A = a + (d + e)·b + a·c, the Deyang data-IP cost formula."""
    a, d, e, b, c = (checks.non_negative(getattr(inp, name), name) for name in "adebc")
    processing_term = (d + e) * b
    scenario_term = a * c
    unrounded = a + processing_term + scenario_term
    value = quantize_money(unrounded)
    formula = (
        f"A = a + (d + e)·b + a·c = {fmt(a)} + ({fmt(d)} + {fmt(e)}) × {fmt(b)} "
        f"+ {fmt(a)} × {fmt(c)} = {fmt(a)} + {fmt(processing_term)} + {fmt(scenario_term)} "
        f"= {fmt(unrounded)} → {format_decimal(value)}"
    )
    return DeyangResult(
        value=value,
        unrounded_value=unrounded,
        a=a,
        d=d,
        e=e,
        b=b,
        c=c,
        processing_term=processing_term,
        scenario_term=scenario_term,
        formula=formula,
    )
