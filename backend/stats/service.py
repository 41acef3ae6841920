"""``platformStatistics``: who may read the platform-wide figures, and reading them together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_date
from backend.db.base import utcnow
from backend.security.actor import Actor
from backend.security.staff import government_staff
from backend.stats.lending import (
    ApplicationFigures,
    DemandFigures,
    EnterpriseFigures,
    InstitutionFigures,
    LoanFigures,
    ProductFigures,
    application_figures,
    demand_figures,
    enterprise_figures,
    institution_figures,
    loan_figures,
    product_figures,
)
from backend.stats.objections import ObjectionFigures, objection_figures
from backend.stats.policies import PolicyReachFigures, policy_reach_figures
from backend.stats.quality import QualityFigures, quality_figures
from backend.stats.scope import StatsScope, resolve_scope


@dataclass(frozen=True)
class PlatformStatistics:
    """Every figure of one region and period, read from one snapshot."""

    scope: StatsScope
    enterprises: EnterpriseFigures
    institutions: InstitutionFigures
    products: ProductFigures
    demands: DemandFigures
    applications: ApplicationFigures
    loans: LoanFigures
    policy_reach: PolicyReachFigures
    objections: ObjectionFigures
    data_quality: QualityFigures
    generated_at: datetime


def require_government(actor: Actor) -> None:
    """Refuse anyone but government staff: institutions do not see platform-wide figures."""
    government_staff(actor, "只有政府部门工作人员可以查看平台统计")


async def _one_snapshot(session: AsyncSession) -> str:
    """Start a read-only REPEATABLE READ transaction on PostgreSQL, so that the sections agree
    with each other while firms and banks keep writing; return the dialect's name.

    SQLite serialises writers, and a single reader sees committed data only; nothing to set.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
    return dialect


async def platform_statistics(
    *,
    session: AsyncSession,
    actor: Actor,
    region_code: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> PlatformStatistics:
    """The figures for a region (2/4/6-digit prefix, None for all) and a period of China dates
    (inclusive; default the last 12 months): lending, policy reach, objections and data quality.
    GOVERNMENT only; no audit row, since the figures are aggregates without personal data."""
    require_government(actor)  # before the arguments: others learn nothing from the answer
    scope = resolve_scope(region_code=region_code, date_from=date_from, date_to=date_to)
    dialect = await _one_snapshot(session)
    # One "now" for the whole request: what is overdue, in force or fresh is told as of it.
    now = utcnow()
    today = china_date(now)
    return PlatformStatistics(
        scope=scope,
        enterprises=await enterprise_figures(session, scope),
        institutions=await institution_figures(session, scope),
        products=await product_figures(session, scope),
        demands=await demand_figures(session, scope, dialect),
        applications=await application_figures(session, scope),
        loans=await loan_figures(session, scope),
        policy_reach=await policy_reach_figures(session, scope, today),
        objections=await objection_figures(session, scope, dialect, now),
        data_quality=await quality_figures(session, scope, today),
        generated_at=now,
    )
