"""Data quality per provider (数据质量) in ``platformStatistics``: batches and rows received in the
period, the share of rows refused, how fresh each provider's data is, and its current records.

Providers are departments, not firms: they are never narrowed to a region. One statement groups
the batches by provider; the current records come from one ``GROUP BY data_provider_id`` over
``credit_records`` joined to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import CHINA_TZ, china_date
from backend.credit.models import CreditRecord, DataProvider, IngestBatch
from backend.stats.common import share, total
from backend.stats.scope import StatsScope


@dataclass(frozen=True)
class ProviderQuality:
    """One provider's batches in the period, its freshness and its current records."""

    code: str
    name: str
    batch_count: int
    accepted_rows: int
    rejected_rows: int
    rejected_share: Decimal | None
    last_received_at: datetime | None
    days_since_last_batch: int | None
    current_records: int


@dataclass(frozen=True)
class QualityFigures:
    """Every provider (by code), the totals of the period, and the day freshness is told on."""

    as_of: date
    batch_count: int
    accepted_rows: int
    rejected_rows: int
    rejected_share: Decimal | None
    providers: list[ProviderQuality]


def freshness_date(scope: StatsScope, today: date) -> date:
    """The day "days since the last batch" is counted to: the period's end, or today if the
    period ends later (days that have not come yet would only inflate it)."""
    return min(scope.date_to, today)


async def quality_figures(session: AsyncSession, scope: StatsScope, today: date) -> QualityFigures:
    """Per provider: batches, accepted and rejected rows of the period; the last batch ever; the
    days from the last batch received by :func:`freshness_date` to that date; current records."""
    as_of = freshness_date(scope, today)
    cutoff = datetime.combine(as_of + timedelta(days=1), time(), CHINA_TZ)
    in_period = (IngestBatch.created_at >= scope.starts_at) & (
        IngestBatch.created_at < scope.ends_before
    )
    current = (
        select(CreditRecord.data_provider_id, func.count().label("n"))
        .where(CreditRecord.is_current.is_(True))
        .group_by(CreditRecord.data_provider_id)
        .subquery("current_records")
    )
    stmt = (
        select(
            DataProvider.code,
            DataProvider.name,
            func.count(case((in_period, IngestBatch.id))),
            total(case((in_period, IngestBatch.accepted))),
            total(case((in_period, IngestBatch.rejected))),
            func.max(IngestBatch.created_at),
            func.max(case((IngestBatch.created_at < cutoff, IngestBatch.created_at))),
            func.coalesce(func.max(current.c.n), 0),
        )
        .select_from(DataProvider)
        .outerjoin(IngestBatch, IngestBatch.data_provider_id == DataProvider.id)
        .outerjoin(current, current.c.data_provider_id == DataProvider.id)
        .group_by(DataProvider.id, DataProvider.code, DataProvider.name)
        .order_by(DataProvider.code)
    )
    result: Any = await session.execute(stmt)
    providers = [
        ProviderQuality(
            code=code,
            name=name,
            batch_count=batches,
            accepted_rows=int(accepted),
            rejected_rows=int(rejected),
            rejected_share=share(int(rejected), int(accepted) + int(rejected)),
            last_received_at=last,
            days_since_last_batch=(
                None if last_by_then is None else (as_of - china_date(last_by_then)).days
            ),
            current_records=int(records),
        )
        for code, name, batches, accepted, rejected, last, last_by_then, records in result
    ]
    accepted_rows = sum(p.accepted_rows for p in providers)
    rejected_rows = sum(p.rejected_rows for p in providers)
    return QualityFigures(
        as_of=as_of,
        batch_count=sum(p.batch_count for p in providers),
        accepted_rows=accepted_rows,
        rejected_rows=rejected_rows,
        rejected_share=share(rejected_rows, accepted_rows + rejected_rows),
        providers=providers,
    )
