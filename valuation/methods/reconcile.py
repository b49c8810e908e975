"""Reconciling several methods' values, and the sensitivity range of one calculation.

Reconciliation (评估结论的确定; 中评协《数据资产评估指导意见》2023: the appraiser weighs
the approaches used)::

    P = Σ w_m × P_m,    w_m ≥ 0,  Σ w_m = 1 exactly

Sensitivity (domain.md section 8: a valuation report states "a range from sensitivity to the key
inputs"): the calculator is run again with one key input shifted down and up; the report gives
``low`` = the minimum and ``high`` = the maximum of the base, down and up values (for a value
that falls as the input rises, "down" gives the high end). A shift is absolute (discount rate
± 1 percentage point, quality score ± 5 points, δ ± 0.05) or relative (share rate ± 10 % of
itself), optionally clamped to bounds — see the ``*_SHIFT`` presets and :data:`DEFAULT_SHIFTS`.

Invariants:

* reconciliation values are ≥ 0, weights ≥ 0 summing to 1, at most :data:`MAX_METHODS`
  distinct method labels; only ``value`` is rounded (half-up, 0.01);
* sensitivity never changes the base input (inputs are frozen; shifted copies are built with
  :func:`dataclasses.replace`); the base calculation must be valid (its error propagates); a
  shifted case that the calculator refuses (e.g. a discount rate pushed to 0) is reported with
  its reason and left out of low / high instead of failing the whole report;
* ``low ≤ base value ≤ high`` always.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Protocol, cast

from valuation.methods import checks
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import decimal_from_fraction as as_decimal
from valuation.methods.money import (
    format_decimal,
    in_calculation_context,
    quantize_money,
    to_decimal,
)
from valuation.methods.money import show_decimal as fmt

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

#: Most method values in one reconciliation.
MAX_METHODS = 10

MESSAGE_NOT_AN_INPUT = "is not an input of this calculation"
MESSAGE_NOT_SET = "is not set in this calculation"


# --- Reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MethodValue:
    method: str  # a label, e.g. "cost", "income", "market"
    value: Decimal  # ≥ 0
    weight: Decimal  # ≥ 0; all weights sum to 1


@dataclass(frozen=True, slots=True)
class ReconcileInput:
    values: tuple[MethodValue, ...]

    def __post_init__(self) -> None:
        if isinstance(self.values, list):
            object.__setattr__(self, "values", tuple(self.values))


@dataclass(frozen=True, slots=True)
class WeightedValue:
    method: str
    value: Decimal
    weight: Decimal
    contribution: Decimal  # w × P


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    value: Decimal  # rounded half-up to 0.01
    unrounded_value: Decimal
    values: tuple[WeightedValue, ...]
    formula: str


@in_calculation_context
def reconcile(inp: ReconcileInput) -> ReconcileResult:
    """P = Σ w_m × P_m with weights summing to exactly 1."""
    entries = checks.items(inp.values, "values", MAX_METHODS)
    rows: list[WeightedValue] = []
    exact_contributions: list[Fraction] = []
    for k, entry in enumerate(entries):
        path = f"values.{k}"
        if not isinstance(entry, MethodValue):
            raise CalculationInputError(path, "must be a method value (method, value, weight)")
        if not isinstance(entry.method, str) or not entry.method.strip():
            raise CalculationInputError(f"{path}.method", "must be a non-empty label")
        if any(row.method == entry.method.strip() for row in rows):
            raise CalculationInputError(f"{path}.method", "is listed twice")
        value = checks.non_negative(entry.value, f"{path}.value")
        weight = checks.non_negative(entry.weight, f"{path}.weight")
        contribution = Fraction(value) * Fraction(weight)
        exact_contributions.append(contribution)
        rows.append(WeightedValue(entry.method.strip(), value, weight, as_decimal(contribution)))
    total_weight = sum((row.weight for row in rows), ZERO)
    if total_weight != ONE:
        raise CalculationInputError(
            "values", f"weights must sum to 1 (they sum to {fmt(total_weight)})"
        )
    # Exact: the reconciled value lies between the method values to the last digit.
    exact_total = sum(exact_contributions, Fraction(0))
    unrounded = as_decimal(exact_total)
    value = quantize_money(exact_total)
    terms = " + ".join(f"{fmt(row.weight)} × {fmt(row.value)} ({row.method})" for row in rows)
    formula = f"P = Σ w_m × P_m = {terms} = {fmt(unrounded)} → {format_decimal(value)}"
    return ReconcileResult(
        value=value, unrounded_value=unrounded, values=tuple(rows), formula=formula
    )


# --- Sensitivity ---------------------------------------------------------------------------------


class ShiftKind(StrEnum):
    ABSOLUTE = "absolute"  # x ± amount
    RELATIVE = "relative"  # x × (1 ± amount)


@dataclass(frozen=True, slots=True)
class Shift:
    amount: Decimal  # > 0
    kind: ShiftKind = ShiftKind.ABSOLUTE
    minimum: Decimal | None = None  # shifted values are clamped to [minimum, maximum]
    maximum: Decimal | None = None

    def apply(self, value: Decimal, direction: int) -> Decimal:
        """``value`` moved one step down (``direction=-1``) or up (``+1``), then clamped."""
        step = self.amount if self.kind == ShiftKind.ABSOLUTE else value * self.amount
        shifted = value + direction * step
        if self.minimum is not None:
            shifted = max(shifted, self.minimum)
        if self.maximum is not None:
            shifted = min(shifted, self.maximum)
        return shifted

    def describe(self) -> str:
        if self.kind == ShiftKind.ABSOLUTE:
            return f"± {fmt(self.amount)}"
        return f"± {fmt(self.amount * HUNDRED)}% (relative)"


#: Discount rate ± 1 percentage point.
DISCOUNT_RATE_SHIFT = Shift(Decimal("0.01"))
#: Share rate ± 10 % of itself, kept within [0, 1].
SHARE_RATE_SHIFT = Shift(Decimal("0.10"), ShiftKind.RELATIVE, ZERO, ONE)
#: Quality score ± 5 points, kept within [0, 100].
QUALITY_SCORE_SHIFT = Shift(Decimal(5), ShiftKind.ABSOLUTE, ZERO, HUNDRED)
#: Value adjustment coefficient δ ± 0.05, kept within [0, 1].
DELTA_SHIFT = Shift(Decimal("0.05"), ShiftKind.ABSOLUTE, ZERO, ONE)
#: The key input of each calculation (by input path) and its default shift.
DEFAULT_SHIFTS: Mapping[str, Shift] = MappingProxyType(
    {
        "discount_rate": DISCOUNT_RATE_SHIFT,
        "periods.*.share_rate": SHARE_RATE_SHIFT,
        "quality_score": QUALITY_SCORE_SHIFT,
        "delta": DELTA_SHIFT,
    }
)


class Valued(Protocol):
    @property
    def value(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class SensitivityCase:
    direction: str  # "down" or "up"
    inputs: tuple[Decimal, ...]  # the shifted value(s) at the path
    value: Decimal | None  # None when the calculator refused the shifted input
    error: str | None  # "field: message" of that refusal


@dataclass(frozen=True, slots=True)
class SensitivityResult:
    path: str
    shift: Shift
    base_inputs: tuple[Decimal, ...]
    base_value: Decimal
    down: SensitivityCase
    up: SensitivityCase
    low: Decimal  # min of the computed values
    high: Decimal  # max of the computed values
    formula: str


def _split(path: str) -> list[str]:
    parts = path.split(".")
    if not path or any(not part for part in parts):
        raise CalculationInputError(path, MESSAGE_NOT_AN_INPUT)
    return parts


def _values_at(obj: object, parts: list[str], path: str) -> list[object]:
    if not parts:
        return [obj]
    head, rest = parts[0], parts[1:]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if head not in {f.name for f in dataclasses.fields(obj)}:
            raise CalculationInputError(path, MESSAGE_NOT_AN_INPUT)
        return _values_at(getattr(obj, head), rest, path)
    if isinstance(obj, tuple | list):
        if head == "*":
            return [value for item in obj for value in _values_at(item, rest, path)]
        if head.isdigit() and int(head) < len(obj):
            return _values_at(obj[int(head)], rest, path)
    raise CalculationInputError(path, MESSAGE_NOT_AN_INPUT)


def _replace_at(obj: object, parts: list[str], change: Callable[[object], object]) -> object:
    if not parts:
        return change(obj)
    head, rest = parts[0], parts[1:]
    if isinstance(obj, tuple | list):
        picked = range(len(obj)) if head == "*" else [int(head)]
        items = [
            _replace_at(item, rest, change) if k in picked else item for k, item in enumerate(obj)
        ]
        return type(obj)(items)
    # sensitivity() walked ``parts`` with _values_at first, which refuses any step that is neither
    # a list item nor a dataclass field: what is not a list here is a dataclass instance.
    assert dataclasses.is_dataclass(obj) and not isinstance(obj, type)
    return dataclasses.replace(obj, **{head: _replace_at(getattr(obj, head), rest, change)})


@in_calculation_context
def sensitivity[I, R: Valued](
    calculate: Callable[[I], R], base_input: I, path: str, shift: Shift
) -> SensitivityResult:
    """Run ``calculate`` on ``base_input`` and on copies with the input at ``path`` shifted.

    ``path`` is a dotted input path as in error fields; ``*`` shifts every item of a list, e.g.
    ``periods.*.share_rate``. Returns the base value and the low / high of the three values.
    """
    parts = _split(path)
    raw_values = _values_at(base_input, parts, path)
    if not raw_values or any(value is None for value in raw_values):
        raise CalculationInputError(path, MESSAGE_NOT_SET)
    base_inputs = tuple(to_decimal(value, path) for value in raw_values)
    amount = checks.positive(shift.amount, "shift.amount")
    shift = dataclasses.replace(shift, amount=amount)
    base_value = calculate(base_input).value

    def case(direction: int) -> SensitivityCase:
        label = "down" if direction < 0 else "up"
        # _replace_at rebuilds every level with its own type (dataclasses.replace, type(obj)),
        # so the shifted copy is of the base input's type.
        shifted = cast(
            I,
            _replace_at(
                base_input, parts, lambda value: shift.apply(to_decimal(value, path), direction)
            ),
        )
        inputs = tuple(to_decimal(value, path) for value in _values_at(shifted, parts, path))
        try:
            value = calculate(shifted).value
        except CalculationInputError as refused:
            return SensitivityCase(label, inputs, None, f"{refused.field}: {refused.message}")
        return SensitivityCase(label, inputs, value, None)

    down, up = case(-1), case(+1)
    values = [base_value] + [c.value for c in (down, up) if c.value is not None]
    low, high = min(values), max(values)

    def show(c: SensitivityCase) -> str:
        result = format_decimal(c.value) if c.value is not None else f"not computable ({c.error})"
        return f"{c.direction} {', '.join(fmt(v) for v in c.inputs)} → {result}"

    formula = (
        f"{path} {shift.describe()}: {show(down)}; base "
        f"{', '.join(fmt(v) for v in base_inputs)} → {format_decimal(base_value)}; {show(up)}; "
        f"range {format_decimal(low)} to {format_decimal(high)}"
    )
    return SensitivityResult(
        path=path,
        shift=shift,
        base_inputs=base_inputs,
        base_value=base_value,
        down=down,
        up=up,
        low=low,
        high=high,
        formula=formula,
    )
