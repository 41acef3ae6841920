"""What a statistics request covers: a region (by division-code prefix) and a period of China
dates, checked and turned into the UTC bounds the queries compare timestamps with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from backend.clock import CHINA_TZ, china_today
from backend.errors import DomainError, ErrorCode, check_each
from backend.identity.regions import lookup_region, region_prefix

#: The longest period one request may cover (inclusive dates): five years.
MAX_SPAN_YEARS = 5
#: Dates outside these bounds are refused (keeps the UTC bounds computable, and sane).
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


@dataclass(frozen=True)
class StatsScope:
    """A checked region and period; ``region_prefix`` None means the whole platform."""

    region_prefix: str | None
    region_name: str | None
    date_from: date
    date_to: date

    @property
    def starts_at(self) -> datetime:
        """The first instant of ``date_from`` in China (inclusive bound)."""
        return datetime.combine(self.date_from, time(), CHINA_TZ)

    @property
    def ends_before(self) -> datetime:
        """The first instant after ``date_to`` in China (exclusive bound)."""
        return datetime.combine(self.date_to + timedelta(days=1), time(), CHINA_TZ)


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _region(code: str | None) -> tuple[str | None, str | None]:
    """The prefix and full name of a 2/4/6-digit region, (None, None) for the whole platform."""
    if code is None or not code.strip():
        return None, None
    prefix = region_prefix(code)
    if prefix is None:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "行政区划代码无效：请填写 2、4 或 6 位现行区划代码（如 37、3713、371302）",
            "regionCode",
        )
    region = lookup_region(prefix.ljust(6, "0"))
    return prefix, region.full_name if region else None


def _in_bounds(day: date, field: str) -> date:
    if not EARLIEST <= day <= LATEST:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"日期须在 {EARLIEST.isoformat()} 至 {LATEST.isoformat()} 之间",
            field,
        )
    return day


def resolve_scope(
    *, region_code: str | None, date_from: date | None, date_to: date | None
) -> StatsScope:
    """Check the arguments and fill the defaults: the last 12 months up to today (China).

    Raises VALIDATION_ERROR (every bad argument at once) for an unknown region, a date out of
    bounds, ``from`` after ``to``, or a period longer than five years.
    """
    region, day_from, day_to = check_each(
        lambda: _region(region_code),
        lambda: None if date_from is None else _in_bounds(date_from, "from"),
        lambda: _in_bounds(china_today() if date_to is None else date_to, "to"),
    )
    prefix, name = region
    if day_from is None:
        day_from = _years_before(day_to, 1) + timedelta(days=1)
    if day_from > day_to:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "起始日期不能晚于截止日期", "from")
    if day_from <= _years_before(day_to, MAX_SPAN_YEARS):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"统计期间最长 {MAX_SPAN_YEARS} 年，请缩短期间", "from"
        )
    return StatsScope(region_prefix=prefix, region_name=name, date_from=day_from, date_to=day_to)
