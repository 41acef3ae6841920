"""Financing demands (融资需求): a firm publishes what it needs, lists and closes its own.

Banks find open demands through ``backend/lending/demand_market.py`` (抢单); an application may
answer a demand (``backend/lending/applications.py``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, parse_id
from backend.lending.models import DemandStatus, FinancingDemand
from backend.runtime import Runtime
from backend.security.actor import Actor
from backend.security.staff import own_enterprise_id

MAX_DEMAND_AMOUNT = Decimal("1000000000")  # 10亿元: beyond any small-firm loan
MAX_TERM_MONTHS = 360
PURPOSE_LENGTH = (4, 500)
MAX_OPEN_DEMANDS = 10  # per enterprise: a firm with more open needs should close some first


def clean_amount(value: Decimal | str | int, *, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals, up to ``MAX_DEMAND_AMOUNT``."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "金额格式不正确", field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "金额须大于 0 元", field=field)
    if amount > MAX_DEMAND_AMOUNT:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "金额不能超过 10 亿元", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "金额最多保留两位小数（分）", field=field)
    return amount


def clean_term(value: int, *, field: str = "termMonths") -> int:
    """A term in whole months, 1 to ``MAX_TERM_MONTHS``."""
    if not 1 <= value <= MAX_TERM_MONTHS:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, f"期限须为 1 到 {MAX_TERM_MONTHS} 个月", field=field
        )
    return value


def _clean_purpose(value: str) -> str:
    purpose = " ".join(value.split())
    low, high = PURPOSE_LENGTH
    if not low <= len(purpose) <= high:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"请用 {low} 到 {high} 个字说明资金用途，例如“采购原材料”",
            field="purpose",
        )
    return purpose


async def publish_demand(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    amount: Decimal | str,
    term_months: int,
    purpose: str,
) -> FinancingDemand:
    """Publish the actor's enterprise's financing demand (open for offers and applications)."""
    enterprise_id = own_enterprise_id(actor, "发布融资需求")
    demand = FinancingDemand(
        enterprise_id=enterprise_id,
        amount=clean_amount(amount),
        term_months=clean_term(term_months),
        purpose=_clean_purpose(purpose),
        status=DemandStatus.OPEN.value,
        created_by_account_id=actor.account_id,
    )
    open_count = (
        await session.execute(
            select(func.count()).where(
                FinancingDemand.enterprise_id == enterprise_id,
                FinancingDemand.status == DemandStatus.OPEN.value,
            )
        )
    ).scalar_one()
    if open_count >= MAX_OPEN_DEMANDS:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"同时开放的融资需求最多 {MAX_OPEN_DEMANDS} 条，请先关闭不再需要的需求",
        )
    session.add(demand)
    await session.flush()
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="demand.publish",
        subject_type="financing_demand",
        subject_id=demand.id,
        enterprise_id=enterprise_id,
        details={"amount": str(demand.amount), "term_months": demand.term_months},
    )
    return demand


async def own_demand(
    session: AsyncSession, enterprise_id: int, demand_id: int | str, *, field: str = "demandId"
) -> FinancingDemand:
    """A demand of the enterprise; anyone else's (or none) is NOT_FOUND."""
    demand = await session.get(FinancingDemand, parse_id(demand_id, field, "融资需求不存在"))
    if demand is None or demand.enterprise_id != enterprise_id:
        raise DomainError(ErrorCode.NOT_FOUND, "融资需求不存在", field=field)
    return demand


async def close_demand(
    *, session: AsyncSession, runtime: Runtime, actor: Actor, demand_id: int | str
) -> FinancingDemand:
    """Close one of the actor's open demands (no more offers; live applications go on)."""
    demand = await own_demand(
        session, own_enterprise_id(actor, "办理融资业务"), demand_id, field="id"
    )
    if demand.status != DemandStatus.OPEN.value:
        raise DomainError(ErrorCode.CONFLICT, "该融资需求已关闭", field="id")
    close(demand)
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="demand.close",
        subject_type="financing_demand",
        subject_id=demand.id,
        enterprise_id=demand.enterprise_id,
    )
    return demand


def close(demand: FinancingDemand) -> None:
    """Mark a demand closed now (by the firm, or because a loan answered it)."""
    if demand.status == DemandStatus.OPEN.value:
        demand.status = DemandStatus.CLOSED.value
        demand.closed_at = utcnow()


def note_response(demand: FinancingDemand | None) -> None:
    """Record the first institution response (an offer or a decision) for response-time figures."""
    if demand is not None and demand.first_response_at is None:
        demand.first_response_at = utcnow()


async def my_demands(
    *, session: AsyncSession, actor: Actor, status: DemandStatus | None = None, first: int = 20
) -> list[FinancingDemand]:
    """The actor's enterprise's demands, newest first."""
    enterprise_id = own_enterprise_id(actor, "查看融资需求")
    if not 1 <= first <= 100:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "每次 1 到 100 条", field="first")
    query = select(FinancingDemand).where(FinancingDemand.enterprise_id == enterprise_id)
    if status is not None:
        query = query.where(FinancingDemand.status == status.value)
    query = query.order_by(FinancingDemand.created_at.desc(), FinancingDemand.id.desc())
    return list((await session.execute(query.limit(first))).scalars())
