"""What every statistics section shares: labelled counts, shares, money and hours from SQL's
answers, SUM that is 0 over no rows, and the region filter by the firm's registered region."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func

from backend.enterprises.models import Enterprise
from backend.stats.scope import StatsScope

_CENT = Decimal("0.01")
_SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class LabelledCount:
    """How many fall in one category (``key``, with its Chinese label)."""

    key: str
    label: str
    count: int


def share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` as a fraction with 4 places (half up); None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_SHARE, rounding=ROUND_HALF_UP)


def money(value: Any) -> Decimal:
    """A sum of money in yuan to the fen (SQLite hands back floats, PostgreSQL Decimals)."""
    return Decimal(str(value or 0)).quantize(_CENT, rounding=ROUND_HALF_UP)


def hours(seconds: Any) -> Decimal | None:
    """Seconds as hours with 2 places; the millisecond rounding absorbs SQLite's float noise."""
    if seconds is None:
        return None
    exact = Decimal(str(round(float(seconds), 3)))
    return (exact / 3600).quantize(_CENT, rounding=ROUND_HALF_UP)


def total(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    """SUM that is 0, not NULL, over no rows."""
    return func.coalesce(func.sum(expression), 0)


def labelled(labels: dict[str, str], counts: dict[str, int]) -> list[LabelledCount]:
    """Every known category in display order (zeros included), then any unexpected one."""
    keys = list(labels) + sorted(key for key in counts if key not in labels)
    return [LabelledCount(key, labels.get(key, key), counts.get(key, 0)) for key in keys]


def in_region(stmt: Select[Any], enterprise_id: Any, scope: StatsScope) -> Select[Any]:
    """Narrow ``stmt`` to firms of the scope's region (joined only when a region is given)."""
    if scope.region_prefix is None:
        return stmt
    return stmt.join(Enterprise, Enterprise.id == enterprise_id).where(
        Enterprise.region_code.like(f"{scope.region_prefix}%")
    )
