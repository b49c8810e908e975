"""Validity arithmetic (domain.md section 3); pure functions, no database.

A registration is valid for N years (3 by default) from the registration announcement, inclusive:
registered on 2026-03-15 it is valid until 2029-03-14. If the source licence ends earlier, validity
ends with the licence. A renewal adds N years after the current end, under the same cap.
"""

import datetime as dt


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def validity_end(start: dt.date, *, years: int, licence_end: dt.date | None) -> dt.date:
    end = add_years(start, years) - dt.timedelta(days=1)
    if licence_end is not None and licence_end < end:
        return licence_end
    return end
