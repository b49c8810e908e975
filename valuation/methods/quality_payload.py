"""Request bodies for quality grading ↔ the calculator (`valuation.methods.quality`).

Body::

    {"measurements": {"element_completeness": {"count": "980", "evaluated": "1000"}, ...},
     "weights": {"normativity": "0.1", ...}}            # optional; all six, summing to 1

Counts are whole numbers of elements (A meeting the requirement, or duplicates / dirty elements
for the two bad-when-high rates; B evaluated). Errors name the body field. Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from valuation.methods.errors import CalculationInputError
from valuation.methods.money import format_decimal, to_decimal
from valuation.methods.payload import to_jsonable
from valuation.methods.quality import (
    SUB_INDICATORS,
    Measurement,
    QualityInput,
    QualityResult,
    grade_quality,
)

MAX_COUNT = Decimal(10) ** 15


def _count(value: object, field: str) -> Decimal:
    number = to_decimal(value, field)
    if number != number.to_integral_value() or number < 0 or number > MAX_COUNT:
        raise CalculationInputError(field, "must be a whole number of elements, 0 or more")
    return number


def parse_quality_body(body: object) -> QualityInput:
    if not isinstance(body, Mapping):
        raise CalculationInputError("body", "must be a JSON object")
    unknown = set(body) - {"measurements", "weights"}
    if unknown:
        raise CalculationInputError(sorted(unknown)[0], "is not a known field")
    raw = body.get("measurements")
    if not isinstance(raw, Mapping):
        raise CalculationInputError(
            "measurements", "must be an object of sub-indicator → {count, evaluated}"
        )
    measurements: dict[str, Measurement | None] = {}
    for key, item in raw.items():
        path = f"measurements.{key}"
        if key not in SUB_INDICATORS:
            raise CalculationInputError(path, "is not a GB/T 36344 sub-indicator")
        if item is None:
            measurements[key] = None
            continue
        if not isinstance(item, Mapping) or set(item) != {"count", "evaluated"}:
            raise CalculationInputError(path, "must be an object with count and evaluated")
        measurements[key] = Measurement(
            count=_count(item["count"], f"{path}.count"),
            evaluated=_count(item["evaluated"], f"{path}.evaluated"),
        )
    weights = body.get("weights")
    if weights is not None and not isinstance(weights, Mapping):
        raise CalculationInputError("weights", "must be an object of indicator → weight")
    return QualityInput(
        measurements=measurements,
        weights={k: to_decimal(v, f"weights.{k}") for k, v in weights.items()} if weights else None,
    )


def quality_response(result: QualityResult) -> dict[str, Any]:
    return {
        "score": format_decimal(result.score),
        "grade": result.grade,
        "equal_weights": result.equal_weights,
        "indicators": to_jsonable(result.indicators),
        "formula": result.formula,
    }


def grade_body(body: object) -> tuple[QualityInput, QualityResult]:
    inp = parse_quality_body(body)
    return inp, grade_quality(inp)
