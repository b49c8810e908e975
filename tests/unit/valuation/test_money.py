"""to_decimal, quantize_money and the error type."""

import pickle
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

import pytest

from valuation.methods.errors import CalculationInputError
from valuation.methods.money import (
    decimal_from_fraction,
    format_decimal,
    quantize_money,
    round_half_up,
    show_decimal,
    to_decimal,
)

FLOAT_MESSAGE = (
    'must be given as a decimal string such as "0.1", not as a binary float '
    "(floats carry rounding noise)"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", "12.50"),
        ("0.5", "0.5"),
        (7, "7"),
        (Decimal("0.125"), "0.125"),
        (Decimal("1E+3"), "1000"),  # exponent notation is expanded, never printed as 1E+3
        ("-0", "0"),  # no negative zero
        ("-0.00", "0.00"),
        ("1.50000000000000000000", "1.50000000000000000000"),  # trailing zeros are not places
        ("999999999999999999", "999999999999999999"),  # 18 integer digits: the storage limit
    ],
)
def test_to_decimal_accepts_plain_numbers(raw, expected):
    # given a string, int or Decimal
    # when
    number = to_decimal(raw, "costs.direct")
    # then it is the same number, written plainly
    assert isinstance(number, Decimal)
    assert format_decimal(number) == expected
    assert not number.is_signed()


@pytest.mark.parametrize(
    "raw", ["  3.5 ", "+7", ".5", "5.", "1e3", "1E3", "1_000", "1,000", "007", "１０００", "٣", ""]
)
def test_to_decimal_refuses_anything_but_the_plain_grammar(raw):
    # given a string a lenient parser would read as a number
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal(raw, "costs.direct")
    # then it is refused, naming the field
    assert refused.value.field == "costs.direct"


def test_to_decimal_refuses_floats():
    # given 0.1 as a binary float (really 0.1000000000000000055511151231257827…)
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal(0.1, "discount_rate")
    # then
    assert (refused.value.field, refused.value.message) == ("discount_rate", FLOAT_MESSAGE)


def test_to_decimal_refuses_booleans():
    # given JSON true, which Python would treat as 1
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal(True, "periods.0.income")
    # then
    assert (refused.value.field, refused.value.message) == (
        "periods.0.income",
        "must be a number, not true/false",
    )


@pytest.mark.parametrize(
    "raw", ["NaN", "nan", "sNaN", "Infinity", "-inf", "+Inf", Decimal("NaN"), Decimal("-Infinity")]
)
def test_to_decimal_refuses_non_finite_values(raw):
    # given
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal(raw, "delta")
    # then
    assert (refused.value.field, refused.value.message) == ("delta", "must be a finite number")


@pytest.mark.parametrize("raw", ["", " ", "abc", "1_000", "0x10", "1,000", "١٢", "12..5", "1e"])
def test_to_decimal_refuses_non_numeric_strings(raw):
    # given text that is not a plain ASCII decimal number (Decimal() itself would take "1_000")
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal(raw, "comparables.0.price")
    # then
    assert (refused.value.field, refused.value.message) == (
        "comparables.0.price",
        'must be a decimal number such as "12.50"',
    )


@pytest.mark.parametrize(
    ("raw", "type_name"), [(None, "NoneType"), ([1], "list"), ({"v": 1}, "dict")]
)
def test_to_decimal_refuses_other_types(raw, type_name):
    # given
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal(raw, "total_cost")
    # then
    assert (refused.value.field, refused.value.message) == (
        "total_cost",
        f"must be a decimal string, an integer or a Decimal, not {type_name}",
    )


def test_to_decimal_refuses_a_floats_exact_expansion():
    # given the exact binary value of 0.1 sent as a string: 55 digits after the point
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal("0.1000000000000000055511151231257827021181583404541015625", "tax_rate")
    # then
    assert (refused.value.field, refused.value.message) == (
        "tax_rate",
        "must not have more than 12 digits after the point",
    )


@pytest.mark.parametrize(
    "raw", ["1000000000000000000", 10**18, "-100000000000000000000", Decimal("1E18")]
)
def test_to_decimal_refuses_numbers_beyond_money_storage(raw):
    # given 19 or more integer digits (storage is max_digits=20, decimal_places=2)
    # when
    with pytest.raises(CalculationInputError) as refused:
        to_decimal(raw, "costs.direct")
    # then
    assert (refused.value.field, refused.value.message) == (
        "costs.direct",
        "must not have more than 18 digits before the point",
    )


@pytest.mark.parametrize(
    ("unrounded", "expected"),
    [
        ("2.665", "2.67"),  # half-up; banker's rounding would give 2.66
        ("-2.665", "-2.67"),
        ("131.325", "131.33"),
        ("2.664999", "2.66"),
        ("7", "7.00"),
        ("-0.001", "0.00"),  # no "-0.00"
    ],
)
def test_quantize_money_rounds_half_up_to_the_cent(unrounded, expected):
    # given
    # when
    rounded = quantize_money(Decimal(unrounded))
    # then
    assert str(rounded) == expected


@pytest.mark.parametrize(
    ("exact", "expected"),
    [
        (Fraction(200, 3), "66.67"),  # 66.666…
        (Fraction(1, 200), "0.01"),  # exactly 0.005: half-up
        (Fraction(-533, 200), "-2.67"),  # exactly −2.665: half away from zero
        (Fraction(-1, 1000), "0.00"),  # no "-0.00"
        (Fraction(17999, 200), "90.00"),  # exactly 89.995
    ],
)
def test_quantize_money_rounds_exact_fractions_without_double_rounding(exact, expected):
    # given an exact rational (a weighted mean)
    # when
    rounded = quantize_money(exact)
    # then
    assert str(rounded) == expected


def test_round_half_up_to_another_power_of_ten():
    # given
    # when / then 89.995 → 90.0 to one place; 12.34 → 12 to whole units
    assert str(round_half_up(Fraction(17999, 200), Decimal("0.1"))) == "90.0"
    assert str(round_half_up(Decimal("12.34"), Decimal("1"))) == "12"


def test_decimal_from_fraction_rounds_once_to_34_digits():
    # given 2/3
    # when
    number = decimal_from_fraction(Fraction(2, 3))
    # then 34 significant digits, the last rounded up
    assert number == Decimal("0.6666666666666666666666666666666667")


def test_quantize_money_ignores_the_callers_decimal_context():
    # given a caller that left a 3-digit, round-down context active
    with localcontext() as context:
        context.prec = 3
        context.rounding = ROUND_DOWN
        # when
        rounded = quantize_money(Decimal("12345.675"))
    # then
    assert str(rounded) == "12345.68"


def test_show_decimal_drops_trailing_zeros_without_exponents():
    # given
    # when / then
    assert show_decimal(Decimal("131.3250000")) == "131.325"
    assert show_decimal(Decimal("1E+2")) == "100"
    assert format_decimal(Decimal("1E+2")) == "100"


def test_calculation_input_error_carries_field_and_message_and_pickles():
    # given
    error = CalculationInputError("periods.2.income", "must not be negative")
    # when
    copy = pickle.loads(pickle.dumps(error))
    # then
    assert str(error) == "periods.2.income: must not be negative"
    assert (copy.field, copy.message) == ("periods.2.income", "must not be negative")
    assert isinstance(error, ValueError)
