"""core.strict: the one grammar for numbers and dates at the boundaries (issue 11, "lenient
amounts"). Pure: no database."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.fields import decimal_schema
from core import strict
from core.strict import DecimalGrammar, StrictInputError, parse_date, parse_decimal, parse_money

MONEY_GRAMMAR = re.compile(r"(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000", Decimal("1000")),
        ("1000.5", Decimal("1000.5")),
        ("1250.50", Decimal("1250.50")),
        ("0", Decimal("0")),
        ("0.01", Decimal("0.01")),
        ("9999999999999.99", Decimal("9999999999999.99")),
    ],
)
def test_money_accepts_plain_decimal_strings(text, expected):
    # when
    value = parse_money(text)
    # then: the same number, with the same digits
    assert value == expected
    assert str(value) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e3", strict.MESSAGE_NOT_A_DECIMAL),
        ("1E3", strict.MESSAGE_NOT_A_DECIMAL),
        (" 1000 ", strict.MESSAGE_NOT_A_DECIMAL),
        ("1000\n", strict.MESSAGE_NOT_A_DECIMAL),
        ("１０００", strict.MESSAGE_NOT_A_DECIMAL),  # full-width digits
        ("١٠٠٠", strict.MESSAGE_NOT_A_DECIMAL),  # Arabic-Indic digits
        ("1_000", strict.MESSAGE_NOT_A_DECIMAL),
        ("1,000", strict.MESSAGE_NOT_A_DECIMAL),
        ("+1000", strict.MESSAGE_NOT_A_DECIMAL),
        (".5", strict.MESSAGE_NOT_A_DECIMAL),
        ("5.", strict.MESSAGE_NOT_A_DECIMAL),
        ("", strict.MESSAGE_NOT_A_DECIMAL),
        ("NaN", strict.MESSAGE_NOT_A_DECIMAL),
        ("Infinity", strict.MESSAGE_NOT_A_DECIMAL),
        ("0x10", strict.MESSAGE_NOT_A_DECIMAL),
        ("007", "No leading zeros."),
        ("-5", strict.MESSAGE_NEGATIVE),
        ("1.005", "At most 2 decimal places."),
        ("99999999999999999.99", "At most 13 digits before the point (up to 9999999999999.99)."),
        ("10000000000000", "At most 13 digits before the point (up to 9999999999999.99)."),
        ("9" * 10_000, "At most 13 digits before the point (up to 9999999999999.99)."),
    ],
)
def test_money_refuses_everything_else_with_a_reason(text, message):
    # when
    with pytest.raises(StrictInputError) as refused:
        parse_money(text)
    # then
    assert refused.value.message == message


@pytest.mark.parametrize("value", [1000, 1000.0, True, None, Decimal("1000"), b"1000"])
def test_only_strings_are_parsed(value):
    with pytest.raises(StrictInputError):
        parse_money(value)


def test_a_field_may_allow_a_sign_more_places_and_bounds():
    # given a rate: -1 to 1, up to 6 places
    rate = DecimalGrammar(
        places=6, integer_digits=1, negative=True, minimum=Decimal(-1), maximum=Decimal(1)
    )
    # then
    assert rate.parse("-0.125") == Decimal("-0.125")
    assert rate.parse("1") == Decimal(1)
    with pytest.raises(StrictInputError, match=r"^Must be at most 1\.$"):
        rate.parse("1.000001")
    with pytest.raises(StrictInputError, match=r"^Must be at least -1\.$"):
        rate.parse("-1.5")
    with pytest.raises(StrictInputError, match=r"^Must be a whole number\.$"):
        parse_decimal("1.5", places=0)


@given(st.text(max_size=24))
def test_anything_accepted_matches_the_grammar_and_round_trips(text):
    try:
        value = parse_money(text)
    except StrictInputError:
        assert not MONEY_GRAMMAR.fullmatch(text)
        return
    assert MONEY_GRAMMAR.fullmatch(text)
    assert value == Decimal(text)
    assert str(value) == text  # no exponent form, no digit lost or added
    assert Decimal(0) <= value <= strict.MONEY_MAX


@given(st.decimals(min_value=Decimal(0), max_value=strict.MONEY_MAX, places=2, allow_nan=False))
def test_every_amount_in_range_written_plainly_is_accepted(amount):
    text = f"{amount:f}"
    assert parse_money(text) == amount


@given(st.from_regex(decimal_schema(strict.MONEY)["pattern"]))
def test_the_documented_pattern_only_matches_accepted_strings(text):
    # OpenAPI's pattern (what generated clients and schemathesis send) is accepted as sent
    assert parse_money(text.rstrip("\n")) == Decimal(text)


@given(st.from_regex(decimal_schema(DecimalGrammar(minimum=Decimal("0.01")))["pattern"]))
def test_the_positive_money_pattern_matches_no_zero(text):
    assert parse_money(text.rstrip("\n")) > 0


# --- dates -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9999-12-31", "Must be between 1949-10-01 and 2100-12-31."),
        ("2101-01-01", "Must be between 1949-10-01 and 2100-12-31."),
        ("1949-09-30", "Must be between 1949-10-01 and 2100-12-31."),
        ("0001-01-01", "Must be between 1949-10-01 and 2100-12-31."),
        ("2026-02-29", strict.MESSAGE_NO_SUCH_DAY),
        ("2026-13-01", strict.MESSAGE_NO_SUCH_DAY),
        ("2026-00-10", strict.MESSAGE_NO_SUCH_DAY),
        ("20261231", strict.MESSAGE_NOT_A_DATE),
        ("2026-W53-4", strict.MESSAGE_NOT_A_DATE),
        ("2026-12-31T00:00", strict.MESSAGE_NOT_A_DATE),
        (" 2026-12-31", strict.MESSAGE_NOT_A_DATE),
        ("2026-12-31\n", strict.MESSAGE_NOT_A_DATE),
        ("２０２６-１２-３１", strict.MESSAGE_NOT_A_DATE),
        ("2026-1-1", strict.MESSAGE_NOT_A_DATE),
        ("+2026-12-31", strict.MESSAGE_NOT_A_DATE),
        ("", strict.MESSAGE_NOT_A_DATE),
    ],
)
def test_dates_outside_the_grammar_or_range_are_refused(text, message):
    with pytest.raises(StrictInputError) as refused:
        parse_date(text)
    assert refused.value.message == message


def test_dates_inside_the_range_are_accepted():
    assert parse_date("1949-10-01") == dt.date(1949, 10, 1)
    assert parse_date("2028-02-29") == dt.date(2028, 2, 29)
    assert parse_date("2100-12-31") == dt.date(2100, 12, 31)
    assert parse_date("2027-06-30", latest=dt.date(2027, 6, 30)) == dt.date(2027, 6, 30)
    with pytest.raises(StrictInputError):
        parse_date("2027-07-01", latest=dt.date(2027, 6, 30))


@given(st.dates(min_value=strict.EARLIEST_DATE, max_value=strict.LATEST_DATE))
def test_every_day_in_range_round_trips(day):
    assert parse_date(day.isoformat()) == day


@given(st.dates())
def test_the_date_pattern_matches_exactly_the_whole_years_in_range(day):
    pattern = re.compile(strict.date_pattern())
    assert bool(pattern.match(day.isoformat())) == (1950 <= day.year <= 2100)


@given(st.from_regex(strict.date_pattern()))
def test_every_string_of_the_date_pattern_is_accepted(text):
    parse_date(text.rstrip("\n"))
