"""DRF input fields with the registry's strict grammar (`core.strict`): numbers as decimal strings,
dates as `YYYY-MM-DD`, each with its range, refused with a message naming what is wrong.

DRF's own `DecimalField` and `DateField` are lenient where a bank's system must not be: the
former takes JSON numbers (binary floats), `"1e3"`, `" 1000 "` and `"１０００"`; the latter
`date.fromisoformat`'s extras (`20261231`, week dates) and any year up to 9999. These fields
take only what `core.strict` accepts, and document exactly that in the OpenAPI schema (a
`pattern` whose every string is accepted), so generated requests and clients agree with the
server.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core import strict


class StrictDecimalField(serializers.Field):
    """A decimal string: `-?(0|[1-9][0-9]*)(.[0-9]{1,places})?` (minus only if `negative`), at
    most `integer_digits` digits before the point, within `minimum`..`maximum`. Money by default
    (2 decimals, below 10¹³). Gives a `Decimal`; a JSON number is refused (binary floats carry
    rounding noise; an integer would be accepted by accident of its type)."""

    default_error_messages = {
        "not_a_string": _("Send the amount as a decimal string, not a number."),
        "invalid": "{message}",
        "minimum": "{message}",
        "maximum": "{message}",
    }

    def __init__(
        self,
        *,
        places: int = strict.MONEY_PLACES,
        integer_digits: int = strict.MONEY_INTEGER_DIGITS,
        negative: bool = False,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        **kwargs,
    ):
        self.grammar = strict.DecimalGrammar(
            places=places,
            integer_digits=integer_digits,
            negative=negative,
            minimum=minimum,
            maximum=maximum,
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_a_string")
        try:
            return self.grammar.parse(data)
        except strict.StrictInputError as exc:
            self.fail(
                exc.code if exc.code in self.error_messages else "invalid", message=exc.message
            )

    def to_representation(self, value) -> str:
        return f"{Decimal(value):.{self.grammar.places}f}"


def positive_money(**kwargs) -> StrictDecimalField:
    """An amount of money greater than 0: 0.01 to 9,999,999,999,999.99."""
    kwargs["error_messages"] = {
        "minimum": _("Must be greater than 0."),
        **kwargs.get("error_messages", {}),
    }
    return StrictDecimalField(minimum=Decimal("0.01"), **kwargs)


class StrictDateField(serializers.Field):
    """A day as `YYYY-MM-DD` (ASCII digits, nothing else), a real calendar day between `earliest`
    and `latest` (by default 1949-10-01 and 2100-12-31). Gives a `datetime.date`."""

    default_error_messages = {"invalid": "{message}"}

    def __init__(
        self,
        *,
        earliest: dt.date = strict.EARLIEST_DATE,
        latest: dt.date = strict.LATEST_DATE,
        **kwargs,
    ):
        self.earliest = earliest
        self.latest = latest
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> dt.date:
        try:
            return strict.parse_date(data, earliest=self.earliest, latest=self.latest)
        except strict.StrictInputError as exc:
            self.fail("invalid", message=exc.message)

    def to_representation(self, value) -> str:
        return value.isoformat()


def _positive_fraction(places: int) -> str:
    # 1 to `places` digits, not all zero: k zeros, a non-zero digit, then any digits.
    def tail(k: int) -> str:
        rest = places - k - 1
        return f"[0-9]{{0,{rest}}}" if rest > 1 else ("[0-9]?" if rest == 1 else "")

    return "|".join(f"{'0' * k}[1-9]{tail(k)}" for k in range(places))


def decimal_schema(grammar: strict.DecimalGrammar) -> dict:
    """The OpenAPI schema of a decimal string: a pattern accepting exactly the grammar (and, when
    the minimum is the smallest positive step, no zero), the bounds in the description."""
    step = Decimal(1).scaleb(-grammar.places)
    positive = grammar.minimum == step and not grammar.negative
    if positive and grammar.places:
        whole = f"[1-9][0-9]{{0,{grammar.integer_digits - 1}}}"
        pattern = (
            f"^(?:{whole}(?:\\.[0-9]{{1,{grammar.places}}})?"
            f"|0\\.(?:{_positive_fraction(grammar.places)}))$"
        )
    elif positive:
        pattern = f"^[1-9][0-9]{{0,{grammar.integer_digits - 1}}}$"
    else:
        pattern = grammar.pattern
    low = (
        grammar.minimum
        if grammar.minimum is not None
        else (-grammar.largest if grammar.negative else Decimal(0))
    )
    high = grammar.maximum if grammar.maximum is not None else grammar.largest
    return {
        "type": "string",
        "pattern": pattern,
        "maxLength": grammar.integer_digits + grammar.places + 2,
        "description": (
            f"A decimal string, {low:f} to {high:f}, at most {grammar.places} decimals: ASCII "
            "digits and a point, no spaces, exponent, separators or leading zeros."
        ),
        "example": f"{max(low, min(high, Decimal(1000))):.{grammar.places}f}",
    }


class StrictDecimalFieldExtension(OpenApiSerializerFieldExtension):
    target_class = StrictDecimalField

    def map_serializer_field(self, auto_schema, direction):
        return decimal_schema(self.target.grammar)


class StrictDateFieldExtension(OpenApiSerializerFieldExtension):
    target_class = StrictDateField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        # A pattern rather than `format: date`: OpenAPI cannot bound a date, and generators
        # (schemathesis) would send years 0001 to 9999. Every string the pattern matches is a
        # day the field accepts.
        return {
            "type": "string",
            "pattern": strict.date_pattern(field.earliest, field.latest),
            "maxLength": 10,
            "description": (
                f"A day, YYYY-MM-DD, from {field.earliest.isoformat()} to "
                f"{field.latest.isoformat()}."
            ),
            "example": "2027-06-30",
        }
