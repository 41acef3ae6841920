"""Builders for live loans, written straight with the models (not through the lending API), so
that post-loan tests need nothing but an institution and a registered enterprise."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from backend.db.base import utcnow
from backend.enterprises.models import Enterprise
from backend.lending.models import (
    ApplicationStatus,
    LoanApplication,
    LoanProduct,
    LoanProductVersion,
    LoanStatus,
    ProductType,
)
from backend.lending.models import Loan as LoanModel
from backend.runtime import Runtime

_codes = itertools.count(1)


async def live_loan(
    runtime: Runtime,
    *,
    institution_id: int,
    uscc: str,
    amount: Decimal = Decimal("500000"),
    status: LoanStatus = LoanStatus.NORMAL,
) -> int:
    """A disbursed loan from ``institution_id`` to the enterprise ``uscc`` (a product of its
    own, an application APPROVED then DISBURSED); returns the loan id."""
    async with runtime.sessionmaker() as session:
        enterprise_id = (
            await session.execute(select(Enterprise.id).where(Enterprise.uscc == uscc))
        ).scalar_one()
        product = LoanProduct(
            institution_id=institution_id,
            code=f"test-loan-{next(_codes)}",
            name="测试流动资金贷",
            product_type=ProductType.CREDIT.value,
            min_amount=Decimal("10000"),
            max_amount=Decimal("3000000"),
            min_term_months=6,
            max_term_months=36,
            min_annual_rate=Decimal("0.0345"),
            max_annual_rate=Decimal("0.0600"),
        )
        session.add(product)
        await session.flush()
        session.add(
            LoanProductVersion(product_id=product.id, version=1, snapshot={"name": product.name})
        )
        application = LoanApplication(
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            product_id=product.id,
            product_version=1,
            status=ApplicationStatus.APPROVED.value,
            requested_amount=amount,
            requested_term_months=12,
            approved_amount=amount,
            annual_rate=Decimal("0.0385"),
            approved_term_months=12,
            decided_at=utcnow(),
        )
        session.add(application)
        await session.flush()
        application.status = ApplicationStatus.DISBURSED.value
        today = date.today()
        loan = LoanModel(
            application_id=application.id,
            institution_id=institution_id,
            enterprise_id=enterprise_id,
            product_id=product.id,
            amount=amount,
            annual_rate=Decimal("0.0385"),
            term_months=12,
            disbursed_on=today,
            is_credit_loan=True,
            is_first_loan=False,
            status=status.value,
            status_on=today,
        )
        session.add(loan)
        await session.commit()
        return loan.id


async def set_loan_status(runtime: Runtime, loan_id: int, status: LoanStatus) -> None:
    """Move a loan to ``status`` (as a performance report would)."""
    async with runtime.sessionmaker() as session:
        loan = await session.get_one(LoanModel, loan_id)
        loan.status = status.value
        await session.commit()
