"""Publicity arithmetic over China's official calendar (domain.md section 3): 10 working days
after the announcement, holidays skipped, make-up working days (调休) counted, registrar
overrides winning over the calendar. Pure functions, no database."""

import datetime as dt

import holidays
import pytest

from registry.workdays import add_working_days, is_working_day, working_days_between

D = dt.date


def test_national_day_2026_with_make_up_saturday():
    # given an announcement on Monday 28 September 2026
    announced = D(2026, 9, 28)
    # when
    end = add_working_days(announced, 10)
    # then, counted by hand:
    #   1 Tue 29 Sep, 2 Wed 30 Sep,
    #   1-7 Oct National Day / Mid-Autumn holiday (none counted),
    #   3 Thu 8 Oct, 4 Fri 9 Oct, 5 Sat 10 Oct (make-up working day), Sun 11 Oct not counted,
    #   6 Mon 12, 7 Tue 13, 8 Wed 14, 9 Thu 15, 10 Fri 16 Oct.
    assert end == D(2026, 10, 16)
    assert working_days_between(announced, end) == 10


def test_national_day_2026_calendar_as_used():
    # given / when / then: the days the count above relies on
    assert [d for d in _days(D(2026, 10, 1), D(2026, 10, 7)) if is_working_day(d)] == []
    assert is_working_day(D(2026, 10, 10)) is True  # Saturday, make-up working day
    assert is_working_day(D(2026, 10, 11)) is False  # Sunday
    assert is_working_day(D(2026, 10, 8)) is True


def test_spring_festival_2026_in_the_holidays_package():
    # given the official 2026 Spring Festival arrangement as the holidays package has it:
    # holiday Sun 15 Feb to Mon 23 Feb, make-up working days Sat 14 Feb and Sat 28 Feb
    calendar = holidays.China(years=2026)
    # when
    off = [d for d in _days(D(2026, 2, 9), D(2026, 3, 1)) if not calendar.is_working_day(d)]
    # then
    assert off == [*_days(D(2026, 2, 15), D(2026, 2, 23)), D(2026, 3, 1)]
    assert calendar.is_working_day(D(2026, 2, 14)) is True
    assert calendar.is_working_day(D(2026, 2, 28)) is True
    assert D(2026, 2, 17) in calendar  # 春节


def test_publicity_across_spring_festival_2026_ends_on_the_make_up_saturday():
    # given an announcement on Monday 9 February 2026
    announced = D(2026, 2, 9)
    # when
    end = add_working_days(announced, 10)
    # then, counted by hand:
    #   1 Tue 10, 2 Wed 11, 3 Thu 12, 4 Fri 13, 5 Sat 14 Feb (make-up working day),
    #   Sun 15 to Mon 23 Feb holiday (none counted),
    #   6 Tue 24, 7 Wed 25, 8 Thu 26, 9 Fri 27, 10 Sat 28 Feb (make-up working day).
    assert end == D(2026, 2, 28)


def test_publicity_announced_just_before_spring_festival_2026():
    # given an announcement on Friday 13 February 2026
    announced = D(2026, 2, 13)
    # when
    end = add_working_days(announced, 10)
    # then, counted by hand:
    #   1 Sat 14 Feb (make-up), Sun 15 to Mon 23 Feb holiday,
    #   2 Tue 24, 3 Wed 25, 4 Thu 26, 5 Fri 27, 6 Sat 28 Feb (make-up), Sun 1 Mar not counted,
    #   7 Mon 2, 8 Tue 3, 9 Wed 4, 10 Thu 5 Mar.
    assert end == D(2026, 3, 5)


def test_ordinary_fortnight_without_holiday():
    # given Monday 25 May 2026; no holiday in the following two weeks
    announced = D(2026, 5, 25)
    # when
    end = add_working_days(announced, 10)
    # then: 26-29 May (4), 1-5 June (9), Mon 8 June (10)
    assert end == D(2026, 6, 8)


def test_override_making_a_day_non_working_pushes_the_end_by_one_working_day():
    # given a local closure on Monday 1 June 2026
    overrides = {D(2026, 6, 1): False}
    # when
    end = add_working_days(D(2026, 5, 25), 10, overrides)
    # then: 26-29 May (4), 2-5 June (8), Mon 8 (9), Tue 9 June (10)
    assert end == D(2026, 6, 9)


def test_override_making_a_sunday_working_pulls_the_end_in():
    # given Sunday 31 May 2026 declared a working day
    overrides = {D(2026, 5, 31): True}
    # when
    end = add_working_days(D(2026, 5, 25), 10, overrides)
    # then: 26-29 May (4), Sun 31 May (5), 1-5 June (10)
    assert end == D(2026, 6, 5)


def test_override_wins_over_an_official_holiday_and_a_make_up_day():
    # given the registry open on National Day and closed on the make-up Saturday
    overrides = {D(2026, 10, 1): True, D(2026, 10, 10): False}
    # when / then
    assert is_working_day(D(2026, 10, 1), overrides) is True
    assert is_working_day(D(2026, 10, 10), overrides) is False
    # 29, 30 Sep, 1 Oct, 8, 9, 12-16 Oct
    assert add_working_days(D(2026, 9, 28), 10, overrides) == D(2026, 10, 16)
    # 29, 30 Sep, 1 Oct, 8, 9, 12-15 Oct: nine working days end on Thursday 15 October
    assert add_working_days(D(2026, 9, 28), 9, overrides) == D(2026, 10, 15)


def test_the_announcement_day_itself_is_not_counted():
    # given an announcement on a working Friday
    announced = D(2026, 6, 5)
    # when / then: the first working day after it is the next Monday
    assert add_working_days(announced, 1) == D(2026, 6, 8)


@pytest.mark.parametrize("count", [0, -1])
def test_count_must_be_positive(count):
    # given / when / then
    with pytest.raises(ValueError, match="count must be at least 1"):
        add_working_days(D(2026, 5, 25), count)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
