"""The valuation preview API contract (domain.md section 9) on the pure-Python side.

``POST /api/v1/valuations/preview/`` bodies are parsed here into the calculators' frozen inputs
and results are turned into the response shape, so the Django view only has to do::

    try:
        return Response(preview(request.data))
    except CalculationInputError as error:
        return Response({"field": error.field, "message": error.message}, status=400)

Accepted bodies (amounts are decimal strings; integers are accepted, floats are refused)::

    {"method": "cost", "variant": "guidance_2023", "costs": {...}, "delta" | "quality_score" |
     "used_years" + "remaining_years": ...}
    {"method": "cost", "variant": "expert_guideline_9", "total_cost", "return_rate", "alpha",
     "beta", "monopoly", "risk"}
    {"method": "cost", "variant": "deyang", "a", "d", "e", "b", "c"}        (local formula, extra)
    {"method": "income", "variant": "direct" | "royalty" | "excess" | "incremental",
     "discount_rate", "tax_rate", "mid_year", "periods": [...]}
    {"method": "market", "comparables": [{"price", "quality", "supply_demand", "date",
     "capacity", "other", "weight"}, ...]}

Response: ``{"method", "value", "currency": "CNY", "formula", "breakdown"}`` where every Decimal
is a plain-notation string and the breakdown is the result dataclass minus value and formula.

Invariants: unknown keys are refused (a typo must not silently become a default); missing
cost components and market factors default to 0 and 1 respectively, ``tax_rate`` to 0,
``mid_year`` to false, ``monopoly``/``risk`` to 0; every other field is required. Errors name
the field by its path in the body (``periods.2.income``, ``costs.direct``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, TypedDict

from valuation.methods import checks, cost, income, market
from valuation.methods.errors import CalculationInputError
from valuation.methods.money import format_decimal, to_decimal

CURRENCY = "CNY"
METHODS = ("cost", "income", "market")
COST_VARIANTS = ("guidance_2023", "expert_guideline_9", "deyang")
MESSAGE_UNKNOWN_FIELD = "unknown field"

_MISSING = object()


def _object(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise CalculationInputError(path, "must be an object")
    return value


def _path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _only(data: Mapping[str, object], allowed: set[str], prefix: str = "") -> None:
    for key in data:
        if key not in allowed:
            raise CalculationInputError(_path(prefix, str(key)), MESSAGE_UNKNOWN_FIELD)


def _decimal(
    data: Mapping[str, object], key: str, prefix: str = "", default: object = _MISSING
) -> Decimal:
    path = _path(prefix, key)
    value = data.get(key)
    if value is None:
        if default is _MISSING:
            raise CalculationInputError(path, checks.MESSAGE_REQUIRED)
        value = default
    return to_decimal(value, path)


def _optional_decimal(data: Mapping[str, object], key: str) -> Decimal | None:
    value = data.get(key)
    return None if value is None else to_decimal(value, key)


def _list(data: Mapping[str, object], key: str, limit: int, prefix: str = "") -> tuple[Any, ...]:
    path = _path(prefix, key)
    value = data.get(key)
    if value is None:
        raise CalculationInputError(path, checks.MESSAGE_REQUIRED)
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, list | tuple):
        raise CalculationInputError(path, "must be a list")
    return checks.items(value, path, limit)


def _choice(data: Mapping[str, object], key: str, choices: tuple[str, ...]) -> str:
    value = data.get(key)
    if value is None:
        raise CalculationInputError(key, checks.MESSAGE_REQUIRED)
    if value not in choices:
        raise CalculationInputError(key, f"must be one of {', '.join(choices)}")
    return str(value)


# --- Body → input ------------------------------------------------------------------------------


def _cost_input(body: Mapping[str, object], variant: str) -> object:
    head = {"method", "variant"}
    if variant == "guidance_2023":
        _only(body, head | {"costs", "delta", "quality_score", "used_years", "remaining_years"})
        costs = _object(body.get("costs"), "costs") if "costs" in body else None
        if costs is None:
            raise CalculationInputError("costs", checks.MESSAGE_REQUIRED)
        _only(costs, set(cost.COST_COMPONENTS), "costs")
        return cost.Guidance2023Input(
            costs=cost.ReplacementCost(
                **{name: _decimal(costs, name, "costs", default=0) for name in cost.COST_COMPONENTS}
            ),
            delta=_optional_decimal(body, "delta"),
            quality_score=_optional_decimal(body, "quality_score"),
            used_years=_optional_decimal(body, "used_years"),
            remaining_years=_optional_decimal(body, "remaining_years"),
        )
    if variant == "expert_guideline_9":
        fields = ("total_cost", "return_rate", "alpha", "beta")
        _only(body, head | set(fields) | {"monopoly", "risk"})
        return cost.ExpertGuideline9Input(
            **{name: _decimal(body, name) for name in fields},
            monopoly=_decimal(body, "monopoly", default=0),
            risk=_decimal(body, "risk", default=0),
        )
    _only(body, head | set("adebc"))
    return cost.DeyangInput(**{name: _decimal(body, name) for name in "adebc"})


def _income_period(variant: income.IncomeVariant, item: object, path: str) -> income.IncomePeriod:
    data = _object(item, path)
    match variant:
        case income.IncomeVariant.DIRECT:
            _only(data, {"income"}, path)
            return income.DirectPeriod(income=_decimal(data, "income", path))
        case income.IncomeVariant.ROYALTY:
            _only(data, {"revenue", "share_rate"}, path)
            return income.RoyaltyPeriod(
                revenue=_decimal(data, "revenue", path),
                share_rate=_decimal(data, "share_rate", path),
            )
        case income.IncomeVariant.EXCESS:
            _only(data, {"total_benefit", "contributory_charges"}, path)
            charges_path = f"{path}.contributory_charges"
            charges = data.get("contributory_charges", [])
            if isinstance(charges, str | bytes | Mapping) or not isinstance(charges, list | tuple):
                raise CalculationInputError(charges_path, "must be a list")
            if len(charges) > income.MAX_CONTRIBUTORY_CHARGES:
                raise CalculationInputError(
                    charges_path,
                    f"must not have more than {income.MAX_CONTRIBUTORY_CHARGES} items",
                )
            return income.ExcessPeriod(
                total_benefit=_decimal(data, "total_benefit", path),
                contributory_charges=tuple(
                    to_decimal(charge, f"{charges_path}.{k}") for k, charge in enumerate(charges)
                ),
            )
        case income.IncomeVariant.INCREMENTAL:
            _only(data, {"with_asset", "without_asset"}, path)
            return income.IncrementalPeriod(
                with_asset=_decimal(data, "with_asset", path),
                without_asset=_decimal(data, "without_asset", path),
            )
    raise AssertionError("unreachable")  # pragma: no cover


def _income_input(body: Mapping[str, object], variant: str) -> income.IncomeInput:
    _only(body, {"method", "variant", "discount_rate", "tax_rate", "mid_year", "periods"})
    kind = income.IncomeVariant(variant)
    mid_year = body.get("mid_year", False)
    if not isinstance(mid_year, bool):
        raise CalculationInputError("mid_year", "must be true or false")
    periods = _list(body, "periods", income.MAX_PERIODS)
    return income.IncomeInput(
        variant=kind,
        discount_rate=_decimal(body, "discount_rate"),
        tax_rate=_decimal(body, "tax_rate", default=0),
        mid_year=mid_year,
        periods=tuple(_income_period(kind, item, f"periods.{k}") for k, item in enumerate(periods)),
    )


def _market_input(body: Mapping[str, object]) -> market.MarketInput:
    _only(body, {"method", "variant", "comparables"})
    if body.get("variant") is not None:
        raise CalculationInputError("variant", "the market method has no variants")
    comparables = []
    for k, item in enumerate(_list(body, "comparables", market.MAX_COMPARABLES)):
        path = f"comparables.{k}"
        data = _object(item, path)
        _only(data, {"price", "weight", *market.FACTORS}, path)
        comparables.append(
            market.Comparable(
                price=_decimal(data, "price", path),
                **{name: _decimal(data, name, path, default=1) for name in market.FACTORS},
                weight=_decimal(data, "weight", path, default=1),
            )
        )
    return market.MarketInput(comparables=tuple(comparables))


@dataclasses.dataclass(frozen=True, slots=True)
class PreviewRequest:
    method: str
    variant: str | None
    input: object
    calculate: Callable[[Any], Any]


def parse_preview(body: object) -> PreviewRequest:
    """The calculator input and function for a preview body; errors name the body field."""
    data = _object(body, "body")
    method = _choice(data, "method", METHODS)
    if method == "cost":
        variant = _choice(data, "variant", COST_VARIANTS)
        calculators: dict[str, Callable[[Any], Any]] = {
            "guidance_2023": cost.calculate_guidance_2023,
            "expert_guideline_9": cost.calculate_expert_guideline_9,
            "deyang": cost.calculate_deyang,
        }
        return PreviewRequest(method, variant, _cost_input(data, variant), calculators[variant])
    if method == "income":
        variant = _choice(data, "variant", tuple(v.value for v in income.IncomeVariant))
        return PreviewRequest(
            method, variant, _income_input(data, variant), income.calculate_income
        )
    return PreviewRequest(method, None, _market_input(data), market.calculate_market)


# --- Result → response -------------------------------------------------------------------------


def to_jsonable(value: object) -> object:
    """Decimals as plain strings, enums as their values, dates as ISO strings, tuples as lists."""
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    return value


class PreviewResponse(TypedDict):
    method: str
    value: str
    currency: str
    formula: str
    breakdown: dict[str, Any]


def preview_response(method: str, result: Any) -> PreviewResponse:
    """The response body for a calculator result."""
    breakdown = to_jsonable(result)
    assert isinstance(breakdown, dict)
    breakdown.pop("value")
    formula = breakdown.pop("formula")
    return {
        "method": method,
        "value": format_decimal(result.value),
        "currency": CURRENCY,
        "formula": formula,
        "breakdown": breakdown,
    }


def preview(body: object) -> PreviewResponse:
    """Parse, calculate and shape one preview request (raises CalculationInputError)."""
    request = parse_preview(body)
    return preview_response(request.method, request.calculate(request.input))
