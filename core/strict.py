"""Strict parsing of the numbers and dates that cross a boundary (API bodies, query parameters,
forms): one grammar, no leniency, no settings.

Python's `Decimal()` and `date.fromisoformat()` are generous: `Decimal(" 1e3 ")`,
`Decimal("1_000")` and `Decimal("１０００")` (full-width digits) are all 1000, and
`date.fromisoformat` takes `20261231`, `2026-W53-4` and `9999-12-31`. A registry that files what a
bank sent must not guess what a string meant, so every boundary parses with this module:

- **decimal**: `-?(0|[1-9][0-9]*)(\\.[0-9]{1,P})?` in ASCII, nothing around it: no spaces, sign
  `+`, exponent, separators (`_`, `,`), other digits (full-width, Arabic-Indic), NaN or infinity;
  a minus only where the field allows negatives; at most P decimals (2 for money), at most D
  digits before the point, and optionally a bound below and above. The result is the `Decimal`
  of the text, exactly (no rounding, `str()` of it gives the text back, `-0` aside).
- **date**: `YYYY-MM-DD` in ASCII (four-digit year, two-digit month and day), a real calendar
  day, between a first and last day: by default :data:`EARLIEST_DATE` (1949-10-01) and
  :data:`LATEST_DATE` (2100-12-31); fields may narrow the range.

Pure: the standard library only (no Django), so forms, serializers, filters and the valuation
payload can share it. Errors are :class:`StrictInputError` with a message for people.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

#: The cent: money has at most 2 decimals.
MONEY_PLACES = 2
#: Money: at most 13 digits before the point, i.e. below 10 trillion CNY (10¹³). The largest
#: loans in China are a few hundred billion; the database column (20, 2) would take 18 digits,
#: but an amount that large is a typo or a probe, not a pledge.
MONEY_INTEGER_DIGITS = 13
MONEY_MAX = Decimal(10) ** MONEY_INTEGER_DIGITS - Decimal("0.01")

#: The People's Republic's founding day: no registered right, debt or record predates it.
EARLIEST_DATE = dt.date(1949, 10, 1)
#: Far enough for any debt term, registration period or validity; 9999-12-31 is not a date
#: anyone means.
LATEST_DATE = dt.date(2100, 12, 31)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

MESSAGE_NOT_A_DECIMAL = 'Not a decimal number: use digits 0-9 and a point, such as "1250.50".'
MESSAGE_NEGATIVE = "Must not be negative."
MESSAGE_NOT_A_DATE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
MESSAGE_NO_SUCH_DAY = "Not a day of the calendar."


class StrictInputError(ValueError):
    """A number or date that does not follow the grammar or lies outside its range."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # "invalid", or "minimum" / "maximum" / "range" for a bound


def _plain(value: Decimal) -> str:
    return f"{value:f}"


@dataclasses.dataclass(frozen=True)
class DecimalGrammar:
    """The grammar of one field's numbers: decimals allowed, digits before the point, whether a
    minus is allowed, and optional inclusive bounds (checked after the grammar)."""

    places: int = MONEY_PLACES
    integer_digits: int = MONEY_INTEGER_DIGITS
    negative: bool = False
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    def __post_init__(self) -> None:
        if self.places < 0 or self.integer_digits < 1:
            raise ValueError("places must be 0 or more and integer_digits 1 or more")

    @property
    def regex(self) -> re.Pattern[str]:
        return _decimal_regex(self.places, self.integer_digits, self.negative)

    @property
    def pattern(self) -> str:
        """The grammar as an anchored regular expression (for OpenAPI's `pattern`)."""
        return f"^{self.regex.pattern}$"

    @property
    def largest(self) -> Decimal:
        """The largest value the digits allow (999…9.99)."""
        return Decimal(10) ** self.integer_digits - Decimal(1).scaleb(-self.places)

    def parse(self, text: object) -> Decimal:
        """`text` as a Decimal, or :class:`StrictInputError`."""
        if not isinstance(text, str):
            raise StrictInputError(MESSAGE_NOT_A_DECIMAL)
        # Length first: a megabyte of digits never reaches the regex or Decimal.
        if len(text) > self.integer_digits + self.places + 2 or not self.regex.fullmatch(text):
            raise StrictInputError(self._grammar_message(text))
        value = Decimal(text)
        if self.minimum is not None and value < self.minimum:
            raise StrictInputError(f"Must be at least {_plain(self.minimum)}.", "minimum")
        if self.maximum is not None and value > self.maximum:
            raise StrictInputError(f"Must be at most {_plain(self.maximum)}.", "maximum")
        return value

    def _grammar_message(self, text: str) -> str:
        """The most helpful reason a string is refused."""
        body = text[1:] if text.startswith("-") and self.negative else text
        whole, point, fraction = body.partition(".")
        plain_digits = re.compile(r"(0|[1-9][0-9]*)")
        if (
            text.startswith("-")
            and not self.negative
            and _decimal_regex(self.places, self.integer_digits, True).fullmatch(text)
        ):
            return MESSAGE_NEGATIVE
        if re.fullmatch(r"0[0-9]+", whole):
            return "No leading zeros."
        if plain_digits.fullmatch(whole) and (
            not point or re.fullmatch(r"[0-9]+", fraction) is not None
        ):
            if len(whole) > self.integer_digits:
                return (
                    f"At most {self.integer_digits} digits before the point "
                    f"(up to {_plain(self.largest)})."
                )
            if len(fraction) > self.places:
                return (
                    f"At most {self.places} decimal places."
                    if self.places
                    else "Must be a whole number."
                )
        return MESSAGE_NOT_A_DECIMAL


def _decimal_regex(places: int, integer_digits: int, negative: bool) -> re.Pattern[str]:
    sign = "-?" if negative else ""
    whole = f"(?:0|[1-9][0-9]{{0,{integer_digits - 1}}})"
    fraction = f"(?:\\.[0-9]{{1,{places}}})?" if places else ""
    # [0-9], not \d: \d matches every Unicode decimal digit (full-width, Arabic-Indic...).
    return re.compile(f"{sign}{whole}{fraction}")


MONEY = DecimalGrammar()


def parse_decimal(
    text: object,
    *,
    places: int = MONEY_PLACES,
    integer_digits: int = MONEY_INTEGER_DIGITS,
    negative: bool = False,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
) -> Decimal:
    """`text` (a str) as a Decimal under the strict grammar; :class:`StrictInputError`
    otherwise. Defaults: money (2 decimals, 13 digits before the point, no minus)."""
    return DecimalGrammar(
        places=places,
        integer_digits=integer_digits,
        negative=negative,
        minimum=minimum,
        maximum=maximum,
    ).parse(text)


def parse_money(text: object) -> Decimal:
    """An amount of money: 0 to :data:`MONEY_MAX`, at most 2 decimals."""
    return MONEY.parse(text)


def check_date_range(
    day: dt.date, *, earliest: dt.date = EARLIEST_DATE, latest: dt.date = LATEST_DATE
) -> dt.date:
    if not earliest <= day <= latest:
        raise StrictInputError(f"Must be between {earliest.isoformat()} and {latest.isoformat()}.")
    return day


def parse_date(
    text: object, *, earliest: dt.date = EARLIEST_DATE, latest: dt.date = LATEST_DATE
) -> dt.date:
    """`text` ("YYYY-MM-DD", ASCII) as a date between `earliest` and `latest` (inclusive);
    :class:`StrictInputError` otherwise."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        raise StrictInputError(MESSAGE_NOT_A_DATE)
    try:
        day = dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        raise StrictInputError(MESSAGE_NO_SUCH_DAY) from None
    return check_date_range(day, earliest=earliest, latest=latest)


def date_pattern(earliest: dt.date = EARLIEST_DATE, latest: dt.date = LATEST_DATE) -> str:
    """An anchored regular expression matching exactly the calendar days of the whole years
    from `earliest.year + 1` (or `earliest.year` when it starts on 1 January) to `latest.year`
    (when it ends on 31 December, else the year before): a subset of what `parse_date`
    accepts, every string of which it accepts (OpenAPI's `pattern`, so generated examples are
    valid)."""
    first = earliest.year if (earliest.month, earliest.day) == (1, 1) else earliest.year + 1
    last = latest.year if (latest.month, latest.day) == (12, 31) else latest.year - 1
    years = range(first, last + 1)
    leap = [y for y in years if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)]
    any_year = "|".join(str(y) for y in years)
    days = (
        "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
        "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
        "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    )
    alternatives = [f"(?:{any_year})-{days}"]
    if leap:
        alternatives.append(f"(?:{'|'.join(str(y) for y in leap)})-02-29")
    return f"^(?:{'|'.join(alternatives)})$"
