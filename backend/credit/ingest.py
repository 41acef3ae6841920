"""Physical collection (物理归集) through the API: one call, one batch of at most 5000 rows.

A batch is identified by ``(provider, batch_id)``. Sending the same batch again returns the
stored outcome and changes nothing; different content under a used id is a CONFLICT. Valid rows
are stored and invalid rows reported by index, in one transaction; with ``all_or_nothing`` one
bad row refuses the whole batch. Withdrawals end a record's current version (history is kept).
Big loads use the streaming path in ``backend.credit.bulk``; both share ``backend.credit.batch``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.clock import china_today
from backend.credit import batch as batches
from backend.credit.models import DataProvider, IngestBatch
from backend.errors import DomainError, ErrorCode
from backend.runtime import Runtime
from backend.security.actor import Actor

MAX_ROWS_PER_CALL = 5000
BatchStatus = batches.BatchStatus


@dataclass(frozen=True)
class IngestOutcome:
    """The stored batch, its row errors, and whether this call was a replay of an earlier one."""

    batch: IngestBatch
    row_errors: list[dict[str, Any]]
    replayed: bool


def _content_hash(category: str, records: list[Any], withdrawals: list[Any], strict: bool) -> str:
    canonical = json.dumps(
        [category, records, withdrawals, strict],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def find_batch(
    session: AsyncSession, provider: DataProvider, batch_id: str, content_hash: str | None
) -> IngestBatch | None:
    """The earlier batch under this id when its content is the same; CONFLICT when it is not.

    With ``content_hash`` None it only says whether the id is taken.
    """
    existing = (
        await session.execute(
            select(IngestBatch).where(
                IngestBatch.data_provider_id == provider.id,
                IngestBatch.external_batch_id == batch_id,
            )
        )
    ).scalar_one_or_none()
    if existing is not None and content_hash is not None and existing.content_hash != content_hash:
        raise DomainError(
            ErrorCode.CONFLICT, "该批次号已用于内容不同的批次，请使用新的批次号", field="batchId"
        )
    return existing


async def record_batch_audit(
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    provider: DataProvider,
    batch: IngestBatch,
) -> None:
    """The audit row of an ingestion batch."""
    await audit.record(
        session,
        keyring=runtime.keyring,
        actor=actor,
        action="ingest.batch",
        outcome="failure" if batch.status == BatchStatus.REJECTED else "success",
        subject_type="ingest_batch",
        subject_id=batch.id,
        details={
            "provider": provider.code,
            "batch_id": batch.external_batch_id,
            "category": batch.category,
            "accepted": batch.accepted,
            "rejected": batch.rejected,
            "withdrawn": batch.withdrawn,
        },
    )


async def ingest_records(
    *,
    session: AsyncSession,
    runtime: Runtime,
    actor: Actor,
    batch_id: str,
    category: str,
    records: list[Any],
    withdrawals: list[Any] | None = None,
    all_or_nothing: bool = False,
) -> IngestOutcome:
    """Validate and store one batch from the actor's data provider (caller commits)."""
    withdrawals = list(withdrawals or [])
    batches.check_batch_id(batch_id)
    spec = batches.category_spec(category)
    if not records and not withdrawals:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "批次中没有记录", field="records")
    if len(records) + len(withdrawals) > MAX_ROWS_PER_CALL:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"单次最多 {MAX_ROWS_PER_CALL} 条；更大的数据请用批量接口 /ingest/{category}",
            field="records",
        )
    provider = await batches.provider_for(session, actor, category)
    content_hash = _content_hash(category, records, withdrawals, all_or_nothing)
    existing = await find_batch(session, provider, batch_id, content_hash)
    if existing is not None:
        return IngestOutcome(existing, list(existing.row_errors or []), replayed=True)

    today = china_today()
    enterprise_ids: dict[str, int] = {}
    plan = await batches.plan_rows(session, spec, list(enumerate(records)), today, enterprise_ids)
    withdrawal_plan = await batches.plan_withdrawals(session, spec, withdrawals, today)
    plan.withdrawals = withdrawal_plan.withdrawals
    errors = plan.errors + withdrawal_plan.errors
    refused = all_or_nothing and bool(errors)
    applied = 0 if refused else len(plan.rows)
    withdrawn = 0 if refused else len(plan.withdrawals)
    batch = IngestBatch(
        data_provider_id=provider.id,
        external_batch_id=batch_id,
        category=category,
        status=batches.status_of(applied + withdrawn, len(errors)),
        accepted=applied,
        rejected=len(errors),
        withdrawn=withdrawn,
        all_or_nothing=all_or_nothing,
        content_hash=content_hash,
        row_errors=errors,
        submitted_by_account_id=actor.account_id,
    )
    session.add(batch)
    await session.flush()
    if not refused:
        await batches.store(
            session,
            runtime,
            spec,
            provider_id=provider.id,
            batch_id=batch.id,
            plan=plan,
            enterprise_ids=enterprise_ids,
        )
    await record_batch_audit(session, runtime, actor, provider, batch)
    return IngestOutcome(batch, errors, replayed=False)
