"""Rows for statistics tests, written straight through the models with the times given, so a
small data set can be laid out on a calendar and its figures computed by hand."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import CHINA_TZ
from backend.enterprises.models import Enterprise
from backend.identity.models import Account, Role
from backend.identity.uscc import uscc_check_character
from backend.institutions.models import Institution
from backend.lending.models import FinancingDemand, Loan, LoanApplication, LoanProduct

_serial = itertools.count(1)
_TYPE_CHARACTER = {"enterprise": "1", "individual_business": "2", "farmer_coop": "3"}


def cst(text: str) -> datetime:
    """``2025-02-01 09:00`` read as Beijing time (an aware datetime)."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


def _uscc(entity_type: str, region_code: str) -> str:
    """A valid USCC of the given entity type and region that no other builder hands out."""
    first17 = f"9{_TYPE_CHARACTER[entity_type]}{region_code}TJ{next(_serial):07d}"
    return first17 + uscc_check_character(first17)


async def insert_enterprise(
    session: AsyncSession,
    *,
    region_code: str,
    created_at: datetime,
    entity_type: str = "enterprise",
    verified_at: datetime | None = None,
) -> int:
    """An enterprise registered at ``created_at``; with ``verified_at``, an account claimed it
    then (as verifyEnterprise does). Returns the enterprise's id."""
    serial = next(_serial)
    enterprise = Enterprise(
        uscc=_uscc(entity_type, region_code),
        name=f"统计测试企业{serial}",
        entity_type=entity_type,
        region_code=region_code,
        legal_rep_name="张三",
        legal_rep_id_cipher="not-a-real-cipher",
        legal_rep_id_hash=f"{serial:064d}",
        legal_rep_id_masked="371302********0000",
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(enterprise)
    await session.flush()
    if verified_at is not None:
        session.add(
            Account(
                phone=f"197{serial:08d}",
                display_name="企业用户",
                password_hash="-",
                role=Role.ENTERPRISE.value,
                enterprise_id=enterprise.id,
                verified_at=verified_at,
                created_at=min(created_at, verified_at),
            )
        )
        await session.flush()
    return enterprise.id


async def insert_institution(
    session: AsyncSession, *, kind: str = "BANK", status: str = "ACTIVE", created_at: datetime
) -> int:
    """An institution admitted at ``created_at``; returns its id."""
    serial = next(_serial)
    first17 = f"91110000TJ{serial:07d}"
    institution = Institution(
        name=f"统计测试机构{serial}",
        uscc=first17 + uscc_check_character(first17),
        kind=kind,
        status=status,
        region_codes=["3713"],
        created_at=created_at,
    )
    session.add(institution)
    await session.flush()
    return institution.id


async def insert_product(
    session: AsyncSession,
    *,
    institution_id: int,
    product_type: str = "CREDIT",
    status: str = "ACTIVE",
    created_at: datetime,
) -> int:
    """A loan product (version 1) published at ``created_at``; returns its id."""
    product = LoanProduct(
        institution_id=institution_id,
        name=f"统计测试贷{next(_serial)}",
        product_type=product_type,
        min_amount=Decimal("100000"),
        max_amount=Decimal("5000000"),
        min_term_months=6,
        max_term_months=36,
        min_annual_rate=Decimal("0.0385"),
        max_annual_rate=Decimal("0.0585"),
        status=status,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(product)
    await session.flush()
    return product.id


async def insert_demand(
    session: AsyncSession,
    *,
    enterprise_id: int,
    amount: int,
    created_at: datetime,
    answered_after: timedelta | None = None,
) -> int:
    """A demand published at ``created_at``, first answered ``answered_after`` later (or never)."""
    demand = FinancingDemand(
        enterprise_id=enterprise_id,
        amount=Decimal(amount),
        term_months=12,
        purpose="购买原材料",
        created_at=created_at,
        first_response_at=None if answered_after is None else created_at + answered_after,
    )
    session.add(demand)
    await session.flush()
    return demand.id


async def insert_application(
    session: AsyncSession,
    *,
    enterprise_id: int,
    product_id: int,
    institution_id: int,
    status: str,
    created_at: datetime,
) -> LoanApplication:
    """An application made at ``created_at`` and now in ``status``."""
    application = LoanApplication(
        enterprise_id=enterprise_id,
        institution_id=institution_id,
        product_id=product_id,
        product_version=1,
        status=status,
        requested_amount=Decimal("500000"),
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(application)
    await session.flush()
    return application


async def insert_loan(
    session: AsyncSession,
    *,
    application: LoanApplication,
    amount: int,
    disbursed_on: date,
    credit: bool,
    first: bool,
    status: str = "NORMAL",
) -> int:
    """The loan disbursed on ``disbursed_on`` for ``application``, now in ``status``."""
    loan = Loan(
        application_id=application.id,
        institution_id=application.institution_id,
        enterprise_id=application.enterprise_id,
        product_id=application.product_id,
        amount=Decimal(amount),
        disbursed_on=disbursed_on,
        is_credit_loan=credit,
        is_first_loan=first,
        status=status,
        status_on=disbursed_on,
    )
    session.add(loan)
    await session.flush()
    return loan.id
