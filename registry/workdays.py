"""China working-day arithmetic for publicity (公示) periods; pure functions, no database.

A day is a working day when it is a weekday that is not an official holiday, or a weekend day
declared a make-up working day (调休上班). The official calendar comes from the `holidays` package
(State Council notices, including make-up days); registrars can override single dates (for a
late-announced change or a local closure), and overrides win over the calendar.

Period convention (Civil Code art. 201: a period counted in days starts the day after the event):
a publicity announced on day D runs over the N working days after D, and ends at the end of the
N-th of them. Registration is possible from the day after that end date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _china_calendar(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def is_working_day(day: dt.date, overrides: Mapping[dt.date, bool] | None = None) -> bool:
    if overrides and day in overrides:
        return overrides[day]
    return _china_calendar(day.year).is_working_day(day)


def add_working_days(
    start: dt.date, count: int, overrides: Mapping[dt.date, bool] | None = None
) -> dt.date:
    """The `count`-th working day strictly after `start` (count >= 1)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    remaining = count
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day, overrides):
            remaining -= 1
    return day


def working_days_between(
    start: dt.date, end: dt.date, overrides: Mapping[dt.date, bool] | None = None
) -> int:
    """Number of working days in (start, end]."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, overrides):
            count += 1
    return count
