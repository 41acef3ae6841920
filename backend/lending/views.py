"""Loading what a list of applications or loans shows, in one query per related table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.enterprises.models import Enterprise
from backend.institutions.models import Institution
from backend.lending.models import (
    FinancingDemand,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanProductVersion,
)


@dataclass(frozen=True)
class ApplicationView:
    """An application with its enterprise, product (now and as applied), demand and loan."""

    application: LoanApplication
    enterprise: Enterprise
    institution: Institution
    product: LoanProduct
    applied_name: str
    demand: FinancingDemand | None
    loan: Loan | None


async def _by_id(
    session: AsyncSession, model: type, ids: Iterable[int | None]
) -> dict[int, object]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(model).where(model.id.in_(wanted)))  # type: ignore[attr-defined]
    return {row.id: row for row in rows.scalars()}


async def application_views(
    session: AsyncSession, applications: Sequence[LoanApplication]
) -> list[ApplicationView]:
    """Views of ``applications`` in order: six queries whatever their number."""
    enterprises = await _by_id(session, Enterprise, (a.enterprise_id for a in applications))
    institutions = await _by_id(session, Institution, (a.institution_id for a in applications))
    products = await _by_id(session, LoanProduct, (a.product_id for a in applications))
    demands = await _by_id(session, FinancingDemand, (a.demand_id for a in applications))
    loans: dict[int, Loan] = {}
    names: dict[tuple[int, int], str] = {}
    if applications:
        ids = [a.id for a in applications]
        loans = {
            loan.application_id: loan
            for loan in (
                await session.execute(select(Loan).where(Loan.application_id.in_(ids)))
            ).scalars()
        }
        pairs = {(a.product_id, a.product_version) for a in applications}
        rows = await session.execute(
            select(
                LoanProductVersion.product_id,
                LoanProductVersion.version,
                LoanProductVersion.snapshot["name"].as_string(),
            ).where(tuple_(LoanProductVersion.product_id, LoanProductVersion.version).in_(pairs))
        )
        names = {(product_id, version): name for product_id, version, name in rows}
    return [
        ApplicationView(
            application=a,
            enterprise=enterprises[a.enterprise_id],  # type: ignore[arg-type]
            institution=institutions[a.institution_id],  # type: ignore[arg-type]
            product=products[a.product_id],  # type: ignore[arg-type]
            applied_name=names.get((a.product_id, a.product_version))
            or products[a.product_id].name,  # type: ignore[attr-defined]
            demand=demands.get(a.demand_id) if a.demand_id else None,  # type: ignore[arg-type]
            loan=loans.get(a.id),
        )
        for a in applications
    ]
