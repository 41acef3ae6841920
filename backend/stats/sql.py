"""The few SQL pieces that differ between PostgreSQL and SQLite: seconds between two timestamps
and the median of a set of durations."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Float, Select, cast, extract, func, select
from sqlalchemy.sql.expression import ColumnClause

POSTGRESQL = "postgresql"


def seconds_between(later: ColumnElement, earlier: ColumnElement, dialect: str) -> ColumnElement:
    """``later − earlier`` in seconds, as a floating-point SQL expression.

    ``UTCDateTime`` stores UTC on both back ends; on SQLite as text
    (``2026-11-21 08:00:00.000000``), which ``julianday`` reads, so the difference of two Julian
    days times 86400 is the seconds.
    """
    if dialect == POSTGRESQL:
        return cast(extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def median_of(durations: Select, dialect: str) -> ColumnElement:
    """A scalar subquery: the median of the single column ``d`` selected by ``durations``.

    PostgreSQL has ``percentile_cont``. SQLite has none, so the rows are numbered in order
    (window functions) and the middle one, or the mean of the middle two, is taken; an empty
    set gives NULL on both.
    """
    inner = durations.subquery("durations")
    value: ColumnClause = inner.c.d
    if dialect == POSTGRESQL:
        return select(func.percentile_cont(0.5).within_group(value)).scalar_subquery()
    ranked = select(
        value.label("d"),
        func.row_number().over(order_by=value).label("rn"),
        func.count().over().label("n"),
    ).subquery("ranked")
    # Rows (n + 1) div 2 and (n + 2) div 2: the same row when n is odd, the middle two if even.
    middle = ((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2)
    return select(func.avg(ranked.c.d)).where(ranked.c.rn.in_(middle)).scalar_subquery()
