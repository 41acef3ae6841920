"""Checks shared by every institution read: who may read, with what credential."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.consent.models import AccessPurpose
from backend.enterprises.models import Enterprise
from backend.errors import DomainError, ErrorCode
from backend.identity.uscc import parse_uscc
from backend.institutions.access import acting_institution
from backend.institutions.models import ApiScope
from backend.security.actor import Actor


def require_institution_reader(actor: Actor) -> int:
    """The actor's institution id, when it is institution staff (or an API token with REPORTS)."""
    return acting_institution(actor, ApiScope.REPORTS, "查询企业信用信息")


async def enterprise_by_uscc(session: AsyncSession, uscc: str) -> Enterprise:
    """The registered enterprise with this USCC (INVALID_USCC, or ENTERPRISE_NOT_FOUND)."""
    code = parse_uscc(uscc, field="uscc").code
    enterprise = (
        await session.execute(select(Enterprise).where(Enterprise.uscc == code))
    ).scalar_one_or_none()
    if enterprise is None:
        raise DomainError(ErrorCode.ENTERPRISE_NOT_FOUND, "平台上没有该市场主体", field="uscc")
    return enterprise


def parse_purpose(value: str, field: str = "purpose") -> AccessPurpose:
    """One of the three financing purposes (VALIDATION_ERROR otherwise)."""
    try:
        return AccessPurpose(value)
    except ValueError as exc:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "用途须为贷前调查、贷中审批或贷后管理", field
        ) from exc
