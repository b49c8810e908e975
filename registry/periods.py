"""Validity arithmetic (domain.md section 3); pure functions, no database.

A registration is valid for N years (3 by default) from the registration announcement, inclusive:
registered on 2026-03-15 it is valid until 2029-03-14, the day before the anniversary (as trademark
registrations are). Registered on 29 February, the anniversary in a common year is 1 March, so the
validity ends on 28 February. If the source licence ends earlier, validity
ends with the licence. A renewal adds N years after the current end, under the same cap.
"""

import datetime as dt


def anniversary(day: dt.date, years: int) -> dt.date:
    """The same date `years` later; 29 February falls on 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, month=3, day=1)


def validity_end(start: dt.date, *, years: int, licence_end: dt.date | None) -> dt.date:
    end = anniversary(start, years) - dt.timedelta(days=1)
    if licence_end is not None and licence_end < end:
        return licence_end
    return end
