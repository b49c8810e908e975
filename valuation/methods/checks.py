"""Range checks shared by the calculators, each raising :class:`CalculationInputError`.

Every check takes the raw value and the dotted field path, converts with
:func:`~valuation.methods.money.to_decimal` (so a float smuggled into an input dataclass is refused
too) and returns the Decimal. The messages are module constants so an API or a UI can rely on
them; tests assert them literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from valuation.methods.errors import CalculationInputError
from valuation.methods.money import to_decimal

MESSAGE_NEGATIVE = "must not be negative"
MESSAGE_NOT_POSITIVE = "must be greater than 0"
MESSAGE_FRACTION_OPEN = "must be a fraction strictly between 0 and 1 (e.g. 0.12 for 12%)"
MESSAGE_FRACTION_CLOSED = "must be a fraction from 0 to 1 (e.g. 0.05 for 5%)"
MESSAGE_FRACTION_BELOW_ONE = (
    "must be a fraction from 0 up to but not including 1 (e.g. 0.25 for 25%)"
)
MESSAGE_EMPTY = "must not be empty"
MESSAGE_REQUIRED = "this field is required"

ZERO = Decimal(0)
ONE = Decimal(1)


def non_negative(value: object, field: str) -> Decimal:
    """``value >= 0`` (costs, amounts, counts)."""
    number = to_decimal(value, field)
    if number < ZERO:
        raise CalculationInputError(field, MESSAGE_NEGATIVE)
    return number


def positive(value: object, field: str) -> Decimal:
    """``value > 0`` (adjustment factors, market weights, denominators)."""
    number = to_decimal(value, field)
    if number <= ZERO:
        raise CalculationInputError(field, MESSAGE_NOT_POSITIVE)
    return number


def fraction_open(value: object, field: str) -> Decimal:
    """``0 < value < 1`` (the discount rate)."""
    number = to_decimal(value, field)
    if not ZERO < number < ONE:
        raise CalculationInputError(field, MESSAGE_FRACTION_OPEN)
    return number


def fraction_closed(value: object, field: str) -> Decimal:
    """``0 <= value <= 1`` (share rate, quality and circulation coefficients, δ)."""
    number = to_decimal(value, field)
    if not ZERO <= number <= ONE:
        raise CalculationInputError(field, MESSAGE_FRACTION_CLOSED)
    return number


def fraction_below_one(value: object, field: str) -> Decimal:
    """``0 <= value < 1`` (tax rate, risk coefficient, cost return rate)."""
    number = to_decimal(value, field)
    if not ZERO <= number < ONE:
        raise CalculationInputError(field, MESSAGE_FRACTION_BELOW_ONE)
    return number


def between(value: object, field: str, low: Decimal, high: Decimal) -> Decimal:
    """``low <= value <= high``."""
    number = to_decimal(value, field)
    if not low <= number <= high:
        raise CalculationInputError(field, f"must be between {low} and {high}")
    return number


def at_most_places(number: Decimal, field: str, places: int) -> Decimal:
    """``number`` has no more than ``places`` digits after the point (after dropping zeros)."""
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise CalculationInputError(
            field, f"must not have more than {places} digits after the point"
        )
    return number


def whole_number(value: object, field: str, low: int, high: int) -> int:
    """An ``int`` (not a bool, not a Decimal) with ``low <= value <= high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise CalculationInputError(field, "must be a whole number")
    if not low <= value <= high:
        raise CalculationInputError(field, f"must be between {low} and {high}")
    return value


def items[T](value: Sequence[T], field: str, limit: int) -> tuple[T, ...]:
    """A non-empty sequence of at most ``limit`` items, as a tuple."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise CalculationInputError(field, "must be a list")
    if not value:
        raise CalculationInputError(field, MESSAGE_EMPTY)
    if len(value) > limit:
        raise CalculationInputError(field, f"must not have more than {limit} items")
    return tuple(value)
