"""Straight-line amortisation of a data resource recognised as an intangible asset."""

import datetime as dt
from decimal import Decimal as D

import pytest

from valuation.methods.accounting import AmortisationInput, amortisation_schedule
from valuation.methods.errors import CalculationInputError


def rows_as_tuples(schedule):
    return [
        (row.year, row.months, row.amortisation, row.accumulated_amortisation, row.carrying_amount)
        for row in schedule.rows
    ]


def test_whole_years_from_january_with_the_last_year_absorbing_rounding():
    # given 1 000 over 3 years from 1 January 2024
    inp = AmortisationInput(cost=D("1000"), start_date=dt.date(2024, 1, 1), useful_life_years=3)
    # when
    schedule = amortisation_schedule(inp)
    # then a year = 1 000 × 12 / 36 = 333.333… → 333.33; the last takes 1 000 − 666.66 = 333.34
    assert rows_as_tuples(schedule) == [
        (2024, 12, D("333.33"), D("333.33"), D("666.67")),
        (2025, 12, D("333.33"), D("666.66"), D("333.34")),
        (2026, 12, D("333.34"), D("1000.00"), D("0.00")),
    ]
    assert schedule.monthly_amortisation == D("27.77777777777777777777777777777778")


def test_mid_year_start_amortises_from_the_month_of_availability():
    # given 1 000 over 3 years, available for use on 15 July 2024 (July counts in full)
    inp = AmortisationInput(cost=D("1000"), start_date=dt.date(2024, 7, 15), useful_life_years=3)
    # when
    schedule = amortisation_schedule(inp)
    # then 2024: Jul–Dec 6 months × 1 000/36 = 166.666… → 166.67; 2025 and 2026: 333.33;
    # 2027: Jan–Jun, the rest 1 000 − 833.33 = 166.67
    assert rows_as_tuples(schedule) == [
        (2024, 6, D("166.67"), D("166.67"), D("833.33")),
        (2025, 12, D("333.33"), D("500.00"), D("500.00")),
        (2026, 12, D("333.33"), D("833.33"), D("166.67")),
        (2027, 6, D("166.67"), D("1000.00"), D("0.00")),
    ]
    first, last = schedule.rows[0], schedule.rows[-1]
    assert (first.first_month, first.last_month) == (dt.date(2024, 7, 1), dt.date(2024, 12, 1))
    assert (last.first_month, last.last_month) == (dt.date(2027, 1, 1), dt.date(2027, 6, 1))
    assert [row.period for row in schedule.rows] == [1, 2, 3, 4]


def test_residual_value_is_not_amortised():
    # given cost 1 200, residual 200, 5 years from January 2024
    inp = AmortisationInput(
        cost=D("1200"),
        residual_value=D("200"),
        start_date=dt.date(2024, 1, 1),
        useful_life_years=5,
    )
    # when
    schedule = amortisation_schedule(inp)
    # then 1 000 / 5 = 200 a year; the carrying amount ends at the residual 200
    assert schedule.amortisable_amount == D("1000")
    assert [row.amortisation for row in schedule.rows] == [D("200.00")] * 5
    assert [row.carrying_amount for row in schedule.rows] == [
        D("1000"),
        D("800"),
        D("600"),
        D("400"),
        D("200"),
    ]


def test_useful_life_in_months():
    # given 900 over 18 months from November 2024
    inp = AmortisationInput(cost=D("900"), start_date=dt.date(2024, 11, 30), useful_life_months=18)
    # when
    schedule = amortisation_schedule(inp)
    # then 50 a month: 2024 Nov–Dec 100; 2025 600; 2026 Jan–Apr 900 − 700 = 200
    assert rows_as_tuples(schedule) == [
        (2024, 2, D("100.00"), D("100.00"), D("800.00")),
        (2025, 12, D("600.00"), D("700.00"), D("200.00")),
        (2026, 4, D("200.00"), D("900.00"), D("0.00")),
    ]
    assert schedule.rows[-1].last_month == dt.date(2026, 4, 1)


def test_december_start_gives_a_one_month_first_row():
    # given 120 over 1 year from 1 December 2024
    inp = AmortisationInput(cost=D("120"), start_date=dt.date(2024, 12, 1), useful_life_years=1)
    # when
    schedule = amortisation_schedule(inp)
    # then 10 in December 2024 and 110 for Jan–Nov 2025
    assert rows_as_tuples(schedule) == [
        (2024, 1, D("10.00"), D("10.00"), D("110.00")),
        (2025, 11, D("110.00"), D("120.00"), D("0.00")),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"cost": D("0")}, "cost", "must be greater than 0"),
        ({"cost": D("-1")}, "cost", "must not be negative"),
        ({"cost": D("100.005")}, "cost", "must not have more than 2 digits after the point"),
        ({"residual_value": D("-1")}, "residual_value", "must not be negative"),
        ({"residual_value": D("1000.01")}, "residual_value", "must not exceed cost"),
        (
            {"residual_value": D("0.001")},
            "residual_value",
            "must not have more than 2 digits after the point",
        ),
        (
            {"useful_life_years": None},
            "useful_life_years",
            "give useful_life_years or useful_life_months",
        ),
        (
            {"useful_life_months": 36},
            "useful_life_years",
            "give only one of useful_life_years or useful_life_months",
        ),
        ({"useful_life_years": 0}, "useful_life_years", "must be between 1 and 100"),
        ({"useful_life_years": 101}, "useful_life_years", "must be between 1 and 100"),
        ({"useful_life_years": D("2.5")}, "useful_life_years", "must be a whole number"),
        (
            {"useful_life_years": None, "useful_life_months": 1201},
            "useful_life_months",
            "must be between 1 and 1200",
        ),
        ({"start_date": "2024-01-01"}, "start_date", "must be a date"),
    ],
)
def test_amortisation_refuses_bad_inputs(changes, field, message):
    # given a valid input with one change
    values = {"cost": D("1000"), "start_date": dt.date(2024, 1, 1), "useful_life_years": 3}
    inp = AmortisationInput(**{**values, **changes})
    # when
    with pytest.raises(CalculationInputError) as refused:
        amortisation_schedule(inp)
    # then
    assert (refused.value.field, refused.value.message) == (field, message)


def test_a_cost_too_small_for_whole_cents_is_refused():
    # given 0.07 over 121 months from January: each of the 10 full years is
    # 0.07 × 12 / 121 = 0.00694… → 0.01, so 10 years take 0.10 > 0.07 and the last would be −0.03
    inp = AmortisationInput(cost=D("0.07"), start_date=dt.date(2024, 1, 1), useful_life_months=121)
    # when
    with pytest.raises(CalculationInputError) as refused:
        amortisation_schedule(inp)
    # then
    assert (refused.value.field, refused.value.message) == (
        "cost",
        "is too small to amortise in whole cents over the useful life",
    )
