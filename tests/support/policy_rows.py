"""Rows for the policy-reach, objection and data-quality statistics, written straight through the
models with the times given (see ``stats_rows`` for enterprises), so that a small data set can be
laid out on a calendar and its figures computed by hand."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.credit.models import CreditRecord, DataProvider, IngestBatch
from backend.enterprises.models import EnterpriseFeatures
from backend.identity.models import Account, Role
from backend.inbox.models import InboxMessage, MessageKind
from backend.objections.models import Objection, RepairRequest
from backend.policies.models import Policy

_serial = itertools.count(1)


async def insert_features(session: AsyncSession, *, enterprise_id: int, **facts: Any) -> None:
    """The enterprise's feature row with ``facts`` (every other fact unknown)."""
    session.add(EnterpriseFeatures(enterprise_id=enterprise_id, **facts))
    await session.flush()


async def insert_policy(
    session: AsyncSession,
    *,
    title: str,
    eligibility: Any,
    created_at: datetime,
    policy_type: str = "INTEREST_SUBSIDY",
    region_codes: list[str] | None = None,
    status: str = "ACTIVE",
    valid_from: date = date(2024, 1, 1),
    valid_until: date = date(2030, 12, 31),
) -> int:
    """A policy as stored (its rule is not checked: a bad one can be laid down on purpose)."""
    policy = Policy(
        title=title,
        policy_type=policy_type,
        issuer="统计测试发改委",
        summary="统计测试政策摘要，用于核对统计数字。",
        body="统计测试政策全文。",
        eligibility=eligibility,
        region_codes=region_codes or [],
        valid_from=valid_from,
        valid_until=valid_until,
        status=status,
        pushed_at=created_at,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(policy)
    await session.flush()
    return policy.id


async def insert_message(
    session: AsyncSession,
    *,
    enterprise_id: int,
    created_at: datetime,
    policy_id: int | None = None,
    read_at: datetime | None = None,
    kind: str = MessageKind.POLICY.value,
) -> None:
    """An inbox message to a firm, about ``policy_id`` for a POLICY message."""
    session.add(
        InboxMessage(
            enterprise_id=enterprise_id,
            kind=kind,
            title="统计测试消息",
            body="统计测试消息正文",
            policy_id=policy_id,
            created_at=created_at,
            read_at=read_at,
        )
    )
    await session.flush()


async def insert_provider(session: AsyncSession, *, code: str, name: str) -> DataProvider:
    """A data provider, its code made unique per call (``tax-7``) so a data set can be laid
    down twice."""
    provider = DataProvider(code=f"{code}-{next(_serial)}", name=name, categories=["tax"])
    session.add(provider)
    await session.flush()
    return provider


async def insert_batch(
    session: AsyncSession,
    *,
    provider_id: int,
    created_at: datetime,
    accepted: int,
    rejected: int = 0,
) -> int:
    """A batch received at ``created_at`` with the given row counts; returns its id."""
    serial = next(_serial)
    batch = IngestBatch(
        data_provider_id=provider_id,
        external_batch_id=f"stats-{serial}",
        category="tax",
        status="PARTIAL" if rejected and accepted else ("REJECTED" if rejected else "ACCEPTED"),
        accepted=accepted,
        rejected=rejected,
        content_hash=f"{serial:064d}",
        created_at=created_at,
    )
    session.add(batch)
    await session.flush()
    return batch.id


async def insert_record(
    session: AsyncSession,
    *,
    enterprise_id: int,
    provider_id: int,
    batch_id: int,
    is_current: bool = True,
) -> int:
    """A tax record of the firm from the provider's batch; returns its id."""
    serial = next(_serial)
    record = CreditRecord(
        enterprise_id=enterprise_id,
        uscc="91371302MA3CDXY10K",
        category="tax",
        natural_key=f"stats-{serial}",
        is_current=is_current,
        fields={"year": 2024, "tax_credit_grade": "A"},
        content_hash=f"{serial:064d}",
        data_provider_id=provider_id,
        batch_id=batch_id,
    )
    session.add(record)
    await session.flush()
    return record.id


async def insert_filer(session: AsyncSession) -> int:
    """An account that files objections (it claims no firm, so no enterprise counts as
    verified because of it); returns its id."""
    account = Account(
        phone=f"196{next(_serial):08d}",
        display_name="异议申请人",
        password_hash="-",
        role=Role.ENTERPRISE.value,
    )
    session.add(account)
    await session.flush()
    return account.id


async def insert_objection(
    session: AsyncSession,
    *,
    enterprise_id: int,
    record_id: int,
    filer_id: int,
    status: str,
    filed_at: datetime,
    forward_due_at: datetime,
    forwarded_at: datetime | None = None,
    resolved_at: datetime | None = None,
) -> None:
    """An objection with the given life on the calendar."""
    session.add(
        Objection(
            enterprise_id=enterprise_id,
            record_id=record_id,
            reason="记录有误，请核查",
            status=status,
            filed_by_account_id=filer_id,
            filed_at=filed_at,
            forward_due_at=forward_due_at,
            forwarded_at=forwarded_at,
            resolved_at=resolved_at,
        )
    )
    await session.flush()


async def insert_repair(
    session: AsyncSession,
    *,
    enterprise_id: int,
    record_id: int,
    filer_id: int,
    status: str,
    filed_at: datetime,
    resolved_at: datetime | None = None,
) -> None:
    """A credit-repair request filed at ``filed_at`` and now in ``status``."""
    session.add(
        RepairRequest(
            enterprise_id=enterprise_id,
            record_id=record_id,
            reason="已整改完毕，申请信用修复",
            commitment_version="2025-1",
            eligible_from=filed_at.date(),
            status=status,
            filed_by_account_id=filer_id,
            filed_at=filed_at,
            resolved_at=resolved_at,
        )
    )
    await session.flush()
