"""One appraisal: a method body (domain.md section 9) → value, low / high range and breakdown.

Every appraisal reports a range from the sensitivity of its value to the key inputs of its method
(domain.md section 8, "a range from sensitivity to the key inputs"):

    cost, guidance 2023      δ ± 0.05 when δ is given; quality score ± 5 when δ comes from it;
                             remaining life ± 1 year when δ comes from the life
    cost, expert guideline 9 α (quality coefficient) ± 0.05
    cost, Deyang             c (scenario value-added coefficient) ± 10 % relative
    income                   discount rate ± 1 point; royalty also share rate ± 10 % relative
    market                   every comparable's quality factor ± 5 % relative

low = the smallest, high = the largest of the base and every computable shifted value. A shift the
calculator refuses (e.g. a discount rate pushed to 0) is reported, not counted.

A reconciled appraisal weighs several method bodies: ``{"method": "reconciled", "components":
[{"weight": "0.6", "body": {...}}, ...]}``; its low / high are the weighted low / high of the
components (weights sum to 1).

Pure Python: no Django imports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from valuation.methods import checks, reconcile
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import format_decimal, quantize_money, to_decimal
from valuation.methods.payload import (
    CURRENCY,
    METHODS,
    parse_preview,
    preview_response,
    to_jsonable,
)
from valuation.methods.reconcile import (
    DELTA_SHIFT,
    DISCOUNT_RATE_SHIFT,
    QUALITY_SCORE_SHIFT,
    SHARE_RATE_SHIFT,
    Shift,
    ShiftKind,
)

ALPHA_SHIFT = Shift(Decimal("0.05"), ShiftKind.ABSOLUTE, Decimal(0), Decimal(1))
SCENARIO_SHIFT = Shift(Decimal("0.10"), ShiftKind.RELATIVE, Decimal(0))
LIFE_SHIFT = Shift(Decimal(1), ShiftKind.ABSOLUTE, Decimal(0))
COMPARABLE_QUALITY_SHIFT = Shift(Decimal("0.05"), ShiftKind.RELATIVE)
MAX_COMPONENTS = 5
RECONCILED = "reconciled"


@dataclasses.dataclass(frozen=True, slots=True)
class Appraised:
    method: str
    variant: str | None
    value: Decimal
    low: Decimal
    high: Decimal
    currency: str
    formula: str
    breakdown: dict[str, Any]
    sensitivity: list[dict[str, Any]]

    def as_response(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "variant": self.variant,
            "value": format_decimal(self.value),
            "low": format_decimal(self.low),
            "high": format_decimal(self.high),
            "currency": self.currency,
            "formula": self.formula,
            "breakdown": self.breakdown,
            "sensitivity": self.sensitivity,
        }


def _shifts_for(method: str, variant: str | None, inp: Any) -> list[tuple[str, Shift]]:
    if method == "cost" and variant == "guidance_2023":
        if inp.delta is not None:
            return [("delta", DELTA_SHIFT)]
        if inp.quality_score is not None:
            return [("quality_score", QUALITY_SCORE_SHIFT)]
        return [("remaining_years", LIFE_SHIFT)]
    if method == "cost" and variant == "expert_guideline_9":
        return [("alpha", ALPHA_SHIFT)]
    if method == "cost" and variant == "deyang":
        return [("c", SCENARIO_SHIFT)]
    if method == "income":
        shifts = [("discount_rate", DISCOUNT_RATE_SHIFT)]
        if variant == "royalty":
            shifts.append(("periods.*.share_rate", SHARE_RATE_SHIFT))
        return shifts
    if method == "market":
        return [("comparables.*.quality", COMPARABLE_QUALITY_SHIFT)]
    return []


def appraise(body: object) -> Appraised:
    """Value, range and breakdown of one method body, or a reconciliation of several."""
    if isinstance(body, Mapping):
        if body.get("method") == RECONCILED:
            return _reconciled(body)
        if body.get("method") not in METHODS:
            raise CalculationInputError(
                "method", f"must be one of {', '.join((*METHODS, RECONCILED))}"
            )
    request = parse_preview(body)
    result = request.calculate(request.input)
    response = preview_response(request.method, result)
    runs = [
        reconcile.sensitivity(request.calculate, request.input, path, shift)
        for path, shift in _shifts_for(request.method, request.variant, request.input)
    ]
    low = min([result.value, *(run.low for run in runs)])
    high = max([result.value, *(run.high for run in runs)])
    return Appraised(
        method=request.method,
        variant=request.variant,
        value=result.value,
        low=quantize_money(low),
        high=quantize_money(high),
        currency=CURRENCY,
        formula=response["formula"],
        breakdown=response["breakdown"],
        sensitivity=[
            {
                "path": run.path,
                "low": format_decimal(run.low),
                "high": format_decimal(run.high),
                "formula": run.formula,
            }
            for run in runs
        ],
    )


def _reconciled(body: Mapping[str, Any]) -> Appraised:
    components = body.get("components")
    if not isinstance(components, list | tuple):
        raise CalculationInputError("components", "must be a list of {weight, body}")
    components = checks.items(components, "components", MAX_COMPONENTS)
    if len(components) < 2:
        raise CalculationInputError("components", "reconciliation needs at least two methods")
    parts: list[tuple[Decimal, Appraised]] = []
    for index, component in enumerate(components):
        path = f"components.{index}"
        if not isinstance(component, Mapping):
            raise CalculationInputError(path, "must be an object with weight and body")
        weight = checks.between(
            to_decimal(component.get("weight"), f"{path}.weight"),
            f"{path}.weight",
            Decimal(0),
            Decimal(1),
        )
        component_body = component.get("body")
        if not isinstance(component_body, Mapping):
            raise CalculationInputError(f"{path}.body", "must be an object")
        try:
            appraised = appraise(component_body)
        except CalculationInputError as exc:
            raise CalculationInputError(f"{path}.body.{exc.field}", exc.message) from exc
        if appraised.method == RECONCILED:
            raise CalculationInputError(f"{path}.body.method", "cannot nest a reconciliation")
        parts.append((weight, appraised))
    total_weight = sum((weight for weight, _part in parts), Decimal(0))
    if total_weight != 1:
        raise CalculationInputError(
            "components", f"weights must sum to 1 (they sum to {format_decimal(total_weight)})"
        )
    result = reconcile.reconcile(
        reconcile.ReconcileInput(
            values=tuple(
                # Labelled by position: two components may use the same method.
                reconcile.MethodValue(
                    method=f"{index + 1}:{part.method}/{part.variant or '-'}",
                    value=part.value,
                    weight=weight,
                )
                for index, (weight, part) in enumerate(parts)
            )
        )
    )
    low = sum((weight * part.low for weight, part in parts), Decimal(0))
    high = sum((weight * part.high for weight, part in parts), Decimal(0))
    return Appraised(
        method=RECONCILED,
        variant=None,
        value=result.value,
        low=quantize_money(low),
        high=quantize_money(high),
        currency=CURRENCY,
        formula=result.formula,
        breakdown={
            "reconciliation": to_jsonable(result),
            "components": [
                {"weight": format_decimal(weight), **part.as_response()} for weight, part in parts
            ],
        },
        sensitivity=[],
    )
