"""Working days on the official Chinese calendar (法定节假日 and 调休 make-up days).

``chinese_calendar`` carries the State Council's yearly holiday notices; it knows 2004 to the last
published year and raises ``NotImplementedError`` beyond. Deadlines must still be computed then
(an objection filed on 31 December needs a date in January), so unknown years fall back to plain
Monday-to-Friday rules and a warning is logged: the package should be upgraded when the State
Council publishes the next year's arrangement.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

import chinese_calendar

from backend.clock import CHINA_TZ

log = logging.getLogger("xinrong.calendar")

END_OF_DAY = time(23, 59, 59)


def _official_workday(day: date) -> bool | None:
    """What the official calendar says, or None when the package does not know the year."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def is_working_day(day: date) -> bool:
    """True on official working days (make-up weekend days included, holidays excluded)."""
    official = _official_workday(day)
    return day.weekday() < 5 if official is None else official


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself never counts; n=0 is start)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day, remaining, guessed = start, n, set()
    while remaining:
        day += timedelta(days=1)
        official = _official_workday(day)
        if official is None:
            guessed.add(day.year)
            official = day.weekday() < 5
        if official:
            remaining -= 1
    if guessed:
        log.warning(
            "official holiday calendar unknown for %s: counted Monday to Friday as working days "
            "(upgrade the chinesecalendar package)",
            ", ".join(str(year) for year in sorted(guessed)),
        )
    return day


def working_day_deadline(moment: datetime, n: int) -> datetime:
    """The end (23:59:59 China time) of the ``n``-th working day after ``moment``'s China date."""
    due = add_working_days(moment.astimezone(CHINA_TZ).date(), n)
    return datetime.combine(due, END_OF_DAY, CHINA_TZ)
