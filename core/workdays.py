"""Working-day calendar: weekends and public holidays are skipped, 调休 make-up days count.

The State Council publishes the holidays each year, including weekend days that are worked
to make up for a longer break (调休); both come from data (inspections.Holiday), never code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection


def is_working_day(
    day: dt.date, holidays: Collection[dt.date], extra_workdays: Collection[dt.date] = ()
) -> bool:
    if day in extra_workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(
    start: dt.date,
    n: int,
    holidays: Collection[dt.date],
    extra_workdays: Collection[dt.date] = (),
) -> dt.date:
    """The n-th working day after `start` (the start day itself is not counted).

    A list received on Friday with n=5 is due the following Friday.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays, extra_workdays):
            remaining -= 1
    return day
