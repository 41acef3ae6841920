"""The trail of reads by institutions: audit rows plus one entry per enterprise it may read.

``record_access`` writes the hash-chained audit row and, in the same transaction, an entry in
``data_access_log`` for every enterprise whose data was read, pointing at that audit row. The
enterprise reads its entries free in ``myDataAccessLog``, complete and newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.consent.models import AccessKind, AccessPurpose, DataAccess
from backend.errors import DomainError, ErrorCode
from backend.identity.models import Account, Role
from backend.institutions.models import Institution
from backend.pagination import check_page_size
from backend.runtime import Runtime
from backend.security.actor import Actor


async def record_access(
    session: AsyncSession,
    *,
    runtime: Runtime,
    actor: Actor,
    kind: AccessKind,
    enterprise_ids: list[int],
    categories: list[str],
    purpose: AccessPurpose | None,
    authorization_ids: list[int],
    subject_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit one access by an institution and add it to each enterprise's trail."""
    if actor.institution_id is None:
        raise ValueError("record_access is for reads by institutions")
    unique_ids = list(dict.fromkeys(enterprise_ids))
    entry = await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action=f"access.{kind.value.lower()}",
        subject_type="enterprise",
        subject_id=subject_id,
        enterprise_id=unique_ids[0] if len(unique_ids) == 1 else None,
        institution_id=actor.institution_id,
        details={
            "categories": categories,
            "purpose": purpose.value if purpose else None,
            "authorization_ids": authorization_ids,
            "enterprise_ids": unique_ids,
            **(details or {}),
        },
    )
    if unique_ids:
        await session.execute(
            insert(DataAccess),
            [
                {
                    "enterprise_id": enterprise_id,
                    "institution_id": actor.institution_id,
                    "account_id": actor.account_id,
                    "api_token_id": actor.api_token_id,
                    "kind": kind.value,
                    "categories": categories,
                    "purpose": purpose.value if purpose else None,
                    "authorization_ids": authorization_ids,
                    "audit_seq": entry.seq,
                    "accessed_at": entry.occurred_at,
                }
                for enterprise_id in unique_ids
            ],
        )


async def record_refusal(
    session: AsyncSession,
    *,
    runtime: Runtime,
    actor: Actor,
    kind: AccessKind,
    enterprise_id: int,
    enterprise_uscc: str,
    details: dict[str, Any],
) -> None:
    """Audit a read refused for want of a grant, and commit it: the refusal must outlive the
    failed request (auditors look for institutions probing firms that never authorised them)."""
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action=f"access.{kind.value.lower()}",
        outcome="denied",
        subject_type="enterprise",
        subject_id=enterprise_uscc,
        enterprise_id=enterprise_id,
        institution_id=actor.institution_id,
        details=details,
    )
    await session.commit()


@dataclass(frozen=True)
class AccessEntry:
    """One line of an enterprise's data-access trail."""

    id: int
    institution_name: str
    staff_name: str | None
    via_api: bool
    kind: str
    categories: list[str]
    purpose: str | None
    authorization_ids: list[int]
    accessed_at: datetime


async def my_access_log(
    *, session: AsyncSession, actor: Actor, first: int = 50, after: int | None = None
) -> list[AccessEntry]:
    """Who read the enterprise's data: every access, newest first (free, complete, paged)."""
    if actor.role != Role.ENTERPRISE.value:
        raise DomainError(ErrorCode.FORBIDDEN, "只有企业用户可以查看本企业的数据访问记录")
    if actor.enterprise_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "请先完成企业实名认证")
    check_page_size(first)
    conditions = [DataAccess.enterprise_id == actor.enterprise_id]
    if after is not None:
        conditions.append(DataAccess.id < after)
    rows = await session.execute(
        select(DataAccess, Institution.name, Account.display_name)
        .join(Institution, Institution.id == DataAccess.institution_id)
        .outerjoin(Account, Account.id == DataAccess.account_id)
        .where(*conditions)
        .order_by(DataAccess.id.desc())
        .limit(first)
    )
    return [
        AccessEntry(
            id=access.id,
            institution_name=institution_name,
            staff_name=staff_name,
            via_api=access.api_token_id is not None,
            kind=access.kind,
            categories=list(access.categories or []),
            purpose=access.purpose,
            authorization_ids=list(access.authorization_ids or []),
            accessed_at=access.accessed_at,
        )
        for access, institution_name, staff_name in rows
    ]
