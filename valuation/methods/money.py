"""Decimal plumbing shared by every calculator: parsing, the calculation context, money rounding.

Invariants and how they are kept:

* **No binary floats.** :func:`to_decimal` is the only way a raw value becomes a number here. It
  accepts ``str``, ``int`` and ``Decimal``; it refuses ``float`` (``0.1`` is really
  0.1000000000000000055511151231257827…), ``bool`` (a JSON ``true`` is not 1), NaN and
  infinities, strings that are not plain ASCII decimal numbers (``"1_000"``, ``"0x10"``,
  Arabic-Indic digits) and values with more digits than money storage or a rate can
  meaningfully hold (:data:`MAX_INTEGER_DIGITS` before the point, :data:`MAX_DECIMAL_PLACES`
  after it) — the "float precision tricks" of domain.md section 9, such as a float's exact
  expansion sent as a string.
* **Intermediates are not rounded** to cents: calculators run inside :func:`calculation_context`
  (:data:`CALCULATION_PRECISION` significant digits, independent of whatever the caller's thread
  context says) and only the final money value goes through :func:`quantize_money`.
* **One rounding rule for money**: :func:`quantize_money`, ROUND_HALF_UP to 0.01 CNY
  (domain.md section 8: "results rounded half-up to 0.01"). ``-0.00`` is returned as ``0.00``.
  Weighted means and sums (market, reconciliation, quality) are kept as exact fractions and
  rounded from the exact value (:func:`round_half_up`), so their last digit cannot drift.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from fractions import Fraction

from valuation.methods.errors import CalculationInputError

#: Significant digits for intermediate results (IEEE decimal128's 34; the default context has 28).
CALCULATION_PRECISION = 34
#: Money is stored as DecimalField(max_digits=20, decimal_places=2): at most 18 integer digits.
MAX_INTEGER_DIGITS = 18
#: Rates and coefficients need a few decimals; a dozen is far beyond any real input.
MAX_DECIMAL_PLACES = 12
#: The cent.
MONEY_QUANTUM = Decimal("0.01")

# One grammar for numbers at every boundary of the registry: ASCII digits, an optional minus, a
# decimal point with digits after it; no spaces, plus sign, exponent, separators, leading zeros
# or other scripts' digits (a bank's "1e3" or "１０００" is refused, not read as 1000).
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?", re.ASCII)

MESSAGE_FLOAT = (
    'must be given as a decimal string such as "0.1", not as a binary float '
    "(floats carry rounding noise)"
)
MESSAGE_BOOL = "must be a number, not true/false"
MESSAGE_NOT_FINITE = "must be a finite number"
MESSAGE_NOT_A_NUMBER = 'must be a decimal number such as "12.50"'
MESSAGE_TOO_MANY_PLACES = f"must not have more than {MAX_DECIMAL_PLACES} digits after the point"
MESSAGE_TOO_LARGE = f"must not have more than {MAX_INTEGER_DIGITS} digits before the point"


def _new_context() -> Context:
    return Context(
        prec=CALCULATION_PRECISION,
        rounding=ROUND_HALF_EVEN,
        Emin=-999_999,
        Emax=999_999,
        capitals=1,
        clamp=0,
        flags=[],
        traps=[InvalidOperation, DivisionByZero, Overflow],
    )


def calculation_context() -> AbstractContextManager[Context]:
    """A fresh decimal context for calculating, whatever the caller's context is."""
    return localcontext(_new_context())


def in_calculation_context[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` inside :func:`calculation_context`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with calculation_context():
            return func(*args, **kwargs)

    return wrapper


def to_decimal(value: object, field: str) -> Decimal:
    """``value`` as a finite Decimal, or :class:`CalculationInputError` naming ``field``.

    Accepts ``str`` in the plain grammar (``"-12.50"``; no whitespace, ``+``, exponent or leading
    zeros), ``int`` and ``Decimal``; ``-0`` becomes ``0``.
    """
    if isinstance(value, bool):  # before int: bool is a subclass of int
        raise CalculationInputError(field, MESSAGE_BOOL)
    if isinstance(value, float):
        raise CalculationInputError(field, MESSAGE_FLOAT)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value
        if not _PLAIN_NUMBER.fullmatch(text):
            if text.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
                raise CalculationInputError(field, MESSAGE_NOT_FINITE)
            raise CalculationInputError(field, MESSAGE_NOT_A_NUMBER)
        number = Decimal(text)
    else:
        raise CalculationInputError(
            field,
            f"must be a decimal string, an integer or a Decimal, not {type(value).__name__}",
        )
    if not number.is_finite():
        raise CalculationInputError(field, MESSAGE_NOT_FINITE)
    if not number.is_zero() and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise CalculationInputError(field, MESSAGE_TOO_LARGE)
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite numbers have an integer exponent
    # Only an exponent below -12 can mean too many places (trailing zeros may still excuse it);
    # the common case skips the digit scan, which dominates batch valuation otherwise.
    if exponent < -MAX_DECIMAL_PLACES:
        trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
        if -(exponent + trailing_zeros) > MAX_DECIMAL_PLACES:
            raise CalculationInputError(field, MESSAGE_TOO_MANY_PLACES)
    if exponent > 0:
        with calculation_context():
            number = number.quantize(Decimal(1))
    return number.copy_abs() if number.is_zero() else number


def round_half_up(value: Decimal | Fraction, quantum: Decimal) -> Decimal:
    """``value`` rounded half away from zero to ``quantum``, a power of ten such as 0.01.

    An exact :class:`~fractions.Fraction` is rounded directly, never via a 34-digit Decimal, so
    an exact 89.995 cannot first become 89.99499… or 89.99500…1. ``-0`` comes back as ``0``.
    """
    if isinstance(value, Fraction):
        steps = abs(value) / Fraction(quantum)
        magnitude = math.floor(steps + Fraction(1, 2))
        exponent = quantum.as_tuple().exponent
        assert isinstance(exponent, int)
        rounded = Decimal(-magnitude if value < 0 else magnitude).scaleb(exponent)
    else:
        with calculation_context() as context:
            rounded = value.quantize(quantum, rounding=ROUND_HALF_UP, context=context)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def quantize_money(value: Decimal | Fraction) -> Decimal:
    """``value`` rounded half-up to the cent: the one rounding rule for money results."""
    return round_half_up(value, MONEY_QUANTUM)


def decimal_from_fraction(exact: Fraction) -> Decimal:
    """An exact rational as a Decimal, correctly rounded once to :data:`CALCULATION_PRECISION`.

    Calculators whose intermediates are rational (means, weighted sums) keep them as fractions
    and use this only to report them.
    """
    with calculation_context():
        return Decimal(exact.numerator) / Decimal(exact.denominator)


def format_decimal(value: Decimal) -> str:
    """``value`` in plain notation (never ``1E+2``), keeping its digits: for API payloads."""
    return format(value, "f")


def show_decimal(value: Decimal) -> str:
    """``value`` in plain notation without trailing zeros (``131.3250000`` → ``131.325``).

    For the human-readable formulas only; payloads keep every digit via :func:`format_decimal`.
    """
    with calculation_context():
        return format(value.normalize(), "f")
