"""The lending figures of ``platformStatistics``: enterprises, institutions, products, demands,
applications and loans. Each section is one aggregate statement (the median of response times is
a subquery of the demands' statement), so the cost does not grow with the number of statements
as the data grows; nothing but the aggregates comes back to Python."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, case, distinct, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.enterprises.models import Enterprise
from backend.identity.models import Account
from backend.institutions.models import Institution, InstitutionStatus
from backend.lending.models import (
    ApplicationStatus,
    FinancingDemand,
    Loan,
    LoanApplication,
    LoanProduct,
    ProductStatus,
)
from backend.stats.common import (
    LabelledCount,
    hours,
    in_region,
    labelled,
    money,
    share,
    total,
)
from backend.stats.labels import (
    APPLICATION_STATUS_LABELS,
    APPROVED_STATUSES,
    ENTITY_TYPE_LABELS,
    INSTITUTION_KIND_LABELS,
    LOAN_STATUS_LABELS,
    PRODUCT_LABELS,
)
from backend.stats.scope import StatsScope
from backend.stats.sql import median_of, seconds_between

__all__ = ["LabelledCount", "share"]  # re-exported: callers and tests read them from here too


@dataclass(frozen=True)
class EntityTypeCount:
    """Registered and verified enterprises of one entity type."""

    entity_type: str
    label: str
    count: int
    verified: int


@dataclass(frozen=True)
class EnterpriseFigures:
    """Enterprises registered, and verified (an account linked), by the end of the period."""

    registered: int
    verified: int
    by_entity_type: list[EntityTypeCount]


@dataclass(frozen=True)
class InstitutionFigures:
    """Active institutions, by kind."""

    active: int
    by_kind: list[LabelledCount]


@dataclass(frozen=True)
class ProductFigures:
    """Loan products on offer, by product type."""

    active: int
    by_type: list[LabelledCount]


@dataclass(frozen=True)
class DemandFigures:
    """Financing demands published in the period and how institutions answered them."""

    count: int
    total_amount: Decimal
    answered: int
    answered_share: Decimal | None
    median_response_hours: Decimal | None


@dataclass(frozen=True)
class ApplicationFigures:
    """Applications made in the period, by status, and the approval rate among decided ones."""

    count: int
    by_status: list[LabelledCount]
    approved: int
    rejected: int
    approval_rate: Decimal | None


@dataclass(frozen=True)
class LoanStatusFigure:
    """Loans of the period with one latest status, and their amount."""

    status: str
    label: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class LoanFigures:
    """Loans disbursed in the period: amounts, credit loans (信用贷款) and first loans (首贷)."""

    count: int
    total_amount: Decimal
    credit_count: int
    credit_amount: Decimal
    credit_share_by_amount: Decimal | None
    credit_share_by_count: Decimal | None
    first_time_borrowers: int
    first_time_amount: Decimal
    by_status: list[LoanStatusFigure]


async def enterprise_figures(session: AsyncSession, scope: StatsScope) -> EnterpriseFigures:
    """Registered enterprises by entity type at the end of the period, and how many verified."""
    # Verified by then: an account claimed the firm (verifyEnterprise) before the period ended.
    verified = exists().where(
        Account.enterprise_id == Enterprise.id,
        or_(Account.verified_at.is_(None), Account.verified_at < scope.ends_before),
    )
    stmt = (
        select(Enterprise.entity_type, func.count(), func.count(case((verified, 1))))
        .where(Enterprise.created_at < scope.ends_before)
        .group_by(Enterprise.entity_type)
    )
    if scope.region_prefix is not None:
        stmt = stmt.where(Enterprise.region_code.like(f"{scope.region_prefix}%"))
    found = {row[0]: (row[1], row[2]) for row in await session.execute(stmt)}
    keys = list(ENTITY_TYPE_LABELS) + sorted(k for k in found if k not in ENTITY_TYPE_LABELS)
    rows = [
        EntityTypeCount(key, ENTITY_TYPE_LABELS.get(key, key), *found.get(key, (0, 0)))
        for key in keys
    ]
    return EnterpriseFigures(
        registered=sum(r.count for r in rows),
        verified=sum(r.verified for r in rows),
        by_entity_type=rows,
    )


async def institution_figures(session: AsyncSession, scope: StatsScope) -> InstitutionFigures:
    """Institutions ACTIVE now and admitted by the end of the period, by kind (all regions)."""
    stmt = (
        select(Institution.kind, func.count())
        .where(
            Institution.status == InstitutionStatus.ACTIVE.value,
            Institution.created_at < scope.ends_before,
        )
        .group_by(Institution.kind)
    )
    counts = {row[0]: row[1] for row in await session.execute(stmt)}
    by_kind = labelled(INSTITUTION_KIND_LABELS, counts)
    return InstitutionFigures(active=sum(c.count for c in by_kind), by_kind=by_kind)


async def product_figures(session: AsyncSession, scope: StatsScope) -> ProductFigures:
    """Products on offer: ACTIVE now, of an ACTIVE institution, published by the period's end."""
    stmt = (
        select(LoanProduct.product_type, func.count())
        .join(Institution, Institution.id == LoanProduct.institution_id)
        .where(
            LoanProduct.status == ProductStatus.ACTIVE.value,
            Institution.status == InstitutionStatus.ACTIVE.value,
            LoanProduct.created_at < scope.ends_before,
        )
        .group_by(LoanProduct.product_type)
    )
    counts = {row[0]: row[1] for row in await session.execute(stmt)}
    by_type = labelled(PRODUCT_LABELS, counts)
    return ProductFigures(active=sum(c.count for c in by_type), by_type=by_type)


def _demands(scope: StatsScope, *columns: Any) -> Select[Any]:
    """``columns`` over the demands published in the scope."""
    stmt = (
        select(*columns)
        .select_from(FinancingDemand)
        .where(
            FinancingDemand.created_at >= scope.starts_at,
            FinancingDemand.created_at < scope.ends_before,
        )
    )
    return in_region(stmt, FinancingDemand.enterprise_id, scope)


async def demand_figures(session: AsyncSession, scope: StatsScope, dialect: str) -> DemandFigures:
    """Demands of the period: count, amount, answered (an offer or a decision) and the median
    time to the first answer."""
    answered = FinancingDemand.first_response_at.is_not(None)
    waited = seconds_between(FinancingDemand.first_response_at, FinancingDemand.created_at, dialect)
    durations = _demands(scope, waited.label("d")).where(answered)
    stmt = _demands(
        scope,
        func.count(),
        total(FinancingDemand.amount),
        func.count(FinancingDemand.first_response_at),
        median_of(durations, dialect),
    )
    count, amount, answered_count, median = (await session.execute(stmt)).one()
    return DemandFigures(
        count=count,
        total_amount=money(amount),
        answered=answered_count,
        answered_share=share(answered_count, count),
        median_response_hours=hours(median),
    )


async def application_figures(session: AsyncSession, scope: StatsScope) -> ApplicationFigures:
    """Applications made in the period by status; approved = APPROVED, DISBURSED or CLOSED."""
    statuses = list(APPLICATION_STATUS_LABELS)
    stmt = in_region(
        select(
            func.count(),
            *(func.count(case((LoanApplication.status == s, 1))) for s in statuses),
        )
        .select_from(LoanApplication)
        .where(
            LoanApplication.created_at >= scope.starts_at,
            LoanApplication.created_at < scope.ends_before,
        ),
        LoanApplication.enterprise_id,
        scope,
    )
    count, *per_status = (await session.execute(stmt)).one()
    counts = dict(zip(statuses, per_status, strict=True))
    approved = sum(counts[s] for s in APPROVED_STATUSES)
    rejected = counts[ApplicationStatus.REJECTED.value]
    return ApplicationFigures(
        count=count,
        by_status=labelled(APPLICATION_STATUS_LABELS, counts),
        approved=approved,
        rejected=rejected,
        approval_rate=share(approved, approved + rejected),
    )


async def loan_figures(session: AsyncSession, scope: StatsScope) -> LoanFigures:
    """Loans disbursed in the period; the status is each loan's latest reported one."""
    credit = Loan.is_credit_loan.is_(True)
    first = Loan.is_first_loan.is_(True)
    statuses = list(LOAN_STATUS_LABELS)
    per_status: list[ColumnElement[Any]] = []
    for status in statuses:
        per_status += [
            func.count(case((Loan.status == status, 1))),
            total(case((Loan.status == status, Loan.amount))),
        ]
    stmt = in_region(
        select(
            func.count(),
            total(Loan.amount),
            func.count(case((credit, 1))),
            total(case((credit, Loan.amount))),
            # 首贷户 are firms, not loans: a firm counts once however its first loans were split.
            func.count(distinct(case((first, Loan.enterprise_id)))),
            total(case((first, Loan.amount))),
            *per_status,
        )
        .select_from(Loan)
        .where(Loan.disbursed_on >= scope.date_from, Loan.disbursed_on <= scope.date_to),
        Loan.enterprise_id,
        scope,
    )
    count, amount, credit_count, credit_amount, firsts, first_amount, *rest = (
        await session.execute(stmt)
    ).one()
    loaned = money(amount)
    credit_total = money(credit_amount)
    return LoanFigures(
        count=count,
        total_amount=loaned,
        credit_count=credit_count,
        credit_amount=credit_total,
        credit_share_by_amount=share(credit_total, loaned),
        credit_share_by_count=share(credit_count, count),
        first_time_borrowers=firsts,
        first_time_amount=money(first_amount),
        by_status=[
            LoanStatusFigure(
                status, LOAN_STATUS_LABELS[status], rest[2 * i], money(rest[2 * i + 1])
            )
            for i, status in enumerate(statuses)
        ],
    )
