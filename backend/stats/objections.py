"""Objections and their timeliness (异议处理及时性) in ``platformStatistics``, and credit-repair
requests (信用修复): one aggregate statement over the objections filed in the period by firms of
the region, with the median time to a decision and the repair counts as scalar subqueries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.objections.models import Objection, RepairRequest, RepairStatus
from backend.stats.common import LabelledCount, hours, in_region, labelled, share
from backend.stats.labels import OBJECTION_STATUS_LABELS
from backend.stats.scope import StatsScope
from backend.stats.sql import median_of, seconds_between


@dataclass(frozen=True)
class RepairFigures:
    """Credit-repair requests filed in the period, and how many were decided."""

    count: int
    resolved_count: int
    approved_count: int


@dataclass(frozen=True)
class ObjectionFigures:
    """Objections filed in the period: forwarded within the 2 working days or not, decided,
    and how long the decision took."""

    count: int
    by_status: list[LabelledCount]
    forwarded_count: int
    forwarded_on_time_count: int
    on_time_share: Decimal | None
    overdue_count: int
    resolved_count: int
    median_resolution_hours: Decimal | None
    repair_requests: RepairFigures


def _filed(scope: StatsScope, *columns: Any) -> Select[Any]:
    """``columns`` over the objections filed in the period by firms of the region."""
    stmt = (
        select(*columns)
        .select_from(Objection)
        .where(Objection.filed_at >= scope.starts_at, Objection.filed_at < scope.ends_before)
    )
    return in_region(stmt, Objection.enterprise_id, scope)


def _repairs(scope: StatsScope, *conditions: Any) -> Any:
    """How many repair requests filed in the period by firms of the region meet ``conditions``,
    as a scalar subquery."""
    stmt = (
        select(func.count())
        .select_from(RepairRequest)
        .where(
            RepairRequest.filed_at >= scope.starts_at,
            RepairRequest.filed_at < scope.ends_before,
            *conditions,
        )
    )
    return in_region(stmt, RepairRequest.enterprise_id, scope).scalar_subquery()


async def objection_figures(
    session: AsyncSession, scope: StatsScope, dialect: str, now: datetime
) -> ObjectionFigures:
    """Objections of the period by status and timeliness; overdue means still waiting to be
    forwarded (and undecided) after its deadline at ``now``."""
    statuses = list(OBJECTION_STATUS_LABELS)
    forwarded = Objection.forwarded_at.is_not(None)
    resolved = Objection.resolved_at.is_not(None)
    took = seconds_between(Objection.resolved_at, Objection.filed_at, dialect)
    stmt = _filed(
        scope,
        func.count(),
        *(func.count().filter(Objection.status == s) for s in statuses),
        func.count().filter(forwarded),
        func.count().filter(Objection.forwarded_at <= Objection.forward_due_at),
        func.count().filter(
            Objection.forwarded_at.is_(None),
            Objection.resolved_at.is_(None),
            Objection.forward_due_at < now,
        ),
        func.count().filter(resolved),
        median_of(_filed(scope, took.label("d")).where(resolved), dialect),
        _repairs(scope),
        _repairs(scope, RepairRequest.resolved_at.is_not(None)),
        _repairs(scope, RepairRequest.status == RepairStatus.APPROVED.value),
    )
    row = (await session.execute(stmt)).one()
    count, *rest = row
    per_status, rest = rest[: len(statuses)], rest[len(statuses) :]
    forwarded_count, on_time, overdue, resolved_count, median, repairs, repaired, approved = rest
    return ObjectionFigures(
        count=count,
        by_status=labelled(OBJECTION_STATUS_LABELS, dict(zip(statuses, per_status, strict=True))),
        forwarded_count=forwarded_count,
        forwarded_on_time_count=on_time,
        on_time_share=share(on_time, forwarded_count),
        overdue_count=overdue,
        resolved_count=resolved_count,
        median_resolution_hours=hours(median),
        repair_requests=RepairFigures(
            count=repairs, resolved_count=repaired, approved_count=approved
        ),
    )
