"""What objections and credit repair share: the clock tests freeze, role and input checks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.clock import china_date
from backend.credit.models import CreditRecord
from backend.credit.profile import visible_on
from backend.credit.sharing_list import load_sharing_list
from backend.db.base import utcnow
from backend.errors import DomainError, ErrorCode, parse_id
from backend.identity.models import Role
from backend.objections.models import ObjectionStatus, RepairStatus
from backend.security.actor import Actor
from backend.security.staff import government_staff

MAX_PAGE = 100
REASON_MIN, REASON_MAX = 5, 1000


def now() -> datetime:
    """The current time (one place for tests to freeze it)."""
    return utcnow()


def utc_now() -> datetime:
    """:func:`now` in UTC, as stored and shown (whatever zone a frozen clock was given in)."""
    return now().astimezone(UTC)


def enterprise_id_of(actor: Actor, doing: str) -> int:
    if actor.role != Role.ENTERPRISE.value or actor.account_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, f"只有企业用户可以{doing}")
    if actor.enterprise_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "请先完成企业实名认证")
    return actor.enterprise_id


def require_government(actor: Actor) -> None:
    """Refuse anyone but government staff: they handle objections and repair requests."""
    government_staff(actor, "只有政府工作人员可以处理异议和信用修复")


def clean_reason(reason: str | None, *, required: bool, minimum: int = 1) -> str | None:
    text = (reason or "").strip()
    if not text and not required:
        return None
    if not minimum <= len(text) <= REASON_MAX:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"理由应为 {minimum} 到 {REASON_MAX} 个字符" if text else "请填写理由",
            field="reason",
        )
    return text


def parse_status(kind: type[ObjectionStatus] | type[RepairStatus], value: str) -> str:
    if value not in kind.__members__:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "状态不正确", field="status")
    return value


def page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"每次 1 到 {MAX_PAGE} 条", field="first")
    return first


async def own_record(
    session: AsyncSession, enterprise_id: int, record_id: int | str
) -> CreditRecord:
    """A record the enterprise sees now; any other id is NOT_FOUND (others' records included)."""
    message = "找不到该信用记录（或已不再公示）"
    key = parse_id(record_id, "recordId", message)
    record = (
        await session.execute(
            select(CreditRecord).where(
                CreditRecord.id == key,
                CreditRecord.enterprise_id == enterprise_id,
                visible_on(china_date(utc_now())),
            )
        )
    ).scalar_one_or_none()
    if record is None:
        raise DomainError(ErrorCode.NOT_FOUND, message, field="recordId")
    return record


def record_label(record: CreditRecord) -> str:
    spec = load_sharing_list().get(record.category)
    return f"{spec.label if spec else record.category}记录（编号 {record.id}）"
