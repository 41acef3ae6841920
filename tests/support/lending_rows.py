"""Lending rows written straight through the models, for tests of matching and the demand
market: loan products (with their first version) and financing demands, plus the small changes
(pause a product, suspend an institution, forget a fact) that the services would make."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from backend.db.base import utcnow
from backend.enterprises.models import Enterprise, EnterpriseFeatures
from backend.institutions.models import Institution
from backend.lending.models import (
    DemandStatus,
    FinancingDemand,
    LoanProduct,
    LoanProductVersion,
    ProductStatus,
)
from backend.runtime import Runtime

_codes = itertools.count(1)

# A rule every demo firm with a clean record meets.
CLEAN_RECORD = {"all": [{"not": {"fact": "on_dishonest_list", "op": "eq", "value": True}}]}


async def insert_product(
    runtime: Runtime,
    *,
    institution_id: int,
    name: str = "测试贷",
    eligibility: dict[str, Any] | None = None,
    region_codes: list[str] | None = None,
    min_amount: str | int = 100_000,
    max_amount: str | int = 5_000_000,
    min_term_months: int = 6,
    max_term_months: int = 36,
    min_annual_rate: str = "0.0385",
    max_annual_rate: str = "0.0585",
    product_type: str = "CREDIT",
    description: str = "支持小微企业经营周转",
    tags: list[str] | None = None,
    target_grade: str | None = None,
    status: str = ProductStatus.ACTIVE.value,
) -> int:
    """A product of ``institution_id`` as version 1; returns its id."""
    values: dict[str, Any] = {
        "institution_id": institution_id,
        "code": f"T{next(_codes):05d}",
        "name": name,
        "product_type": product_type,
        "min_amount": Decimal(str(min_amount)),
        "max_amount": Decimal(str(max_amount)),
        "min_term_months": min_term_months,
        "max_term_months": max_term_months,
        "min_annual_rate": Decimal(min_annual_rate),
        "max_annual_rate": Decimal(max_annual_rate),
        "region_codes": region_codes or [],
        "description": description,
        "tags": tags or [],
        "eligibility": CLEAN_RECORD if eligibility is None else eligibility,
        "required_scopes": [],
        "target_grade": target_grade,
        "status": status,
    }
    async with runtime.sessionmaker() as session:
        product = LoanProduct(**values)
        session.add(product)
        await session.flush()
        snapshot = {
            key: str(value) if isinstance(value, Decimal) else value
            for key, value in values.items()
        }
        session.add(LoanProductVersion(product_id=product.id, version=1, snapshot=snapshot))
        await session.commit()
        return product.id


async def set_product_status(runtime: Runtime, product_id: int, status: str) -> None:
    """Pause, resume or retire a product as ``setLoanProductStatus`` does."""
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(LoanProduct)
            .where(LoanProduct.id == product_id)
            .values(status=status, updated_at=utcnow())
        )
        await session.commit()


async def set_institution_status(runtime: Runtime, institution_id: int, status: str) -> None:
    """Suspend, revoke or reactivate an institution as ``setInstitutionStatus`` does."""
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Institution)
            .where(Institution.id == institution_id)
            .values(status=status, status_changed_at=utcnow())
        )
        await session.commit()


async def enterprise_id(runtime: Runtime, uscc: str) -> int:
    """The id of the registered enterprise with ``uscc``."""
    async with runtime.sessionmaker() as session:
        return (
            await session.execute(select(Enterprise.id).where(Enterprise.uscc == uscc))
        ).scalar_one()


async def forget_facts(runtime: Runtime, enterprise_id: int, *facts: str) -> None:
    """Make stored facts of an enterprise unknown (as if no data had been collected)."""
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(EnterpriseFeatures)
            .where(EnterpriseFeatures.enterprise_id == enterprise_id)
            .values(dict.fromkeys(facts))
        )
        await session.commit()


async def insert_demand(
    runtime: Runtime,
    *,
    enterprise_id: int,
    amount: str | int = 3_000_000,
    term_months: int = 24,
    purpose: str = "购买冷链运输车辆，扩大物流配送能力",
    status: str = DemandStatus.OPEN.value,
) -> int:
    """A financing demand of ``enterprise_id``; returns its id."""
    async with runtime.sessionmaker() as session:
        demand = FinancingDemand(
            enterprise_id=enterprise_id,
            amount=Decimal(str(amount)),
            term_months=term_months,
            purpose=purpose,
            status=status,
            closed_at=utcnow() if status == DemandStatus.CLOSED.value else None,
        )
        session.add(demand)
        await session.commit()
        return demand.id


async def demand_row(runtime: Runtime, demand_id: int) -> FinancingDemand:
    """The stored demand (to read ``first_response_at``)."""
    async with runtime.sessionmaker() as session:
        demand = await session.get(FinancingDemand, demand_id)
        assert demand is not None
        return demand
