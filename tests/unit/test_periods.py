"""Validity arithmetic (domain.md section 3): three years from the registration day inclusive,
never beyond the end of the source licence. Pure functions, no database."""

import datetime as dt

import pytest

from registry.periods import anniversary, validity_end

D = dt.date


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2026, 3, 15), D(2029, 3, 14)),
        (D(2026, 6, 9), D(2029, 6, 8)),
        (D(2026, 1, 1), D(2028, 12, 31)),
        (D(2027, 3, 1), D(2030, 2, 28)),
        (D(2029, 3, 1), D(2032, 2, 29)),  # the day before 1 March 2032 is a leap day
    ],
)
def test_validity_is_three_years_minus_one_day(start, end):
    # given a registration day  # when
    result = validity_end(start, years=3, licence_end=None)
    # then
    assert result == end


def test_validity_from_29_february():
    # given a registration on 29 February 2028
    start = D(2028, 2, 29)
    # when
    result = validity_end(start, years=3, licence_end=None)
    # then: 2031 has no 29 February, so the anniversary is 1 March and the inclusive period
    # ends the day before it, on 28 February (as for a trademark registered on a leap day).
    assert result == D(2031, 2, 28)


def test_validity_from_29_february_over_four_years_reaches_the_next_leap_day():
    # given / when
    result = validity_end(D(2028, 2, 29), years=4, licence_end=None)
    # then
    assert result == D(2032, 2, 28)


@pytest.mark.parametrize(
    ("licence_end", "end"),
    [
        (D(2027, 12, 31), D(2027, 12, 31)),  # licence ends first: it caps the validity
        (D(2029, 6, 8), D(2029, 6, 8)),  # same day
        (D(2029, 6, 9), D(2029, 6, 8)),  # licence outlives the term: no effect
        (D(2035, 1, 1), D(2029, 6, 8)),
        (None, D(2029, 6, 8)),
    ],
)
def test_validity_is_capped_by_the_source_licence(licence_end, end):
    # given a registration on 9 June 2026  # when
    result = validity_end(D(2026, 6, 9), years=3, licence_end=licence_end)
    # then
    assert result == end


def test_validity_uses_the_given_number_of_years():
    # given / when / then
    assert validity_end(D(2026, 6, 9), years=5, licence_end=None) == D(2031, 6, 8)


@pytest.mark.parametrize(
    ("day", "years", "result"),
    [
        (D(2026, 3, 15), 3, D(2029, 3, 15)),
        (D(2026, 12, 31), 1, D(2027, 12, 31)),
        (D(2028, 2, 29), 1, D(2029, 3, 1)),
        (D(2028, 2, 29), 3, D(2031, 3, 1)),
        (D(2028, 2, 29), 4, D(2032, 2, 29)),
        (D(2028, 2, 29), -1, D(2027, 3, 1)),
        (D(2026, 6, 9), 0, D(2026, 6, 9)),
    ],
)
def test_anniversary(day, years, result):
    # given / when / then
    assert anniversary(day, years) == result
