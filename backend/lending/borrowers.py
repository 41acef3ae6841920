"""Which enterprises have borrowed through the platform (for the first-time-borrower fact)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.lending.models import Loan


async def platform_borrowers(session: AsyncSession, enterprise_ids: Sequence[int]) -> set[int]:
    """Those of ``enterprise_ids`` with at least one loan recorded on the platform (one query)."""
    if not enterprise_ids:
        return set()
    rows = await session.execute(
        select(Loan.enterprise_id).where(Loan.enterprise_id.in_(enterprise_ids)).distinct()
    )
    return set(rows.scalars())


def first_time_borrower(has_platform_loan: bool, declared: dict[str, object] | None) -> bool | None:
    """首贷户 as a fact: False once the platform has a loan of the firm; otherwise what the firm
    declared about its bank-loan history (经营情况 → 此前是否获得过银行贷款); unknown without."""
    if has_platform_loan:
        return False
    history = (declared or {}).get("bank_loan_history")
    if history == "无":
        return True
    if history == "有":
        return False
    return None
