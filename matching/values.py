"""Reading field values of clean records (JSON-safe: dates and amounts as strings).

Each reader returns None for a value that is absent or cannot be read, so that one malformed
field makes a fact unknown rather than failing a whole profile. Records reach ``matching`` after
validation against the sharing list, so this is a fallback, not the check.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def as_date(value: Any) -> date | None:
    """A date from ``YYYY-MM-DD`` (or a ``date``), else None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def as_month(value: Any) -> tuple[int, int] | None:
    """``(year, month)`` from ``YYYY-MM``, else None."""
    if not isinstance(value, str):
        return None
    match = _MONTH.fullmatch(value.strip())
    return (int(match[1]), int(match[2])) if match else None


def as_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a number or numeric string (yuan amounts), else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def as_count(value: Any) -> int | None:
    """A non-negative whole number (a headcount), else None."""
    number = as_decimal(value)
    if number is None or number < 0 or number != number.to_integral_value():
        return None
    return int(number)


def as_bool(value: Any) -> bool | None:
    """True or False from a boolean or ``"true"``/``"false"``, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def months_before(day: date, months: int) -> tuple[int, int]:
    """``(year, month)`` of the calendar month ``months`` before the month of ``day``."""
    index = day.year * 12 + (day.month - 1) - months
    return index // 12, index % 12 + 1
